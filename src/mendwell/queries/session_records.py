"""Reading dosing-session records: finding a visible session, and what its rules make of it.

The derived views (staffing gaps, checklist status, vital-sign schedule, dose totals) are computed
from the stored rows with the pure rules in ``mendwell.clinical.sessions`` and the rules stored
with the session, so an old session is judged by the rules it ran under.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from mendwell.actions.context import Actor
from mendwell.actions.errors import NotFound
from mendwell.clinical.sessions import vitals as vital_rules
from mendwell.clinical.sessions.doses import Administration
from mendwell.clinical.sessions.jurisdiction import SessionRules
from mendwell.clinical.sessions.rules import PreDoseItem
from mendwell.clinical.sessions.snapshot import rules_from_json
from mendwell.clinical.sessions.staffing import Presence, StaffingReport, check_staffing
from mendwell.queries.scope import client_visibility
from mendwell.queries.site_calendar import site_today
from mendwell.store.models import (
    Client,
    DoseAdministration,
    DosingSession,
    PreDoseAnswer,
    Site,
    User,
    VitalReading,
)

IN_PROGRESS = "in_progress"
ENDED = "ended"
SIGNED = "signed"
COSIGNED = "cosigned"
STATUSES: dict[str, str] = {
    IN_PROGRESS: "In progress",
    ENDED: "Ended",
    SIGNED: "Signed",
    COSIGNED: "Signed and co-signed",
}


def get_visible_session(db: Session, actor: Actor, session_id: int) -> DosingSession:
    """The session, or NotFound if it does not exist or its client is not visible to ``actor``."""
    found = db.scalar(
        select(DosingSession)
        .join(Client, Client.id == DosingSession.client_id)
        .where(DosingSession.id == session_id, client_visibility(db, actor))
    )
    if found is None:
        raise NotFound("dosing session", session_id)
    return found


def session_for_visit(db: Session, course_visit_id: int) -> DosingSession | None:
    return db.scalar(select(DosingSession).where(DosingSession.course_visit_id == course_visit_id))


def client_sessions(db: Session, client_id: int) -> list[DosingSession]:
    return list(
        db.scalars(
            select(DosingSession)
            .where(DosingSession.client_id == client_id)
            .order_by(DosingSession.started_at, DosingSession.id)
        )
    )


def session_dates(db: Session, client_id: int) -> list[date]:
    """The site-calendar dates of the client's dosing sessions."""
    rows = db.execute(
        select(DosingSession.started_at, Site.timezone)
        .join(Site, Site.id == DosingSession.site_id)
        .where(DosingSession.client_id == client_id)
        .order_by(DosingSession.started_at)
    )
    return sorted({started.astimezone(ZoneInfo(tz)).date() for started, tz in rows})


def rules_of(session: DosingSession) -> SessionRules:
    """The rules the session runs under, as stored when it started."""
    return rules_from_json(session.rules)


def presence_of(session: DosingSession) -> list[Presence]:
    return [Presence(str(p.user_id), p.role, p.arrived_at, p.left_at) for p in session.presence]


def staffing_report(
    session: DosingSession, rules: SessionRules, now: datetime
) -> StaffingReport | None:
    """Gaps and covered breaks from the start to the end (or ``now``); None before a minute."""
    end = session.ended_at or now
    if end <= session.started_at:
        return None
    return check_staffing(presence_of(session), session.started_at, end, rules.staffing)


def staffing_json(report: StaffingReport | None, checked_at: datetime) -> dict[str, object]:
    """A staffing report as stored with the session."""
    if report is None:
        return {"checked_at": checked_at.isoformat(), "ok": True, "gaps": [], "covered_breaks": []}
    return {
        "checked_at": checked_at.isoformat(),
        "ok": report.ok,
        "gaps": [
            {
                "requirement_id": g.requirement_id,
                "role": g.role,
                "start": g.start.isoformat(),
                "end": g.end.isoformat(),
                "minutes": round(g.minutes, 1),
                "required": g.required,
                "present": g.present,
                "reason": g.reason,
                "missing": g.missing,
                "sources": list(g.sources),
                "unconfirmed": g.unconfirmed,
            }
            for g in report.gaps
        ],
        "covered_breaks": [
            {
                "requirement_id": b.requirement_id,
                "start": b.start.isoformat(),
                "end": b.end.isoformat(),
                "covered_by": list(b.covered_by),
            }
            for b in report.covered_breaks
        ],
    }


