"""Recording a dosing session: start, presence, pre-dose checklist, doses, the supplemental dose,
vital signs and alerts, the timeline, end, discharge, signatures and addenda.

Every action needs ``session.record`` at the session's site (acknowledging a vital alert needs
``alert.acknowledge``), writes in one transaction with its audit event, and refuses a session
that has been signed: after signing, a change is an addendum.

Times default to the server's time; an explicit earlier time is back-entry (never in the future,
never before the session started). Appending writes may pass the session version last seen
(a stale one is a Conflict); ending, discharge, signing and co-signing must.

Doses: a dose beyond a protocol or jurisdiction limit, a dose that differs from the protocol's
plan, and a supplemental dose outside its window are refused unless a reason is given. The
record has to say what was actually given, so a reason lets it be recorded, flagged as a
deviation with the checks that failed; a missing witness where one is required is always refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from mendwell.actions import audit
from mendwell.actions.auth import actor_for
from mendwell.actions.clients import changes_since
from mendwell.actions.context import ActionContext, writes_allowed
from mendwell.actions.courses import active_course_for, authorise_dosing, course_visit, record_held
from mendwell.actions.errors import Conflict, FieldError, InvalidInput, NotFound, Refused
from mendwell.clinical.sessions import vitals as vital_rules
from mendwell.clinical.sessions.discharge import DischargeRecord, review_discharge
from mendwell.clinical.sessions.doses import (
    Administration,
    SupplementalEvent,
    assess_supplemental,
    check_dose_limits,
    check_planned_amounts,
    express,
)
from mendwell.clinical.sessions.jurisdiction import SessionRules, resolve_session_rules
from mendwell.clinical.sessions.observations import shipped_observations
from mendwell.clinical.sessions.rules import DosingRules
from mendwell.clinical.sessions.snapshot import rules_to_json
from mendwell.permissions import Permission
from mendwell.queries.courses import protocol_of
from mendwell.queries.scope import get_visible_client
from mendwell.queries.session_records import (
    COSIGNED,
    ENDED,
    IN_PROGRESS,
    SIGNED,
    administration_of,
    checklist_status,
    first_session_on,
    get_visible_session,
    initial_dose,
    reading_of,
    rules_of,
    session_for_visit,
    staffing_json,
    staffing_report,
)
from mendwell.queries.site_calendar import site_today
from mendwell.schemas.courses import VisitCompletion
from mendwell.schemas.dosing_sessions import (
    AddendumInput,
    AdministrationInput,
    ArrivalInput,
    ChecklistAnswerInput,
    DischargeInput,
    EndSessionInput,
    FacilitatorsInput,
    LeavingInput,
    SignInput,
    StartSession,
    SupplementalInput,
    TimelineInput,
    VitalAlertAcknowledgement,
    VitalsInput,
)
from mendwell.store.models import (
    DoseAdministration,
    DosingSession,
    PreDoseAnswer,
    RoleAssignment,
    SessionAddendum,
    SessionDischarge,
    SessionPresence,
    Site,
    SupplementalDecision,
    TimelineEntry,
    User,
    VitalAlert,
    VitalReading,
)

ENTITY = "dosing_session"
# Roles a staff member may hold in a session besides the roles the staffing rules name.
EXTRA_ROLES = ("facilitator", "medical", "observer")
SESSION_FIELDS = (
    "status",
    "started_at",
    "ended_at",
    "lead_facilitator_id",
    "second_facilitator_id",
    "signed_by_id",
    "signed_at",
    "cosigned_by_id",
    "cosigned_at",
)


def snapshot(session: DosingSession) -> dict[str, Any]:
    return {name: getattr(session, name) for name in SESSION_FIELDS}


# --- shared steps --------------------------------------------------------------------------------


def _session(
    ctx: ActionContext, session_id: int, permission: Permission = Permission.SESSION_RECORD
) -> DosingSession:
    session = get_visible_session(ctx.db, ctx.actor, session_id)
    ctx.require(permission, session.site_id)
    return session


def _unsigned(session: DosingSession) -> None:
    if session.signed_at is not None:
        raise Refused(
            "This session has been signed; the record can no longer change.",
            ["add an addendum instead"],
        )


def _conflict(ctx: ActionContext, session: DosingSession, expected: int) -> Conflict:
    return Conflict(
        ENTITY,
        session.id,
        expected_version=expected,
        current_version=session.version,
        changed_since=changes_since(ctx, ENTITY, session.id, expected),
        current=audit.jsonable(snapshot(session)),
    )


def _check_version(ctx: ActionContext, session: DosingSession, expected: int | None) -> None:
    if expected is not None and expected != session.version:
        raise _conflict(ctx, session, expected)


def _writable(
    ctx: ActionContext, session_id: int, version: int | None, permission: Permission | None = None
) -> DosingSession:
    """A visible, unsigned session at the version the writer saw."""
    session = _session(ctx, session_id, permission or Permission.SESSION_RECORD)
    _unsigned(session)
    _check_version(ctx, session, version)
    return session


def _moment(
    ctx: ActionContext, session: DosingSession, at: datetime | None, field: str
) -> datetime:
    """The time of an entry: now, or an earlier time entered afterwards (back-entry)."""
    when = at or ctx.now
    if when > ctx.now:
        raise InvalidInput.single(field, "cannot be in the future")
    if when < session.started_at:
        raise InvalidInput.single(field, "cannot be before the session started")
    return when


def _minute(when: datetime) -> datetime:
    return when.replace(second=0, microsecond=0)


@contextmanager
def _writing(ctx: ActionContext, session: DosingSession, expected: int | None) -> Iterator[None]:
    """Write under the session and bump its version in the same flush.

    Whoever signs must have seen every entry, so every entry changes the session's version.
    """
    try:
        with writes_allowed(ctx.db):
            yield
            session.updated_at = ctx.now
    except StaleDataError:
        ctx.db.rollback()
        seen = expected or session.version
        raise Conflict(
            ENTITY, session.id, expected_version=seen, current_version=seen + 1
        ) from None


def _audit_part(
    ctx: ActionContext, session: DosingSession, row: Any, values: dict[str, Any], **extra: Any
) -> None:
    audit.record_for(
        ctx,
        session,
        action="create",
        entity_type=row.__tablename__,
        entity_id=row.id,
        changes=audit.diff(None, {k: v for k, v in values.items() if v is not None}),
        detail={"dosing_session_id": session.id, **extra.pop("detail", {})},
        **extra,
    )


def _add_part(
    ctx: ActionContext,
    session: DosingSession,
    model: type[Any],
    values: dict[str, Any],
    *,
    version: int | None = None,
    detail: dict[str, Any] | None = None,
) -> Any:
    """Append one part of the record (entry, reading, dose...), bump the session, and audit."""
    with _writing(ctx, session, version):
        row = model(
            session=session,
            site_id=session.site_id,
            client_id=session.client_id,
            recorded_by_id=ctx.actor.user_id,
            recorded_at=ctx.now,
            **values,
        )
        ctx.db.add(row)
    _audit_part(ctx, session, row, values, detail=detail or {})
    return row


def _audit_session(
    ctx: ActionContext,
    session: DosingSession,
    action: str,
    before: dict[str, Any] | None,
    old_version: int | None,
    **extra: Any,
) -> None:
    changes = audit.diff(before, snapshot(session))
    if old_version is not None:
        changes["version"] = [old_version, session.version]
    audit.record_for(
        ctx,
        session,
        action=action,
        entity_type=ENTITY,
        entity_id=session.id,
        changes=changes,
        **extra,
    )


def _update_session(
    ctx: ActionContext,
    session: DosingSession,
    action: str,
    values: dict[str, Any],
    expected: int,
    **extra: Any,
) -> DosingSession:
    before, old_version = snapshot(session), session.version
    try:
        with writes_allowed(ctx.db):
            for name, value in values.items():
                setattr(session, name, value)
            session.updated_at = ctx.now
            ctx.db.flush()
    except StaleDataError:
        ctx.db.rollback()
        raise Conflict(
            ENTITY, session.id, expected_version=expected, current_version=expected + 1
        ) from None
    _audit_session(ctx, session, action, before, old_version, **extra)
    return session


def _staff(ctx: ActionContext, site_id: int, user_id: int, field: str) -> User:
    """An active user with a role at the session's site."""
    user = ctx.db.get(User, user_id)
    has_role = ctx.db.scalar(
        select(RoleAssignment.id).where(
            RoleAssignment.user_id == user_id, RoleAssignment.site_id == site_id
        )
    )
    if user is None or not user.is_active or has_role is None:
        raise InvalidInput.single(field, "is not an active staff member at this site")
    return user


