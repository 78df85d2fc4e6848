"""The demo's dosing sessions: complete, signed records for held dosing visits, and one live."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from demo.conftest import TODAY
from mendwell.bootstrap import open_database
from mendwell.clinical.courses import VisitStatus
from mendwell.demo import build_demo
from mendwell.queries.measures import dosing_dates_for
from mendwell.store import migrate
from mendwell.store.db import make_engine
from mendwell.store.models import (
    AdverseEvent,
    CourseVisit,
    DosingSession,
    TimelineEntry,
    User,
    VitalReading,
)
from support import world as test_world


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_held_dosing_visit_has_a_complete_signed_record(demo_db) -> None:  # type: ignore[no-untyped-def]
    with demo_db.sessionmaker() as db:
        held = list(
            db.scalars(
                select(CourseVisit).where(
                    CourseVisit.kind == "dosing", CourseVisit.status == VisitStatus.COMPLETED
                )
            )
        )
        sessions = {s.course_visit_id: s for s in db.scalars(select(DosingSession))}
        assert len(held) > 20
        assert {v.id for v in held} == set(sessions)
        done = [s for s in sessions.values() if s.status == "cosigned"]
        assert len(done) == len(sessions) - 1
        for session in done:
            assert session.cosigned_by_id not in (None, session.signed_by_id)
            assert session.discharge is not None
            assert session.discharge.problems == []
            assert any(a.kind == "initial" for a in session.administrations)
            assert session.timeline
            assert all(a.acknowledged_at is not None for a in session.alerts)
            if session.protocol_id == "mdma-at-phase3":
                assert len(session.readings) >= 10
                assert session.supplemental_decisions
        assert sum(len(s.alerts) for s in done) >= 1
        assert any(not s.staffing_check["ok"] for s in done)
        linked = db.scalars(select(AdverseEvent).where(AdverseEvent.dosing_session_id.is_not(None)))
        terms = {e.checklist_item for e in linked}
        assert {"euphoria", "elevated-mood"} <= terms
        client_id = done[0].client_id
        assert dosing_dates_for(db, client_id)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_alice_has_a_session_running_this_morning(demo_db) -> None:  # type: ignore[no-untyped-def]
    with demo_db.sessionmaker() as db:
        alice = db.scalar(select(User).where(User.username == "alice"))
        [live] = db.scalars(select(DosingSession).where(DosingSession.status == "in_progress"))
        assert live.lead_facilitator_id == alice.id
        assert live.started_at.date() == TODAY
        assert live.administrations
        assert live.readings


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_demo_built_now_has_no_session_record_in_the_future(fresh_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(fresh_url)
    migrate.upgrade(engine)
    database = open_database(test_world.test_settings(fresh_url, str(tmp_path)), engine=engine)
    build_demo(database)  # for the real today, at whatever time the suite runs
    built = datetime.now(UTC)
    with database.sessionmaker() as db:
        [live] = db.scalars(select(DosingSession).where(DosingSession.status == "in_progress"))
        latest = [
            live.started_at,
            db.scalar(
                select(func.max(VitalReading.taken_at)).where(VitalReading.session_id == live.id)
            ),
            db.scalar(
                select(func.max(TimelineEntry.at)).where(TimelineEntry.session_id == live.id)
            ),
        ]
    engine.dispose()
    assert all(t is not None and t <= built for t in latest), latest
    assert built - live.started_at <= timedelta(hours=3)
