"""The program outcomes page on the demo organisation: charts with plotted data, tables with
numbers, the single-arm psilocybin program, and the downloadable report."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from e2e.conftest import serving, sign_in, watched_page
from mendwell.bootstrap import open_database
from mendwell.demo import DEMO_PASSWORD, DEMO_SETTINGS, build_demo
from mendwell.settings import load_settings
from mendwell.store import migrate


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo organisation (built once for the module) served on a free local port."""
    from mendwell.web.app import create_app

    folder: Path = tmp_path_factory.mktemp("outcomes-demo")
    settings = load_settings(
        database_url=f"sqlite:///{folder / 'demo.sqlite3'}",
        data_dir=folder,
        audit_key="demo",
        **DEMO_SETTINGS,
    )
    database = open_database(settings)
    migrate.upgrade(database.engine)
    build_demo(database)
    app = create_app(settings, engine=database.engine)
    with serving(app) as address:
        yield address
    database.engine.dispose()


@pytest.fixture
def demo_page(playwright_browser, demo_server: str):  # type: ignore[no-untyped-def]
    context = playwright_browser.new_context(
        base_url=demo_server, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    with watched_page(context) as page:
        yield page


NUMBER = re.compile(r"−?\d+(\.\d+)?")


def _numbers_in_rows(table) -> list[str]:  # type: ignore[no-untyped-def]
    rows = table.locator("tbody tr")
    assert rows.count() > 0
    return [rows.nth(i).inner_text() for i in range(rows.count())]


def test_the_analyst_sees_charts_and_tables_of_the_demo_program(demo_page) -> None:  # type: ignore[no-untyped-def]
    page = demo_page
    sign_in(page, "ana", DEMO_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Outcomes").click()
    expect(page.get_by_role("heading", name="Program outcomes", level=1)).to_be_visible()
    page.get_by_label("Protocol").select_option("psilocybin-single-25mg")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("Single-arm program")).to_be_visible()

    trajectory = page.locator("#trajectory-chart svg")
    expect(trajectory).to_be_visible()
    assert trajectory.locator("polyline.mean-line").count() == 1
    assert trajectory.locator("circle.mean-point").count() >= 3
    assert trajectory.locator("polyline.individual").count() >= 3
    points = trajectory.locator("polyline.mean-line").get_attribute("points") or ""
    assert len(points.split()) >= 3
    assert trajectory.locator("polygon.ci-band").count() == 1
    waterfall = page.locator("#waterfall-chart svg")
    expect(waterfall).to_be_visible()
    bars = waterfall.locator("rect.bar")
    assert bars.count() >= 3
    assert all(float(bars.nth(i).get_attribute("height") or 0) > 0 for i in range(bars.count()))

    for table_id in ("change-table", "rates-table", "completion-table", "ae-table"):
        rows = _numbers_in_rows(page.locator(f"#{table_id}"))
        assert all(NUMBER.search(row) for row in rows), (table_id, rows)
    change = page.locator("#change-table tbody tr").first.inner_text()
    assert re.search(r"−\d+\.\d", change)  # the mean change is a fall
    assert (
        "d = " in page.locator("#change-table").inner_text()
        or "d_z = " in page.locator("#change-table").inner_text()
    )
    expect(page.locator("#outcomes-definitions strong.flag").first).to_have_text("UNCONFIRMED")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download report (HTML)").click()
    report = Path(download.value.path()).read_text(encoding="utf-8")
    assert "<svg" in report
    assert "<script" not in report.lower()


def test_an_empty_selection_says_no_clients_match(demo_page) -> None:  # type: ignore[no-untyped-def]
    page = demo_page
    sign_in(page, "admin", DEMO_PASSWORD)
    page.goto("/outcomes?from=2099-01-01")
    expect(page.get_by_role("heading", name="No clients match")).to_be_visible()
    page.goto("/outcomes?from=2099-13-01")
    expect(page.get_by_text("from: must be a date as YYYY-MM-DD").first).to_be_visible()
