"""Features plug panels into the client page and dashboard, shown only to permitted roles."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mendwell.permissions import Permission
from mendwell.web import extensions
from mendwell.web.extensions import Panel
from support.web import Browser


@pytest.fixture
def probe_panels(tmp_path) -> Iterator[None]:  # type: ignore[no-untyped-def]
    from mendwell.web.templating import templates

    loader = templates.env.loader
    templates.env.loader = __import__("jinja2").ChoiceLoader(
        [loader, __import__("jinja2").DictLoader({"probe.html": "<p>probe {{ ctx.code }}</p>"})]
    )
    extensions.client_panel(
        Panel(
            "probe",
            "Probe",
            "probe.html",
            Permission.NOTE_VIEW,
            lambda req: {"code": req.client.code},
        )
    )  # type: ignore[union-attr]
    extensions.dashboard_panel(
        Panel(
            "probe", "Probe", "probe.html", Permission.SCREENING_SIGN, lambda req: {"code": "dash"}
        )
    )
    yield
    extensions.CLIENT_PANELS.pop("probe")
    extensions.DASHBOARD_PANELS.pop("probe")
    templates.env.loader = loader


def test_panels_show_only_to_roles_holding_their_permission(app, world, probe_panels) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients["alice"]
    for username, sees_client_panel, sees_dashboard_panel in (
        ("alice", True, False),
        ("mara", True, True),
        ("admin", False, False),
        ("rita", False, False),
    ):
        browser = Browser(app)
        browser.login(username)
        page = browser.get(f"/clients/{client_id}").text
        assert ('id="panel-probe"' in page) is sees_client_panel, username
        dashboard = browser.get("/").text
        assert ("probe dash" in dashboard) is sees_dashboard_panel, username


def test_menu_lists_only_permitted_destinations(app) -> None:  # type: ignore[no-untyped-def]
    rita = Browser(app)
    rita.login("rita")
    html = rita.get("/").text
    assert 'href="/clients"' in html
    assert 'href="/admin/audit"' not in html
    admin = Browser(app)
    admin.login("admin")
    assert 'href="/admin/audit"' in admin.get("/").text
