"""Confidential concern reports: anyone files, only admin and medical read, never the person
reported; everything audited without exposing the report's content."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from mendwell.queries.clients import client_timeline
from mendwell.store.models import AuditEvent, Client, ConcernNote, ConcernReport
from support.web import Browser

REPORT = "The facilitator hugged the client at length after the session without asking first."


def _browser(app, username: str) -> Browser:  # type: ignore[no-untyped-def]
    browser = Browser(app)
    assert browser.login(username).status_code == 303
    return browser


def _file(app, world, username: str, **extra: object) -> None:  # type: ignore[no-untyped-def]
    form = {"site_id": world.sites["A"], "category": "boundary", "description": REPORT, **extra}
    response = _browser(app, username).post("/report-concern", form)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/report-concern?filed=1"


def _reports(database) -> list[ConcernReport]:  # type: ignore[no-untyped-def]
    with database.sessionmaker() as db:
        return list(db.scalars(select(ConcernReport).order_by(ConcernReport.id)))


def test_an_analyst_can_file_a_report_and_the_filing_is_audited(app, database, world) -> None:  # type: ignore[no-untyped-def]
    ana = _browser(app, "ana")
    assert "Report a concern" in ana.get("/").text
    assert 'href="/concerns"' not in ana.get("/").text
    _file(app, world, "ana", about_user_id=world.users["bob"])
    (report,) = _reports(database)
    assert (report.category, report.status, report.reporter_id, report.about_user_id) == (
        "boundary",
        "open",
        world.users["ana"],
        world.users["bob"],
    )
    with database.sessionmaker() as db:
        event = db.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == "concern_report")
        ).one()
    assert (event.action, event.username, event.site_id, event.client_id) == (
        "create",
        "ana",
        world.sites["A"],
        None,
    )
    assert event.changes == {"category": [None, "boundary"], "status": [None, "open"]}
    assert REPORT not in str(event.changes)


@pytest.mark.parametrize("username", ["alice", "rita", "ana"])
def test_staff_without_concern_view_cannot_read_reports(app, database, world, username) -> None:  # type: ignore[no-untyped-def]
    _file(app, world, "bob")
    report_id = _reports(database)[0].id
    browser = _browser(app, username)
    assert browser.get("/concerns").status_code == 403
    assert browser.get(f"/concerns/{report_id}").status_code == 403
    review = {"note": "x", "version": 1}
    assert browser.post(f"/concerns/{report_id}/notes", review).status_code == 403


def test_admin_and_medical_read_reports_and_see_who_filed_them(app, database, world) -> None:  # type: ignore[no-untyped-def]
    _file(app, world, "bob", about_text="A visiting observer")
    report_id = _reports(database)[0].id
    for username in ("admin", "mara"):
        browser = _browser(app, username)
        assert "Boundary concern" in browser.get("/concerns").text
        page = browser.get(f"/concerns/{report_id}").text
        assert REPORT in page
        assert "Bob Baker" in page
        assert "A visiting observer" in page
    with database.sessionmaker() as db:
        views = db.scalars(
            select(AuditEvent.username).where(
                AuditEvent.entity_type == "concern_report", AuditEvent.action == "view"
            )
        ).all()
    assert sorted(views) == ["admin", "mara"]


def test_the_person_reported_never_sees_the_report(app, database, world) -> None:  # type: ignore[no-untyped-def]
    _file(app, world, "alice", about_user_id=world.users["mara"])
    report_id = _reports(database)[0].id
    mara = _browser(app, "mara")
    assert "Boundary concern" not in mara.get("/concerns").text
    assert mara.get(f"/concerns/{report_id}").status_code == 404
    assert "Alice Abbott" in _browser(app, "admin").get(f"/concerns/{report_id}").text


def test_a_report_never_appears_on_the_clients_timeline(app, database, world) -> None:  # type: ignore[no-untyped-def]
    with database.sessionmaker() as db:
        code = db.scalar(select(Client.code).where(Client.id == world.clients["alice"]))
    _file(app, world, "bob", client_code=code.lower())
    assert _reports(database)[0].client_id == world.clients["alice"]
    with database.sessionmaker() as db:
        timeline = client_timeline(db, world.clients["alice"])
    assert timeline
    assert "concern_report" not in {e.entity_type for e in timeline}


def test_reviewers_add_notes_and_move_the_status_with_an_audit_trail(app, database, world) -> None:  # type: ignore[no-untyped-def]
    _file(app, world, "rita")
    report_id = _reports(database)[0].id
    mara = _browser(app, "mara")
    blank = mara.post(f"/concerns/{report_id}/notes", {"note": "", "version": 1})
    assert blank.status_code == 422
    assert 'id="f-note-error"' in blank.text
    review = {"note": "Met the team.", "status": "under-review", "version": 1}
    assert mara.post(f"/concerns/{report_id}/notes", review).status_code == 303
    stale = _browser(app, "admin").post(
        f"/concerns/{report_id}/notes", {"note": "Closing.", "status": "closed", "version": 1}
    )
    assert stale.status_code == 409
    assert "Closing." in stale.text  # the reviewer's note is kept
    (report,) = _reports(database)
    assert (report.status, report.version) == ("under-review", 2)
    with database.sessionmaker() as db:
        assert db.scalar(select(func.count()).select_from(ConcernNote)) == 1
        change = db.scalars(
            select(AuditEvent).where(
                AuditEvent.entity_type == "concern_report", AuditEvent.action == "status_change"
            )
        ).one()
    assert change.changes == {"status": ["open", "under-review"], "version": [1, 2]}
    assert "Met the team." in mara.get(f"/concerns/{report_id}").text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "gossip"}, "category"),
        ({"description": "  "}, "description"),
        ({"site_id": "999"}, "site_id"),
        ({"client_code": "MW-NONE-NONE"}, "client_code"),
        ({"about_user_id": "999"}, "about_user_id"),
    ],
)
def test_bad_reports_are_shown_again_and_nothing_is_filed(
    app, database, world, change, field
) -> None:  # type: ignore[no-untyped-def]
    form = {"site_id": world.sites["A"], "category": "boundary", "description": REPORT, **change}
    response = _browser(app, "alice").post("/report-concern", form)
    assert response.status_code == 422
    assert f'id="f-{field}-error"' in response.text
    assert _reports(database) == []


def test_a_carol_client_cannot_be_named_from_site_a(app, database, world) -> None:  # type: ignore[no-untyped-def]
    with database.sessionmaker() as db:
        code = db.scalar(select(Client.code).where(Client.id == world.clients["carol"]))
    form = {
        "site_id": world.sites["A"],
        "category": "misconduct",
        "description": REPORT,
        "client_code": code,
    }
    response = _browser(app, "alice").post("/report-concern", form)
    assert response.status_code == 422
    assert _reports(database) == []
