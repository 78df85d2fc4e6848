"""In Chromium: a first sign-in sets up an authenticator app, shows recovery codes once, and the
next sign-in asks for a code."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from mendwell.security import totp
from support.world import AUDIT_KEY, PASSWORD


@pytest.fixture
def app(settings, engine, clock):  # type: ignore[no-untyped-def]
    from mendwell.web.app import create_app

    strict = settings.model_copy(update={"two_factor_required": True})
    return create_app(strict, engine=engine, clock=clock, audit_key=AUDIT_KEY)


def _password_step(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/login/code")


def test_two_factor_set_up_and_sign_in(page, playwright_browser, live_server) -> None:  # type: ignore[no-untyped-def]
    _password_step(page)
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    expect(page.locator(".qr svg")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code").fill(totp.code_at(secret, datetime.now(UTC)))
    page.get_by_role("button", name="Turn on and sign in").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    recovery = page.locator("#recovery-codes li").first.inner_text()
    page.get_by_role("link", name="I have saved them — continue").click()
    expect(page.get_by_role("heading", name="Hello, Alice Abbott")).to_be_visible()

    # A second browser: the password alone is not enough; a recovery code works once.
    other = playwright_browser.new_context(base_url=live_server).new_page()
    _password_step(other)
    expect(other.get_by_role("heading", name="Enter your code")).to_be_visible()
    other.get_by_label("Code").fill("00000-00000-00000-00000")  # not one of the codes
    other.get_by_role("button", name="Sign in").click()
    expect(other.get_by_role("alert")).to_contain_text("That code is not right")
    other.get_by_label("Code").fill(recovery)
    other.get_by_role("button", name="Sign in").click()
    expect(other.get_by_role("heading", name="Hello, Alice Abbott")).to_be_visible()
    other.context.close()