def _co_facilitator(ctx: ActionContext, client_id: int, site_id: int, user_id: int) -> User:
    """A facilitator who may record this client's session (and so co-sign it)."""
    field = "second_facilitator_id"
    user = _staff(ctx, site_id, user_id, field)
    actor = actor_for(user)
    try:
        get_visible_client(ctx.db, actor, client_id)
    except NotFound:
        raise InvalidInput.single(field, "is not assigned to this client") from None
    if not actor.can(Permission.SESSION_RECORD, site_id):
        raise InvalidInput.single(field, "may not record dosing sessions")
    return user


def _site(ctx: ActionContext, site_id: int) -> Site:
    site = ctx.db.get(Site, site_id)
    assert site is not None
    return site


def view_session(ctx: ActionContext, session_id: int) -> DosingSession:
    """A session the actor may see (``session.view``); the access is audited."""
    session = _session(ctx, session_id, Permission.SESSION_VIEW)
    audit.record_for(
        ctx,
        session,
        action="view",
        entity_type=ENTITY,
        entity_id=session.id,
    )
    return session


# --- start, facilitators, presence -------------------------------------------------------------


def start_session(ctx: ActionContext, course_id: int, data: StartSession) -> DosingSession:
    """Start the session of a dosing visit; the acting user is the lead facilitator.

    The dosing gate is checked and recorded (with any overrides in ``data``); the session starts
    only if it passes, and the visit is recorded as held that day. The resolved session rules
    are stored with the session; the lead's presence starts with it. Refused for a visit that is
    not a dosing visit, not open, or that already has a session.
    """
    course = active_course_for(ctx, course_id, Permission.SESSION_RECORD)
    visit = course_visit(course, data.visit_id)
    if visit.kind != "dosing":
        raise Refused(f"{visit.label} is not a dosing visit")
    if session_for_visit(ctx.db, visit.id) is not None:
        raise Refused(f"{visit.label} already has a dosing-session record")
    if ctx.actor.user_id is None:
        raise Refused("a dosing session is started by a facilitator")
    site = _site(ctx, course.site_id)
    started = data.started_at or ctx.now
    if started > ctx.now:
        raise InvalidInput.single("started_at", "cannot be in the future")
    held_on = site_today(site, started)
    if held_on != site_today(site, ctx.now):
        raise InvalidInput.single("started_at", "must be today (the dosing gate is checked today)")
    decision = authorise_dosing(ctx, course_id, visit.visit_id, data.overrides)
    if not decision.result.ready:
        raise Refused(
            f"The dosing gate for {visit.label} is not met.",
            [c.message for c in decision.result.unmet],
        )
    local = started.astimezone(ZoneInfo(site.timezone))
    record_held(
        ctx,
        course,
        visit.visit_id,
        VisitCompletion(held_on=held_on, held_time=local.time().replace(second=0, microsecond=0)),
    )
    rules = resolve_session_rules(protocol_of(course.definition))
    lead = ctx.actor.user_id
    if data.second_facilitator_id is not None:
        _co_facilitator(ctx, course.client_id, course.site_id, data.second_facilitator_id)
        if data.second_facilitator_id == lead:
            raise InvalidInput.single(
                "second_facilitator_id", "must be a different person from the lead facilitator"
            )
    with writes_allowed(ctx.db):
        session = DosingSession(
            site_id=course.site_id,
            client_id=course.client_id,
            course_id=course.id,
            course_visit_id=visit.id,
            visit_id=visit.visit_id,
            protocol_id=rules.protocol_id,
            protocol_version=rules.protocol_version,
            rules=rules_to_json(rules),
            gate_check_id=decision.check.id,
            status=IN_PROGRESS,
            started_at=started,
            started_by_id=lead,
            lead_facilitator_id=lead,
            second_facilitator_id=data.second_facilitator_id,
            created_at=ctx.now,
            updated_at=ctx.now,
        )
        ctx.db.add(session)
    _audit_session(
        ctx,
        session,
        "create",
        None,
        None,
        detail={
            "course_id": course.id,
            "visit_id": visit.visit_id,
            "protocol": f"{rules.protocol_id}@{rules.protocol_version}",
            "gate_check_id": decision.check.id,
        },
    )
    _add_part(
        ctx,
        session,
        SessionPresence,
        {"user_id": lead, "role": "facilitator", "arrived_at": started, "note": None},
    )
    return session


