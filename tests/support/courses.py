"""Treatment courses in tests: acting as someone, signed screenings, enrolled courses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from mendwell.actions import courses as course_actions
from mendwell.actions.auth import actor_for
from mendwell.actions.context import ActionContext
from mendwell.bootstrap import Database
from mendwell.queries.course_facts import ScreeningFacts, WashoutFact
from mendwell.schemas.common import parse
from mendwell.schemas.courses import EnrolInput
from mendwell.store.db import transaction
from mendwell.store.models import AuditEvent, Course, User
from support.world import TEST_START

TODAY = TEST_START.date()


@contextmanager
def acting(
    database: Database, user_id: int, when: datetime = TEST_START
) -> Iterator[ActionContext]:
    """An action context for a user, committed at the end of the block."""
    with transaction(database.sessionmaker) as db:
        user = db.get(User, user_id)
        assert user is not None
        yield ActionContext(db=db, actor=actor_for(user), now=when, audit_key=database.audit_key)


@dataclass
class ScreeningDesk:
    """Signed screening decisions, as the screening module's contract reports them."""

    signed: dict[int, ScreeningFacts] = field(default_factory=dict)

    def sign(
        self,
        client_id: int,
        *,
        decision: str = "eligible",
        signed_on: date = TODAY - timedelta(days=3),
        substance: str = "mdma",
        protocol_id: str | None = None,
        washout: dict[str, date] | None = None,
    ) -> ScreeningFacts:
        facts = ScreeningFacts(
            screening_id=len(self.signed) + 1,
            decision=decision,
            signed_at=datetime.combine(signed_on, time(15, 0), UTC),
            signed_by="Mara Medina",
            substance=substance,
            protocol_id=protocol_id,
            earliest_dosing_date=max((washout or {}).values(), default=None),
            washout=tuple(WashoutFact(m, d) for m, d in (washout or {}).items()),
        )
        self.signed[client_id] = facts
        return facts

    def facts(self, _db: Any, client_id: int) -> ScreeningFacts | None:
        return self.signed.get(client_id)


def enrol(
    database: Database,
    user_id: int,
    client_id: int,
    protocol: str = "mdma-at-phase3",
    *,
    anchor: date | None = None,
    when: datetime = TEST_START,
    arm: str | None = None,
) -> int:
    with acting(database, user_id, when) as ctx:
        data = parse(
            EnrolInput,
            {
                "protocol": protocol,
                "anchor_date": anchor.isoformat() if anchor else None,
                "arm": arm,
            },
        )
        return course_actions.enrol(ctx, client_id, data).id


def load_course(database: Database, course_id: int) -> Course:
    with database.sessionmaker() as db:
        course = db.get(Course, course_id)
        assert course is not None
        _ = list(course.visits), course.definition
        return course


def visits_by_id(database: Database, course_id: int) -> dict[str, Any]:
    return {v.visit_id: v for v in load_course(database, course_id).visits}


def events(database: Database, **where: Any) -> list[AuditEvent]:
    with database.sessionmaker() as db:
        query = select(AuditEvent).order_by(AuditEvent.seq)
        for key, value in where.items():
            query = query.where(getattr(AuditEvent, key) == value)
        return list(db.scalars(query))
