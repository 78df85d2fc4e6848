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
