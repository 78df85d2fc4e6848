"""A course ready for its first dosing session: preparation held, consents, pregnancy test.

The course is the MDMA phase 3 template enrolled on TEST_START's date; dosing session 1 is on its
target day, 31 days later, after three preparation sessions a week apart.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from mendwell.actions import courses as course_actions
from mendwell.actions import notes as note_actions
from mendwell.actions.context import writes_allowed
from mendwell.schemas.common import parse
from mendwell.schemas.courses import ConsentInput, NoteInput, PregnancyTestInput
from mendwell.store.db import transaction
from mendwell.store.models import ClientAssignment
from support.courses import TODAY, acting, enrol

MDMA_CONSENTS = ("treatment", "session-recording", "supportive-touch", "overnight-stay")
DOSING_DAY = TODAY + timedelta(days=31)


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), UTC)


def hold_preparation(database, world, course_id, visit_id, day, *, sign=True) -> None:  # type: ignore[no-untyped-def]
    note = {
        "held_on": day.isoformat(),
        "held_time": "10:00",
        "attendance": "attended",
        "duration_minutes": 90,
        "risk_level": "none",
        "fidelity": ["therapeutic-alliance"],
    }
    with acting(database, world.users["alice"], at(day, 15)) as ctx:
        note_actions.save_note(ctx, course_id, visit_id, parse(NoteInput, note))
        if sign:
            note_actions.sign_note(ctx, course_id, visit_id)


def consent(database, world, course_id, consent_type, day=TODAY) -> None:  # type: ignore[no-untyped-def]
    with acting(database, world.users["alice"], at(day, 12)) as ctx:
        course_actions.record_consent(
            ctx,
            course_id,
            parse(ConsentInput, {"consent_type": consent_type, "given_on": day.isoformat()}),
        )


def pregnancy_test(database, world, course_id, day, result="negative") -> None:  # type: ignore[no-untyped-def]
    data = {"taken_on": day.isoformat(), "taken_time": "07:00", "result": result}
    with acting(database, world.users["mara"], at(day, 8)) as ctx:
        course_actions.record_pregnancy_test(ctx, course_id, parse(PregnancyTestInput, data))


def ready_course(  # type: ignore[no-untyped-def]
    database,
    world,
    screenings,
    *,
    unsigned: str | None = None,
    skip_consent: str | None = None,
    washout_until: date = TODAY + timedelta(days=20),
    screening_signed: date = TODAY - timedelta(days=3),
    pregnancy_on: date | None = DOSING_DAY,
) -> int:
    """An MDMA course with every dosing precondition met on DOSING_DAY, except as asked."""
    client_id = world.clients["alice"]
    screenings.sign(client_id, signed_on=screening_signed, washout_until=washout_until)
    course_id = enrol(database, world.users["alice"], client_id)
    for n, visit_id in enumerate(("preparation-1", "preparation-2", "preparation-3"), start=1):
        hold_preparation(
            database,
            world,
            course_id,
            visit_id,
            TODAY + timedelta(days=7 * n),
            sign=visit_id != unsigned,
        )
    for consent_type in MDMA_CONSENTS:
        if consent_type != skip_consent:
            consent(database, world, course_id, consent_type)
    if pregnancy_on is not None:
        pregnancy_test(database, world, course_id, pregnancy_on)
    return course_id


OREGON_CONSENTS = ("oregon-cif", "transport-plan", "oregon-303-notice", "supportive-touch")
OREGON_DAY = TODAY + timedelta(days=7)


def oregon_ready_course(database, world, screenings, *, with_dave: bool = True) -> int:  # type: ignore[no-untyped-def]
    """Carol's client at the Oregon site, ready for the administration session on OREGON_DAY."""
    client_id = world.clients["carol"]
    screenings.sign(client_id, substance="psilocybin")
    course_id = enrol(database, world.users["carol"], client_id, "oregon-service-centre")
    note = {
        "held_on": TODAY.isoformat(),
        "held_time": "10:00",
        "attendance": "attended",
        "duration_minutes": 90,
        "risk_level": "none",
        "fidelity": [],
    }
    with acting(database, world.users["carol"], at(TODAY, 15)) as ctx:
        note_actions.save_note(ctx, course_id, "preparation-1", parse(NoteInput, note))
        note_actions.sign_note(ctx, course_id, "preparation-1")
    if not with_dave:
        return _consented(database, world, course_id)
    with transaction(database.sessionmaker) as db, writes_allowed(db):
        # Dave co-facilitates: at this site facilitators see only the clients assigned to them.
        db.add(
            ClientAssignment(
                client_id=client_id,
                user_id=world.users["dave"],
                site_id=world.sites["B"],
                assigned_at=at(TODAY),
            )
        )
    return _consented(database, world, course_id)


def _consented(database, world, course_id: int) -> int:  # type: ignore[no-untyped-def]
    for consent_type in OREGON_CONSENTS:
        with acting(database, world.users["carol"], at(TODAY, 12)) as ctx:
            data = {"consent_type": consent_type, "given_on": TODAY.isoformat()}
            course_actions.record_consent(ctx, course_id, parse(ConsentInput, data))
    return course_id
