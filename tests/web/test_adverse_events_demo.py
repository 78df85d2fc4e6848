"""The demo shows adverse events for its treated clients, and a concern report."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from mendwell.bootstrap import open_database
from mendwell.demo import DEMO_PASSWORD, DEMO_SETTINGS, build_demo
from mendwell.settings import load_settings
from mendwell.store import migrate
from mendwell.store.models import AdverseEvent, Client, ConcernReport, DosingSession
from mendwell.web.app import create_app
from support.web import Browser

TODAY = date(2026, 3, 2)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_demo_has_adverse_events_for_treated_clients(fresh_url, tmp_path, backend) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings(
        database_url=fresh_url, data_dir=tmp_path, audit_key="demo-key", **DEMO_SETTINGS
    )
    database = open_database(settings)
    migrate.upgrade(database.engine)
    build_demo(database, today=TODAY)
    with database.sessionmaker() as db:
        rows = db.execute(select(AdverseEvent, Client.status).join(Client)).all()
        concerns = db.scalars(select(ConcernReport)).all()
        events = [e for e, _ in rows]
        assert {status for _, status in rows} == {"in_treatment", "follow_up", "completed"}
        terms = {e.term for e in events}
        assert {"Nausea", "Headache", "Anxiety", "Euphoria", "Elevated mood"} <= terms
        pressure = next(e for e in events if e.checklist_item == "raised-blood-pressure")
        assert pressure.grade == 2
        # Linked to the client's second dosing session.
        session = db.get(DosingSession, pressure.dosing_session_id)
        assert session is not None
        assert session.client_id == pressure.client_id
        reported = [e for e in events if e.serious and e.reports]
        assert [r.clock_id for e in reported for r in e.reports] == ["susar-other"]
        assert any(e.jurisdiction_categories for e in events)
        assert len(concerns) == 1
    app = create_app(settings, engine=database.engine)
    mara = Browser(app)
    assert mara.login("mara", DEMO_PASSWORD).status_code == 303
    assert "Expedited reports due" in mara.get("/").text
    assert "Euphoria" in mara.get("/adverse-events?special_interest=abuse-potential-misuse").text
    database.engine.dispose()
