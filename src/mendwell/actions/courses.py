"""Treatment courses: enrolment, booking and recording visits, withdrawal, consents, pregnancy
tests, and the dosing gate with its medical overrides.

Every change is audited. Visit dates follow the protocol: when a visit is held or booked, visits
anchored on it are re-planned from that date (and the change lists what moved).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from mendwell.actions import audit
from mendwell.actions import clients as client_actions
from mendwell.actions.clients import changes_since
from mendwell.actions.context import ActionContext, writes_allowed
from mendwell.actions.errors import Conflict, InvalidInput, NotFound, Refused
from mendwell.clinical.courses import (
    MISSED_REASON_LABELS,
    OPEN,
    CourseStatus,
    VisitStatus,
    anchoring_dates,
    stage_of,
)
from mendwell.clinical.protocols.gating import GateOverrideError, GateResult, check_dosing_gate
from mendwell.clinical.protocols.schedule import VisitShift, plan_schedule, shifted_visits
from mendwell.clinical.protocols.schema import Protocol, shipped_protocols
from mendwell.clinical.registry import ClientStatus
from mendwell.permissions import Permission
from mendwell.queries import course_facts
from mendwell.queries.course_facts import ScreeningFacts
from mendwell.queries.courses import (
    active_course,
    get_visible_course,
    protocol_of,
    shipped_text,
)
from mendwell.queries.dosing_gate import dosing_visit, gate_facts
from mendwell.queries.scope import get_visible_client
from mendwell.queries.site_calendar import site_instant, site_today
from mendwell.schemas.clients import StatusChange
from mendwell.schemas.courses import (
    ConsentInput,
    ConsentWithdrawalInput,
    EnrolInput,
    MissedVisit,
    OverrideInput,
    PregnancyTestInput,
    VisitBooking,
    VisitCompletion,
    Withdrawal,
)
from mendwell.store.models import (
    Client,
    Consent,
    Course,
    CourseVisit,
    GateCheck,
    GateOverride,
    PregnancyTest,
    ProtocolDefinition,
    Site,
    User,
    VisitChange,
)

ENTITY = "course"
VISIT = "course_visit"
GATE = "dosing_gate"
# The client's stages of care that a course moves through, in order.
CARE_PATH = (
    ClientStatus.REFERRED,
    ClientStatus.SCREENING,
    ClientStatus.ELIGIBLE,
    ClientStatus.ENROLLED,
    ClientStatus.IN_TREATMENT,
    ClientStatus.FOLLOW_UP,
    ClientStatus.COMPLETED,
)


@dataclass(frozen=True)
class Moved:
    """A visit whose target or window followed from a change to an earlier visit."""

    visit_id: str
    from_target: date
    to_target: date
    from_window: tuple[date, date]
    to_window: tuple[date, date]
    held: bool

    @property
    def days(self) -> int:
        return (self.to_target - self.from_target).days

    def as_record(self) -> dict[str, Any]:
        return {
            "visit_id": self.visit_id,
            "from": self.from_target.isoformat(),
            "to": self.to_target.isoformat(),
            "window": [d.isoformat() for d in self.to_window],
            "held": self.held,
        }


@dataclass
class VisitOutcome:
    visit: CourseVisit
    moved: list[Moved]


@dataclass
class GateDecision:
    """A recorded dosing-gate evaluation: authorised when nothing is left unmet."""

    check: GateCheck
    result: GateResult
    visit: CourseVisit

    @property
    def authorised(self) -> bool:
        return self.check.authorised


# --- helpers ---------------------------------------------------------------------------------


def course_snapshot(course: Course) -> dict[str, Any]:
    return {
        "client_id": course.client_id,
        "site_id": course.site_id,
        "protocol_id": course.protocol_id,
        "protocol_version": course.protocol_version,
        "anchor_date": course.anchor_date,
        "status": course.status,
        "arm": course.arm,
        "completed_on": course.completed_on,
        "withdrawn_on": course.withdrawn_on,
    }


def visit_snapshot(visit: CourseVisit) -> dict[str, Any]:
    return {
        "status": visit.status,
        "target_date": visit.target_date,
        "earliest_date": visit.earliest_date,
        "latest_date": visit.latest_date,
        "scheduled_date": visit.scheduled_date,
        "scheduled_at": visit.scheduled_at,
        "actual_date": visit.actual_date,
        "actual_at": visit.actual_at,
        "missed_reason": visit.missed_reason,
        "missed_note": visit.missed_note,
    }


def _site(ctx: ActionContext, site_id: int) -> Site:
    site = ctx.db.get(Site, site_id)
    assert site is not None
    return site


def course_for(ctx: ActionContext, course_id: int, permission: Permission) -> Course:
    """A visible course the actor may act on with ``permission`` (404, then 403)."""
    course = get_visible_course(ctx.db, ctx.actor, course_id)
    ctx.require(permission, course.site_id)
    return course


def _require_active(course: Course) -> None:
    if course.status != CourseStatus.ACTIVE:
        raise Refused(f"the course is {course.status}; its visits can no longer change")


def active_course_for(ctx: ActionContext, course_id: int, permission: Permission) -> Course:
    """As :func:`course_for`, refusing a course that is completed or withdrawn."""
    course = course_for(ctx, course_id, permission)
    _require_active(course)
    return course


def course_visit(course: Course, visit_id: str) -> CourseVisit:
    for visit in course.visits:
        if visit.visit_id == visit_id:
            return visit
    raise NotFound("visit", visit_id)


def _check_version(ctx: ActionContext, visit: CourseVisit, expected: int | None) -> None:
    if expected is not None and expected != visit.version:
        raise Conflict(
            VISIT,
            visit.id,
            expected_version=expected,
            current_version=visit.version,
            changed_since=changes_since(ctx, VISIT, visit.id, expected),
            current=audit.jsonable(visit_snapshot(visit)),
        )


def _replan(course: Course, protocol: Protocol) -> None:
    """Store each visit's target and window as planned from the held and booked dates."""
    status = {v.visit_id: v.status for v in course.visits}
    planned = {
        p.visit_id: p
        for p in plan_schedule(protocol, course.anchor_date, anchoring_dates(course.visits))
    }
    for visit in course.visits:
        p = planned[visit.visit_id]
        if p.anchor_basis == "actual":
            basis = "held" if status.get(p.anchor) == VisitStatus.COMPLETED else "booked"
        else:
            basis = p.anchor_basis
        values = {
            "target_date": p.target,
            "earliest_date": p.earliest,
            "latest_date": p.latest,
            "anchor": p.anchor,
            "anchor_basis": basis,
        }
        for name, value in values.items():
            if getattr(visit, name) != value:
                setattr(visit, name, value)


