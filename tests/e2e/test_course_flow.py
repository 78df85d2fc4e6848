"""Enrol a client, read the schedule, sign a preparation note, try to start dosing too early."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from e2e.conftest import sign_in
from support.courses import ScreeningDesk


@pytest.fixture
def eligible(database, world, settings) -> None:  # type: ignore[no-untyped-def]
    """Alice's client has an eligible MDMA screening signed three days ago."""
    desk = ScreeningDesk(database, world, settings)
    desk.sign(world.clients["alice"], signed_on=datetime.now(UTC).date() - timedelta(days=3))


def test_enrol_sign_a_preparation_note_and_read_why_dosing_cannot_start(
    page, world, eligible
) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "alice")
    page.goto(f"/clients/{world.clients['alice']}")
    panel = page.locator("#panel-course")
    expect(panel).to_contain_text("Latest signed screening: eligible")
    panel.get_by_label("Protocol").select_option(
        label="MDMA-assisted therapy for PTSD (phase 3 design, MAPP1/MAPP2) (mdma-at-phase3 1.1.0)"
    )
    panel.get_by_role("button", name="Enrol and plan the visits").click()

    # The schedule: every visit with its target date and window.
    expect(page.get_by_role("heading", name="Schedule")).to_be_visible()
    rows = page.locator("table.schedule tbody tr")
    expect(rows).to_have_count(20)
    expect(page.locator("#visit-preparation-1")).to_contain_text("preparation")
    expect(page.locator("#visit-dosing-1")).to_contain_text("Planned")

    # Write and sign the first preparation note.
    page.locator("#visit-preparation-1").get_by_role("link", name="Write note").click()
    page.get_by_label("Intentions").fill("Feel safe with the therapists; understand the day")
    page.get_by_label("Therapeutic alliance worked on").check()
    page.get_by_label("Dosing-session day explained").check()
    page.get_by_label("Risk", exact=True).select_option("none")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("button", name="Sign and lock the note").click()
    expect(page.get_by_role("heading", name="Signed note")).to_be_visible()
    expect(page.locator(".note")).to_contain_text("signed")

    # Try to start the first dosing session now: every unmet condition is listed.
    page.get_by_role("link", name="MDMA-assisted therapy for PTSD").first.click()
    page.locator("#visit-dosing-1").get_by_role("button", name="Start dosing session").click()
    result = page.locator("#gate-result")
    expect(result).to_contain_text("Not yet: the dosing session cannot start")
    unmet = result.locator("ul.unmet > li")
    expect(unmet).to_have_count(6)
    expect(unmet.nth(0)).to_contain_text("1 of 3 required preparation sessions signed")
    expect(unmet.nth(1)).to_contain_text("Informed consent to treatment")
    expect(result).to_contain_text("Supportive-touch agreement")
    expect(unmet.nth(5)).to_contain_text("no pregnancy test recorded")


def test_the_schedule_reads_on_a_phone(playwright_browser, live_server, world, eligible) -> None:  # type: ignore[no-untyped-def]
    context = playwright_browser.new_context(
        base_url=live_server, viewport={"width": 390, "height": 844}
    )
    phone = context.new_page()
    try:
        sign_in(phone, "alice")
        phone.goto(f"/clients/{world.clients['alice']}/courses/new")
        phone.get_by_role("button", name="Enrol and plan the visits").click()
        expect(phone.get_by_role("heading", name="Schedule")).to_be_visible()
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        first = phone.locator("table.schedule tbody tr").nth(1)
        # On a phone each cell is labelled, since the column headings are hidden.
        expect(first.locator('td[data-label="Window"]')).to_be_visible()
    finally:
        context.close()
