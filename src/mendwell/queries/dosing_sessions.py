"""What the live dosing-session page shows: the stored record judged by the session's own rules.

:func:`session_view` composes the record with the pure rules in ``mendwell.clinical.sessions``
(staffing gaps up to now, the vital-sign schedule, the supplemental window, dose totals with
their conversions, the minimum duration) so the page only renders. :func:`session_record` lists
everything that happened, in time order with who did it, for the printed record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mendwell.actions.context import Actor
from mendwell.actions.errors import PermissionDenied
from mendwell.clinical.sessions.discharge import required_duration
from mendwell.clinical.sessions.doses import (
    Administration,
    LimitViolation,
    Quantity,
    check_dose_limits,
    express,
)
from mendwell.clinical.sessions.duration import OutsideDurationTable
from mendwell.clinical.sessions.jurisdiction import SessionRules
from mendwell.clinical.sessions.observations import shipped_observations
from mendwell.clinical.sessions.rules import BASIS_SUBSTANCE, DoseLimit
from mendwell.clinical.sessions.staffing import StaffingReport
from mendwell.clinical.sessions.vitals import DueReading
from mendwell.clinical.validation import citations
from mendwell.permissions import Permission
from mendwell.queries.adverse_events import events_for_session
from mendwell.queries.scope import client_visibility
from mendwell.queries.session_records import (
    COSIGNED,
    IN_PROGRESS,
    SIGNED,
    STATUSES,
    ChecklistItemStatus,
    administration_of,
    checklist_status,
    first_session_on,
    get_visible_session,
    initial_dose,
    rules_of,
    session_for_visit,
    staffing_report,
    user_names,
    vital_schedule,
)
from mendwell.store.models import (
    AdverseEvent,
    Client,
    DoseAdministration,
    DosingSession,
    RoleAssignment,
    Site,
    User,
    VitalAlert,
    VitalReading,
)

VITAL_LABELS: dict[str, str] = {
    "systolic_bp": "Systolic BP",
    "diastolic_bp": "Diastolic BP",
    "heart_rate": "Heart rate",
    "temperature": "Temperature",
    "temperature_c": "Temperature",
    "respiratory_rate": "Respiratory rate",
    "spo2": "SpO2",
}
RELEASE_LABELS: dict[str, str] = {
    "named-adult": "A named adult",
    "overnight-stay": "Overnight stay",
    "transport-plan": "The transportation plan",
}
SUPPLEMENTAL_LABELS: dict[str, str] = {
    "offered": "Offered",
    "given": "Given",
    "declined": "Declined by the client",
    "withheld": "Withheld",
}
TIMING_LABELS: dict[str, str] = {
    "before-window": "before the window",
    "within-window": "within the window",
    "after-window": "after the window",
}
# Roles a person may hold in a session besides those the staffing rules name.
EXTRA_ROLES: tuple[str, ...] = ("medical", "observer")


@dataclass(frozen=True)
class PresenceRow:
    id: int
    user_id: int
    name: str
    role: str
    arrived_at: datetime
    left_at: datetime | None
    note: str | None

    @property
    def here(self) -> bool:
        return self.left_at is None


@dataclass(frozen=True)
class DoseRow:
    row: DoseAdministration
    given_by: str
    witnessed_by: str | None
    in_mg: Quantity | None
    conversions: tuple[str, ...]
    minutes_after_start: int


@dataclass(frozen=True)
class LimitLine:
    """One dose limit with the session's amount on the limit's basis and unit."""

    limit: DoseLimit
    maximum: Quantity
    actual: Quantity | None
    conversion: str | None
    exceeded: bool
    sources: tuple[str, ...]

    @property
    def scope(self) -> str:
        return self.limit.scope.replace("-", " ")


@dataclass(frozen=True)
class SupplementalView:
    """The supplemental dose: its window (from the initial dose) and what was decided."""

    allowed: bool
    opens_at: datetime | None
    closes_at: datetime | None
    state: str  # none | waiting-initial | before | open | closed | decided | not-given
    decisions: tuple[Any, ...]
    dose: DoseAdministration | None
    sources: tuple[str, ...]
    unconfirmed: bool
    note: str | None

    @property
    def decided(self) -> bool:
        return self.dose is not None or any(
            d.status in ("declined", "withheld") for d in self.decisions
        )


@dataclass(frozen=True)
class VitalsView:
    readings: tuple[VitalReading, ...]
    schedule: tuple[DueReading, ...]
    overdue: tuple[DueReading, ...]
    due_now: tuple[DueReading, ...]
    next_due: DueReading | None
    pre_dose_needed: bool
    open_alerts: tuple[VitalAlert, ...]
    acknowledged_alerts: tuple[VitalAlert, ...]
    thresholds: tuple[Any, ...]
    unconfirmed: bool
    flagged: dict[int, set[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class DurationView:
    """How long the session has run and the longest minimum that applies to the doses so far."""

    elapsed_minutes: int
    required_minutes: int | None
    reason: str | None
    sources: tuple[str, ...]
    earliest_discharge_at: datetime | None
    problem: str | None

    @property
    def remaining_minutes(self) -> int:
        if self.required_minutes is None:
            return 0
        return max(0, self.required_minutes - self.elapsed_minutes)


@dataclass(frozen=True)
class SessionView:
    session: DosingSession
    client: Client
    site: Site
    rules: SessionRules
    now: datetime
    status_label: str
    names: dict[int, str]
    presence: tuple[PresenceRow, ...]
    staffing: StaffingReport | None
    stored_gaps: tuple[dict[str, Any], ...]
    checklist: tuple[ChecklistItemStatus, ...]
    checklist_complete: bool
    doses: tuple[DoseRow, ...]
    limits: tuple[LimitLine, ...]
    violations: tuple[LimitViolation, ...]
    supplemental: SupplementalView
    vitals: VitalsView
    timeline: tuple[Any, ...]
    observations: dict[str, str]
    adverse_events: tuple[AdverseEvent, ...]
    duration: DurationView
    staff: tuple[User, ...]
    roles: tuple[str, ...]
    may_record: bool
    may_acknowledge: bool

    @property
    def running(self) -> bool:
        return self.session.status == IN_PROGRESS

    @property
    def locked(self) -> bool:
        """Signed: anything more is an addendum."""
        return self.session.status in (SIGNED, COSIGNED)

    @property
    def gaps(self) -> tuple[Any, ...]:
        return self.staffing.gaps if self.staffing else ()

    @property
    def elapsed(self) -> str:
        return hours_minutes(self.duration.elapsed_minutes)

    def ongoing(self, gap: Any) -> bool:
        """A gap that lasts until now: the session runs and the role is still short."""
        here = {p.user_id for p in self.presence if p.here and p.role == gap.role}
        return self.running and gap.end >= self.now and len(here) < gap.required

    def name(self, user_id: int | None) -> str:
        if user_id is None:
            return "—"
        return self.names.get(user_id, f"user {user_id}")


def hours_minutes(minutes: int) -> str:
    h, m = divmod(max(minutes, 0), 60)
    return f"{h} h {m:02d} min"


def _minutes(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() // 60)


def _presence(session: DosingSession, names: dict[int, str]) -> tuple[PresenceRow, ...]:
    return tuple(
        PresenceRow(
            p.id,
            p.user_id,
            names.get(p.user_id, str(p.user_id)),
            p.role,
            p.arrived_at,
            p.left_at,
            p.note,
        )
        for p in sorted(session.presence, key=lambda p: (p.arrived_at, p.id))
    )


def _limit_bases(rules: SessionRules) -> set[str]:
    return {limit.maximum.basis for limit in rules.dose_limits}


def _dose_rows(
    session: DosingSession, rules: SessionRules, names: dict[int, str]
) -> tuple[DoseRow, ...]:
    rows = []
    for row in sorted(session.administrations, key=lambda a: (a.given_at, a.id)):
        dose = administration_of(row, names)
        quantity = dose.quantity
        conversions = []
        for basis in sorted(_limit_bases(rules) - {dose.basis}):
            if BASIS_SUBSTANCE[basis] != dose.substance:
                continue
            _, conversion = express(quantity.to("mg"), basis, "mg")  # type: ignore[arg-type]
            if conversion is not None:
                conversions.append(conversion.describe())
        rows.append(
            DoseRow(
                row=row,
                given_by=names.get(row.given_by_id, str(row.given_by_id)),
                witnessed_by=None
                if row.witnessed_by_id is None
                else names.get(row.witnessed_by_id, str(row.witnessed_by_id)),
                in_mg=quantity.to("mg") if quantity.unit != "mg" else None,
                conversions=tuple(conversions),
                minutes_after_start=_minutes(session.started_at, row.given_at),
            )
        )
    return tuple(rows)


def _limit_lines(
    doses: list[Administration], rules: SessionRules, violations: list[LimitViolation]
) -> tuple[LimitLine, ...]:
    """Each limit with the amount so far on its basis (the largest serving or container)."""
    exceeded = {v.limit_id for v in violations}
    lines = []
    for limit in rules.dose_limits:
        m = limit.maximum
        maximum = Quantity(m.amount, m.unit, m.basis)
        mine = [a for a in doses if a.substance == BASIS_SUBSTANCE[m.basis]]
        actual: Quantity | None = None
        conversion = None
        if mine and limit.scope == "per-session":
            mg = sum((express(a.quantity, m.basis, "mg")[0].amount for a in mine), Decimal(0))
            actual = Quantity(mg, "mg", m.basis).to(m.unit)
            converted = [express(a.quantity.to("mg"), m.basis, "mg")[1] for a in mine]
            conversion = "; ".join(c.describe() for c in converted if c is not None) or None
        elif mine:
            amounts = []
            for a in mine:
                if limit.scope == "per-serving":
                    amount: Decimal | None = a.amount / (a.servings or Decimal(1))
                elif limit.scope == "per-container":
                    amount = a.container_amount
                else:
                    amount = a.amount
                if amount is not None:
                    amounts.append(express(Quantity(amount, a.unit, a.basis), m.basis, m.unit))
            if amounts:
                actual, conv = max(amounts, key=lambda pair: pair[0].amount)
                conversion = conv.describe() if conv is not None else None
        lines.append(
            LimitLine(limit, maximum, actual, conversion, limit.id in exceeded, citations(limit))
        )
    return tuple(lines)


def _supplemental(session: DosingSession, rules: SessionRules, now: datetime) -> SupplementalView:
    rule = rules.supplemental
    first = initial_dose(session)
    dose = next((a for a in session.administrations if a.kind == "supplemental"), None)
    decisions = tuple(sorted(session.supplemental_decisions, key=lambda d: (d.recorded_at, d.id)))
    opens = closes = None
    if rule is not None and first is not None and rule.window_start and rule.window_end:
        opens = first.given_at + rule.window_start.timedelta()
        closes = first.given_at + rule.window_end.timedelta()
    if rule is None:
        state = "none"
    elif dose is not None or any(d.status in ("declined", "withheld") for d in decisions):
        state = "decided"
    elif session.status != IN_PROGRESS:
        state = "not-given"
    elif first is None:
        state = "waiting-initial"
    elif opens is None or closes is None:
        state = "open"
    elif now < opens:
        state = "before"
    elif now <= closes:
        state = "open"
    else:
        state = "closed"
    return SupplementalView(
        allowed=rule is not None,
        opens_at=opens,
        closes_at=closes,
        state=state,
        decisions=decisions,
        dose=dose,
        sources=citations(rule) if rule else (),
        unconfirmed=bool(rule and rule.unconfirmed),
        note=rule.note if rule else None,
    )


def _flagged(session: DosingSession) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for alert in session.alerts:
        vital = "temperature_c" if alert.vital == "temperature" else alert.vital
        out.setdefault(alert.reading_id, set()).add(vital)
    return out


def _vitals(session: DosingSession, rules: SessionRules, now: datetime) -> VitalsView:
    schedule = list(vital_schedule(session, rules, now))
    first = initial_dose(session)
    readings = tuple(sorted(session.readings, key=lambda r: (r.taken_at, r.id)))
    pre_dose_needed = False
    vs = rules.vital_signs
    if vs is not None and vs.pre_dose_reading:
        # The pre-dose reading is any reading taken before the first dose.
        before = [r for r in readings if first is None or r.taken_at <= first.given_at]
        pre_dose_needed = not before
        if before and schedule and schedule[0].minute == 0 and schedule[0].status != "taken":
            s = schedule[0]
            schedule[0] = DueReading(s.due_at, 0, "taken", before[-1].taken_at)
    overdue = tuple(s for s in schedule if s.status == "overdue")
    due_now = tuple(s for s in schedule if s.status == "due")
    upcoming = [s for s in schedule if s.status in ("due", "upcoming")]
    alerts = sorted(session.alerts, key=lambda a: (a.raised_at, a.id))
    return VitalsView(
        readings=readings,
        schedule=tuple(schedule),
        overdue=overdue,
        due_now=due_now,
        next_due=upcoming[0] if upcoming else None,
        pre_dose_needed=pre_dose_needed,
        open_alerts=tuple(a for a in alerts if a.acknowledged_at is None),
        acknowledged_alerts=tuple(a for a in alerts if a.acknowledged_at is not None),
        thresholds=vs.thresholds if vs else (),
        unconfirmed=bool(vs and vs.unconfirmed),
        flagged=_flagged(session),
    )


def _duration(
    db: Session,
    session: DosingSession,
    site: Site,
    rules: SessionRules,
    doses: list[Administration],
    now: datetime,
) -> DurationView:
    end = session.ended_at or now
    elapsed = _minutes(session.started_at, end)
    try:
        need = required_duration(
            rules,
            doses,
            session_on=session.started_at.date(),
            initial_session_on=first_session_on(db, session, site),
        )
    except OutsideDurationTable as exc:
        return DurationView(elapsed, None, None, (), None, str(exc))
    if need is None:
        return DurationView(elapsed, None, None, (), None, None)
    minutes, reason, sources = need
    earliest = session.started_at + timedelta(minutes=minutes)
    return DurationView(elapsed, minutes, reason, sources, earliest, None)


def site_staff(db: Session, site_id: int) -> tuple[User, ...]:
    """Active people with a clinical role at the site, for the presence and dose forms."""
    return tuple(
        db.scalars(
            select(User)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(
                RoleAssignment.site_id == site_id,
                RoleAssignment.role.in_(("facilitator", "medical")),
                User.is_active,
            )
            .order_by(User.full_name)
            .distinct()
        )
    )


def session_roles(rules: SessionRules) -> tuple[str, ...]:
    """The roles someone can hold in the session: those the staffing rules name, then others."""
    roles: list[str] = []
    for req in rules.staffing:
        for role in (req.role, *(req.breaks.covered_by if req.breaks else ())):
            if role not in roles:
                roles.append(role)
    if "facilitator" not in roles:
        roles.insert(0, "facilitator")
    return (*roles, *(r for r in EXTRA_ROLES if r not in roles))


def _people(session: DosingSession, events: list[AdverseEvent]) -> set[int | None]:
    ids: set[int | None] = {
        session.started_by_id,
        session.lead_facilitator_id,
        session.second_facilitator_id,
        session.signed_by_id,
        session.cosigned_by_id,
    }
    for p in session.presence:
        ids |= {p.user_id, p.recorded_by_id}
    for a in session.administrations:
        ids |= {a.given_by_id, a.witnessed_by_id, a.recorded_by_id}
    for part in (
        *session.checklist,
        *session.supplemental_decisions,
        *session.readings,
        *session.timeline,
        *session.addenda,
    ):
        ids.add(part.recorded_by_id)
    ids |= {a.acknowledged_by_id for a in session.alerts}
    if session.discharge is not None:
        ids.add(session.discharge.recorded_by_id)
    ids |= {e.created_by_id for e in events}
    return ids


def session_view(db: Session, actor: Actor, session_id: int, now: datetime) -> SessionView:
    """The page's view of one session at ``now`` (NotFound if the actor may not see it)."""
    session = get_visible_session(db, actor, session_id)
    if not actor.can(Permission.SESSION_VIEW, session.site_id):
        # Seeing the client (say, as a site's admin) is not seeing its session records.
        raise PermissionDenied(str(Permission.SESSION_VIEW), session.site_id)
    rules = rules_of(session)
    client = db.get(Client, session.client_id)
    site = db.get(Site, session.site_id)
    assert client is not None
    assert site is not None
    events = events_for_session(db, actor, session.id)
    names = user_names(db, list(_people(session, events)))
    doses = [
        administration_of(a, names)
        for a in sorted(session.administrations, key=lambda a: (a.given_at, a.id))
    ]
    violations = check_dose_limits(doses, rules.dose_limits)
    checklist = checklist_status(session, rules)
    stored = (session.staffing_check or {}).get("gaps", [])
    observations = {o.id: o.label for o in shipped_observations().observations}
    return SessionView(
        session=session,
        client=client,
        site=site,
        rules=rules,
        now=now,
        status_label=STATUSES.get(session.status, session.status),
        names=names,
        presence=_presence(session, names),
        staffing=staffing_report(session, rules, now),
        stored_gaps=tuple(stored),
        checklist=tuple(checklist),
        checklist_complete=not any(c.blocking for c in checklist),
        doses=_dose_rows(session, rules, names),
        limits=_limit_lines(doses, rules, violations),
        violations=tuple(violations),
        supplemental=_supplemental(session, rules, now),
        vitals=_vitals(session, rules, now),
        timeline=tuple(sorted(session.timeline, key=lambda t: (t.at, t.id))),
        observations=observations,
        adverse_events=tuple(events),
        duration=_duration(db, session, site, rules, doses, now),
        staff=site_staff(db, session.site_id),
        roles=session_roles(rules),
        may_record=actor.can(Permission.SESSION_RECORD, session.site_id),
        may_acknowledge=actor.can(Permission.ALERT_ACKNOWLEDGE, session.site_id),
    )