def _moves(
    course: Course, protocol: Protocol, visit_id: str, new_date: date | None
) -> list[VisitShift]:
    """What moves when ``visit_id`` is anchored on ``new_date`` (None: on its target)."""
    return shifted_visits(
        protocol, course.anchor_date, anchoring_dates(course.visits), visit_id, new_date
    )


def _apply(course: Course, protocol: Protocol, shifts: list[VisitShift]) -> list[Moved]:
    """Store the shifted targets and windows, and what each visit is now planned from."""
    by_id = {v.visit_id: v for v in course.visits}
    for s in shifts:
        visit = by_id[s.visit_id]
        visit.target_date = s.after.target
        visit.earliest_date, visit.latest_date = s.after.earliest, s.after.latest
    for visit in course.visits:
        if visit.anchor == protocol.anchor_event.id:
            basis = "anchor-event"
        else:
            basis = {VisitStatus.COMPLETED: "held", VisitStatus.SCHEDULED: "booked"}.get(
                VisitStatus(by_id[visit.anchor].status), "planned"
            )
        if visit.anchor_basis != basis:
            visit.anchor_basis = basis
    return [
        Moved(
            s.visit_id,
            s.before.target,
            s.after.target,
            (s.before.earliest, s.before.latest),
            (s.after.earliest, s.after.latest),
            s.held,
        )
        for s in shifts
    ]


def _history(
    ctx: ActionContext,
    visit: CourseVisit,
    change: str,
    before: dict[str, Any],
    *,
    from_date: date | None = None,
    to_date: date | None = None,
    from_at: datetime | None = None,
    to_at: datetime | None = None,
    reason_code: str | None = None,
    reason: str | None = None,
    moved: list[Moved] | None = None,
) -> None:
    ctx.db.add(
        VisitChange(
            course_visit_id=visit.id,
            course_id=visit.course_id,
            site_id=visit.site_id,
            client_id=visit.client_id,
            change=change,
            from_status=before["status"],
            to_status=visit.status,
            from_date=from_date,
            to_date=to_date,
            from_at=from_at,
            to_at=to_at,
            reason_code=reason_code,
            reason=reason,
            moved=[m.as_record() for m in moved] if moved else None,
            changed_by_id=ctx.actor.user_id,
            changed_at=ctx.now,
        )
    )