def set_facilitators(ctx: ActionContext, session_id: int, data: FacilitatorsInput) -> DosingSession:
    """Name the lead and the second facilitator (two different people at the site)."""
    session = _writable(ctx, session_id, data.version)
    _staff(ctx, session.site_id, data.lead_facilitator_id, "lead_facilitator_id")
    if data.second_facilitator_id is not None:
        _co_facilitator(ctx, session.client_id, session.site_id, data.second_facilitator_id)
        if data.second_facilitator_id == data.lead_facilitator_id:
            raise InvalidInput.single(
                "second_facilitator_id", "must be a different person from the lead facilitator"
            )
    return _update_session(
        ctx,
        session,
        "update",
        {
            "lead_facilitator_id": data.lead_facilitator_id,
            "second_facilitator_id": data.second_facilitator_id,
        },
        data.version,
    )


def _roles(rules: SessionRules) -> set[str]:
    return (
        {r.role for r in rules.staffing}
        | {r for req in rules.staffing if req.breaks for r in req.breaks.covered_by}
        | set(EXTRA_ROLES)
    )


def record_arrival(ctx: ActionContext, session_id: int, data: ArrivalInput) -> SessionPresence:
    """A staff member joins the session in a role; opens a presence interval."""
    session = _writable(ctx, session_id, data.version)
    if session.status != IN_PROGRESS:
        raise Refused("the session has ended")
    _staff(ctx, session.site_id, data.user_id, "user_id")
    roles = _roles(rules_of(session))
    if data.role not in roles:
        raise InvalidInput.single("role", f"is not a session role ({', '.join(sorted(roles))})")
    if any(p.user_id == data.user_id and p.left_at is None for p in session.presence):
        raise InvalidInput.single("user_id", "is already present; record their leaving first")
    at = _moment(ctx, session, data.at, "at")
    return _add_part(
        ctx,
        session,
        SessionPresence,
        {"user_id": data.user_id, "role": data.role, "arrived_at": at, "note": data.note},
        version=data.version,
    )


