"""A demo dosing session end to end through the live page, in Chromium.

Alice leads dosing session 1 of her client's MDMA course with Bob: checklist, initial dose,
supplemental dose in its window, a blood pressure beyond the threshold acknowledged with the
action taken, euphoria recorded from the adverse-event checklist, discharge, her signature, Bob's
co-signature, and an addendum that leaves the signed record as it was. The server's clock is
frozen at the session's start and moved on as the session goes.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from e2e.conftest import sign_in
from mendwell.clock import FrozenClock
from support.courses import ScreeningDesk, medical_at_site_b
from support.dosing import DOSING_DAY, at, ready_course

START = at(DOSING_DAY, 9)


@pytest.fixture
def course_id(database, world, settings) -> int:  # type: ignore[no-untyped-def]
    medical_at_site_b(database, world)
    return ready_course(database, world, ScreeningDesk(database, world, settings))


def test_a_dosing_session_from_checklist_to_addendum(
    page, app, live_server, world, course_id
) -> None:  # type: ignore[no-untyped-def]
    clock = FrozenClock(START)
    app.state.clock = clock
    # Hours pass on the frozen clock between steps: nobody is signed out for being idle.
    app.state.settings = app.state.settings.model_copy(update={"session_idle_minutes": 24 * 60})

    def minute(n: int) -> None:
        clock._at = START + timedelta(minutes=n)

    sign_in(page, "alice")
    page.goto(f"/courses/{course_id}/visits/dosing-1")
    page.get_by_label("Second facilitator").select_option(label="Bob Baker")
    page.get_by_role("button", name="Start session").click()
    expect(page.get_by_role("heading", name="Dosing session", level=1)).to_be_visible()
    status = page.locator("#session-status")
    expect(status).to_contain_text("Pre-dose vital signs are due before the first dose")

    # Bob joins; both facilitators are present.
    presence = page.locator("#panel-presence")
    presence.get_by_label("Staff member").select_option(label="Bob Baker")
    presence.get_by_role("button", name="Record arrival").click()
    expect(presence.locator("tbody tr")).to_have_count(2)
    expect(presence).to_contain_text("Arrival recorded.")

    # The pre-dose checklist, then the pre-dose reading.
    checklist = page.locator("#panel-checklist")
    for item in ("pre-dose-vitals", "fasting", "consent-reconfirmed"):
        checklist.locator(f"#check-{item}").get_by_label("Yes").check()
    checklist.locator("#check-pregnancy-test").get_by_label("Not applicable").check()
    checklist.locator("#check-medications-today").get_by_role("textbox").fill("None")
    checklist.locator("#check-intention").get_by_role("textbox").fill("To feel safe")
    checklist.get_by_role("button", name="Save the checklist").click()
    expect(page.locator("#panel-checklist")).to_contain_text("Complete")

    # A value out of range is shown next to its field, in place, and nothing is recorded.
    vitals = page.locator("#panel-vitals")
    vitals.get_by_label("Heart rate").fill("400")
    vitals.get_by_role("button", name="Record the reading").click()
    vitals = page.locator("#panel-vitals")
    expect(vitals.locator(".field-error")).to_contain_text("heart rate:")
    expect(vitals.locator("table.vitals")).to_contain_text("No readings yet.")
    vitals.get_by_label("Systolic").fill("124")
    vitals.get_by_label("Diastolic").fill("78")
    vitals.get_by_label("Heart rate").fill("70")
    vitals.get_by_label("Temperature (°C)").fill("36.7")
    vitals.get_by_role("button", name="Record the reading").click()
    expect(page.locator("#panel-vitals")).to_contain_text("Reading recorded.")

    # The initial dose at 09:02: its supplemental window follows from it.
    minute(2)
    doses = page.locator("#panel-doses")
    doses.get_by_label("Product").fill("Midomafetamine HCl capsules")
    doses.get_by_label("Lot or unique id").fill("LOT-2026-017")
    doses.get_by_label("Amount").fill("120")
    doses.get_by_role("button", name="Record the dose").click()
    doses = page.locator("#panel-doses")
    expect(doses).to_contain_text("Dose recorded.")
    expect(doses.locator("table.doses")).to_contain_text("120 mg mdma-hcl")
    expect(doses).to_contain_text("Window: 10:32–11:02")

    # The supplemental dose, 95 minutes after the first: within the window.
    minute(97)
    page.reload()
    expect(status).to_contain_text("The supplemental-dose window is open until 11:02")
    doses = page.locator("#panel-doses")
    doses.get_by_label("Dose", exact=True).select_option("supplemental")
    doses.get_by_label("Product").fill("Midomafetamine HCl capsules")
    doses.get_by_label("Lot or unique id").fill("LOT-2026-017")
    doses.get_by_label("Amount").fill("60")
    doses.get_by_role("button", name="Record the dose").click()
    doses = page.locator("#panel-doses")
    expect(doses).to_contain_text("Given, within the window (1 h 35 min after the initial dose)")
    expect(doses.locator(".limits")).to_contain_text("so far 180 mg mdma-hcl")

    # A blood pressure beyond the protocol's threshold raises an alert, acknowledged with a note.
    minute(98)
    vitals = page.locator("#panel-vitals")
    vitals.get_by_label("Systolic").fill("172")
    vitals.get_by_label("Diastolic").fill("96")
    vitals.get_by_label("Heart rate").fill("96")
    vitals.get_by_role("button", name="Record the reading").click()
    alert = page.locator(".vital-alert")
    expect(alert).to_contain_text("Systolic BP 172 mmHg at 10:38 is above the threshold of 160")
    expect(status).to_contain_text("Vital-sign alert: Systolic BP 172 mmHg")
    alert.get_by_label("Action taken").fill("Medical monitor informed; repeat in 15 minutes")
    alert.get_by_role("button", name="Acknowledge").click()
    vitals = page.locator("#panel-vitals")
    expect(vitals).to_contain_text("Alert acknowledged.")
    expect(vitals.locator(".acknowledged")).to_contain_text(
        "by Alice Abbott: Medical monitor informed; repeat in 15 minutes"
    )
    expect(page.locator(".vital-alert")).to_have_count(0)

    # An observation from the timeline's quick buttons.
    minute(120)
    page.locator("#panel-timeline").get_by_role("button", name="Crying", exact=True).click()
    expect(page.locator("#panel-timeline .session-timeline")).to_contain_text("11:00 Crying")

    # Euphoria from the adverse-event checklist, linked to the session.
    page.get_by_role("link", name="Open the adverse-event checklist for this session").click()
    page.get_by_label("Euphoria", exact=True).check()
    page.get_by_label("Substance").select_option("mdma")
    page.get_by_role("button", name="Record ticked events").click()
    expect(page.get_by_text("Recorded 1 adverse event for this session.")).to_be_visible()
    expect(page.locator("#adverse-events")).to_contain_text("Euphoria")

    # Discharge after the protocol's eight hours, to the overnight stay.
    minute(485)
    page.reload()
    discharge = page.locator("#panel-discharge")
    expect(discharge).to_contain_text("the minimum for this session is 8 h 00 min")
    for label in (
        "Acute drug effects have resolved",
        "Client is psychologically stable",
        "Final vital signs reviewed by the medical monitor",
    ):
        discharge.get_by_label(label).check()
    discharge.get_by_label("Discharged to").select_option("overnight-stay")
    discharge.get_by_role("button", name="Record the discharge").click()
    expect(page.locator("#panel-discharge .discharge-record")).to_contain_text("Overnight stay")

    # Alice signs; Bob co-signs.
    page.get_by_role("button", name="Sign the session record").click()
    expect(page.locator("#panel-signatures")).to_contain_text("signed")
    session_url = page.url.split("#")[0]
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "bob")
    page.goto(session_url)
    page.get_by_role("button", name="Co-sign the session record").click()
    expect(page.locator("#panel-signatures")).to_contain_text("co-signed")
    expect(page.locator("#session-status")).to_contain_text("Signed and co-signed")

    # After signing, a correction is an addendum; the signed record stays as it was.
    minute(500)
    addenda = page.locator("#panel-addenda")
    addenda.get_by_label("Addendum").fill("The crying at 11:00 lasted about ten minutes.")
    addenda.get_by_role("button", name="Add the addendum").click()
    addenda = page.locator("#panel-addenda")
    expect(addenda.locator(".addendum")).to_contain_text(
        "The crying at 11:00 lasted about ten minutes."
    )
    expect(addenda.locator(".addendum")).to_contain_text("Addendum by Bob Baker")
    expect(page.locator("#panel-timeline .session-timeline")).to_contain_text("11:00 Crying")
    expect(page.locator("#panel-doses table.doses tbody tr")).to_have_count(2)
    expect(page.locator("#panel-vitals .acknowledged")).to_contain_text("Medical monitor informed")

    # The printed record holds all of it, in time order.
    page.get_by_role("link", name="Full record (print)").click()
    record = page.locator("table.record-lines")
    expect(record).to_contain_text("Initial dose")
    expect(record).to_contain_text("Euphoria")
    expect(record).to_contain_text("Co-signed")
    expect(record.locator("tr.record-line").last).to_contain_text("Addendum")

    # The live page fits a tablet held upright.
    page.set_viewport_size({"width": 768, "height": 1024})
    page.goto(session_url)
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