@dataclass(frozen=True)
class ChecklistItemStatus:
    item: PreDoseItem
    answer: PreDoseAnswer | None

    @property
    def acceptable(self) -> bool:
        """Answered in a way that lets the first dose be given."""
        if self.answer is None:
            return False
        if self.item.kind == "text":
            return bool((self.answer.text or "").strip()) or self.answer.answer == "not-applicable"
        return self.answer.answer == "yes" or (
            self.answer.answer == "not-applicable" and self.item.not_applicable_allowed
        )

    @property
    def blocking(self) -> bool:
        return self.item.required and not self.acceptable


def checklist_status(session: DosingSession, rules: SessionRules) -> list[ChecklistItemStatus]:
    """Each checklist item with its latest answer."""
    latest: dict[str, PreDoseAnswer] = {}
    for answer in session.checklist:
        latest[answer.item_id] = answer
    return [ChecklistItemStatus(item, latest.get(item.id)) for item in rules.pre_dose_checklist]


def administration_of(
    row: DoseAdministration, names: dict[int, str] | None = None
) -> Administration:
    """A stored dose as the rules see it."""
    names = names or {}
    return Administration(
        substance=row.substance,  # type: ignore[arg-type]
        product=row.product,
        lot_or_unique_id=row.lot_or_unique_id,
        basis=row.basis,  # type: ignore[arg-type]
        amount=Decimal(row.amount),
        unit=row.unit,  # type: ignore[arg-type]
        route=row.route,  # type: ignore[arg-type]
        given_at=row.given_at,
        given_by=names.get(row.given_by_id, str(row.given_by_id)),
        witnessed_by=None
        if row.witnessed_by_id is None
        else names.get(row.witnessed_by_id, str(row.witnessed_by_id)),
        kind=row.kind,  # type: ignore[arg-type]
        servings=None if row.servings is None else Decimal(row.servings),
        container_amount=None if row.container_amount is None else Decimal(row.container_amount),
    )


def initial_dose(session: DosingSession) -> DoseAdministration | None:
    return next((a for a in session.administrations if a.kind == "initial"), None)


def reading_of(row: VitalReading) -> vital_rules.VitalReading:
    return vital_rules.VitalReading(
        at=row.taken_at,
        systolic_bp=row.systolic_bp,
        diastolic_bp=row.diastolic_bp,
        heart_rate=row.heart_rate,
        temperature=None if row.temperature_c is None else float(row.temperature_c),
        spo2=row.spo2,
    )


def vital_schedule(
    session: DosingSession, rules: SessionRules, now: datetime
) -> list[vital_rules.DueReading]:
    """Readings due from the initial dose on, each taken, due, overdue or upcoming at ``now``."""
    first = initial_dose(session)
    if rules.vital_signs is None or first is None:
        return []
    readings = [reading_of(r) for r in session.readings]
    return vital_rules.reading_schedule(rules.vital_signs, first.given_at, readings, now)