def _audit_visit(
    ctx: ActionContext,
    visit: CourseVisit,
    action: str,
    before: dict[str, Any],
    old_version: int,
    *,
    reason: str | None = None,
    moved: list[Moved] | None = None,
) -> None:
    changes = audit.diff(before, visit_snapshot(visit))
    changes["version"] = [old_version, visit.version]
    audit.record_for(
        ctx,
        visit,
        action=action,
        entity_type=VISIT,
        entity_id=visit.id,
        changes=changes,
        reason=reason,
        detail={"course_id": visit.course_id, "visit_id": visit.visit_id}
        | ({"moved": [m.as_record() for m in moved]} if moved else {}),
    )


def _advance_client(ctx: ActionContext, client_id: int, to: ClientStatus, reason: str) -> None:
    """Move the client forward along the path of care; never back, never out of a final state."""
    client = ctx.db.get(Client, client_id)
    assert client is not None
    if client.status not in CARE_PATH or CARE_PATH.index(ClientStatus(client.status)) >= (
        CARE_PATH.index(to)
    ):
        return
    client_actions.change_status(
        ctx, client_id, StatusChange(status=to, reason=reason, effective_date=ctx.now.date())
    )


def _after_outcome(ctx: ActionContext, course: Course, site: Site, protocol: Protocol) -> None:
    """Follow the course's stage: the client's status, and completing the course at the end."""
    stage = ClientStatus(stage_of(course.visits))
    if stage == ClientStatus.COMPLETED:
        before, old_version = course_snapshot(course), course.version
        with writes_allowed(ctx.db):
            course.status = CourseStatus.COMPLETED
            course.completed_on = site_today(site, ctx.now)
            course.updated_at = ctx.now
        changes = audit.diff(before, course_snapshot(course))
        changes["version"] = [old_version, course.version]
        audit.record_for(
            ctx,
            course,
            action="complete",
            entity_type=ENTITY,
            entity_id=course.id,
            changes=changes,
        )
    _advance_client(
        ctx, course.client_id, stage, f"{protocol.title}: {stage.value.replace('_', ' ')}"
    )


# --- protocols -------------------------------------------------------------------------------


def _definition(
    ctx: ActionContext, organisation_id: int, data: EnrolInput
) -> tuple[ProtocolDefinition | None, Protocol]:
    """The stored definition (None: a shipped protocol not used before) and its protocol."""
    pid, version = data.protocol_id, data.protocol_version
    stored = list(
        ctx.db.scalars(
            select(ProtocolDefinition)
            .where(
                ProtocolDefinition.organisation_id == organisation_id,
                ProtocolDefinition.protocol_id == pid,
            )
            .order_by(ProtocolDefinition.uploaded_at.desc())
        )
    )
    shipped = shipped_protocols().get(pid)
    if version is None:
        if shipped is not None:
            version = shipped.version
        else:
            active = [d for d in stored if d.is_active]
            if stored and not active:
                raise InvalidInput.single("protocol", f"{pid} is not offered for enrolment")
            version = active[0].version if active else None
    row = next((d for d in stored if d.version == version), None)
    if row is not None:
        if row.source == "custom" and not row.is_active:
            raise InvalidInput.single("protocol", f"{pid} {version} is not offered for enrolment")
        return row, protocol_of(row)
    if shipped is not None and shipped.version == version:
        return None, shipped
    raise InvalidInput.single("protocol", f"there is no protocol {data.protocol} here")


def ensure_definition(
    ctx: ActionContext, organisation_id: int, protocol: Protocol
) -> ProtocolDefinition:
    """Store the text of a shipped protocol the first time the organisation uses it."""
    text = shipped_text(protocol.id)
    with writes_allowed(ctx.db):
        row = ProtocolDefinition(
            organisation_id=organisation_id,
            protocol_id=protocol.id,
            version=protocol.version,
            title=protocol.title,
            source="shipped",
            text=text,
            sha256=hashlib.sha256(text.encode()).hexdigest(),
            uploaded_by_id=None,
            uploaded_at=ctx.now,
            is_active=True,
        )
        ctx.db.add(row)
    audit.record(
        ctx,
        action="create",
        entity_type="protocol_definition",
        entity_id=row.id,
        changes=audit.diff(
            None, {"protocol_id": protocol.id, "version": protocol.version, "source": "shipped"}
        ),
    )
    return row


# --- enrolment -------------------------------------------------------------------------------


