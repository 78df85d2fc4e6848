"""The dosing gate from stored facts: may this course's dosing session start now?

``dosing_gate_for(db, course, visit_id, now)`` gathers what the gate needs (signed preparation
notes, the screening decision and washout dates, consents, the pregnancy test, dosing sessions
already held, recorded overrides) and evaluates
:func:`mendwell.clinical.protocols.gating.check_dosing_gate`. It reads only; recording a decision
is :func:`mendwell.actions.courses.authorise_dosing`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from mendwell.actions.errors import NotFound
from mendwell.clinical.courses import VisitStatus
from mendwell.clinical.protocols.gating import (
    NOT_APPLICABLE,
    ConsentRecord,
    GateResult,
    GateState,
    Override,
    PregnancyTest,
    PreparationSession,
    ScreeningRecord,
    check_dosing_gate,
    condition_codes,
)
from mendwell.clinical.protocols.schema import Protocol
from mendwell.queries import course_facts
from mendwell.queries.course_facts import ScreeningFacts
from mendwell.queries.courses import protocol_of
from mendwell.queries.site_calendar import site_today
from mendwell.store.models import (
    Consent,
    Course,
    CourseVisit,
    GateOverride,
    SessionNote,
    Site,
)
from mendwell.store.models import (
    PregnancyTest as PregnancyTestRow,
)

_OUTCOMES = {"eligible": "eligible", "ineligible": "not-eligible", "deferred": "pending"}


@dataclass(frozen=True)
class GateFacts:
    """The gate's inputs as read from storage, with overrides that no longer apply."""

    protocol: Protocol
    state: GateState
    today: date
    stale_overrides: tuple[GateOverride, ...]


def dosing_visit(course: Course, visit_id: str) -> CourseVisit:
    """A dosing visit of the course, or NotFound."""
    for visit in course.visits:
        if visit.visit_id == visit_id and visit.kind == "dosing":
            return visit
    raise NotFound("dosing visit", visit_id)


def _screening(facts: ScreeningFacts | None, site: Site) -> ScreeningRecord | None:
    if facts is None:
        return None
    outcome = _OUTCOMES.get(facts.decision, "pending")
    return ScreeningRecord(outcome, site_today(site, facts.signed_at))  # type: ignore[arg-type]


def _preparation(db: Session, course: Course, site: Site) -> tuple[PreparationSession, ...]:
    held = {
        v.id: v
        for v in course.visits
        if v.kind == "preparation" and v.status == VisitStatus.COMPLETED and v.actual_date
    }
    if not held:
        return ()
    notes = db.scalars(
        select(SessionNote).where(
            SessionNote.course_visit_id.in_(list(held)), SessionNote.signed_at.is_not(None)
        )
    )
    signed = {n.course_visit_id: n.signed_at for n in notes}
    return tuple(
        PreparationSession(
            visit_id=v.visit_id,
            held_on=v.actual_date,  # type: ignore[arg-type]
            signed_on=site_today(site, signed[v.id]) if v.id in signed else None,  # type: ignore[arg-type]
            held_at=v.actual_at,
        )
        for v in held.values()
    )


def _consents(db: Session, course: Course) -> tuple[ConsentRecord, ...]:
    rows = db.scalars(
        select(Consent).where(
            Consent.client_id == course.client_id,
            or_(Consent.course_id == course.id, Consent.course_id.is_(None)),
        )
    )
    return tuple(ConsentRecord(r.consent_type, r.given_on, r.withdrawn_on) for r in rows)


def _pregnancy_test(db: Session, course: Course, today: date) -> PregnancyTest | str | None:
    rows = list(
        db.scalars(
            select(PregnancyTestRow)
            .where(PregnancyTestRow.course_id == course.id, PregnancyTestRow.taken_on <= today)
            .order_by(PregnancyTestRow.taken_at.desc(), PregnancyTestRow.id.desc())
        )
    )
    if any(r.result == "not_applicable" for r in rows):
        return NOT_APPLICABLE
    if not rows:
        return None
    latest = rows[0]
    return PregnancyTest(latest.result, latest.taken_on)  # type: ignore[arg-type]


def gate_facts(db: Session, course: Course, visit_id: str, now: datetime) -> GateFacts:
    """Everything the gate needs for a dosing visit of ``course`` at ``now``."""
    visit = dosing_visit(course, visit_id)
    site = db.get(Site, course.site_id)
    assert site is not None
    protocol = protocol_of(course.definition)
    today = site_today(site, now)
    screening = course_facts.screening_facts(db, course.client_id)
    held_before = sum(
        1
        for v in course.visits
        if v.kind == "dosing" and v.status == VisitStatus.COMPLETED and v.sequence < visit.sequence
    )
    base = GateState(
        preparation_sessions=_preparation(db, course, site),
        screening=_screening(screening, site),
        washout_safe_from={w.medication: w.earliest_dosing_date for w in screening.washout}
        if screening
        else {},
        consents=_consents(db, course),
        pregnancy_test=_pregnancy_test(db, course, today),  # type: ignore[arg-type]
        dosing_sessions_completed=held_before,
    )
    known = set(condition_codes(protocol, base))
    stored = list(
        db.scalars(
            select(GateOverride)
            .where(GateOverride.course_id == course.id, GateOverride.visit_id == visit_id)
            .order_by(GateOverride.id)
        )
    )
    usable = [o for o in stored if o.condition in known]
    state = replace(base, overrides=tuple(_override(o) for o in usable))
    stale = tuple(o for o in stored if o.condition not in known)
    return GateFacts(protocol, state, today, stale)


def _override(row: GateOverride) -> Override:
    return Override(row.condition, row.reason, row.authorised_by_name)


def dosing_gate_for(db: Session, course: Course, visit_id: str, now: datetime) -> GateResult:
    """Evaluate the dosing gate for a dosing visit of ``course`` at ``now`` (site-local day)."""
    facts = gate_facts(db, course, visit_id, now)
    return check_dosing_gate(facts.protocol, facts.state, today=facts.today, now=now)
