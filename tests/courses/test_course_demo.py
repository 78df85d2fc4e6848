"""The demo's treatment courses: every stage of each shipped protocol, consistent histories."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from mendwell.bootstrap import open_database
from mendwell.demo import build_demo
from mendwell.settings import load_settings
from mendwell.store import migrate
from mendwell.store.models import (
    Client,
    Consent,
    Course,
    CourseVisit,
    GateCheck,
    SessionNote,
    VisitChange,
)

DEMO_DAY = date(2026, 3, 2)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder: Path = tmp_path_factory.mktemp("course-demo")
    settings = load_settings(
        database_url=f"sqlite:///{folder / 'demo.sqlite3'}", data_dir=folder, audit_key="demo"
    )
    database = open_database(settings)
    migrate.upgrade(database.engine)
    summary = build_demo(database, today=DEMO_DAY)
    yield database, summary
    database.engine.dispose()


def test_every_enrolled_stage_has_a_course_of_each_protocol(demo_db) -> None:  # type: ignore[no-untyped-def]
    database, summary = demo_db
    with database.sessionmaker() as db:
        rows = db.execute(select(Course.protocol_id, Client.status).join(Client)).all()
    stages = Counter(rows)
    for protocol in ("mdma-at-phase3", "psilocybin-single-25mg", "oregon-service-centre"):
        assert any(p == protocol for p, _ in stages), protocol
    assert {s for _, s in rows} == {
        "enrolled",
        "in_treatment",
        "follow_up",
        "completed",
        "withdrawn",
        "lost_to_follow_up",
    }
    assert summary.counts["treatment courses"] == len(rows)


def test_histories_are_consistent_and_explained(demo_db) -> None:  # type: ignore[no-untyped-def]
    database, _ = demo_db
    with database.sessionmaker() as db:
        visits = db.scalars(select(CourseVisit)).all()
        courses = {c.id: c for c in db.scalars(select(Course))}
        checks = db.scalars(select(GateCheck).where(GateCheck.authorised.is_(True))).all()
        held_dosing = [v for v in visits if v.kind == "dosing" and v.status == "completed"]
        authorised = {(c.course_id, c.visit_id, c.on_date) for c in checks}
        # Every dosing session held passed its gate that day.
        assert held_dosing
        for v in held_dosing:
            assert (v.course_id, v.visit_id, v.actual_date) in authorised
        # Every missed visit says why; every cancelled visit too.
        missed = [v for v in visits if v.status == "missed"]
        assert missed
        assert all(v.missed_reason for v in missed)
        cancelled_reasons = db.scalars(
            select(VisitChange.reason).where(VisitChange.change == "cancelled")
        ).all()
        assert cancelled_reasons
        assert all(r and r.startswith("course withdrawn: ") for r in cancelled_reasons)
        withdrawn = [c for c in courses.values() if c.status == "withdrawn"]
        assert withdrawn
        assert all(c.withdrawal_reason and c.withdrawn_on for c in withdrawn)
        # Held preparation and integration sessions have notes, nearly all signed.
        notes = db.scalars(select(SessionNote)).all()
        held_sessions = [
            v
            for v in visits
            if v.kind in ("preparation", "integration") and v.status == "completed"
        ]
        assert len(notes) == len(held_sessions)
        assert sum(1 for n in notes if n.signed_at) > 0.8 * len(notes)
        assert db.scalars(select(Consent)).first() is not None
        # Nothing was held after the demo's day (one dosing session is running on it); some
        # visits are booked for the coming week.
        today = [v for v in visits if v.actual_date == DEMO_DAY]
        assert all(v.actual_date is None or v.actual_date <= DEMO_DAY for v in visits)
        assert [v.kind for v in today] == ["dosing"]
        booked = [v for v in visits if v.status == "scheduled"]
        assert any(0 <= (v.scheduled_date - DEMO_DAY).days <= 7 for v in booked)
        assert any(
            change == "rescheduled" for change in db.scalars(select(VisitChange.change)).all()
        )