def enrolment_problems(
    protocol: Protocol,
    screening: ScreeningFacts | None,
    anchor: date,
    signed_on: date | None,
    has_active_course: bool,
) -> list[str]:
    """Every reason the client cannot be enrolled in ``protocol`` on ``anchor`` (empty: none)."""
    problems = []
    if has_active_course:
        problems.append("the client already has an active course; complete or withdraw it first")
    if screening is None or signed_on is None:
        problems.append("no signed screening on record: a medical reviewer must sign one")
        return problems
    when = f"signed {signed_on.isoformat()} by {screening.signed_by}"
    if screening.decision != "eligible":
        problems.append(f"the latest signed screening ({when}) decided '{screening.decision}'")
    if screening.substance and screening.substance != protocol.substance:
        problems.append(
            f"the screening was done for {screening.substance}, this protocol gives "
            f"{protocol.substance}: screen the client for {protocol.substance}"
        )
    if signed_on > anchor:
        problems.append(
            f"the enrolment date {anchor.isoformat()} is before the screening was signed"
        )
    rule = protocol.gating.screening
    if rule is not None and (anchor - signed_on).days > rule.max_age_days:
        problems.append(
            f"the screening was {when}, {(anchor - signed_on).days} days before enrolment; "
            f"{protocol.id} accepts at most {rule.max_age_days} days: screen again"
        )
    return problems


def enrol(ctx: ActionContext, client_id: int, data: EnrolInput) -> Course:
    """Enrol a client with an eligible, signed, recent screening; plan every visit."""
    client = get_visible_client(ctx.db, ctx.actor, client_id)
    ctx.require(Permission.COURSE_MANAGE, client.site_id)
    site = _site(ctx, client.site_id)
    row, protocol = _definition(ctx, client.organisation_id, data)
    if protocol.jurisdiction is not None and protocol.jurisdiction != site.jurisdiction:
        raise InvalidInput.single(
            "protocol",
            f"{protocol.id} follows the rules of {protocol.jurisdiction}; "
            f"{site.name} is not a {protocol.jurisdiction} site",
        )
    today = site_today(site, ctx.now)
    anchor = data.anchor_date or today
    if anchor > today:
        raise InvalidInput.single("anchor_date", "cannot be in the future")
    screening = course_facts.screening_facts(ctx.db, client.id)
    signed_on = site_today(site, screening.signed_at) if screening else None
    problems = enrolment_problems(
        protocol, screening, anchor, signed_on, active_course(ctx.db, client.id) is not None
    )
    if problems:
        raise Refused("The client cannot be enrolled yet", problems)
    assert screening is not None
    assert signed_on is not None
    if row is None:
        row = ensure_definition(ctx, client.organisation_id, protocol)
    with writes_allowed(ctx.db):
        course = Course(
            site_id=site.id,
            client_id=client.id,
            protocol_definition_id=row.id,
            protocol_id=protocol.id,
            protocol_version=protocol.version,
            anchor_date=anchor,
            status=CourseStatus.ACTIVE,
            arm=data.arm,
            screening=screening.as_record(),
            enrolled_at=ctx.now,
            enrolled_by_id=ctx.actor.user_id,
            created_at=ctx.now,
            updated_at=ctx.now,
        )
        ctx.db.add(course)
        ctx.db.flush()
        for n, p in enumerate(plan_schedule(protocol, anchor)):
            course.visits.append(
                CourseVisit(
                    site_id=site.id,
                    client_id=client.id,
                    visit_id=p.visit_id,
                    kind=p.kind,
                    label=p.label,
                    phase_id=p.phase_id,
                    sequence=n,
                    optional=p.optional,
                    anchor=p.anchor,
                    anchor_basis=p.anchor_basis,
                    target_date=p.target,
                    earliest_date=p.earliest,
                    latest_date=p.latest,
                    status=VisitStatus.PLANNED,
                    updated_at=ctx.now,
                )
            )
        ctx.db.flush()
        # A screening visit whose window closed before enrolment took place: the signed
        # screening is the record of it.
        for visit in course.visits:
            if visit.kind == "screening" and visit.latest_date < anchor:
                before = visit_snapshot(visit)
                visit.status = VisitStatus.COMPLETED
                visit.actual_date = signed_on
                _history(
                    ctx,
                    visit,
                    "completed",
                    before,
                    to_date=signed_on,
                    reason=f"safety screening signed {signed_on.isoformat()}, before enrolment",
                )
        _replan(course, protocol)
    audit.record_for(
        ctx,
        course,
        action="create",
        entity_type=ENTITY,
        entity_id=course.id,
        changes=audit.diff(None, course_snapshot(course)),
        detail={"visits": len(course.visits), "screening": course.screening},
    )
    _advance_client(ctx, client.id, ClientStatus.ENROLLED, f"Enrolled: {protocol.title}")
    return course