def record_leaving(
    ctx: ActionContext, session_id: int, presence_id: int, data: LeavingInput
) -> SessionPresence:
    """Close a presence interval; staffing gaps follow from the intervals and are kept."""
    session = _writable(ctx, session_id, data.version)
    presence = next((p for p in session.presence if p.id == presence_id), None)
    if presence is None:
        raise InvalidInput.single("presence_id", "is not a presence in this session")
    if presence.left_at is not None:
        raise Refused("this staff member's leaving is already recorded")
    at = _moment(ctx, session, data.at, "at")
    if at < presence.arrived_at:
        raise InvalidInput.single("at", "cannot be before they arrived")
    with _writing(ctx, session, data.version):
        presence.left_at = at
        if data.note:
            presence.note = f"{presence.note}\n{data.note}" if presence.note else data.note
    audit.record_for(
        ctx,
        session,
        action="update",
        entity_type=SessionPresence.__tablename__,
        entity_id=presence.id,
        changes={"left_at": [None, audit.jsonable(at)]},
        detail={"dosing_session_id": session.id, "user_id": presence.user_id},
    )
    return presence


# --- checklist and doses -----------------------------------------------------------------------


def answer_checklist(
    ctx: ActionContext, session_id: int, data: ChecklistAnswerInput
) -> PreDoseAnswer:
    """Answer a pre-dose checklist item; a later answer to the same item supersedes it."""
    session = _writable(ctx, session_id, data.version)
    rules = rules_of(session)
    item = next((i for i in rules.pre_dose_checklist if i.id == data.item_id), None)
    if item is None:
        raise InvalidInput.single("item_id", "is not an item of this protocol's checklist")
    if item.kind == "confirm" and data.answer is None:
        raise InvalidInput.single("answer", "answer yes, no or not applicable")
    if (
        data.answer == "not-applicable"
        and item.kind == "confirm"
        and not item.not_applicable_allowed
    ):
        raise InvalidInput.single("answer", "this item cannot be answered not applicable")
    answer = data.answer or "text"
    at = _moment(ctx, session, data.at, "at")
    return _add_part(
        ctx,
        session,
        PreDoseAnswer,
        {"item_id": item.id, "answer": answer, "text": data.text, "answered_at": at},
        version=data.version,
    )


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _dose_checks(
    rules: SessionRules,
    session: DosingSession,
    new: Administration,
    names: dict[int, str],
) -> dict[str, Any]:
    """Conversions shown, limit violations and plan differences for the session with ``new``."""
    doses = [administration_of(a, names) for a in session.administrations] + [new]
    shown: list[str] = []
    basis = rules.basis or new.basis
    on_basis, conversion = express(new.quantity, basis, "mg")  # type: ignore[arg-type]
    if conversion is not None:
        shown.append(conversion.describe())
    if new.unit != "mg" or conversion is not None:
        shown.append(f"{new.quantity.describe()} = {on_basis.describe()}")
    violations = check_dose_limits(doses, rules.dose_limits)
    index = len(doses) - 1
    for v in violations:
        if v.conversion is not None:
            shown.append(v.conversion.describe())
    plan: list[str] = []
    if rules.substance is not None and rules.basis is not None:
        # The plan part of the protocol's dosing rules; the witness is checked by the action.
        dosing = DosingRules.model_construct(
            substance=rules.substance,
            basis=rules.basis,
            initial_dose=rules.initial_dose,
            supplemental=rules.supplemental,
            witness=None,
        )
        plan = [p for p in check_planned_amounts(doses, dosing) if f"administrations.{index}." in p]
    return {
        "total_mg": _decimal(
            sum(
                (express(d.quantity, basis, "mg")[0].amount for d in doses),  # type: ignore[arg-type]
                Decimal(0),
            )
        ),
        "basis": basis,
        "amount_mg": _decimal(on_basis.amount),
        "conversions": shown,
        "limit_violations": [v.describe() for v in violations if index in v.administrations],
        "plan_problems": [p.split(": ", 1)[1] if ": " in p else p for p in plan],
    }


