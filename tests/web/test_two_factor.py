"""Two-factor sign-in through the pages: set-up, codes, replay, recovery codes, throttling, reset
(ONC (d)(13); ASVS 6.3.2, 6.5.1, 6.5.2)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from mendwell.security import totp
from mendwell.store.models import AuditEvent, AuthenticatorSecret, RecoveryCode, UserSession
from support.web import Browser
from support.world import AUDIT_KEY

_FORM_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_SECRET = re.compile(r'id="totp-secret">([A-Z2-7]+)<')
_CODES = re.compile(r"<li><code>([0-9a-f-]+)</code></li>")


@pytest.fixture
def app(settings, engine, clock):  # type: ignore[no-untyped-def]
    """The app as installed: two-factor sign-in required for everyone."""
    from mendwell.web.app import create_app

    strict = settings.model_copy(update={"two_factor_required": True})
    return create_app(strict, engine=engine, clock=clock, audit_key=AUDIT_KEY)


def _code_page(browser: Browser) -> Any:
    page = browser.get("/login/code")
    assert page.status_code == 200, page.status_code
    return page


def _submit(browser: Browser, code: str) -> Any:
    token = _FORM_CSRF.search(_code_page(browser).text)
    assert token
    return browser.http.post("/login/code", data={"code": code, "csrf_token": token.group(1)})


def _set_up(browser: Browser, clock, username: str = "alice") -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    """Sign in for the first time, setting up the app; the secret and the recovery codes."""
    assert browser.login(username).status_code == 303
    found = _SECRET.search(_code_page(browser).text)
    assert found, "no key shown for setting up an app"
    secret = found.group(1)
    done = _submit(browser, totp.code_at(secret, clock.now()))
    assert done.status_code == 200
    assert "Your recovery codes" in done.text
    browser.refresh_csrf()
    return secret, _CODES.findall(done.text)


def _wrong_code(secret: str, now: datetime) -> str:
    """A six-digit code that no step within the accepted drift produces."""
    near = {totp.code_at(secret, now + timedelta(seconds=30 * k)) for k in (-1, 0, 1)}
    return next(c for c in (f"{n:06d}" for n in range(1_000_000)) if c not in near)


def _events(database, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with database.sessionmaker() as db:
        return list(
            db.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
            )
        )


def test_a_correct_password_alone_opens_no_session(app, database) -> None:  # type: ignore[no-untyped-def]
    browser = Browser(app)
    response = browser.login("alice")
    assert response.status_code == 303
    assert response.headers["location"] == "/login/code"
    assert "mendwell_session" not in response.headers.get("set-cookie", "")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-mendwell_signin=")
    assert "samesite=strict" in cookie.lower()
    assert "httponly" in cookie.lower()
    assert browser.get("/").status_code == 303  # still signed out
    with database.sessionmaker() as db:
        assert db.scalars(select(UserSession)).all() == []
    assert _events(database, "login")[-1].outcome == "code_required"


def test_first_sign_in_sets_up_the_app_and_shows_recovery_codes_once(app, clock, database) -> None:  # type: ignore[no-untyped-def]
    browser = Browser(app)
    assert browser.login("alice").status_code == 303
    page = _code_page(browser)
    assert "<svg" in page.text
    assert "Set up two-factor sign-in" in page.text
    found = _SECRET.search(page.text)
    assert found
    secret = found.group(1)
    assert _submit(browser, _wrong_code(secret, clock.now())).status_code == 401
    done = _submit(browser, totp.code_at(secret, clock.now()))
    assert done.status_code == 200
    codes = _CODES.findall(done.text)
    assert len(codes) == 10
    browser.refresh_csrf()
    assert browser.get("/").status_code == 200
    with database.sessionmaker() as db:
        stored = db.scalars(select(RecoveryCode.code_hash)).all()
        app_secret = db.scalar(select(AuthenticatorSecret))
    assert len(stored) == 10
    assert not set(codes) & set(stored)
    assert app_secret is not None
    assert app_secret.confirmed_at is not None
    assert _events(database, "two_factor_setup")
    login = _events(database, "login")[-1]
    assert (login.outcome, login.detail) == ("success", {"second_factor": "authenticator"})


def test_later_sign_ins_ask_for_a_code_and_refuse_a_replayed_one(app, clock) -> None:  # type: ignore[no-untyped-def]
    secret, _ = _set_up(Browser(app), clock)
    used = totp.code_at(secret, clock.now())
    again = Browser(app)
    assert again.login("alice").status_code == 303
    page = _code_page(again)
    assert "Enter your code" in page.text
    assert "totp-secret" not in page.text
    assert _submit(again, used).status_code == 401  # the step was used to set up the app
    clock.advance(seconds=30)
    ok = _submit(again, totp.code_at(secret, clock.now()))
    assert ok.status_code == 303
    assert ok.headers["location"] == "/"
    assert again.get("/").status_code == 200


def test_a_recovery_code_signs_in_once(app, clock, database) -> None:  # type: ignore[no-untyped-def]
    _, codes = _set_up(Browser(app), clock)
    first = Browser(app)
    first.login("alice")
    assert _submit(first, codes[0].upper().replace("-", " ")).status_code == 303
    second = Browser(app)
    second.login("alice")
    assert _submit(second, codes[0]).status_code == 401
    successes = [e for e in _events(database, "login") if e.outcome == "success"]
    assert successes[-1].detail == {"second_factor": "recovery code"}


def test_wrong_codes_count_as_failed_sign_ins(app, clock, settings) -> None:  # type: ignore[no-untyped-def]
    secret, _ = _set_up(Browser(app), clock)
    clock.advance(minutes=1)
    browser = Browser(app)
    browser.login("alice")
    wrong = _wrong_code(secret, clock.now())
    for _ in range(settings.login_max_failures_per_account - 1):
        assert _submit(browser, wrong).status_code == 401
    last = _submit(browser, wrong)  # the fifth wrong code ends the pending sign-in
    assert (last.status_code, last.headers["location"]) == (303, "/login?expired=1")
    # The account's failure count is now at the limit: even the right password is throttled.
    assert Browser(app).login("alice").status_code == 429
    clock.advance(minutes=settings.login_window_minutes + 1)
    recovered = Browser(app)
    assert recovered.login("alice").status_code == 303
    assert _submit(recovered, totp.code_at(secret, clock.now())).status_code == 303


def test_a_pending_sign_in_ends_after_ten_minutes(app, clock) -> None:  # type: ignore[no-untyped-def]
    _secret, _ = _set_up(Browser(app), clock)
    clock.advance(minutes=1)
    slow = Browser(app)
    slow.login("alice")
    _code_page(slow)
    clock.advance(minutes=10)
    late = slow.get("/login/code")
    assert (late.status_code, late.headers["location"]) == (303, "/login?expired=1")
    assert "expired" in slow.get("/login?expired=1").text


def test_the_code_page_without_a_pending_sign_in_sends_to_the_sign_in_page(app) -> None:  # type: ignore[no-untyped-def]
    browser = Browser(app)
    assert browser.get("/login/code").headers["location"] == "/login?expired=1"
    forged = browser.http.post("/login/code", data={"code": "123456", "csrf_token": "x"})
    assert forged.status_code == 303


def test_the_code_form_needs_its_anti_forgery_token(app, clock) -> None:  # type: ignore[no-untyped-def]
    browser = Browser(app)
    browser.login("alice")
    secret = _SECRET.search(_code_page(browser).text)
    assert secret
    response = browser.http.post(
        "/login/code",
        data={"code": totp.code_at(secret.group(1), clock.now()), "csrf_token": "forged"},
    )
    assert response.status_code == 403
    assert browser.get("/").status_code == 303


def test_an_admin_reset_ends_sessions_and_asks_for_a_new_app(app, clock, database, world) -> None:  # type: ignore[no-untyped-def]
    alice = Browser(app)
    _set_up(alice, clock)
    admin = Browser(app)
    _set_up(admin, clock, "admin")
    user_page = admin.get(f"/admin/users/{world.users['alice']}")
    assert "Authenticator app set up." in user_page.text
    done = admin.post(
        f"/admin/users/{world.users['alice']}/two-factor-reset", {"reason": "lost phone"}
    )
    assert done.status_code == 303
    assert alice.get("/").status_code == 303  # signed out
    reset = _events(database, "two_factor_reset")[-1]
    assert (reset.entity_id, reset.reason) == (str(world.users["alice"]), "lost phone")
    again = Browser(app)
    again.login("alice")
    assert "Set up two-factor sign-in" in _code_page(again).text


def test_only_user_managers_may_reset(app, clock, world) -> None:  # type: ignore[no-untyped-def]
    bob = Browser(app)
    _set_up(bob, clock, "bob")
    response = bob.post(f"/admin/users/{world.users['alice']}/two-factor-reset", {})
    assert response.status_code == 403


def test_recovery_codes_are_replaced_with_a_current_code(app, clock) -> None:  # type: ignore[no-untyped-def]
    browser = Browser(app)
    secret, old = _set_up(browser, clock)
    assert 'id="recovery-left">10<' in browser.get("/account").text
    refused = browser.post("/account/recovery-codes", {"code": "12"})
    assert refused.status_code == 422
    assert "not the current code" in refused.text
    clock.advance(seconds=30)
    fresh = browser.post("/account/recovery-codes", {"code": totp.code_at(secret, clock.now())})
    assert fresh.status_code == 200
    new = _CODES.findall(fresh.text)
    assert len(new) == 10
    assert not set(new) & set(old)
    other = Browser(app)
    other.login("alice")
    assert _submit(other, old[0]).status_code == 401
    assert _submit(other, new[0]).status_code == 303


def test_with_the_setting_off_a_user_who_has_an_app_still_needs_it(settings, engine, clock) -> None:  # type: ignore[no-untyped-def]
    from mendwell.web.app import create_app

    strict = create_app(
        settings.model_copy(update={"two_factor_required": True}),
        engine=engine,
        clock=clock,
        audit_key=AUDIT_KEY,
    )
    _set_up(Browser(strict), clock)
    relaxed = create_app(settings, engine=engine, clock=clock, audit_key=AUDIT_KEY)
    assert not settings.two_factor_required
    assert Browser(relaxed).login("alice").headers["location"] == "/login/code"
    assert Browser(relaxed).login("bob").headers["location"] == "/"  # no app, not required


def test_a_password_reset_does_not_bypass_the_second_factor(app, clock, world) -> None:  # type: ignore[no-untyped-def]
    _set_up(Browser(app), clock)
    admin = Browser(app)
    _set_up(admin, clock, "admin")
    new_password = "velvet otter kettle drum"
    done = admin.post(f"/admin/users/{world.users['alice']}/password", {"password": new_password})
    assert done.status_code == 303
    alice = Browser(app)
    response = alice.login("alice", new_password)
    assert response.headers["location"] == "/login/code"
    assert "Enter your code" in _code_page(alice).text
    assert alice.get("/").status_code == 303
