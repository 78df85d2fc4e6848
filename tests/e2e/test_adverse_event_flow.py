"""Record euphoria from the checklist, grade it, find it in the program listing, download CSV."""

from __future__ import annotations

import csv
from pathlib import Path

from playwright.sync_api import expect

from e2e.conftest import sign_in


def test_euphoria_from_the_checklist_to_the_csv(
    page, playwright_browser, live_server, world
) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "alice")
    page.goto(f"/clients/{world.clients['alice']}")
    panel = page.locator("#panel-adverse-events")
    panel.get_by_label("Euphoria", exact=True).check()
    panel.get_by_label("Substance").select_option("mdma")
    panel.get_by_role("button", name="Record ticked events").click()
    expect(page.get_by_text("Recorded 1 adverse event.")).to_be_visible()

    # Grade it.
    page.get_by_role("link", name="Euphoria").click()
    expect(page.get_by_role("heading", name="Euphoria", level=1)).to_be_visible()
    expect(page.get_by_text("Not graded yet")).to_be_visible()
    page.get_by_role("link", name="Edit and assess").click()
    page.get_by_label("CTCAE grade").select_option(label="1 — Mild")
    page.get_by_label("Relatedness to the substance").select_option("probably")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("1 — Mild")).to_be_visible()
    expect(page.get_by_text("Abuse potential or misuse").first).to_be_visible()

    # It is in the program listing, filtered by special interest, and in the CSV.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Adverse events").click()
    page.get_by_label("Special interest").select_option("abuse-potential-misuse")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table.ae-list")).to_contain_text("Euphoria")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    with Path(download.value.path()).open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["term"], r["grade"], r["special_interest"]) for r in rows] == [
        ("Euphoria", "1", "abuse-potential-misuse")
    ]

    # The client page and the event page fit a phone.
    phone = playwright_browser.new_context(
        base_url=live_server, viewport={"width": 390, "height": 844}
    )
    small = phone.new_page()
    sign_in(small, "alice")
    for path in (f"/clients/{world.clients['alice']}", "/adverse-events"):
        small.goto(path)
        width = small.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
    phone.close()