def view_course(ctx: ActionContext, course_id: int) -> Course:
    """A visible course, recording that it was viewed."""
    course = get_visible_course(ctx.db, ctx.actor, course_id)
    audit.record_for(
        ctx,
        course,
        action="view",
        entity_type=ENTITY,
        entity_id=course.id,
    )
    return course


# --- visits ----------------------------------------------------------------------------------


def book_visit(
    ctx: ActionContext, course_id: int, visit_id: str, data: VisitBooking
) -> VisitOutcome:
    """Book a visit on a date (and time); moving a booking or the protocol's date needs a reason."""
    course = active_course_for(ctx, course_id, Permission.COURSE_MANAGE)
    visit = course_visit(course, visit_id)
    _check_version(ctx, visit, data.version)
    if visit.status not in (*OPEN, VisitStatus.MISSED):
        raise Refused(f"{visit.label} is {visit.status}; it cannot be booked")
    site = _site(ctx, course.site_id)
    if data.scheduled_on < site_today(site, ctx.now):
        raise InvalidInput.single(
            "scheduled_on", "cannot be in the past (record the visit as held instead)"
        )
    current = visit.scheduled_date or visit.target_date
    moving = visit.scheduled_date is not None or visit.status == VisitStatus.MISSED
    if (moving or data.scheduled_on != visit.target_date) and not data.reason:
        raise InvalidInput.single(
            "reason",
            f"a reason is required to move {visit.label} from {current.isoformat()} "
            f"to {data.scheduled_on.isoformat()}",
        )
    protocol = protocol_of(course.definition)
    at = site_instant(site, data.scheduled_on, data.scheduled_time) if data.scheduled_time else None
    if at == visit.scheduled_at and data.scheduled_on == visit.scheduled_date:
        return VisitOutcome(visit, [])
    shifts = _moves(course, protocol, visit.visit_id, data.scheduled_on)
    before, old_version = visit_snapshot(visit), visit.version
    with writes_allowed(ctx.db):
        visit.status = VisitStatus.SCHEDULED
        visit.scheduled_date, visit.scheduled_at = data.scheduled_on, at
        visit.missed_reason = visit.missed_note = None
        visit.updated_at = ctx.now
        moved = _apply(course, protocol, shifts)
        _history(
            ctx,
            visit,
            "rescheduled" if moving else "booked",
            before,
            from_date=before["scheduled_date"],
            to_date=data.scheduled_on,
            from_at=before["scheduled_at"],
            to_at=at,
            reason=data.reason,
            moved=moved,
        )
    _audit_visit(
        ctx,
        visit,
        "reschedule" if moving else "book",
        before,
        old_version,
        reason=data.reason,
        moved=moved,
    )
    return VisitOutcome(visit, moved)


def _authorised_on(ctx: ActionContext, course: Course, visit: CourseVisit, day: date) -> bool:
    return (
        ctx.db.scalar(
            select(GateCheck.id).where(
                GateCheck.course_id == course.id,
                GateCheck.visit_id == visit.visit_id,
                GateCheck.on_date == day,
                GateCheck.authorised.is_(True),
            )
        )
        is not None
    )


def complete_visit(
    ctx: ActionContext, course_id: int, visit_id: str, data: VisitCompletion
) -> VisitOutcome:
    """Record that a visit took place; later visits are re-planned from its date.

    A dosing visit can be recorded as held only on a day its dosing gate was authorised.
    """
    course = course_for(ctx, course_id, Permission.COURSE_MANAGE)
    return record_held(ctx, course, visit_id, data)


def record_held(
    ctx: ActionContext, course: Course, visit_id: str, data: VisitCompletion
) -> VisitOutcome:
    """Record a visit of a course already fetched with the caller's permission checked."""
    _require_active(course)
    visit = course_visit(course, visit_id)
    _check_version(ctx, visit, data.version)
    if visit.status not in (*OPEN, VisitStatus.MISSED):
        raise Refused(f"{visit.label} is already {visit.status}")
    site = _site(ctx, course.site_id)
    if data.held_on > site_today(site, ctx.now):
        raise InvalidInput.single("held_on", "cannot be in the future")
    if visit.kind == "dosing" and not _authorised_on(ctx, course, visit, data.held_on):
        raise Refused(
            f"{visit.label} has no authorised dosing-gate check on {data.held_on.isoformat()}",
            ["start the dosing session through the gate check first"],
        )
    protocol = protocol_of(course.definition)
    shifts = _moves(course, protocol, visit.visit_id, data.held_on)
    before, old_version = visit_snapshot(visit), visit.version
    at = site_instant(site, data.held_on, data.held_time) if data.held_time else None
    with writes_allowed(ctx.db):
        visit.status = VisitStatus.COMPLETED
        visit.actual_date, visit.actual_at = data.held_on, at
        visit.updated_at = ctx.now
        moved = _apply(course, protocol, shifts)
        _history(ctx, visit, "completed", before, to_date=data.held_on, to_at=at, moved=moved)
    _audit_visit(ctx, visit, "complete", before, old_version, moved=moved)
    _after_outcome(ctx, course, site, protocol)
    return VisitOutcome(visit, moved)