def record_administration(
    ctx: ActionContext, session_id: int, data: AdministrationInput
) -> DoseAdministration:
    """Record a dose given, with the conversions shown and the limit and plan checks.

    The initial dose is refused until every required checklist item is answered acceptably. A
    dose beyond a limit (protocol or jurisdiction), different from the plan, or a supplemental
    dose outside its window is refused unless ``data.reason`` says why; with a reason it is
    recorded and flagged. A supplemental dose also records the supplemental decision "given".
    """
    session = _writable(ctx, session_id, data.version)
    if session.status != IN_PROGRESS:
        raise Refused("the session has ended")
    rules = rules_of(session)
    first = initial_dose(session)
    if data.kind == "initial":
        if first is not None:
            raise InvalidInput.single("kind", "the initial dose is already recorded")
        blocking = [s for s in checklist_status(session, rules) if s.blocking]
        if blocking:
            raise Refused(
                "Complete the pre-dose checklist before the first dose.",
                [s.item.label for s in blocking],
            )
    elif first is None:
        raise InvalidInput.single("kind", "record the initial dose first")
    elif any(a.kind == "supplemental" for a in session.administrations):
        raise InvalidInput.single("kind", "the supplemental dose is already recorded")
    given_by = _staff(ctx, session.site_id, data.given_by_id, "given_by_id")
    witness = None
    if data.witnessed_by_id is not None:
        witness = _staff(ctx, session.site_id, data.witnessed_by_id, "witnessed_by_id")
    elif rules.witness is not None and rules.witness.required:
        raise InvalidInput.single("witnessed_by_id", "a witness is required for every dose")
    at = _moment(ctx, session, data.given_at, "given_at")
    if first is not None and at < first.given_at:
        raise InvalidInput.single("given_at", "cannot be before the initial dose")
    substance = rules.substance or "mdma"
    basis = data.basis or rules.basis
    try:
        new = Administration(
            substance=substance,  # type: ignore[arg-type]
            product=data.product,
            lot_or_unique_id=data.lot_or_unique_id,
            basis=basis,  # type: ignore[arg-type]
            amount=data.amount,
            unit=data.unit,
            given_at=at,
            given_by=given_by.full_name,
            witnessed_by=witness.full_name if witness else None,
            kind=data.kind,
            servings=data.servings,
            container_amount=data.container_amount,
        )
    except ValueError as exc:
        raise InvalidInput.single("basis", f"{basis} is not a basis for {substance}") from exc
    names = {u.id: u.full_name for u in (given_by, witness) if u is not None}
    checks = _dose_checks(rules, session, new, names)
    supplemental = None
    if data.kind == "supplemental" and rules.supplemental is None:
        raise InvalidInput.single("kind", "this protocol has no supplemental dose")
    if data.kind == "supplemental":
        supplemental = assess_supplemental(
            first.given_at,  # type: ignore[union-attr]
            SupplementalEvent("given", at, data.reason),
            rules.supplemental,
        )
        checks["supplemental"] = {
            "elapsed_minutes": supplemental.elapsed_minutes,
            "timing": supplemental.timing,
            "window_minutes": supplemental.window_minutes,
            "problems": list(supplemental.problems),
        }
    deviations = checks["limit_violations"] + checks["plan_problems"]
    if supplemental is not None and supplemental.timing in ("before-window", "after-window"):
        deviations.append(f"given {supplemental.timing.replace('-', ' ')}")
    if deviations and data.reason is None:
        errors = [FieldError(("amount",), m) for m in checks["limit_violations"]]
        errors += [FieldError(("amount",), m) for m in checks["plan_problems"]]
        if supplemental is not None:
            errors += [
                FieldError(("given_at",), p.split(": ", 1)[-1]) for p in supplemental.problems
            ]
        errors.append(FieldError(("reason",), "give a reason to record this dose as a deviation"))
        raise InvalidInput(errors)
    checks["deviation"] = bool(deviations)
    row = _add_part(
        ctx,
        session,
        DoseAdministration,
        {
            "kind": data.kind,
            "substance": substance,
            "product": data.product,
            "lot_or_unique_id": data.lot_or_unique_id,
            "basis": basis,
            "amount": _decimal(data.amount),
            "unit": new.unit,
            "servings": _decimal(data.servings),
            "container_amount": _decimal(data.container_amount),
            "route": data.route,
            "given_at": at,
            "given_by_id": given_by.id,
            "witnessed_by_id": witness.id if witness else None,
            "checks": checks,
            "deviation_reason": data.reason if deviations else None,
        },
        version=data.version,
    )
    if supplemental is not None:
        _add_part(
            ctx,
            session,
            SupplementalDecision,
            {
                "status": "given",
                "at": at,
                "reason": data.reason,
                "elapsed_minutes": supplemental.elapsed_minutes,
                "timing": supplemental.timing,
                "administration_id": row.id,
            },
        )
    return row


