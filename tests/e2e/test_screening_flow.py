"""A medical user screens a client: findings appear as data is entered, one is overridden with a
reason, the decision is signed; a facilitator cannot sign; the override is in the audit log."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from e2e.conftest import sign_in
from support.world import PASSWORD

OVERRIDE_REASON = "Hypertension well controlled on amlodipine; home readings below 130/80"


def _answer(page, question: str, answer: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("group", name=question, exact=True).get_by_label(answer, exact=True).check()


def test_a_medical_user_screens_overrides_and_signs(
    page, playwright_browser, live_server, world
) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients["alice"]
    sign_in(page, "mara")
    page.goto(f"/clients/{client_id}")
    page.get_by_role("link", name="Start the screening").click()
    expect(page.get_by_role("heading", name="Safety screening")).to_be_visible()
    findings = page.locator("#findings")

    # Choosing the substance brings the findings in without a page load: much is not asked yet.
    page.get_by_label("Substance").select_option("mdma")
    page.get_by_label("Protocol", exact=True).select_option("mdma-at-phase3")
    expect(findings).to_contain_text("Outcome: Needs review")
    expect(findings).to_contain_text("Answer not recorded")

    # Most answers are "No": set those at once; what this client does have is entered below
    # the way a user enters it, and each entry sends the whole form for evaluation.
    page.locator("input[type=radio][value=no]:visible").evaluate_all(
        "radios => radios.forEach(r => {"
        " if (r.name !== 'medical_history.hypertension_controlled') r.checked = true; })"
    )
    _answer(page, "Hypertension", "Yes")
    _answer(page, "Is the hypertension controlled?", "Yes")
    _answer(page, "PTSD diagnosis", "Yes")
    for label, value in (
        ("Systolic blood pressure", "126"),
        ("Diastolic blood pressure", "80"),
        ("Heart rate", "72"),
        ("Temperature", "36.6"),
        ("ECG: QTc", "410"),
        ("ALT value", "22"),
        ("AST value", "19"),
        ("Total bilirubin value", "8"),
        ("Sodium value", "140"),
    ):
        page.get_by_label(label).fill(value)
    page.get_by_label("Duration (months)").fill("30")
    page.get_by_label("CAPS-5 total (0–80) (points)").fill("44")
    page.get_by_label("Asked: the list below is complete").check()
    page.get_by_label("Name").first.fill("Paxil")
    last_dose = datetime.now(UTC).date() - timedelta(days=2)  # the site's day (UTC)
    page.get_by_label("Last dose").first.fill(last_dose.isoformat())

    # The findings panel has followed every entry (htmx), nothing saved yet.
    expect(findings.locator('[data-finding="mdma.controlled_hypertension"]')).to_be_visible()
    expect(findings.locator('[data-finding="mdma.ssri:paroxetine"]')).to_contain_text(
        "SSRI with MDMA"
    )
    expect(findings).not_to_contain_text("Answer not recorded")
    earliest = (last_dose + timedelta(days=12)).isoformat()  # paroxetine: 5 x 21 h + 7 days
    expect(findings.locator(".earliest")).to_have_text(earliest)

    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status")).to_contain_text("Saved as version 1")
    screening_url = page.url.split("?")[0]

    # Review, override the hypertension finding with a reason, and sign.
    page.get_by_role("link", name="Review and sign").first.click()
    page.get_by_label("Override this finding: Caution, Controlled hypertension").check()
    page.get_by_label("Reason for overriding: Controlled hypertension").fill(OVERRIDE_REASON)
    page.get_by_role("radio", name=re.compile(r"^Eligible: ")).check()
    page.get_by_label("Your password, to sign").fill(PASSWORD)
    page.get_by_role("button", name="Sign decision").click()
    expect(page.get_by_role("heading", name="Decision: Eligible")).to_be_visible()
    expect(page.locator(".manifestation")).to_contain_text("Signed by Mara Medina (mara)")
    expect(page.get_by_text(f"Overridden by Mara Medina: {OVERRIDE_REASON}")).to_be_visible()
    expect(page.locator(".signature")).to_contain_text(f"Earliest dosing date: {earliest}")

    # A facilitator can open the screening but cannot sign it.
    alice_context = playwright_browser.new_context(base_url=live_server)
    alice = alice_context.new_page()
    sign_in(alice, "alice")
    alice.goto(screening_url)
    expect(alice.get_by_role("heading", name="Decision: Eligible")).to_be_visible()
    expect(alice.get_by_role("link", name="Review and sign")).to_have_count(0)
    alice.goto(screening_url + "/sign")
    expect(alice.get_by_role("heading", name="Not allowed")).to_be_visible()
    alice_context.close()

    # The override, with its reason, is in the audit log.
    admin_context = playwright_browser.new_context(base_url=live_server)
    admin = admin_context.new_page()
    sign_in(admin, "admin")
    admin.goto("/admin/audit")
    admin.get_by_label("Action").fill("override")
    admin.get_by_role("button", name="Filter").click()
    row = admin.locator("table.audit tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(f"Reason: {OVERRIDE_REASON}")
    expect(row).to_contain_text("mdma.controlled_hypertension")
    expect(row).to_contain_text("mara")
    admin_context.close()


def test_the_screening_form_fits_a_phone(playwright_browser, live_server, world) -> None:  # type: ignore[no-untyped-def]
    context = playwright_browser.new_context(
        base_url=live_server, viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    sign_in(page, "alice")
    page.goto(f"/clients/{world.clients['alice']}/screenings/new")
    page.get_by_label("Substance").select_option("psilocybin")
    expect(page.locator("#findings")).to_contain_text("Outcome:")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