def record_missed(
    ctx: ActionContext, course_id: int, visit_id: str, data: MissedVisit
) -> VisitOutcome:
    """Record that a visit did not take place, with a structured reason."""
    course = active_course_for(ctx, course_id, Permission.COURSE_MANAGE)
    visit = course_visit(course, visit_id)
    _check_version(ctx, visit, data.version)
    if visit.status not in OPEN:
        raise Refused(f"{visit.label} is {visit.status}; only an open visit can be missed")
    site = _site(ctx, course.site_id)
    protocol = protocol_of(course.definition)
    shifts = _moves(course, protocol, visit.visit_id, None) if visit.scheduled_date else []
    before, old_version = visit_snapshot(visit), visit.version
    reason = MISSED_REASON_LABELS[data.reason] + (f": {data.note}" if data.note else "")
    with writes_allowed(ctx.db):
        visit.status = VisitStatus.MISSED
        visit.missed_reason, visit.missed_note = data.reason, data.note
        visit.scheduled_date = visit.scheduled_at = None
        visit.updated_at = ctx.now
        moved = _apply(course, protocol, shifts)
        _history(
            ctx,
            visit,
            "missed",
            before,
            from_date=before["scheduled_date"],
            reason_code=data.reason,
            reason=data.note,
            moved=moved,
        )
    _audit_visit(ctx, visit, "missed", before, old_version, reason=reason, moved=moved)
    _after_outcome(ctx, course, site, protocol)
    return VisitOutcome(visit, moved)


def withdraw(ctx: ActionContext, course_id: int, data: Withdrawal) -> Course:
    """End a course early: open visits are cancelled and the client withdrawn, with the reason."""
    course = course_for(ctx, course_id, Permission.COURSE_MANAGE)
    if data.version is not None and data.version != course.version:
        raise Conflict(
            ENTITY,
            course.id,
            expected_version=data.version,
            current_version=course.version,
            changed_since=changes_since(ctx, ENTITY, course.id, data.version),
            current=audit.jsonable(course_snapshot(course)),
        )
    _require_active(course)
    site = _site(ctx, course.site_id)
    if data.withdrawn_on > site_today(site, ctx.now):
        raise InvalidInput.single("withdrawn_on", "cannot be in the future")
    if data.withdrawn_on < course.anchor_date:
        raise InvalidInput.single("withdrawn_on", "cannot be before the enrolment date")
    later = [v.label for v in course.visits if v.actual_date and v.actual_date > data.withdrawn_on]
    if later:
        raise InvalidInput.single(
            "withdrawn_on", f"visits were held after that date: {', '.join(later)}"
        )
    before, old_version = course_snapshot(course), course.version
    cancelled = []
    with writes_allowed(ctx.db):
        for visit in course.visits:
            if visit.status in OPEN:
                visit_before = visit_snapshot(visit)
                visit.status = VisitStatus.CANCELLED
                visit.updated_at = ctx.now
                cancelled.append(visit.visit_id)
                _history(
                    ctx,
                    visit,
                    "cancelled",
                    visit_before,
                    from_date=visit_before["scheduled_date"],
                    reason_code="client_withdrew",
                    reason=f"course withdrawn: {data.reason}",
                )
        course.status = CourseStatus.WITHDRAWN
        course.withdrawn_on = data.withdrawn_on
        course.withdrawal_reason = data.reason
        course.withdrawn_by_id = ctx.actor.user_id
        course.updated_at = ctx.now
    changes = audit.diff(before, course_snapshot(course))
    changes["version"] = [old_version, course.version]
    audit.record_for(
        ctx,
        course,
        action="withdraw",
        entity_type=ENTITY,
        entity_id=course.id,
        changes=changes,
        reason=data.reason,
        detail={"cancelled_visits": cancelled},
    )
    client = ctx.db.get(Client, course.client_id)
    assert client is not None
    if client.status not in (ClientStatus.WITHDRAWN, ClientStatus.LOST_TO_FOLLOW_UP):
        client_actions.change_status(
            ctx,
            client.id,
            StatusChange(
                status=ClientStatus.WITHDRAWN,
                reason=data.reason,
                effective_date=min(data.withdrawn_on, ctx.now.date()),
            ),
        )
    return course


