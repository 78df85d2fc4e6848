"""The dosing gate from stored facts: each precondition missing in turn, overrides, holding.

The course is the MDMA phase 3 template enrolled on TEST_START's date; dosing session 1 is tried
on its target day, 31 days later, after three preparation sessions a week apart.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select, text

from mendwell.actions import courses as course_actions
from mendwell.actions import notes as note_actions
from mendwell.actions.context import SYSTEM
from mendwell.actions.errors import InvalidInput, PermissionDenied, Refused
from mendwell.queries.courses import course_consents, get_visible_course
from mendwell.queries.dosing_gate import dosing_gate_for
from mendwell.schemas.common import parse
from mendwell.schemas.courses import (
    ConsentInput,
    ConsentWithdrawalInput,
    NoteInput,
    OverrideInput,
    VisitCompletion,
)
from mendwell.store.models import GateCheck
from support.courses import TODAY, acting, enrol, events, visits_by_id
from support.dosing import (
    DOSING_DAY,
    MDMA_CONSENTS,
    at,
    pregnancy_test,
    ready_course,
)


def try_dosing(database, world, course_id, user="alice", day=DOSING_DAY):  # type: ignore[no-untyped-def]
    with acting(database, world.users[user], at(day)) as ctx:
        decision = course_actions.authorise_dosing(ctx, course_id, "dosing-1")
        return decision.authorised, [c.code for c in decision.result.unmet]


def override(database, world, user, course_id, condition, reason, hour=9) -> None:  # type: ignore[no-untyped-def]
    with acting(database, world.users[user], at(DOSING_DAY, hour)) as ctx:
        course_actions.override_condition(
            ctx, course_id, "dosing-1", OverrideInput(condition=condition, reason=reason)
        )


def test_with_every_precondition_met_the_session_is_authorised(database, world, screenings) -> None:  # type: ignore[no-untyped-def]
    course_id = ready_course(database, world, screenings)
    authorised, unmet = try_dosing(database, world, course_id)
    assert (authorised, unmet) == (True, [])
    with database.sessionmaker() as db:
        check = db.scalar(select(GateCheck))
        assert check is not None
        assert (check.authorised, check.on_date, check.protocol_id) == (
            True,
            DOSING_DAY,
            "mdma-at-phase3",
        )
        assert "washout:paroxetine" in check.met
    [audited] = events(database, action="gate_check")
    assert (audited.outcome, audited.detail["unmet"]) == ("success", [])
    # The session can now be recorded as held that day, and the client is in treatment.
    with acting(database, world.users["alice"], at(DOSING_DAY, 18)) as ctx:
        course_actions.complete_visit(
            ctx, course_id, "dosing-1", VisitCompletion(held_on=DOSING_DAY)
        )
    assert visits_by_id(database, course_id)["dosing-1"].status == "completed"
    assert [e.changes["status"][1] for e in events(database, action="status_change")][-1] == (
        "in_treatment"
    )


@pytest.mark.parametrize(
    ("missing", "options", "expected"),
    [
        ("an unsigned preparation note", {"unsigned": "preparation-3"}, ["preparation-sessions"]),
        (
            "a consent",
            {"skip_consent": "supportive-touch"},
            ["consent:supportive-touch"],
        ),
        (
            "a washout that has not passed",
            {"washout_until": DOSING_DAY + timedelta(days=3)},
            ["washout:paroxetine"],
        ),
        ("the pregnancy test", {"pregnancy_on": None}, ["pregnancy-test"]),
        (
            "a pregnancy test taken today",
            {"pregnancy_on": DOSING_DAY - timedelta(days=1)},
            ["pregnancy-test"],
        ),
        (
            "a recent screening",
            {"screening_signed": TODAY - timedelta(days=40)},
            ["screening-expired"],
        ),
    ],
)
def test_each_missing_precondition_is_listed_and_the_session_refused(
    database, world, screenings, missing, options, expected
) -> None:  # type: ignore[no-untyped-def]
    course_id = ready_course(database, world, screenings, **options)
    authorised, unmet = try_dosing(database, world, course_id)
    assert (authorised, unmet) == (False, expected), missing
    [audited] = events(database, action="gate_check")
    assert (audited.outcome, audited.detail["unmet"]) == ("refused", expected)
    # Holding the session without an authorised check is refused.
    with acting(database, world.users["alice"], at(DOSING_DAY, 18)) as ctx, pytest.raises(Refused):
        course_actions.complete_visit(
            ctx, course_id, "dosing-1", VisitCompletion(held_on=DOSING_DAY)
        )


def test_trying_early_lists_every_unmet_condition(database, world, screenings) -> None:  # type: ignore[no-untyped-def]
    screenings.sign(world.clients["alice"], washout_until=TODAY + timedelta(days=20))
    course_id = enrol(database, world.users["alice"], world.clients["alice"])
    authorised, unmet = try_dosing(database, world, course_id, day=TODAY)
    assert not authorised
    assert unmet == [
        "preparation-sessions",
        "washout:paroxetine",
        *[f"consent:{c}" for c in MDMA_CONSENTS],
        "pregnancy-test",
    ]


def test_a_later_ineligible_screening_and_a_withdrawn_consent_block_dosing(
    database, world, screenings
) -> None:  # type: ignore[no-untyped-def]
    course_id = ready_course(database, world, screenings)
    screenings.sign(world.clients["alice"], decision="ineligible", signed_on=DOSING_DAY)
    with acting(database, world.users["alice"], at(DOSING_DAY)) as ctx:
        consent_id = next(
            c.id
            for c in course_consents(ctx.db, get_visible_course(ctx.db, ctx.actor, course_id))
            if c.consent_type == "session-recording"
        )
        course_actions.withdraw_consent(
            ctx,
            course_id,
            consent_id,
            ConsentWithdrawalInput(withdrawn_on=DOSING_DAY, reason="no longer wants recording"),
        )
    assert try_dosing(database, world, course_id)[1] == [
        "screening-not-eligible",
        "consent:session-recording",
    ]


def test_a_positive_pregnancy_test_cannot_be_overridden(database, world, screenings) -> None:  # type: ignore[no-untyped-def]
    course_id = ready_course(database, world, screenings, pregnancy_on=None)
    pregnancy_test(database, world, course_id, DOSING_DAY, result="positive")
    assert try_dosing(database, world, course_id)[1] == ["pregnancy-test-positive"]
    with pytest.raises(InvalidInput) as invalid:
        override(database, world, "mara", course_id, "pregnancy-test-positive", "client insists")
    assert invalid.value.errors[0].field == "condition"


def test_a_medical_override_is_recorded_audited_and_lets_the_session_start(
    database, world, screenings
) -> None:  # type: ignore[no-untyped-def]
    course_id = ready_course(
        database, world, screenings, washout_until=DOSING_DAY + timedelta(days=2)
    )
    reason = "Taper complete; prescriber confirms levels negligible"
    override(database, world, "mara", course_id, "washout:paroxetine", reason, hour=8)
    [audited] = events(database, action="override", entity_type="dosing_gate")
    assert (audited.reason, audited.username, audited.role) == (reason, "mara", "medical")
    assert audited.changes == {"condition": [None, "washout:paroxetine"]}
    with database.sessionmaker() as db:
        course = get_visible_course(db, SYSTEM, course_id)
        result = dosing_gate_for(db, course, "dosing-1", at(DOSING_DAY))
    assert result.ready
    [applied] = result.overridden
    assert (applied.condition.code, applied.override.authorised_by) == (
        "washout:paroxetine",
        "Mara Medina",
    )
    assert try_dosing(database, world, course_id) == (True, [])


def test_a_facilitator_cannot_override(database, world, screenings) -> None:  # type: ignore[no-untyped-def]
    course_id = ready_course(database, world, screenings, washout_until=DOSING_DAY + timedelta(2))
    with pytest.raises(PermissionDenied):
        override(database, world, "alice", course_id, "washout:paroxetine", "taper done")


def test_an_override_of_a_met_condition_is_refused(database, world, screenings) -> None:  # type: ignore[no-untyped-def]
    course_id = ready_course(database, world, screenings)
    with pytest.raises(InvalidInput) as invalid:
        override(database, world, "mara", course_id, "washout:paroxetine", "just in case")
    assert "is not an unmet condition" in invalid.value.errors[0].msg


def test_oregon_preparation_must_be_a_full_day_before_administration(
    database, world, screenings
) -> None:  # type: ignore[no-untyped-def]
    """OAR 333-333-5000(1): at least 24 hours and no more than 90 days before."""
    client_id = world.clients["carol"]
    screenings.sign(client_id, substance="psilocybin")
    course_id = enrol(database, world.users["carol"], client_id, "oregon-service-centre")
    note = {
        "held_on": TODAY.isoformat(),
        "held_time": "16:00",
        "attendance": "attended",
        "duration_minutes": 90,
        "risk_level": "none",
    }
    with acting(database, world.users["carol"], at(TODAY, 18)) as ctx:
        note_actions.save_note(ctx, course_id, "preparation-1", parse(NoteInput, note))
        note_actions.sign_note(ctx, course_id, "preparation-1")
    for consent_type in ("oregon-cif", "transport-plan", "oregon-303-notice", "supportive-touch"):
        with acting(database, world.users["carol"], at(TODAY, 18)) as ctx:
            course_actions.record_consent(
                ctx,
                course_id,
                parse(ConsentInput, {"consent_type": consent_type, "given_on": TODAY.isoformat()}),
            )

    def gate_at(when: datetime) -> list[str]:
        with acting(database, world.users["carol"], when) as ctx:
            return [
                c.code
                for c in course_actions.authorise_dosing(
                    ctx, course_id, "administration"
                ).result.unmet
            ]

    # 23 hours after the 16:00 preparation: too soon; 25 hours after: allowed.
    assert gate_at(datetime.combine(TODAY + timedelta(1), time(15), UTC)) == ["preparation-timing"]
    assert gate_at(datetime.combine(TODAY + timedelta(1), time(17), UTC)) == []


def test_the_gate_check_record_cannot_be_changed(database, world, screenings) -> None:  # type: ignore[no-untyped-def]
    course_id = ready_course(database, world, screenings)
    try_dosing(database, world, course_id)
    with database.engine.connect() as conn, pytest.raises(Exception, match="append-only"):
        conn.execute(text("UPDATE dosing_gate_check SET authorised = false"))
