"""A client fills a PCL-5 and a PHQ-9 on a phone through a private link (saving half-way and
coming back); the facilitator then sees both scored, the item-9 alert, and acknowledges it."""

from __future__ import annotations

from playwright.sync_api import expect

from e2e.conftest import _is_fault, sign_in

PHONE = {"width": 390, "height": 844}


def test_phone_self_report_to_acknowledged_alert(
    page, playwright_browser, live_server, world
) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients["alice"]

    # Alice sends a link for a PCL-5 and a PHQ-9.
    sign_in(page, "alice")
    page.goto(f"/clients/{client_id}")
    links = page.locator("form.link-form")
    links.get_by_label("PCL-5").check()
    links.get_by_label("PHQ-9").check()
    links.get_by_label("First name to show (optional)").fill("Sam")
    links.get_by_role("button", name="Create link").click()
    expect(page.get_by_role("heading", name="Self-report link created")).to_be_visible()
    url = page.get_by_label("Link").input_value()
    path = url[url.index("/r/") :]

    # The client opens it on a phone.
    context = playwright_browser.new_context(base_url=live_server, viewport=PHONE)
    phone = context.new_page()
    errors: list[str] = []
    phone.on("pageerror", lambda exc: errors.append(str(exc)))
    phone.on("console", lambda msg: errors.append(msg.text) if _is_fault(msg) else None)
    phone.goto(path)
    expect(phone.get_by_role("heading", name="Hello, Sam")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    option = phone.locator("label.option").first.bounding_box()
    assert option is not None
    assert option["height"] >= 44  # a comfortable touch target

    # Half the PCL-5, then "Save and finish later", then back again.
    for n in range(1, 11):
        phone.locator(f'input[name="pcl5.pcl5_{n:02d}"][value="3"]').check()
    phone.get_by_role("button", name="Save and finish later").click()
    expect(phone.get_by_text("Your answers are saved")).to_be_visible()
    phone.goto(path)
    expect(phone.get_by_text("10 of 30 questions answered")).to_be_visible()
    expect(phone.locator('input[name="pcl5.pcl5_10"][value="3"]')).to_be_checked()
    for n in range(11, 21):
        phone.locator(f'input[name="pcl5.pcl5_{n:02d}"][value="2"]').check()
    for n in range(1, 9):
        phone.locator(f'input[name="phq9.phq9_{n:02d}"][value="1"]').check()
    # Item 9 answered "Several days": a safety alert.
    item9 = phone.locator("#f-phq9\\.phq9_09")
    item9.get_by_label("Several days").check()
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_role("heading", name="Thank you")).to_be_visible()
    phone.goto(path)
    expect(phone.get_by_role("heading", name="This link cannot be used")).to_be_visible()
    context.close()
    assert errors == [], f"browser errors on the phone: {errors}"

    # Alice sees both scored and the alert, and acknowledges it with a note.
    page.goto(f"/clients/{client_id}")
    panel = page.locator("#panel-measures")
    expect(panel.get_by_role("heading", name="Open safety alerts (1)")).to_be_visible()
    table = panel.locator("table.change-table")
    expect(table.get_by_role("row", name="PCL-5")).to_contain_text("50")  # 10×3 + 10×2
    expect(table.get_by_role("row", name="PHQ-9")).to_contain_text("9")  # 8×1 + 1
    expect(panel.get_by_role("img", name="PCL-5 total over time")).to_be_visible()
    page.goto("/")
    expect(page.locator(".alert-count")).to_contain_text("1 open safety alert")
    page.goto(f"/clients/{client_id}")
    panel = page.locator("#panel-measures")
    panel.get_by_label("Note (what was done)").fill("Called Sam; no current intent; plan reviewed.")
    panel.get_by_role("button", name="Acknowledge").click()
    expect(panel.get_by_role("heading", name="Open safety alerts")).to_have_count(0)
    page.goto("/")
    expect(page.locator(".alert-count")).to_contain_text("0 open safety alerts")