# --- consents and pregnancy tests ------------------------------------------------------------


def record_consent(ctx: ActionContext, course_id: int, data: ConsentInput) -> Consent:
    """Record a consent or signed form that the course's protocol lists."""
    course = course_for(ctx, course_id, Permission.COURSE_MANAGE)
    protocol = protocol_of(course.definition)
    rules = {c.id: c for c in protocol.gating.consents}
    if data.consent_type not in rules:
        known = ", ".join(rules) or "none"
        raise InvalidInput.single(
            "consent_type", f"{protocol.id} does not list {data.consent_type!r} (it lists {known})"
        )
    site = _site(ctx, course.site_id)
    if data.given_on > site_today(site, ctx.now):
        raise InvalidInput.single("given_on", "cannot be in the future")
    with writes_allowed(ctx.db):
        consent = Consent(
            site_id=course.site_id,
            client_id=course.client_id,
            course_id=course.id if data.applies_to == "course" else None,
            consent_type=data.consent_type,
            label=rules[data.consent_type].label,
            given_on=data.given_on,
            document_ref=data.document_ref,
            recorded_by_id=ctx.actor.user_id,
            recorded_at=ctx.now,
        )
        ctx.db.add(consent)
    audit.record_for(
        ctx,
        course,
        action="create",
        entity_type="consent",
        entity_id=consent.id,
        changes=audit.diff(
            None,
            {
                "consent_type": consent.consent_type,
                "given_on": consent.given_on,
                "document_ref": consent.document_ref,
                "course_id": consent.course_id,
            },
        ),
    )
    return consent


def withdraw_consent(
    ctx: ActionContext, course_id: int, consent_id: int, data: ConsentWithdrawalInput
) -> Consent:
    course = course_for(ctx, course_id, Permission.COURSE_MANAGE)
    consent = ctx.db.get(Consent, consent_id)
    if (
        consent is None
        or consent.client_id != course.client_id
        or consent.course_id
        not in (
            None,
            course.id,
        )
    ):
        raise NotFound("consent", consent_id)
    if consent.withdrawn_on is not None:
        raise Refused(f"this consent was withdrawn on {consent.withdrawn_on.isoformat()}")
    site = _site(ctx, course.site_id)
    if data.withdrawn_on > site_today(site, ctx.now):
        raise InvalidInput.single("withdrawn_on", "cannot be in the future")
    if data.withdrawn_on < consent.given_on:
        raise InvalidInput.single("withdrawn_on", "cannot be before the consent was given")
    old_version = consent.version
    with writes_allowed(ctx.db):
        consent.withdrawn_on = data.withdrawn_on
        consent.withdrawal_reason = data.reason
        consent.withdrawn_by_id = ctx.actor.user_id
    audit.record_for(
        ctx,
        consent,
        action="withdraw",
        entity_type="consent",
        entity_id=consent.id,
        changes={
            "withdrawn_on": [None, data.withdrawn_on.isoformat()],
            "version": [old_version, consent.version],
        },
        reason=data.reason,
    )
    return consent


def record_pregnancy_test(
    ctx: ActionContext, course_id: int, data: PregnancyTestInput
) -> PregnancyTest:
    """Record a pregnancy test result, or that testing does not apply (with the reason)."""
    course = course_for(ctx, course_id, Permission.SESSION_RECORD)
    site = _site(ctx, course.site_id)
    taken_at = site_instant(site, data.taken_on, data.taken_time)
    if taken_at > ctx.now:
        raise InvalidInput.single("taken_time", "cannot be in the future")
    with writes_allowed(ctx.db):
        test = PregnancyTest(
            site_id=course.site_id,
            client_id=course.client_id,
            course_id=course.id,
            taken_at=taken_at,
            taken_on=data.taken_on,
            result=data.result,
            note=data.note,
            recorded_by_id=ctx.actor.user_id,
            recorded_at=ctx.now,
        )
        ctx.db.add(test)
    audit.record_for(
        ctx,
        course,
        action="create",
        entity_type="pregnancy_test",
        entity_id=test.id,
        changes=audit.diff(None, {"taken_at": taken_at, "result": data.result}),
        reason=data.note,
    )
    return test


# --- the dosing gate -------------------------------------------------------------------------