# --- sessions in progress ----------------------------------------------------------------------


@dataclass(frozen=True)
class RunningSession:
    session: DosingSession
    client: Client
    site: Site
    open_alerts: int


def sessions_in_progress(
    db: Session, actor: Actor, *, client_id: int | None = None
) -> list[RunningSession]:
    """Sessions still running at the actor's sites (clients they can see), oldest first."""
    sites = actor.sites_with(Permission.SESSION_VIEW)
    if not sites:
        return []
    query = (
        select(DosingSession, Client, Site)
        .join(Client, Client.id == DosingSession.client_id)
        .join(Site, Site.id == DosingSession.site_id)
        .where(
            DosingSession.status == IN_PROGRESS,
            DosingSession.site_id.in_(sites),
            client_visibility(db, actor),
        )
        .order_by(DosingSession.started_at, DosingSession.id)
    )
    if client_id is not None:
        query = query.where(DosingSession.client_id == client_id)
    rows = list(db.execute(query))
    ids = [s.id for s, _, _ in rows]
    counts: dict[int, int] = {}
    if ids:
        for (sid,) in db.execute(
            select(VitalAlert.session_id).where(
                VitalAlert.session_id.in_(ids), VitalAlert.acknowledged_at.is_(None)
            )
        ):
            counts[sid] = counts.get(sid, 0) + 1
    return [RunningSession(s, c, site, counts.get(s.id, 0)) for s, c, site in rows]


def client_session_list(db: Session, actor: Actor, client_id: int) -> list[DosingSession]:
    """Every session of a client the actor may see, newest first."""
    return list(
        db.scalars(
            select(DosingSession)
            .join(Client, Client.id == DosingSession.client_id)
            .where(DosingSession.client_id == client_id, client_visibility(db, actor))
            .order_by(DosingSession.started_at.desc(), DosingSession.id.desc())
        )
    )


def visit_session_context(db: Session, visit: Any) -> dict[str, Any]:
    """For a course visit page: the visit's dosing session, if any, and who could co-lead it."""
    if visit.kind != "dosing":
        return {"dosing_session": None, "session_staff": ()}
    return {
        "dosing_session": session_for_visit(db, visit.id),
        "session_staff": site_staff(db, visit.site_id),
    }