def record_supplemental(
    ctx: ActionContext, session_id: int, data: SupplementalInput
) -> SupplementalDecision:
    """The supplemental dose offered, declined or withheld (a reason where the rules need one)."""
    session = _writable(ctx, session_id, data.version)
    rules = rules_of(session)
    if rules.supplemental is None:
        raise InvalidInput.single("status", "this protocol has no supplemental dose")
    first = initial_dose(session)
    if first is None:
        raise InvalidInput.single("status", "record the initial dose first")
    if any(a.kind == "supplemental" for a in session.administrations):
        raise InvalidInput.single("status", "the supplemental dose has already been given")
    at = _moment(ctx, session, data.at, "at")
    result = assess_supplemental(
        first.given_at, SupplementalEvent(data.status, at, data.reason), rules.supplemental
    )
    if result.problems:
        raise InvalidInput(
            [FieldError((p.split(": ", 1)[0],), p.split(": ", 1)[-1]) for p in result.problems]
        )
    return _add_part(
        ctx,
        session,
        SupplementalDecision,
        {
            "status": data.status,
            "at": at,
            "reason": data.reason,
            "elapsed_minutes": result.elapsed_minutes,
            "timing": result.timing,
            "administration_id": None,
        },
        version=data.version,
    )


# --- vital signs and the timeline --------------------------------------------------------------


def record_vitals(ctx: ActionContext, session_id: int, data: VitalsInput) -> VitalReading:
    """Record a set of vital signs; each value beyond a threshold raises a vital alert."""
    session = _writable(ctx, session_id, data.version)
    at = _moment(ctx, session, data.at, "at")
    row = _add_part(
        ctx,
        session,
        VitalReading,
        {
            "taken_at": at,
            "systolic_bp": data.systolic_bp,
            "diastolic_bp": data.diastolic_bp,
            "heart_rate": data.heart_rate,
            "temperature_c": _decimal(data.temperature_c),
            "spo2": data.spo2,
            "note": data.note,
        },
        version=data.version,
    )
    rules = rules_of(session)
    if rules.vital_signs is None:
        return row
    for alert in vital_rules.check_reading(reading_of(row), rules.vital_signs):
        with writes_allowed(ctx.db):
            flag = VitalAlert(
                session=session,
                reading=row,
                site_id=session.site_id,
                client_id=session.client_id,
                vital=alert.vital,
                direction=alert.direction,
                threshold=f"{alert.threshold:g}",
                value=f"{alert.value:g}",
                unit=alert.unit,
                unconfirmed=alert.unconfirmed,
                sources=list(alert.sources),
                raised_at=ctx.now,
            )
            ctx.db.add(flag)
        audit.record_for(
            ctx,
            session,
            action="create",
            entity_type=VitalAlert.__tablename__,
            entity_id=flag.id,
            changes={"alert": [None, alert.describe()]},
            detail={"dosing_session_id": session.id, "reading_id": row.id},
        )
    return row


