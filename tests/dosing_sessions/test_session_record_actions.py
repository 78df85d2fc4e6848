"""The dosing-session record through its actions, on SQLite and PostgreSQL.

Alice leads dosing session 1 of her client's MDMA course (phase 3 template) on DOSING_DAY from
09:00 UTC, with Bob as the second facilitator; Mara is the medical monitor.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from mendwell.actions import dosing_sessions as actions
from mendwell.actions.errors import InvalidInput, PermissionDenied, Refused
from mendwell.schemas.common import parse
from mendwell.schemas.dosing_sessions import (
    AddendumInput,
    AdministrationInput,
    ArrivalInput,
    ChecklistAnswerInput,
    DischargeInput,
    EndSessionInput,
    LeavingInput,
    SignInput,
    StartSession,
    SupplementalInput,
    VitalAlertAcknowledgement,
    VitalsInput,
)
from mendwell.store.models import (
    DoseAdministration,
    DosingSession,
    SessionAddendum,
    VitalAlert,
)
from support.courses import acting, events
from support.dosing import DOSING_DAY, at, ready_course

START = at(DOSING_DAY, 9)
MDMA_CHECKLIST = {
    "pre-dose-vitals": {"answer": "yes"},
    "pregnancy-test": {"answer": "not-applicable"},
    "medications-today": {"text": "None"},
    "fasting": {"answer": "yes"},
    "consent-reconfirmed": {"answer": "yes"},
}


def minutes(n: int) -> Any:
    return START + timedelta(minutes=n)


class Session:
    """A started session and helpers to act on it as someone at a given minute."""

    def __init__(self, database, world, course_id: int, session_id: int) -> None:  # type: ignore[no-untyped-def]
        self.database, self.world = database, world
        self.course_id, self.id = course_id, session_id

    def act(self, action: Any, model: type, data: dict, *, who="alice", minute=0, extra=()) -> Any:  # type: ignore[type-arg]
        with acting(self.database, self.world.users[who], minutes(minute)) as ctx:
            return action(ctx, self.id, *extra, parse(model, data))

    def checklist(self, answers: dict[str, dict] = MDMA_CHECKLIST, minute: int = 0) -> None:  # type: ignore[type-arg]
        for item, answer in answers.items():
            self.act(
                actions.answer_checklist,
                ChecklistAnswerInput,
                {"item_id": item, **answer},
                minute=minute,
            )

    def dose(self, minute: int = 0, **fields: Any) -> DoseAdministration:
        data = {
            "product": "Midomafetamine HCl capsules",
            "lot_or_unique_id": "LOT-42",
            "amount": "120",
            "unit": "mg",
            "given_by_id": self.world.users["alice"],
            "witnessed_by_id": self.world.users["bob"],
            **fields,
        }
        return self.act(actions.record_administration, AdministrationInput, data, minute=minute)

    def load(self) -> DosingSession:
        with self.database.sessionmaker() as db:
            session = db.get(DosingSession, self.id)
            assert session is not None
            _ = (session.presence, session.administrations, session.alerts, session.discharge)
            _ = (session.supplemental_decisions, session.addenda, session.readings)
            return session


def start(database, world, course_id: int, **fields: Any) -> Session:  # type: ignore[no-untyped-def]
    data = {"visit_id": "dosing-1", "second_facilitator_id": world.users["bob"], **fields}
    with acting(database, world.users["alice"], START) as ctx:
        session = actions.start_session(ctx, course_id, parse(StartSession, data))
        return Session(database, world, course_id, session.id)


@pytest.fixture
def live(database, world, screenings) -> Session:  # type: ignore[no-untyped-def]
    course_id = ready_course(database, world, screenings)
    session = start(database, world, course_id)
    session.act(
        actions.record_arrival,
        ArrivalInput,
        {"user_id": world.users["bob"], "role": "facilitator"},
    )
    return session


def count(database, model) -> int:  # type: ignore[no-untyped-def]
    with database.sessionmaker() as db:
        return len(list(db.scalars(select(model))))


# --- start ---------------------------------------------------------------------------------------


def test_a_session_starts_only_through_a_passing_dosing_gate(database, world, screenings) -> None:  # type: ignore[no-untyped-def]
    course_id = ready_course(database, world, screenings, pregnancy_on=None)
    with pytest.raises(Refused) as refused:
        start(database, world, course_id)
    assert "dosing gate" in refused.value.message
    assert refused.value.reasons
    assert count(database, DosingSession) == 0


def test_a_started_session_keeps_its_rules_and_the_visit_is_held(live) -> None:  # type: ignore[no-untyped-def]
    session = live.load()
    assert session.status == "in_progress"
    assert (session.protocol_id, session.rules["protocol_id"]) == ("mdma-at-phase3",) * 2
    assert session.rules["dose_limits"][0]["id"] == "mdma-session-total"
    assert session.gate_check_id is not None
    assert [p.role for p in session.presence] == ["facilitator", "facilitator"]
    with pytest.raises(Refused):
        start(live.database, live.world, live.course_id)


def test_a_non_dosing_visit_has_no_session(database, world, screenings) -> None:  # type: ignore[no-untyped-def]
    course_id = ready_course(database, world, screenings)
    with pytest.raises(Refused) as refused:
        start(database, world, course_id, visit_id="preparation-1")
    assert "not a dosing visit" in refused.value.message


# --- checklist and doses -------------------------------------------------------------------------


def test_the_first_dose_waits_for_the_required_checklist(live) -> None:  # type: ignore[no-untyped-def]
    live.checklist({"pre-dose-vitals": {"answer": "yes"}, "fasting": {"answer": "no"}})
    with pytest.raises(Refused) as refused:
        live.dose()
    assert "Fasting as instructed before the session" in refused.value.reasons
    assert count(live.database, DoseAdministration) == 0
    live.checklist()  # fasting re-answered yes: the later answer counts
    dose = live.dose(minute=5)
    assert dose.checks["deviation"] is False
    assert dose.checks["amount_mg"] == "120"


def test_not_applicable_only_where_the_item_allows_it(live) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as bad:
        live.act(
            actions.answer_checklist,
            ChecklistAnswerInput,
            {"item_id": "fasting", "answer": "not-applicable"},
        )
    assert bad.value.errors[0].field == "answer"


def test_a_dose_over_the_session_limit_needs_a_reason_and_is_flagged(live) -> None:  # type: ignore[no-untyped-def]
    live.checklist()
    live.dose()
    over = {"kind": "supplemental", "amount": "0.08", "unit": "g"}  # 80 mg: 200 mg in total
    with pytest.raises(InvalidInput) as bad:
        live.dose(minute=100, **over)
    fields = {e.field for e in bad.value.errors}
    assert fields == {"amount", "reason"}
    messages = " ".join(e.msg for e in bad.value.errors)
    assert "200 mg mdma-hcl exceeds 180 mg mdma-hcl" in messages
    assert "is not 0.5 × the initial 120 mg = 60 mg" in messages
    dose = live.dose(minute=100, reason="Prescriber's decision, documented", **over)
    assert dose.checks["deviation"] is True
    assert dose.checks["total_mg"] == "200"
    assert "0.08 g mdma-hcl = 80 mg mdma-hcl" in dose.checks["conversions"]
    assert dose.deviation_reason == "Prescriber's decision, documented"
    decision = live.load().supplemental_decisions[0]
    assert (decision.status, decision.timing, decision.elapsed_minutes) == (
        "given",
        "within-window",
        100,
    )


@pytest.mark.parametrize(
    ("minute", "timing", "needs_reason"),
    [
        (89, "before-window", True),
        (90, "within-window", False),
        (120, "within-window", False),
        (121, "after-window", True),
    ],
)
def test_the_supplemental_dose_outside_its_window_needs_a_reason(
    live, minute, timing, needs_reason
) -> None:  # type: ignore[no-untyped-def]
    # MAPP2 / NCT04077437: a half-dose offered 1.5 to 2 hours after the initial dose.
    live.checklist()
    live.dose()
    if needs_reason:
        with pytest.raises(InvalidInput) as bad:
            live.dose(minute=minute, kind="supplemental", amount="60")
        assert {e.field for e in bad.value.errors} == {"given_at", "reason"}
        assert "outside the 1 h 30 min–2 h 00 min window" in str(bad.value)
    dose = live.dose(
        minute=minute,
        kind="supplemental",
        amount="60",
        reason="Late start" if needs_reason else None,
    )
    assert dose.checks["supplemental"]["timing"] == timing
    assert dose.checks["deviation"] is needs_reason


def test_withholding_the_supplemental_dose_needs_a_reason(live) -> None:  # type: ignore[no-untyped-def]
    live.checklist()
    live.dose()
    with pytest.raises(InvalidInput) as bad:
        live.act(actions.record_supplemental, SupplementalInput, {"status": "withheld"}, minute=95)
    assert bad.value.errors[0].field == "reason"
    declined = live.act(
        actions.record_supplemental, SupplementalInput, {"status": "declined"}, minute=95
    )
    assert declined.timing == "within-window"


def test_back_entry_is_neither_in_the_future_nor_before_the_start(live) -> None:  # type: ignore[no-untyped-def]
    live.checklist()
    with pytest.raises(InvalidInput) as future:
        live.dose(minute=10, given_at=minutes(20).isoformat())
    assert future.value.errors[0].field == "given_at"
    with pytest.raises(InvalidInput) as early:
        live.dose(minute=10, given_at=minutes(-5).isoformat())
    assert "before the session started" in early.value.errors[0].msg
    dose = live.dose(minute=10, given_at=minutes(3).isoformat())
    assert dose.given_at == minutes(3)


# --- vital signs ---------------------------------------------------------------------------------


def test_a_reading_beyond_a_threshold_raises_an_alert_acknowledged_with_a_note(live) -> None:  # type: ignore[no-untyped-def]
    live.checklist()
    live.dose()
    # Thresholds are protocol settings (mdma-at-phase3: systolic above 160, temperature above 38).
    live.act(
        actions.record_vitals, VitalsInput, {"systolic_bp": 160, "diastolic_bp": 90}, minute=30
    )
    reading = live.act(
        actions.record_vitals,
        VitalsInput,
        {"systolic_bp": 171, "diastolic_bp": 95, "heart_rate": 96, "temperature_c": "38.1"},
        minute=60,
    )
    alerts = live.load().alerts
    assert [(a.vital, a.value, a.threshold, a.reading_id) for a in alerts] == [
        ("systolic_bp", "171", "160", reading.id),
        ("temperature", "38.1", "38", reading.id),
    ]
    with pytest.raises(InvalidInput):
        live.act(
            actions.acknowledge_vital_alert,
            VitalAlertAcknowledgement,
            {"action_note": ""},
            who="mara",
            extra=(alerts[0].id,),
        )
    acknowledged = live.act(
        actions.acknowledge_vital_alert,
        VitalAlertAcknowledgement,
        {"action_note": "Repeated after 10 minutes: 150/90. Supplemental dose held."},
        who="mara",
        minute=65,
        extra=(alerts[0].id,),
    )
    assert acknowledged.acknowledged_by_id == live.world.users["mara"]
    audited = events(live.database, entity_type="dosing_session_vital_alert", action="acknowledge")
    assert audited[0].username == "mara"
    assert "Supplemental dose held" in audited[0].changes["action_note"][1]
    with pytest.raises(Refused):
        live.act(
            actions.acknowledge_vital_alert,
            VitalAlertAcknowledgement,
            {"action_note": "again"},
            who="mara",
            extra=(alerts[0].id,),
        )


# --- staffing ------------------------------------------------------------------------------------


def test_a_staffing_gap_is_kept_in_the_record(live) -> None:  # type: ignore[no-untyped-def]
    bob = next(p for p in live.load().presence if p.user_id == live.world.users["bob"])
    live.act(actions.record_leaving, LeavingInput, {"note": "Break"}, minute=60, extra=(bob.id,))
    live.act(
        actions.record_arrival,
        ArrivalInput,
        {"user_id": live.world.users["bob"], "role": "facilitator"},
        minute=75,
    )
    version = live.load().version
    live.act(actions.end_session, EndSessionInput, {"version": version}, minute=480)
    check = live.load().staffing_check
    assert check["ok"] is False
    [gap] = check["gaps"]
    assert (gap["requirement_id"], gap["minutes"], gap["present"]) == ("two-facilitators", 15, 1)
    assert gap["start"] == minutes(60).isoformat()
    assert all(p.left_at == minutes(480) for p in live.load().presence if p.left_at >= minutes(75))


def test_a_closed_presence_interval_cannot_change_in_the_database(live) -> None:  # type: ignore[no-untyped-def]
    bob = next(p for p in live.load().presence if p.user_id == live.world.users["bob"])
    live.act(actions.record_leaving, LeavingInput, {}, minute=30, extra=(bob.id,))
    with live.database.engine.connect() as conn, pytest.raises(DBAPIError):
        conn.execute(
            text("UPDATE dosing_session_presence SET left_at = NULL WHERE id = :i"), {"i": bob.id}
        )


# --- discharge, signatures, addenda --------------------------------------------------------------


def discharge(live, minute: int = 480, reason: str | None = None) -> None:  # type: ignore[no-untyped-def]
    data = {
        "version": live.load().version,
        "criteria": {
            "effects-resolved": True,
            "psychologically-stable": True,
            "vitals-reviewed": True,
        },
        "release_to": "overnight-stay",
        "reason": reason,
    }
    live.act(actions.record_discharge, DischargeInput, data, minute=minute)


def finish(live, minute: int = 480) -> None:  # type: ignore[no-untyped-def]
    live.checklist()
    live.dose()
    discharge(live, minute)


def test_discharge_before_the_minimum_duration_needs_a_reason(live) -> None:  # type: ignore[no-untyped-def]
    # mdma-at-phase3: 8 hours minimum (MAPP1, proposed REMS); one minute short is short.
    live.checklist()
    live.dose()
    with pytest.raises(InvalidInput) as bad:
        discharge(live, 479)
    assert {e.field for e in bad.value.errors} == {"discharged_at", "reason"}
    assert "1 min short of the 480 min minimum" in str(bad.value)
    discharge(live, 479, reason="Transferred to the overnight room early")
    stored = live.load().discharge
    assert stored.duration_check["shortfall_minutes"] == 1
    assert stored.problems
    assert stored.reason == "Transferred to the overnight room early"


def test_sign_and_co_sign_by_two_facilitators_then_only_addenda(live) -> None:  # type: ignore[no-untyped-def]
    finish(live)
    session = live.load()
    assert session.status == "ended"
    with pytest.raises(Refused):
        live.act(
            actions.sign_session, SignInput, {"version": session.version}, who="bob", minute=490
        )
    signed = live.act(actions.sign_session, SignInput, {"version": session.version}, minute=490)
    with pytest.raises(Refused):
        live.act(actions.cosign_session, SignInput, {"version": signed.version}, minute=491)
    cosigned = live.act(
        actions.cosign_session, SignInput, {"version": signed.version}, who="bob", minute=495
    )
    assert (cosigned.status, cosigned.cosigned_by_id) == ("cosigned", live.world.users["bob"])
    with pytest.raises(Refused) as refused:
        live.act(actions.record_vitals, VitalsInput, {"heart_rate": 80}, minute=500)
    assert refused.value.reasons == ["add an addendum instead"]
    addendum = live.act(
        actions.add_addendum, AddendumInput, {"text": "Lot number confirmed as LOT-42."}, minute=510
    )
    assert count(live.database, SessionAddendum) == 1
    assert addendum.text.startswith("Lot number")
    with live.database.engine.connect() as conn, pytest.raises(DBAPIError):
        conn.execute(
            text("UPDATE dosing_session SET status = 'ended' WHERE id = :i"), {"i": live.id}
        )
    with live.database.engine.connect() as conn, pytest.raises(DBAPIError):
        conn.execute(text("UPDATE dosing_session_addendum SET text = 'x'"))


def test_signing_waits_for_every_vital_alert_to_be_acknowledged(live) -> None:  # type: ignore[no-untyped-def]
    live.checklist()
    live.dose()
    live.act(actions.record_vitals, VitalsInput, {"heart_rate": 120}, minute=30)
    discharge(live)
    with pytest.raises(Refused) as refused:
        live.act(actions.sign_session, SignInput, {"version": live.load().version}, minute=490)
    assert refused.value.reasons == ["acknowledge every vital-sign alert"]


def test_a_stale_version_is_a_conflict_and_writes_nothing(live) -> None:  # type: ignore[no-untyped-def]
    from mendwell.actions.errors import Conflict

    before = live.load().version
    live.act(actions.record_vitals, VitalsInput, {"heart_rate": 80}, minute=5)
    with pytest.raises(Conflict):
        live.act(actions.end_session, EndSessionInput, {"version": before}, minute=10)
    assert live.load().status == "in_progress"


def test_a_rater_may_not_record_or_read_a_session(live) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        live.act(actions.record_vitals, VitalsInput, {"heart_rate": 80}, who="rita", minute=5)
    assert count(live.database, VitalAlert) == 0


def test_carol_at_the_other_site_cannot_find_the_session(live) -> None:  # type: ignore[no-untyped-def]
    from mendwell.actions.errors import NotFound

    with pytest.raises(NotFound):
        live.act(actions.record_vitals, VitalsInput, {"heart_rate": 80}, who="carol", minute=5)


# --- adverse events ------------------------------------------------------------------------------


def test_adverse_events_link_only_to_a_session_of_the_same_client(live) -> None:  # type: ignore[no-untyped-def]
    from mendwell.actions import adverse_events as ae_actions
    from mendwell.schemas.adverse_events import ChecklistRecord

    def record(client: str) -> Any:
        data = {"items": ["euphoria"], "substance": "mdma", "dosing_session_id": live.id}
        # Mara is the medical monitor at both sites: she sees both clients.
        with acting(live.database, live.world.users["mara"], minutes(150)) as ctx:
            parsed = parse(ChecklistRecord, data, context={"now": ctx.now})
            return ae_actions.record_checklist(ctx, live.world.clients[client], parsed)

    [event] = record("alice")
    assert event.dosing_session_id == live.id
    with pytest.raises(InvalidInput) as bad:
        record("carol")
    assert bad.value.errors[0].field == "dosing_session_id"


def test_the_vital_schedule_counts_from_the_initial_dose(live) -> None:  # type: ignore[no-untyped-def]
    from mendwell.queries.session_records import rules_of, vital_schedule

    live.checklist()
    live.dose(minute=10)
    live.act(actions.record_vitals, VitalsInput, {"heart_rate": 82}, minute=38)
    session = live.load()
    # mdma-at-phase3: due 30 minutes after the dose, 10 minutes' grace (a program setting).
    due = {d.minute: d.status for d in vital_schedule(session, rules_of(session), minutes(75))}
    assert (due[0], due[30], due[60], due[90]) == ("overdue", "taken", "due", "upcoming")
