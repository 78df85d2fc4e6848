"""Treatment courses in tests: acting as someone, signed screenings, enrolled courses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from mendwell.actions import accounts
from mendwell.actions import courses as course_actions
from mendwell.actions import screening as screening_actions
from mendwell.bootstrap import Database
from mendwell.permissions import Role
from mendwell.schemas.common import parse
from mendwell.schemas.courses import EnrolInput
from mendwell.schemas.screening import ScreeningInput, SignatureInput
from mendwell.settings import Settings
from mendwell.store.models import AuditEvent, Client, Course
from support.screening import acting, draft, record
from support.world import PASSWORD, TEST_START, World

TODAY = TEST_START.date()


# Paroxetine's washout under the default formula: 5 x 21 h half-life -> 5 days, plus 7 days.
PAROXETINE_WASHOUT_DAYS = 12
PROTOCOL_FOR = {("mdma", "A"): "mdma-at-phase3", ("psilocybin", "A"): "psilocybin-single-25mg"}


@dataclass
class ScreeningDesk:
    """Signs screenings through the screening module's own actions, as a medical reviewer."""

    database: Database
    world: World
    settings: Settings

    def sign(
        self,
        client_id: int,
        *,
        decision: str = "eligible",
        signed_on: date = TODAY - timedelta(days=3),
        substance: str = "mdma",
        washout_until: date | None = None,
    ) -> int:
        """A screening signed on ``signed_on`` at 15:00 UTC; with ``washout_until``, paroxetine
        is being tapered so that its earliest safe dosing date is that day."""
        protocol_id = PROTOCOL_FOR.get(
            (substance, self.site_key(client_id)), "oregon-service-centre"
        )
        medications = []
        overrides = []
        if washout_until is not None:
            last_dose = washout_until - timedelta(days=PAROXETINE_WASHOUT_DAYS)
            medications = [{"name": "Paxil", "dose": "20 mg", "last_dose_date": str(last_dose)}]
            findings = (
                ("mdma.ssri:paroxetine", f"{protocol_id}.psychiatric_medication_taper:paroxetine")
                if substance == "mdma"
                else ("psilocybin.serotonergic_antidepressant:paroxetine",)
            )
            overrides = [{"finding_id": f, "reason": "Taper agreed"} for f in findings]
        payload = {**draft(substance, protocol_id), "record": record(medications=medications)}
        start = datetime.combine(signed_on, time(10), UTC)
        with acting(self.database, self.world.users["mara"], start) as ctx:
            data = parse(ScreeningInput, payload)
            screening_id = screening_actions.start_screening(ctx, self.settings, client_id, data).id
        signature = {
            "version": 1,
            "decision": decision,
            "password": PASSWORD,
            "overrides": overrides if decision == "eligible" else [],
            "comment": None if decision == "eligible" else "Not now: see the findings",
        }
        signed = datetime.combine(signed_on, time(15), UTC)
        with acting(self.database, self.world.users["mara"], signed) as ctx:
            screening_actions.sign_screening(
                ctx, self.settings, client_id, screening_id, parse(SignatureInput, signature)
            )
        return screening_id

    def site_key(self, client_id: int) -> str:
        with self.database.sessionmaker() as db:
            client = db.get(Client, client_id)
            assert client is not None
        return next(key for key, site_id in self.world.sites.items() if site_id == client.site_id)


def medical_at_site_b(database: Database, world: World) -> None:
    """The standard world has no medical reviewer at the Oregon site: make Mara one."""
    with acting(database, world.users["admin"]) as ctx:
        accounts.set_role(ctx, world.users["mara"], world.sites["B"], Role.MEDICAL)


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