def acknowledge_vital_alert(
    ctx: ActionContext, session_id: int, alert_id: int, data: VitalAlertAcknowledgement
) -> VitalAlert:
    """Acknowledge a vital-sign alert with the action taken (once)."""
    session = _session(ctx, session_id, Permission.ALERT_ACKNOWLEDGE)
    _unsigned(session)
    alert = next((a for a in session.alerts if a.id == alert_id), None)
    if alert is None:
        raise InvalidInput.single("alert_id", "is not an alert of this session")
    if alert.acknowledged_at is not None:
        raise Refused("this alert has already been acknowledged")
    with _writing(ctx, session, None):
        alert.acknowledged_at = ctx.now
        alert.acknowledged_by_id = ctx.actor.user_id
        alert.action_note = data.action_note
    audit.record_for(
        ctx,
        session,
        action="acknowledge",
        entity_type=VitalAlert.__tablename__,
        entity_id=alert.id,
        changes={
            "acknowledged_at": [None, audit.jsonable(ctx.now)],
            "action_note": [None, data.action_note],
        },
        detail={"dosing_session_id": session.id},
    )
    return alert


def add_timeline_entry(ctx: ActionContext, session_id: int, data: TimelineInput) -> TimelineEntry:
    """An observation (from the observation list) or a free-text note, at minute resolution."""
    session = _writable(ctx, session_id, data.version)
    if data.code is not None and shipped_observations().get(data.code) is None:
        known = ", ".join(o.id for o in shipped_observations().observations)
        raise InvalidInput.single("code", f"is not a known observation ({known})")
    at = _minute(_moment(ctx, session, data.at, "at"))
    if at < session.started_at:
        at = _minute(session.started_at)
    return _add_part(
        ctx,
        session,
        TimelineEntry,
        {
            "at": at,
            "kind": "observation" if data.code else "note",
            "code": data.code,
            "text": data.text,
        },
        version=data.version,
    )


# --- end, discharge, signatures, addenda --------------------------------------------------------


def _close(ctx: ActionContext, session: DosingSession, at: datetime, expected: int) -> None:
    """End the session at ``at``: open presence closes, the staffing check is kept."""
    with writes_allowed(ctx.db):
        for presence in session.presence:
            if presence.left_at is None:
                presence.left_at = max(at, presence.arrived_at)
    report = staffing_report(session, rules_of(session), at)
    _update_session(
        ctx,
        session,
        "end",
        {"status": ENDED, "ended_at": at, "staffing_check": staffing_json(report, ctx.now)},
        expected,
        detail={"staffing_gaps": len(report.gaps) if report else 0},
    )


def end_session(ctx: ActionContext, session_id: int, data: EndSessionInput) -> DosingSession:
    """End the session; open presence intervals close and the staffing check is kept."""
    session = _writable(ctx, session_id, data.version)
    if session.status != IN_PROGRESS:
        raise Refused("the session has already ended")
    at = _moment(ctx, session, data.at, "at")
    last = max((a.given_at for a in session.administrations), default=session.started_at)
    if at < last:
        raise InvalidInput.single("at", "cannot be before the last dose")
    _close(ctx, session, at, data.version)
    return session


