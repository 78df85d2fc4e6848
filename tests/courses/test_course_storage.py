"""Enrolment, the stored schedule, booking, holding, missing and withdrawal (both backends)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mendwell.actions import courses as course_actions
from mendwell.actions.errors import Conflict, InvalidInput, Refused
from mendwell.clinical.courses import anchoring_dates
from mendwell.clinical.protocols.schedule import plan_schedule
from mendwell.clinical.protocols.schema import load_protocol
from mendwell.schemas.common import parse
from mendwell.schemas.courses import (
    EnrolInput,
    MissedVisit,
    VisitBooking,
    VisitCompletion,
    Withdrawal,
)
from mendwell.store.models import Client, Course, CourseVisit, VisitChange
from support.courses import TODAY, acting, enrol, events, visits_by_id
from support.world import TEST_START


def _count(database, model) -> int:  # type: ignore[no-untyped-def]
    with database.sessionmaker() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


def _client_status(database, client_id: int) -> str:  # type: ignore[no-untyped-def]
    with database.sessionmaker() as db:
        return db.get(Client, client_id).status  # type: ignore[union-attr]


# --- enrolment -------------------------------------------------------------------------------


def test_enrolment_is_refused_without_a_signed_screening_and_nothing_is_written(
    database, world, screenings
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Refused) as refused:
        enrol(database, world.users["alice"], world.clients["alice"])
    assert refused.value.reasons == [
        "no signed screening on record: a medical reviewer must sign one"
    ]
    assert _count(database, Course) == 0
    assert _count(database, CourseVisit) == 0
    assert events(database, entity_type="course") == []


def test_a_refusal_lists_every_reason(database, world, screenings) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients["alice"]
    # Signed ineligible, for psilocybin, 61 days ago: three reasons at once.
    screenings.sign(
        client_id, decision="ineligible", substance="psilocybin", signed_on=TODAY - timedelta(61)
    )
    with pytest.raises(Refused) as refused:
        enrol(database, world.users["alice"], client_id, "mdma-at-phase3")
    reasons = refused.value.reasons
    assert len(reasons) == 3
    assert "decided 'ineligible'" in reasons[0]
    assert "done for psilocybin" in reasons[1]
    assert "61 days before enrolment" in reasons[2]
    assert "at most 60 days" in reasons[2]


def test_the_screening_age_limit_is_the_protocols(database, world, screenings) -> None:  # type: ignore[no-untyped-def]
    """MDMA allows 60 days, the psilocybin template 42 (both UNCONFIRMED settings)."""
    client_id = world.clients["alice"]
    screenings.sign(client_id, substance="psilocybin", signed_on=TODAY - timedelta(43))
    with pytest.raises(Refused) as refused:
        enrol(database, world.users["alice"], client_id, "psilocybin-single-25mg")
    assert "at most 42 days" in refused.value.reasons[0]
    # Enrolled a day after signing, the same screening is recent enough.
    course_id = enrol(
        database,
        world.users["alice"],
        client_id,
        "psilocybin-single-25mg",
        anchor=TODAY - timedelta(42),
    )
    assert course_id


@pytest.mark.parametrize(
    ("protocol_id", "owner", "substance"),
    [
        ("mdma-at-phase3", "alice", "mdma"),
        ("psilocybin-single-25mg", "alice", "psilocybin"),
        ("oregon-service-centre", "carol", "psilocybin"),
    ],
)
def test_an_eligible_client_is_enrolled_with_the_protocols_schedule(
    database, world, screenings, protocol_id, owner, substance
) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients[owner]
    signed = TODAY - timedelta(days=3)
    screenings.sign(client_id, substance=substance, signed_on=signed)
    course_id = enrol(database, world.users[owner], client_id, protocol_id)

    expected = plan_schedule(load_protocol(protocol_id), TODAY)
    stored = visits_by_id(database, course_id)
    assert list(stored) == [p.visit_id for p in expected]
    for planned in expected:
        visit = stored[planned.visit_id]
        assert (visit.target_date, visit.earliest_date, visit.latest_date) == (
            planned.target,
            planned.earliest,
            planned.latest,
        )
        assert (visit.kind, visit.optional) == (planned.kind, planned.optional)
        # A screening visit whose window closed before enrolment is the signed screening.
        if planned.kind == "screening" and planned.latest < TODAY:
            assert (visit.status, visit.actual_date) == ("completed", signed)
        else:
            assert visit.status == "planned"
    [created] = events(database, entity_type="course", action="create")
    assert created.changes["protocol_id"] == [None, protocol_id]
    assert created.detail["screening"]["decision"] == "eligible"
    assert _client_status(database, client_id) == "enrolled"


def test_a_second_active_course_is_refused(database, world, screenings) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients["alice"]
    screenings.sign(client_id)
    enrol(database, world.users["alice"], client_id)
    with pytest.raises(Refused) as refused:
        enrol(database, world.users["alice"], client_id)
    assert "already has an active course" in refused.value.reasons[0]


def test_an_oregon_protocol_needs_an_oregon_site(database, world, screenings) -> None:  # type: ignore[no-untyped-def]
    screenings.sign(world.clients["alice"], substance="psilocybin")
    with pytest.raises(InvalidInput) as invalid:
        enrol(database, world.users["alice"], world.clients["alice"], "oregon-service-centre")
    assert invalid.value.errors[0].field == "protocol"
    assert "us-or" in invalid.value.errors[0].msg


def test_enrolment_input_names_the_bad_field() -> None:
    with pytest.raises(InvalidInput) as invalid:
        parse(EnrolInput, {"protocol": "MDMA at phase 3", "anchor_date": "yesterday"})
    assert {e.field for e in invalid.value.errors} == {"protocol", "anchor_date"}


# --- booking, holding, missing ---------------------------------------------------------------


@pytest.fixture
def course_id(database, world, screenings) -> int:  # type: ignore[no-untyped-def]
    screenings.sign(world.clients["alice"])
    return enrol(database, world.users["alice"], world.clients["alice"])


def test_booking_on_the_target_day_needs_no_reason(database, world, course_id) -> None:  # type: ignore[no-untyped-def]
    target = visits_by_id(database, course_id)["preparation-1"].target_date
    with acting(database, world.users["alice"]) as ctx:
        out = course_actions.book_visit(
            ctx, course_id, "preparation-1", VisitBooking(scheduled_on=target)
        )
        assert out.moved == []
    visit = visits_by_id(database, course_id)["preparation-1"]
    assert (visit.status, visit.scheduled_date) == ("scheduled", target)


def test_moving_a_visit_needs_a_reason_and_moves_the_visits_planned_from_it(
    database, world, course_id
) -> None:  # type: ignore[no-untyped-def]
    before = visits_by_id(database, course_id)
    new_day = before["preparation-1"].target_date + timedelta(days=3)
    with acting(database, world.users["alice"]) as ctx, pytest.raises(InvalidInput) as invalid:
        course_actions.book_visit(
            ctx, course_id, "preparation-1", VisitBooking(scheduled_on=new_day)
        )
    assert invalid.value.errors[0].field == "reason"
    assert visits_by_id(database, course_id)["preparation-1"].status == "planned"

    with acting(database, world.users["alice"]) as ctx:
        out = course_actions.book_visit(
            ctx,
            course_id,
            "preparation-1",
            VisitBooking(scheduled_on=new_day, reason="client travelling"),
        )
    moved = {m.visit_id: m for m in out.moved}
    after = visits_by_id(database, course_id)
    # preparation-2 is planned a week after preparation-1, and so on down the chain.
    assert moved["preparation-2"].days == 3
    assert after["preparation-2"].target_date == before["preparation-2"].target_date + timedelta(3)
    assert after["dosing-1"].target_date == before["dosing-1"].target_date + timedelta(3)
    # The rescheduled visit keeps its own target and window.
    assert after["preparation-1"].target_date == before["preparation-1"].target_date
    # Moving an existing booking again also needs a reason; the history keeps who and why.
    with acting(database, world.users["bob"]) as ctx:
        course_actions.book_visit(
            ctx,
            course_id,
            "preparation-1",
            VisitBooking(scheduled_on=new_day + timedelta(1), reason="room double-booked"),
        )
    with database.sessionmaker() as db:
        history = db.scalars(
            select(VisitChange)
            .where(VisitChange.course_visit_id == after["preparation-1"].id)
            .order_by(VisitChange.id)
        ).all()
    assert [(h.change, h.reason, h.changed_by_id) for h in history] == [
        ("booked", "client travelling", world.users["alice"]),
        ("rescheduled", "room double-booked", world.users["bob"]),
    ]
    [audited] = events(database, action="reschedule")
    assert audited.reason == "room double-booked"
    assert audited.changes["scheduled_date"][1] == (new_day + timedelta(1)).isoformat()


def test_holding_a_visit_replans_from_its_actual_date(database, world, course_id, clock) -> None:  # type: ignore[no-untyped-def]
    before = visits_by_id(database, course_id)
    held = before["preparation-1"].target_date + timedelta(days=2)
    with acting(database, world.users["alice"], TEST_START + timedelta(days=10)) as ctx:
        out = course_actions.complete_visit(
            ctx, course_id, "preparation-1", VisitCompletion(held_on=held)
        )
    after = visits_by_id(database, course_id)
    assert after["preparation-1"].actual_date == held
    assert after["preparation-2"].target_date == held + timedelta(days=7)
    assert after["preparation-2"].anchor_basis == "held"
    assert {m.visit_id for m in out.moved} >= {"preparation-2", "preparation-3", "dosing-1"}
    [audited] = events(database, action="complete", entity_type="course_visit")
    assert audited.changes["status"] == ["planned", "completed"]
    assert {m["visit_id"] for m in audited.detail["moved"]} >= {"preparation-2"}


def test_a_visit_cannot_be_held_in_the_future(database, world, course_id) -> None:  # type: ignore[no-untyped-def]
    with acting(database, world.users["alice"]) as ctx, pytest.raises(InvalidInput) as invalid:
        course_actions.complete_visit(
            ctx, course_id, "preparation-1", VisitCompletion(held_on=TODAY + timedelta(1))
        )
    assert invalid.value.errors[0].field == "held_on"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "reason"),
        ({"reason": "forgot"}, "reason"),
        ({"reason": "other"}, "note"),
    ],
)
def test_a_missed_visit_needs_a_structured_reason(payload, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as invalid:
        parse(MissedVisit, payload)
    assert [e.field for e in invalid.value.errors] == [field]


def test_a_missed_visit_keeps_its_reason_and_a_rebooking_keeps_the_history(
    database, world, course_id
) -> None:  # type: ignore[no-untyped-def]
    with acting(database, world.users["alice"]) as ctx:
        course_actions.record_missed(
            ctx,
            course_id,
            "preparation-1",
            MissedVisit(reason="client_unwell", note="fever"),
        )
    visit = visits_by_id(database, course_id)["preparation-1"]
    assert (visit.status, visit.missed_reason, visit.missed_note) == (
        "missed",
        "client_unwell",
        "fever",
    )
    with acting(database, world.users["alice"]) as ctx:
        course_actions.book_visit(
            ctx,
            course_id,
            "preparation-1",
            VisitBooking(scheduled_on=TODAY + timedelta(days=9), reason="rebooked after flu"),
        )
    with database.sessionmaker() as db:
        history = db.scalars(
            select(VisitChange)
            .where(VisitChange.course_visit_id == visit.id)
            .order_by(VisitChange.id)
        ).all()
    assert [(h.change, h.reason_code) for h in history] == [
        ("missed", "client_unwell"),
        ("rescheduled", None),
    ]
    [audited] = events(database, action="missed")
    assert audited.reason == "Client unwell: fever"


def test_a_stale_visit_change_is_refused_and_nothing_is_lost(database, world, course_id) -> None:  # type: ignore[no-untyped-def]
    version = visits_by_id(database, course_id)["preparation-1"].version
    with acting(database, world.users["bob"]) as ctx:
        course_actions.record_missed(
            ctx,
            course_id,
            "preparation-1",
            MissedVisit(reason="staff_unavailable", version=version),
        )
    with acting(database, world.users["alice"]) as ctx, pytest.raises(Conflict) as conflict:
        course_actions.complete_visit(
            ctx, course_id, "preparation-1", VisitCompletion(held_on=TODAY, version=version)
        )
    assert conflict.value.changed_since[0].by == "bob"
    assert visits_by_id(database, course_id)["preparation-1"].status == "missed"


# --- withdrawal ------------------------------------------------------------------------------


def test_withdrawal_cancels_open_visits_and_withdraws_the_client(
    database, world, course_id
) -> None:  # type: ignore[no-untyped-def]
    with acting(database, world.users["alice"]) as ctx:
        course_actions.withdraw(
            ctx, course_id, Withdrawal(withdrawn_on=TODAY, reason="Moved out of state")
        )
    visits = visits_by_id(database, course_id)
    statuses = {v.status for v in visits.values()}
    assert statuses == {"completed", "cancelled"}  # the screening visit had been held
    with database.sessionmaker() as db:
        course = db.get(Course, course_id)
        assert (course.status, course.withdrawn_on, course.withdrawal_reason) == (  # type: ignore[union-attr]
            "withdrawn",
            TODAY,
            "Moved out of state",
        )
        reasons = db.scalars(
            select(VisitChange.reason).where(VisitChange.change == "cancelled")
        ).all()
    assert set(reasons) == {"course withdrawn: Moved out of state"}
    assert _client_status(database, world.clients["alice"]) == "withdrawn"
    [audited] = events(database, action="withdraw", entity_type="course")
    assert audited.reason == "Moved out of state"
    # A withdrawn course no longer changes.
    with acting(database, world.users["alice"]) as ctx, pytest.raises(Refused):
        course_actions.record_missed(
            ctx, course_id, "preparation-2", MissedVisit(reason="lost_contact")
        )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"withdrawn_on": "2026-01-06"}, "reason"),
        ({"withdrawn_on": "2026-01-06", "reason": "x"}, "reason"),
        ({"reason": "moved away"}, "withdrawn_on"),
    ],
)
def test_withdrawal_needs_a_date_and_a_reason(payload, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as invalid:
        parse(Withdrawal, payload)
    assert [e.field for e in invalid.value.errors] == [field]


def test_withdrawal_cannot_predate_enrolment(database, world, course_id) -> None:  # type: ignore[no-untyped-def]
    with acting(database, world.users["alice"]) as ctx, pytest.raises(InvalidInput) as invalid:
        course_actions.withdraw(
            ctx, course_id, Withdrawal(withdrawn_on=TODAY - timedelta(1), reason="changed mind")
        )
    assert invalid.value.errors[0].field == "withdrawn_on"


def test_after_any_changes_the_stored_schedule_is_the_protocols_plan(
    database, world, course_id
) -> None:  # type: ignore[no-untyped-def]
    """Invariant: targets and windows equal plan_schedule from the held and booked dates."""
    day = TODAY + timedelta(days=8)
    steps = [  # (days after TODAY when it is done, what, visit, input)
        (0, "book", "preparation-1", VisitBooking(scheduled_on=day, reason="client away")),
        (9, "complete", "preparation-1", VisitCompletion(held_on=day + timedelta(1))),
        (9, "book", "preparation-2", VisitBooking(scheduled_on=day + timedelta(10), reason="x y")),
        (18, "missed", "preparation-2", MissedVisit(reason="client_unwell")),
        (18, "book", "preparation-3", VisitBooking(scheduled_on=day + timedelta(13), reason="now")),
    ]
    for after, what, visit_id, data in steps:
        with acting(database, world.users["alice"], TEST_START + timedelta(days=after)) as ctx:
            action = {
                "book": course_actions.book_visit,
                "complete": course_actions.complete_visit,
                "missed": course_actions.record_missed,
            }[what]
            action(ctx, course_id, visit_id, data)  # type: ignore[operator]
        stored = visits_by_id(database, course_id)
        anchors = anchoring_dates(stored.values())
        for planned in plan_schedule(load_protocol("mdma-at-phase3"), TODAY, anchors):
            visit = stored[planned.visit_id]
            assert (visit.target_date, visit.earliest_date, visit.latest_date) == (
                planned.target,
                planned.earliest,
                planned.latest,
            ), (what, visit_id, planned.visit_id)
    stored = visits_by_id(database, course_id)
    assert stored["preparation-2"].anchor_basis == "held"
    assert stored["baseline"].anchor_basis == "booked"
    assert stored["preparation-1"].anchor_basis == "anchor-event"
