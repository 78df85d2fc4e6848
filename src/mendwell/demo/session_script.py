"""A demo dosing session acted out: every held dosing visit gets a complete record.

Each session has the team's presence (at Northside the two facilitators, one taking a break that
leaves a staffing gap in a few sessions; at Cascade the facilitator and Dr Medic as licensee
representative), the pre-dose checklist, the initial dose and, for MDMA, the supplemental dose
(given, or declined), vital signs on the protocol's schedule with an occasional reading over a
threshold acknowledged by the medical monitor, timeline observations, and the discharge, signed
and co-signed. The courses step holds every dosing visit through :func:`hold_session`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from mendwell.actions import dosing_sessions as sessions
from mendwell.actions.context import ActionContext
from mendwell.actions.errors import Refused
from mendwell.clinical.sessions.vitals import due_minutes
from mendwell.demo.builder import DemoContext
from mendwell.queries.session_records import rules_of
from mendwell.schemas.common import parse
from mendwell.schemas.dosing_sessions import (
    AdministrationInput,
    ArrivalInput,
    ChecklistAnswerInput,
    DischargeInput,
    LeavingInput,
    SignInput,
    StartSession,
    SupplementalInput,
    TimelineInput,
    VitalAlertAcknowledgement,
    VitalsInput,
)
from mendwell.store.models import Client, Course, CourseVisit, DosingSession

MEDICAL = "mara"
SECOND = {"alice": "bob", "bob": "alice", "carol": MEDICAL, "dan": MEDICAL}
PRODUCTS = {
    "mdma": ("Midomafetamine HCl capsules (clinical supply)", "mdma-hcl"),
    "psilocybin": ("Psilocybin 5 mg capsules", "psilocybin-analyte"),
}
OBSERVATIONS = (
    (25, "anxiety", "Brief anxiety as effects began; settled with breathing and reassurance."),
    (55, "nausea", "Mild nausea; ginger tea offered."),
    (150, "crying", "Tearful while talking about the index trauma; felt it was a release."),
    (260, None, "Quiet, reflective; asked for music to continue."),
)
ACKNOWLEDGEMENTS = (
    "Repeated after 10 minutes: back under the threshold. Client comfortable; continue hourly.",
    "Cooling measures and fluids; repeat reading within 15 minutes. Supplemental dose reviewed.",
)


MORNING_START = 8 * 60 + 30


def local_time(tz: str, day: date, minute_of_day: int) -> datetime:
    hour, minute = divmod(minute_of_day, 60)
    return datetime.combine(day, time(hour, minute), ZoneInfo(tz)).astimezone(UTC)


class _Script:
    """Acts out one session as the people in the room, at times relative to the start."""

    def __init__(self, ctx: DemoContext, session: DosingSession, start: datetime) -> None:
        self.ctx, self.session, self.start = ctx, session, start

    def as_(self, username: str, minute: float) -> ActionContext:
        return self.ctx.as_user(username, self.start + timedelta(minutes=minute))

    def do(self, act: Callable[..., Any], who: str, minute: float, data: Any, *ids: int) -> Any:
        return act(self.as_(who, minute), self.session.id, *ids, data)


def _vitals(ctx: DemoContext, minute: int, spike: int | None) -> dict[str, Any]:
    rng = ctx.rng
    peak = 1.0 if 45 <= minute <= 180 else 0.4
    values: dict[str, Any] = {
        "systolic_bp": int(118 + peak * rng.randint(8, 26)),
        "diastolic_bp": int(74 + peak * rng.randint(3, 12)),
        "heart_rate": int(70 + peak * rng.randint(6, 22)),
        "temperature_c": f"{36.6 + peak * rng.randint(0, 6) / 10:.1f}",
    }
    if minute % 60 == 0:
        values["spo2"] = rng.randint(96, 99)
    if spike is not None and minute == spike:
        values["systolic_bp"], values["diastolic_bp"] = 166 + rng.randint(0, 8), 96
    return values


def hold_session(
    ctx: DemoContext,
    course: Course,
    visit: CourseVisit,
    day: date,
    lead: str,
    *,
    serial: int,
    until_minute: int | None = None,
    start_minute: int = MORNING_START,
) -> DosingSession | None:
    """Start and record a session on ``day`` at ``start_minute`` (minutes after midnight, site
    time; 08:30 by default); None if the gate refuses it.

    With ``until_minute`` the session is left running after that many minutes.
    """
    client = ctx.db.get(Client, course.client_id)
    assert client is not None
    site = next(s for s in ctx.sites.values() if s.id == course.site_id)
    start = local_time(site.timezone, day, start_minute)
    second = SECOND[lead]
    try:
        session = sessions.start_session(
            ctx.as_user(lead, start),
            course.id,
            parse(
                StartSession,
                {"visit_id": visit.visit_id, "second_facilitator_id": ctx.users[second].id},
            ),
        )
    except Refused:
        return None
    script = _Script(ctx, session, start)
    rules = rules_of(session)
    substance = rules.substance or "mdma"
    end = until_minute if until_minute is not None else 10_000
    second_role = "licensee-representative" if site.jurisdiction == "us-or" else "facilitator"
    script.do(
        sessions.record_arrival,
        lead,
        0,
        parse(ArrivalInput, {"user_id": ctx.users[second].id, "role": second_role}),
    )
    female = client.sex_at_birth in ("female", "intersex")
    for item in rules.pre_dose_checklist:
        if not item.required and item.kind == "confirm":
            continue
        if item.kind == "text":
            answer = {"text": "None today" if item.id == "medications-today" else "To feel safe"}
        elif item.id == "pregnancy-test" and not female:
            answer = {"answer": "not-applicable"}
        else:
            answer = {"answer": "yes"}
        data = parse(ChecklistAnswerInput, {"item_id": item.id, **answer})
        script.do(sessions.answer_checklist, lead, 5, data)
    script.do(sessions.record_vitals, lead, 10, parse(VitalsInput, _vitals(ctx, 0, None)))
    product, _basis = PRODUCTS[substance]
    first_amount = _initial_amount(rules, serial)
    lot = f"LOT-{day:%y%m}-{serial % 7 + 1:02d}"
    dose = {
        "product": product,
        "lot_or_unique_id": lot,
        "amount": str(first_amount),
        "unit": "mg",
        "given_by_id": ctx.users[lead].id,
        "witnessed_by_id": ctx.users[second].id,
    }
    script.do(sessions.record_administration, lead, 30, parse(AdministrationInput, dose))
    dosed = 30
    script.do(
        sessions.add_timeline_entry,
        lead,
        31,
        parse(TimelineInput, {"code": "supportive-touch-asked"}),
    )
    touch = "supportive-touch-yes" if serial % 3 else "supportive-touch-no"
    script.do(sessions.add_timeline_entry, lead, 32, parse(TimelineInput, {"code": touch}))
    schedule = due_minutes(rules.vital_signs) if rules.vital_signs else []
    spike = 90 if serial % 4 == 1 else None
    events: list[tuple[float, Callable[[], Any]]] = []
    for minute in schedule:
        if minute == 0:
            continue
        at = dosed + minute + ctx.rng.randint(-3, 4)
        values = _vitals(ctx, minute, spike)
        events.append(
            (
                at,
                lambda v=values, m=at: script.do(
                    sessions.record_vitals, second, m, parse(VitalsInput, v)
                ),
            )
        )
    for offset, code, text in OBSERVATIONS:
        data = {"code": code, "text": text}
        events.append(
            (
                dosed + offset,
                lambda d=data, m=dosed + offset: script.do(
                    sessions.add_timeline_entry, lead, m, parse(TimelineInput, d)
                ),
            )
        )
    if rules.supplemental is not None and rules.supplemental.window_start is not None:
        at = dosed + rules.supplemental.window_start.total_minutes + 15
        if serial % 5 == 2:
            events.append(
                (
                    at,
                    lambda m=at: script.do(
                        sessions.record_supplemental,
                        lead,
                        m,
                        parse(SupplementalInput, {"status": "declined"}),
                    ),
                )
            )
        else:
            half = {**dose, "kind": "supplemental", "amount": str(first_amount / 2)}
            events.append(
                (
                    at,
                    lambda m=at: script.do(
                        sessions.record_administration, lead, m, parse(AdministrationInput, half)
                    ),
                )
            )
    if second_role == "facilitator" and serial % 6 == 3:
        # A break without cover: the gap stays in the record.
        events.append((200, lambda: _break(script, ctx, second, 200, 12)))
    events.sort(key=lambda e: e[0])
    for at, run in events:
        if at > end:
            return session
        run()
    if until_minute is not None:
        return session
    _acknowledge(script, session)
    finish = dosed + _minimum_minutes(rules) + 20
    data = {
        "version": _version(ctx, session),
        "criteria": {c.id: True for c in rules.discharge.criteria},
        "release_to": rules.discharge.release_to[0],
        "released_to_name": "Sam Placeholder (partner)"
        if rules.discharge.release_to[0] == "named-adult"
        else None,
    }
    script.do(sessions.record_discharge, lead, finish, parse(DischargeInput, data))
    script.do(sessions.sign_session, lead, finish + 15, SignInput(version=_version(ctx, session)))
    script.do(
        sessions.cosign_session, second, finish + 25, SignInput(version=_version(ctx, session))
    )
    return session


def _break(script: _Script, ctx: DemoContext, who: str, minute: int, length: int) -> None:
    presence = next(
        p for p in script.session.presence if p.user_id == ctx.users[who].id and p.left_at is None
    )
    note = parse(LeavingInput, {"note": "Stepped out to take a call"})
    script.do(sessions.record_leaving, who, minute, note, presence.id)
    back = parse(ArrivalInput, {"user_id": ctx.users[who].id, "role": presence.role})
    script.do(sessions.record_arrival, who, minute + length, back)


def _acknowledge(script: _Script, session: DosingSession) -> None:
    for n, alert in enumerate(session.alerts):
        if alert.acknowledged_at is None:
            minute = (alert.raised_at - script.start).total_seconds() / 60 + 6
            note = VitalAlertAcknowledgement(action_note=ACKNOWLEDGEMENTS[n % 2])
            script.do(sessions.acknowledge_vital_alert, MEDICAL, minute, note, alert.id)


def _initial_amount(rules: Any, serial: int) -> int:
    if rules.initial_dose is not None:
        amounts = sorted(int(a) for a in rules.initial_dose.amounts)
        return amounts[-1] if serial % 3 else amounts[0]
    return 25 if serial % 2 else 20  # Oregon: chosen with the client in preparation


def _minimum_minutes(rules: Any) -> int:
    """Minutes after the dose to discharge: past the protocol's or the jurisdiction's minimum."""
    if rules.minimum_duration is not None:
        return rules.minimum_duration.span.total_minutes
    if rules.duration_table is not None:
        return 300
    return 420


def _version(ctx: DemoContext, session: DosingSession) -> int:
    ctx.db.refresh(session)
    return session.version