def override_condition(
    ctx: ActionContext, course_id: int, visit_id: str, data: OverrideInput
) -> GateOverride:
    """A medical override of one unmet, overridable dosing condition, with the reason."""
    course = active_course_for(ctx, course_id, Permission.GATE_OVERRIDE)
    visit = dosing_visit(course, visit_id)
    facts = gate_facts(ctx.db, course, visit.visit_id, ctx.now)
    result = check_dosing_gate(facts.protocol, facts.state, today=facts.today, now=ctx.now)
    unmet = {c.code: c for c in result.unmet}
    already = {a.condition.code for a in result.overridden}
    if data.condition in already:
        raise Refused(f"{data.condition} is already overridden for {visit.label}")
    if data.condition not in unmet:
        raise InvalidInput.single(
            "condition", f"{data.condition!r} is not an unmet condition of {visit.label}"
        )
    if not unmet[data.condition].overridable:
        raise InvalidInput.single("condition", f"{data.condition!r} cannot be overridden")
    user = ctx.db.get(User, ctx.actor.user_id) if ctx.actor.user_id else None
    name = user.full_name if user else (ctx.actor.username or "system")
    with writes_allowed(ctx.db):
        row = GateOverride(
            course_id=course.id,
            site_id=course.site_id,
            client_id=course.client_id,
            visit_id=visit.visit_id,
            condition=data.condition,
            reason=data.reason,
            authorised_by_id=ctx.actor.user_id,
            authorised_by_name=name,
            authorised_at=ctx.now,
        )
        ctx.db.add(row)
    audit.record_for(
        ctx,
        course,
        action="override",
        entity_type=GATE,
        entity_id=f"{course.id}:{visit.visit_id}",
        changes={"condition": [None, data.condition]},
        reason=data.reason,
        detail={"message": unmet[data.condition].message, "override_id": row.id},
    )
    return row


def _condition_record(c: Any) -> dict[str, Any]:
    return {
        "code": c.code,
        "message": c.message,
        "needed": c.needed,
        "overridable": c.overridable,
        "sources": list(c.sources),
        "unconfirmed": c.unconfirmed,
    }


def authorise_dosing(
    ctx: ActionContext,
    course_id: int,
    visit_id: str,
    overrides: Sequence[OverrideInput] = (),
) -> GateDecision:
    """Check the dosing gate as the session is about to start, and record the decision.

    ``overrides`` are recorded first (each needs ``gate.override``). The decision is authorised
    when no condition is left unmet; otherwise it lists every unmet condition. Either way the
    check is stored and audited, and returned for the dosing-session record.
    """
    course = active_course_for(ctx, course_id, Permission.SESSION_RECORD)
    visit = dosing_visit(course, visit_id)
    if visit.status not in OPEN:
        raise Refused(f"{visit.label} is {visit.status}")
    for override in overrides:
        override_condition(ctx, course_id, visit_id, override)
    facts = gate_facts(ctx.db, course, visit.visit_id, ctx.now)
    try:
        result = check_dosing_gate(facts.protocol, facts.state, today=facts.today, now=ctx.now)
    except GateOverrideError as exc:  # stored overrides were validated; guard all the same
        raise Refused(str(exc)) from exc
    with writes_allowed(ctx.db):
        check = GateCheck(
            course_id=course.id,
            site_id=course.site_id,
            client_id=course.client_id,
            visit_id=visit.visit_id,
            protocol_id=result.protocol_id,
            protocol_version=result.protocol_version,
            on_date=facts.today,
            authorised=result.ready,
            met=list(result.met),
            unmet=[_condition_record(c) for c in result.unmet],
            overridden=[
                {
                    **_condition_record(a.condition),
                    "reason": a.override.reason,
                    "authorised_by": a.override.authorised_by,
                }
                for a in result.overridden
            ],
            checked_by_id=ctx.actor.user_id,
            checked_at=ctx.now,
        )
        ctx.db.add(check)
    audit.record_for(
        ctx,
        course,
        action="gate_check",
        entity_type=GATE,
        entity_id=f"{course.id}:{visit.visit_id}",
        outcome="success" if result.ready else "refused",
        detail={
            "check_id": check.id,
            "unmet": [c.code for c in result.unmet],
            "overridden": [a.condition.code for a in result.overridden],
        },
    )
    return GateDecision(check, result, visit)


def view_gate(ctx: ActionContext, course_id: int, visit_id: str) -> tuple[Course, GateResult]:
    """The dosing gate as it stands now (read only), recording that it was viewed."""
    course = course_for(ctx, course_id, Permission.SESSION_VIEW)
    visit = dosing_visit(course, visit_id)
    facts = gate_facts(ctx.db, course, visit.visit_id, ctx.now)
    result = check_dosing_gate(facts.protocol, facts.state, today=facts.today, now=ctx.now)
    audit.record_for(
        ctx,
        course,
        action="view",
        entity_type=GATE,
        entity_id=f"{course.id}:{visit.visit_id}",
    )
    return course, result
