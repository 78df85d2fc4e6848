"""Sign in, register and edit a client, read both changes in the audit log, sign out."""

from __future__ import annotations

from playwright.sync_api import expect

from e2e.conftest import sign_in


def test_client_lifecycle_is_audited_and_logout_ends_the_session(
    page, playwright_browser, live_server
) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "admin")
    expect(page.get_by_role("heading", name="Hello, Addie Admin")).to_be_visible()

    # Register a client.
    page.get_by_role("link", name="Clients").click()
    page.get_by_role("link", name="New client").click()
    page.get_by_label("Site", exact=False).first.select_option(label="Site A")
    page.get_by_label("Legal name", exact=False).fill("Harper Imaginary")
    page.get_by_label("Date of birth", exact=False).fill("1979-08-21")
    page.get_by_label("Sex at birth", exact=False).select_option("female")
    page.get_by_label("Phone", exact=True).fill("+1 503 555 0160")
    page.get_by_label("Sexual assault").check()
    page.get_by_role("button", name="Register client").click()
    expect(page.get_by_role("heading", name="Harper Imaginary")).to_be_visible()
    code = page.locator("h1 .code").inner_text()

    # A field error is shown next to the field, and nothing is saved.
    page.get_by_role("link", name="Edit details").click()
    page.get_by_label("Phone", exact=True).fill("12")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#f-phone-error")).to_contain_text("is not a phone number")

    # Edit it properly.
    page.get_by_label("Phone", exact=True).fill("+1 503 555 0161")
    page.get_by_label("Preferred name").fill("Harp")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", name="Harp")).to_be_visible()

    # Both changes appear in the audit log with old and new values.
    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Client code").fill(code)
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.audit tbody tr")
    create_row = rows.filter(has_text="create")
    expect(create_row).to_contain_text("legal_name")
    expect(create_row).to_contain_text("Harper Imaginary")
    update_row = rows.filter(has_text="update")
    expect(update_row.locator("del").filter(has_text="+1 503 555 0160")).to_be_visible()
    expect(update_row.locator("ins").filter(has_text="+1 503 555 0161")).to_be_visible()
    expect(update_row.locator("ins").filter(has_text="Harp")).to_be_visible()

    # Sign out; the old session cookie no longer opens anything.
    cookies = page.context.cookies()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    replay = playwright_browser.new_context(base_url=live_server)
    replay.add_cookies(cookies)
    stale = replay.new_page()
    stale.goto("/clients")
    expect(stale.get_by_role("heading", name="Sign in")).to_be_visible()
    assert "/login" in stale.url
    replay.close()
