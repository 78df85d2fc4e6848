"""The admin audit page and API: filters, sorting, CSV export (itself audited)."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from mendwell.store.models import AuditEvent
from support.tokens import issue_token
from support.web import Browser, api_client
from support.world import client_payload


def _make_history(app, world) -> Browser:  # type: ignore[no-untyped-def]
    alice = Browser(app)
    alice.login("alice")
    alice.post(f"/clients/{world.clients['alice']}/status", {"status": "screening"})
    alice.post("/clients", client_payload(world.sites["A"], "Parker Pretend"))
    admin = Browser(app)
    admin.login("admin")
    return admin


def test_filters_by_user_client_entity_action_and_time(app, database, world, clock) -> None:  # type: ignore[no-untyped-def]
    admin = _make_history(app, world)
    api = api_client(app, issue_token(database, world.users["admin"]))
    by_user = api.get("/api/v1/audit", params={"username": "alice", "action": "status_change"})
    assert by_user.json()["total"] == 1
    with database.sessionmaker() as db:
        from mendwell.store.models import Client

        code = db.get(Client, world.clients["alice"]).code  # type: ignore[union-attr]
    by_client = api.get("/api/v1/audit", params={"client": code}).json()
    assert {e["client_id"] for e in by_client["items"]} == {world.clients["alice"]}
    assert {"create", "status_change"} <= {e["action"] for e in by_client["items"]}
    by_entity = api.get("/api/v1/audit", params={"entity_type": "user", "action": "create"})
    assert by_entity.json()["total"] == 8
    today = clock.now().date().isoformat()
    by_day = api.get("/api/v1/audit", params={"since": today, "until": today}).json()
    assert by_day["total"] > 0
    assert all(e["occurred_at"].startswith(today) for e in by_day["items"])
    before = api.get("/api/v1/audit", params={"until": "2025-12-31"}).json()
    assert before["total"] == 0
    page = admin.get(f"/admin/audit?client={code}").text
    assert "status_change" in page
    assert "referred" in page and "screening" in page  # noqa: PT018


def test_every_column_sorts(app, database, world) -> None:  # type: ignore[no-untyped-def]
    _make_history(app, world)
    api = api_client(app, issue_token(database, world.users["admin"]))
    for column in (
        "occurred_at",
        "username",
        "role",
        "site_id",
        "client_id",
        "entity_type",
        "entity_id",
        "action",
        "outcome",
    ):
        for order in ("asc", "desc"):
            items = api.get(
                "/api/v1/audit", params={"sort": column, "order": order, "per_page": 1000}
            ).json()["items"]
            key = "seq" if column == "occurred_at" else column
            values = [e[key] for e in items if e[key] is not None]
            assert values == sorted(values, reverse=order == "desc"), (column, order)


def test_csv_export_contains_the_events_and_is_itself_audited(app, database, world) -> None:  # type: ignore[no-untyped-def]
    admin = _make_history(app, world)
    response = admin.get("/admin/audit.csv?username=alice")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows
    assert {r["username"] for r in rows} == {"alice"}
    status = next(r for r in rows if r["action"] == "status_change")
    assert '"status": ["referred", "screening"]' in status["changes"]
    assert status["occurred_at"].endswith("+00:00")
    with database.sessionmaker() as db:
        export = db.scalars(select(AuditEvent).where(AuditEvent.action == "export")).one()
    assert export.username == "admin"
    assert export.detail["rows"] == len(rows)
    assert export.detail["filters"]["username"] == "alice"


def test_non_admins_cannot_read_the_audit_log(app, database, world) -> None:  # type: ignore[no-untyped-def]
    for username in ("alice", "mara", "rita", "ana"):
        browser = Browser(app)
        browser.login(username)
        assert browser.get("/admin/audit").status_code == 403
        assert browser.get("/admin/audit.csv").status_code == 403


def test_role_changes_and_logins_are_audited(app, database, world) -> None:  # type: ignore[no-untyped-def]
    admin = Browser(app)
    admin.login("admin")
    Browser(app).login("bob", "wrong password!!")
    admin.post(
        f"/admin/users/{world.users['bob']}/roles",
        {f"role_{world.sites['A']}": "medical", f"role_{world.sites['B']}": ""},
    )
    with database.sessionmaker() as db:
        events = db.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    role = [e for e in events if e.action == "role_change"]
    assert role[-1].changes == {f"role@site{world.sites['A']}": ["facilitator", "medical"]}
    assert role[-1].username == "admin"
    failures = [e for e in events if e.action == "login" and e.outcome == "failure"]
    assert failures[-1].username == "bob"


def test_bad_date_filters_name_the_field(app, world) -> None:  # type: ignore[no-untyped-def]
    admin = _make_history(app, world)
    page = admin.get("/admin/audit?since=2026-02-30")
    assert page.status_code == 422
    assert "must be a date as YYYY-MM-DD" in page.text
    backwards = admin.get("/admin/audit?since=2026-02-01&until=2026-01-01")
    assert backwards.status_code == 422
    assert "cannot be before the start of the range" in backwards.text
    export = admin.get("/admin/audit.csv?until=soon")
    assert export.status_code == 422
    assert "until" in export.text