def record_discharge(ctx: ActionContext, session_id: int, data: DischargeInput) -> SessionDischarge:
    """Record the discharge with the criteria and the minimum-duration check.

    Ends the session at the discharge time if it is still running. A discharge with unmet
    criteria or before the minimum duration needs ``data.reason``; it is kept with its problems.
    """
    session = _writable(ctx, session_id, data.version)
    if session.discharge is not None:
        raise Refused("the discharge is already recorded")
    rules = rules_of(session)
    at = _moment(ctx, session, data.discharged_at, "discharged_at")
    if session.ended_at is not None and at < session.ended_at:
        raise InvalidInput.single("discharged_at", "cannot be before the session ended")
    if initial_dose(session) is None:
        raise Refused("no dose is recorded in this session")
    known = {c.id for c in rules.discharge.criteria}
    unknown = sorted(set(data.criteria) - known)
    if unknown:
        raise InvalidInput.single("criteria", f"unknown criterion {', '.join(unknown)}")
    names: dict[int, str] = {}
    try:
        review = review_discharge(
            rules,
            DischargeRecord(at, data.criteria, data.release_to, data.released_to_name),
            session_start=session.started_at,
            administrations=[administration_of(a, names) for a in session.administrations],
            initial_session_on=first_session_on(ctx.db, session, _site(ctx, session.site_id)),
        )
    except ValueError as exc:
        raise InvalidInput.single("criteria", str(exc)) from exc
    if review.problems and data.reason is None:
        errors = [FieldError((p.split(": ", 1)[0],), p.split(": ", 1)[-1]) for p in review.problems]
        errors.append(FieldError(("reason",), "give a reason to discharge despite these problems"))
        raise InvalidInput(errors)
    duration = review.duration
    row = _add_part(
        ctx,
        session,
        SessionDischarge,
        {
            "discharged_at": at,
            "criteria": {
                c.id: bool(data.criteria.get(c.id, False)) for c in rules.discharge.criteria
            },
            "release_to": data.release_to,
            "released_to_name": data.released_to_name,
            "duration_check": None
            if duration is None
            else {
                "required_minutes": duration.required_minutes,
                "actual_minutes": duration.actual_minutes,
                "shortfall_minutes": duration.shortfall_minutes,
                "ok": duration.ok,
                "reason": duration.reason,
                "sources": list(duration.sources),
            },
            "problems": list(review.problems),
            "reason": data.reason if review.problems else None,
        },
        version=data.version,
    )
    if session.status == IN_PROGRESS:
        _close(ctx, session, at, session.version)
    return row


def sign_session(ctx: ActionContext, session_id: int, data: SignInput) -> DosingSession:
    """The lead facilitator signs the ended, discharged session (vital alerts acknowledged)."""
    session = _writable(ctx, session_id, data.version)
    if ctx.actor.user_id != session.lead_facilitator_id:
        raise Refused("only the lead facilitator signs the session")
    reasons = []
    if session.status != ENDED:
        reasons.append("end the session")
    if session.discharge is None:
        reasons.append("record the discharge")
    if any(a.acknowledged_at is None for a in session.alerts):
        reasons.append("acknowledge every vital-sign alert")
    if reasons:
        raise Refused("The session cannot be signed yet.", reasons)
    return _update_session(
        ctx,
        session,
        "sign",
        {"status": SIGNED, "signed_by_id": ctx.actor.user_id, "signed_at": ctx.now},
        data.version,
    )


def cosign_session(ctx: ActionContext, session_id: int, data: SignInput) -> DosingSession:
    """The second facilitator (a different person) co-signs; the record is then locked."""
    session = _session(ctx, session_id)
    _check_version(ctx, session, data.version)
    if session.status != SIGNED:
        raise Refused(
            "the lead facilitator signs first"
            if session.status != COSIGNED
            else "already co-signed"
        )
    me = ctx.actor.user_id
    if me is None or me == session.signed_by_id:
        raise Refused("the co-signer must be a different person from the lead facilitator")
    second = session.second_facilitator_id
    if second is not None and second != me:
        raise Refused("only the second facilitator named for this session co-signs it")
    return _update_session(
        ctx,
        session,
        "cosign",
        {
            "status": COSIGNED,
            "second_facilitator_id": me,
            "cosigned_by_id": me,
            "cosigned_at": ctx.now,
        },
        data.version,
    )


def add_addendum(ctx: ActionContext, session_id: int, data: AddendumInput) -> SessionAddendum:
    """Add an addendum to a signed session; the original record stays as it was."""
    session = _session(ctx, session_id)
    if session.signed_at is None:
        raise Refused("the session is not signed yet; record the entry itself")
    with writes_allowed(ctx.db):
        row = SessionAddendum(
            session=session,
            site_id=session.site_id,
            client_id=session.client_id,
            recorded_by_id=ctx.actor.user_id,
            recorded_at=ctx.now,
            text=data.text,
        )
        ctx.db.add(row)
    _audit_part(ctx, session, row, {"text": data.text})
    return row