def user_names(db: Session, ids: Sequence[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u.full_name for u in db.scalars(select(User).where(User.id.in_(wanted)))}


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def session_out(db: Session, session: DosingSession, now: datetime) -> dict[str, object]:
    """The whole session as the API returns it: every part, and what the rules make of it now."""
    rules = rules_of(session)
    ids: list[int | None] = [
        session.lead_facilitator_id,
        session.second_facilitator_id,
        session.signed_by_id,
        session.cosigned_by_id,
    ]
    ids += [p.user_id for p in session.presence]
    ids += [a.given_by_id for a in session.administrations]
    ids += [a.witnessed_by_id for a in session.administrations]
    ids += [a.acknowledged_by_id for a in session.alerts]
    ids += [a.recorded_by_id for a in session.addenda]
    names = user_names(db, ids)

    def person(user_id: int | None) -> dict[str, object] | None:
        return None if user_id is None else {"id": user_id, "name": names.get(user_id)}

    report = staffing_report(session, rules, now) if session.ended_at is None else None
    staffing = session.staffing_check or staffing_json(report, now)
    discharge = session.discharge
    return {
        "id": session.id,
        "version": session.version,
        "status": session.status,
        "client_id": session.client_id,
        "site_id": session.site_id,
        "course_id": session.course_id,
        "visit_id": session.visit_id,
        "protocol": {"id": session.protocol_id, "version": session.protocol_version},
        "started_at": _iso(session.started_at),
        "ended_at": _iso(session.ended_at),
        "lead_facilitator": person(session.lead_facilitator_id),
        "second_facilitator": person(session.second_facilitator_id),
        "signed_by": person(session.signed_by_id),
        "signed_at": _iso(session.signed_at),
        "cosigned_by": person(session.cosigned_by_id),
        "cosigned_at": _iso(session.cosigned_at),
        "staffing": staffing,
        "presence": [
            {
                "id": p.id,
                "user": person(p.user_id),
                "role": p.role,
                "arrived_at": _iso(p.arrived_at),
                "left_at": _iso(p.left_at),
                "note": p.note,
            }
            for p in session.presence
        ],
        "checklist": [
            {
                "item_id": s.item.id,
                "label": s.item.label,
                "kind": s.item.kind,
                "required": s.item.required,
                "answer": None if s.answer is None else s.answer.answer,
                "text": None if s.answer is None else s.answer.text,
                "answered_at": None if s.answer is None else _iso(s.answer.answered_at),
                "complete": s.acceptable,
                "unconfirmed": s.item.unconfirmed,
            }
            for s in checklist_status(session, rules)
        ],
        "administrations": [
            {
                "id": a.id,
                "kind": a.kind,
                "substance": a.substance,
                "product": a.product,
                "lot_or_unique_id": a.lot_or_unique_id,
                "basis": a.basis,
                "amount": a.amount,
                "unit": a.unit,
                "servings": a.servings,
                "container_amount": a.container_amount,
                "route": a.route,
                "given_at": _iso(a.given_at),
                "given_by": person(a.given_by_id),
                "witnessed_by": person(a.witnessed_by_id),
                "checks": a.checks,
                "deviation_reason": a.deviation_reason,
            }
            for a in session.administrations
        ],
        "supplemental": [
            {
                "status": d.status,
                "at": _iso(d.at),
                "reason": d.reason,
                "elapsed_minutes": d.elapsed_minutes,
                "timing": d.timing,
                "administration_id": d.administration_id,
            }
            for d in session.supplemental_decisions
        ],
        "vitals": [
            {
                "id": r.id,
                "taken_at": _iso(r.taken_at),
                "systolic_bp": r.systolic_bp,
                "diastolic_bp": r.diastolic_bp,
                "heart_rate": r.heart_rate,
                "temperature_c": r.temperature_c,
                "spo2": r.spo2,
                "note": r.note,
            }
            for r in session.readings
        ],
        "vital_schedule": [
            {"minute": d.minute, "due_at": _iso(d.due_at), "status": d.status}
            for d in vital_schedule(session, rules, now)
        ],
        "alerts": [
            {
                "id": a.id,
                "reading_id": a.reading_id,
                "vital": a.vital,
                "value": a.value,
                "unit": a.unit,
                "direction": a.direction,
                "threshold": a.threshold,
                "unconfirmed": a.unconfirmed,
                "sources": a.sources,
                "raised_at": _iso(a.raised_at),
                "acknowledged_by": person(a.acknowledged_by_id),
                "acknowledged_at": _iso(a.acknowledged_at),
                "action_note": a.action_note,
            }
            for a in session.alerts
        ],
        "timeline": [
            {"at": _iso(t.at), "kind": t.kind, "code": t.code, "text": t.text}
            for t in sorted(session.timeline, key=lambda t: (t.at, t.id))
        ],
        "discharge": None
        if discharge is None
        else {
            "discharged_at": _iso(discharge.discharged_at),
            "criteria": discharge.criteria,
            "release_to": discharge.release_to,
            "released_to_name": discharge.released_to_name,
            "duration_check": discharge.duration_check,
            "problems": discharge.problems,
            "reason": discharge.reason,
        },
        "addenda": [
            {"text": a.text, "by": person(a.recorded_by_id), "at": _iso(a.recorded_at)}
            for a in session.addenda
        ],
    }


def first_session_on(db: Session, session: DosingSession, site: Site) -> date | None:
    """The site-calendar date of the client's first session at this site, when this session is a
    later one (Oregon's minimum durations differ for later sessions)."""
    earlier = db.scalar(
        select(DosingSession.started_at)
        .where(
            DosingSession.client_id == session.client_id,
            DosingSession.site_id == session.site_id,
            DosingSession.id != session.id,
            DosingSession.started_at < session.started_at,
        )
        .order_by(DosingSession.started_at)
        .limit(1)
    )
    return site_today(site, earlier) if earlier else None
