"""Recording, assessing and following up adverse events; expedited reports; serious alerts.

Seriousness, special interest, the expedited-report decision and the clocks come from the rules in
``mendwell.clinical.sessions.adverse_events`` and are stored with the vocabulary's id and version.
An event becoming serious (or fatal or life-threatening) raises an alert for the medical monitor.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from mendwell.actions import audit
from mendwell.actions.clients import changes_since
from mendwell.actions.context import ActionContext, writes_allowed
from mendwell.actions.errors import (
    Conflict,
    FieldError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Refused,
)
from mendwell.clinical.sessions import adverse_events as rules
from mendwell.clinical.sessions.jurisdiction import load_jurisdiction_sessions
from mendwell.permissions import Permission, Role
from mendwell.queries.adverse_events import event_visibility, get_visible_event
from mendwell.queries.scope import get_visible_client
from mendwell.queries.site_calendar import site_today
from mendwell.schemas.adverse_events import (
    AdverseEventFields,
    AdverseEventUpdate,
    AlertAcknowledgement,
    ChecklistRecord,
    FollowUpCreate,
    ReportSubmission,
)
from mendwell.store.models import (
    AdverseEvent,
    AdverseEventAlert,
    AdverseEventFollowUp,
    AdverseEventReport,
    Client,
    DosingSession,
    Site,
)

ENTITY = "adverse_event"
OREGON = "us-or"
OREGON_FIELDS = (
    "oregon_during_session",
    "oregon_nature",
    "oregon_emergency_services",
    "oregon_medical_care",
    "oregon_hospital_transport",
)
CAPTURE_FIELDS = (
    "term",
    "description",
    "category",
    "checklist_item",
    "substance",
    "context",
    "dosing_session_id",
    "onset_at",
    "resolved_at",
    "aware_on",
    "grade",
    "seriousness_criteria",
    "relatedness",
    "expectedness",
    "action_taken",
    "outcome",
    "special_interest",
    "meddra_code",
    "meddra_version",
)
DERIVED_FIELDS = (
    "serious",
    "fatal_or_life_threatening",
    "expedited",
    "grade_ncit",
    "assessment_notes",
    "vocabulary_id",
    "vocabulary_version",
    "jurisdiction_facts",
    "jurisdiction_categories",
    "jurisdiction_rules",
)


def snapshot(event: AdverseEvent) -> dict[str, Any]:
    """The audited state of an event (clocks as their due dates)."""
    data = {name: getattr(event, name) for name in (*CAPTURE_FIELDS, *DERIVED_FIELDS)}
    data["clocks_due"] = {c["id"]: c["due_on"] for c in event.clocks}
    data["status"] = event.status
    return data


def _vocabulary(vocabulary: rules.AdverseEventVocabulary | None) -> rules.AdverseEventVocabulary:
    return vocabulary or rules.shipped_vocabulary()


def _assessment(values: dict[str, Any], vocab: rules.AdverseEventVocabulary) -> dict[str, Any]:
    """What the rules derive from the captured values, ready to store."""
    try:
        result = rules.assess_adverse_event(
            rules.AdverseEvent(
                term=values["term"],
                aware_on=values["aware_on"],
                onset_at=values["onset_at"],
                grade=values["grade"],
                seriousness_criteria=tuple(values["seriousness_criteria"]),
                relatedness=values["relatedness"],
                expectedness=values["expectedness"],
                action_taken=values["action_taken"],
                outcome=values["outcome"],
                special_interest=tuple(values["special_interest"]),
                checklist_item=values["checklist_item"],
            ),
            vocab,
        )
    except rules.AdverseEventError as exc:
        name, _, message = str(exc).partition(": ")
        raise InvalidInput.single(name, message) from exc
    return {
        "special_interest": list(result.special_interest),
        "serious": result.serious,
        "fatal_or_life_threatening": result.fatal_or_life_threatening,
        "expedited": result.expedited,
        "grade_ncit": result.grade_ncit,
        "clocks": [
            {**asdict(c), "due_on": c.due_on.isoformat(), "sources": list(c.sources)}
            for c in result.clocks
        ],
        "assessment_notes": list(result.notes),
        "vocabulary_id": result.vocabulary_id,
        "vocabulary_version": result.vocabulary_version,
    }


def _jurisdiction(site: Site, given: dict[str, Any]) -> dict[str, Any]:
    """Oregon's adverse-reaction categories (OAR 333-333-1010) for an event at an Oregon site."""
    given = {k: v for k, v in given.items() if v is not None}
    if site.jurisdiction != OREGON:
        if given:
            raise InvalidInput(
                [
                    FieldError((name,), "is recorded only at a site under the Oregon profile")
                    for name in given
                ]
            )
        return {
            "jurisdiction": site.jurisdiction,
            "jurisdiction_facts": None,
            "jurisdiction_categories": [],
            "jurisdiction_rules": None,
        }
    unclassified = {
        "jurisdiction": OREGON,
        "jurisdiction_facts": None,
        "jurisdiction_categories": [],
        "jurisdiction_rules": None,
    }
    during = given.get("oregon_during_session")
    if during is None:
        if given:
            raise InvalidInput.single(
                "oregon_during_session",
                "say whether the reaction happened during an administration session",
            )
        return unclassified
    facts = rules.OregonReactionFacts(
        during_administration_session=during,
        nature=given.get("oregon_nature"),
        emergency_services_contacted=bool(given.get("oregon_emergency_services")),
        medical_care_received=bool(given.get("oregon_medical_care")),
        transported_to_hospital=bool(given.get("oregon_hospital_transport")),
    )
    needs_nature = during and (facts.emergency_services_contacted or facts.medical_care_received)
    if needs_nature and facts.nature is None:
        raise InvalidInput.single(
            "oregon_nature", "say whether the reaction was behavioral or medical"
        )
    sessions = load_jurisdiction_sessions(OREGON)
    result = rules.classify_oregon_reaction(facts, sessions)
    return {
        "jurisdiction": OREGON,
        "jurisdiction_facts": asdict(facts),
        "jurisdiction_categories": list(result.ids),
        "jurisdiction_rules": f"{sessions.id}@{sessions.version}",
    }


def _capture(data: AdverseEventFields, vocab: rules.AdverseEventVocabulary) -> dict[str, Any]:
    values = data.model_dump(include=set(CAPTURE_FIELDS))
    if values["category"] is None:
        item = next((c for c in vocab.session_checklist if c.id == data.checklist_item), None)
        values["category"] = item.group if item else "other"
    return values


def _raise_alert(
    ctx: ActionContext, event: AdverseEvent, was_serious: bool, was_fatal: bool
) -> None:
    """Alert the medical monitor when an event becomes serious, or fatal or life-threatening."""
    if event.fatal_or_life_threatening and not was_fatal:
        reason = "fatal-or-life-threatening"
    elif event.serious and not was_serious:
        reason = "serious"
    else:
        return
    with writes_allowed(ctx.db):
        alert = AdverseEventAlert(
            event=event,
            site_id=event.site_id,
            client_id=event.client_id,
            reason=reason,
            raised_at=ctx.now,
        )
        ctx.db.add(alert)
    audit.record_for(
        ctx,
        event,
        action="create",
        entity_type="adverse_event_alert",
        entity_id=alert.id,
        changes={"reason": [None, reason], "adverse_event_id": [None, event.id]},
    )


def _insert(
    ctx: ActionContext,
    client: Client,
    values: dict[str, Any],
    jurisdiction: dict[str, Any],
    vocab: rules.AdverseEventVocabulary,
    via: str,
) -> AdverseEvent:
    derived = _assessment(values, vocab)
    with writes_allowed(ctx.db):
        event = AdverseEvent(
            site_id=client.site_id,
            client_id=client.id,
            **{**values, **derived, **jurisdiction},
            status="open",
            created_at=ctx.now,
            created_by_id=ctx.actor.user_id,
            updated_at=ctx.now,
        )
        ctx.db.add(event)
    audit.record_for(
        ctx,
        event,
        action="create",
        entity_type=ENTITY,
        entity_id=event.id,
        changes=audit.diff(
            None, {k: v for k, v in snapshot(event).items() if v not in (None, [], {})}
        ),
        detail={"via": via},
    )
    _raise_alert(ctx, event, was_serious=False, was_fatal=False)
    return event


def _check_session_link(ctx: ActionContext, client_id: int, session_id: int | None) -> None:
    """A linked dosing session must be one of this client's sessions."""
    if session_id is None:
        return
    owner = ctx.db.scalar(select(DosingSession.client_id).where(DosingSession.id == session_id))
    if owner != client_id:
        raise InvalidInput.single("dosing_session_id", "is not a dosing session of this client")


def _recordable_client(ctx: ActionContext, client_id: int) -> tuple[Client, Site]:
    client = get_visible_client(ctx.db, ctx.actor, client_id)
    ctx.require(Permission.ADVERSE_EVENT_RECORD, client.site_id)
    return client, client.site


def create_adverse_event(
    ctx: ActionContext,
    client_id: int,
    data: AdverseEventFields,
    *,
    vocabulary: rules.AdverseEventVocabulary | None = None,
) -> AdverseEvent:
    """Record one adverse event for a client, assessed by the rules as entered."""
    client, site = _recordable_client(ctx, client_id)
    _check_session_link(ctx, client.id, data.dosing_session_id)
    vocab = _vocabulary(vocabulary)
    jurisdiction = _jurisdiction(site, data.model_dump(include=set(OREGON_FIELDS)))
    return _insert(ctx, client, _capture(data, vocab), jurisdiction, vocab, via="form")


def record_checklist(
    ctx: ActionContext,
    client_id: int,
    data: ChecklistRecord,
    *,
    vocabulary: rules.AdverseEventVocabulary | None = None,
) -> list[AdverseEvent]:
    """One event per ticked checklist item, with only the capture fields; grade them later."""
    client, site = _recordable_client(ctx, client_id)
    _check_session_link(ctx, client.id, data.dosing_session_id)
    vocab = _vocabulary(vocabulary)
    onset = data.onset_at or ctx.now.replace(second=0, microsecond=0)
    aware_on = data.aware_on or site_today(site, ctx.now)
    if aware_on < site_today(site, onset):
        raise InvalidInput.single("aware_on", "cannot be before the day of onset")
    items = {c.id: c for c in vocab.session_checklist}
    jurisdiction = _jurisdiction(site, {})
    events = []
    for item_id in data.items:
        item = items[item_id]
        values: dict[str, Any] = dict.fromkeys(CAPTURE_FIELDS)
        values.update(
            term=item.label,
            category=item.group,
            checklist_item=item.id,
            substance=data.substance,
            context=data.context,
            dosing_session_id=data.dosing_session_id,
            onset_at=onset,
            aware_on=aware_on,
            seriousness_criteria=[],
            special_interest=[],
        )
        events.append(_insert(ctx, client, values, jurisdiction, vocab, via="checklist"))
    return events


def _conflict(ctx: ActionContext, event: AdverseEvent, expected: int) -> Conflict:
    return Conflict(
        ENTITY,
        event.id,
        expected_version=expected,
        current_version=event.version,
        changed_since=changes_since(ctx, ENTITY, event.id, expected),
        current=audit.jsonable(snapshot(event)),
    )


def _editable_event(ctx: ActionContext, event_id: int) -> AdverseEvent:
    event = get_visible_event(ctx.db, ctx.actor, event_id)
    ctx.require(Permission.ADVERSE_EVENT_RECORD, event.site_id)
    return event


def _audit_update(
    ctx: ActionContext, event: AdverseEvent, before: dict[str, Any], old_version: int, **extra: Any
) -> None:
    changes = audit.diff(before, snapshot(event))
    changes["version"] = [old_version, event.version]
    audit.record_for(
        ctx,
        event,
        action="update",
        entity_type=ENTITY,
        entity_id=event.id,
        changes=changes,
        **extra,
    )


def update_adverse_event(
    ctx: ActionContext,
    event_id: int,
    data: AdverseEventUpdate,
    *,
    vocabulary: rules.AdverseEventVocabulary | None = None,
) -> AdverseEvent:
    """Edit an open event; it is reassessed, and every changed field is audited old → new."""
    event = _editable_event(ctx, event_id)
    if event.status == "closed":
        raise Refused("This adverse event is closed. Reopen it with a follow-up to change it.")
    if data.version != event.version:
        raise _conflict(ctx, event, data.version)
    _check_session_link(ctx, event.client_id, data.dosing_session_id)
    vocab = _vocabulary(vocabulary)
    values = _capture(data, vocab)
    new = {
        **values,
        **_assessment(values, vocab),
        **_jurisdiction(event.site, data.model_dump(include=set(OREGON_FIELDS))),
    }
    if all(getattr(event, k) == v for k, v in new.items()):
        return event
    before, old_version = snapshot(event), event.version
    was_serious, was_fatal = event.serious, event.fatal_or_life_threatening
    try:
        with writes_allowed(ctx.db):
            for name, value in new.items():
                setattr(event, name, value)
            event.updated_at = ctx.now
            ctx.db.flush()
    except StaleDataError:
        ctx.db.rollback()
        raise Conflict(
            ENTITY, event_id, expected_version=data.version, current_version=data.version + 1
        ) from None
    _audit_update(ctx, event, before, old_version)
    _raise_alert(ctx, event, was_serious, was_fatal)
    return event


def _add_record(
    ctx: ActionContext,
    event: AdverseEvent,
    model: type[AdverseEventFollowUp] | type[AdverseEventReport],
    fields: dict[str, Any],
    detail: dict[str, Any] | None = None,
) -> Any:
    """Add an append-only record under an event (a follow-up, a report sent) and audit it."""
    with writes_allowed(ctx.db):
        record = model(
            event=event,
            site_id=event.site_id,
            client_id=event.client_id,
            recorded_at=ctx.now,
            **fields,
        )
        ctx.db.add(record)
    audit.record_for(
        ctx,
        event,
        action="create",
        entity_type=model.__tablename__,
        entity_id=record.id,
        changes=audit.diff(None, {"adverse_event_id": event.id, **fields}),
        detail=detail,
    )
    return record


def add_follow_up(ctx: ActionContext, event_id: int, data: FollowUpCreate) -> AdverseEventFollowUp:
    """A dated note; it may set the outcome and resolution, and close or reopen the event."""
    event = _editable_event(ctx, event_id)
    if data.version is not None and data.version != event.version:
        raise _conflict(ctx, event, data.version)
    problems = []
    if data.followed_up_on < event.aware_on:
        problems.append(FieldError(("followed_up_on",), "cannot be before the date of awareness"))
    changes_event = data.outcome is not None or data.resolved_at is not None
    if event.status == "closed" and changes_event and data.status_change != "reopened":
        problems.append(
            FieldError(("status_change",), "the event is closed: reopen it to change it")
        )
    if data.status_change == "closed" and event.status == "closed":
        problems.append(FieldError(("status_change",), "the event is already closed"))
    if data.status_change == "reopened" and event.status == "open":
        problems.append(FieldError(("status_change",), "the event is open"))
    if data.status_change == "closed" and not (data.outcome or event.outcome):
        problems.append(FieldError(("outcome",), "record the outcome before closing the event"))
    if data.resolved_at is not None and data.resolved_at < event.onset_at:
        problems.append(FieldError(("resolved_at",), "cannot be before the onset"))
    if problems:
        raise InvalidInput(problems)
    before, old_version = snapshot(event), event.version
    follow_up = _add_record(
        ctx,
        event,
        AdverseEventFollowUp,
        {
            "followed_up_on": data.followed_up_on,
            "note": data.note,
            "outcome": data.outcome,
            "resolved_at": data.resolved_at,
            "status_change": data.status_change,
            "author_id": ctx.actor.user_id,
        },
    )
    with writes_allowed(ctx.db):
        if data.outcome is not None:
            event.outcome = data.outcome
        if data.resolved_at is not None:
            event.resolved_at = data.resolved_at
        if data.status_change == "closed":
            event.status, event.closed_at = "closed", ctx.now
        elif data.status_change == "reopened":
            event.status, event.closed_at = "open", None
        if changes_event or data.status_change:
            event.updated_at = ctx.now
    if event.version != old_version:
        _audit_update(ctx, event, before, old_version, detail={"follow_up_id": follow_up.id})
    return follow_up


def record_report(ctx: ActionContext, event_id: int, data: ReportSubmission) -> AdverseEventReport:
    """Record that the expedited report for one of the event's clocks was sent."""
    event = _editable_event(ctx, event_id)
    clocks = {c["id"]: c for c in event.clocks}
    problems = []
    if data.clock_id not in clocks:
        known = ", ".join(clocks) or "none: this event has no reporting clock"
        problems.append(FieldError(("clock_id",), f"is not one of this event's reports ({known})"))
    if data.submitted_on < event.aware_on:
        problems.append(FieldError(("submitted_on",), "cannot be before the date of awareness"))
    if problems:
        raise InvalidInput(problems)
    return _add_record(
        ctx,
        event,
        AdverseEventReport,
        {**data.model_dump(), "recorded_by_id": ctx.actor.user_id},
        detail={"due_on": clocks[data.clock_id]["due_on"]},
    )


def _visible_alert(ctx: ActionContext, alert_id: int) -> AdverseEventAlert:
    alert = ctx.db.scalar(
        select(AdverseEventAlert)
        .join(AdverseEvent, AdverseEvent.id == AdverseEventAlert.adverse_event_id)
        .where(AdverseEventAlert.id == alert_id, event_visibility(ctx.db, ctx.actor))
    )
    if alert is None:
        raise NotFound("adverse_event_alert", alert_id)
    return alert


def alert_event_id(ctx: ActionContext, alert_id: int) -> int:
    """The event a visible alert belongs to."""
    return _visible_alert(ctx, alert_id).adverse_event_id


def acknowledge_alert(
    ctx: ActionContext, alert_id: int, data: AlertAcknowledgement
) -> AdverseEventAlert:
    """The medical monitor acknowledges a serious-event alert with a note."""
    alert = _visible_alert(ctx, alert_id)
    ctx.require(Permission.ALERT_ACKNOWLEDGE, alert.site_id)
    if not ctx.actor.system and ctx.actor.roles_by_site.get(alert.site_id) != Role.MEDICAL:
        # Serious-event alerts are addressed to the medical monitor at the site.
        raise PermissionDenied(f"{Permission.ALERT_ACKNOWLEDGE} (medical)", alert.site_id)
    if alert.acknowledged_at is not None:
        raise Refused("This alert was already acknowledged.")
    with writes_allowed(ctx.db):
        alert.acknowledged_at = ctx.now
        alert.acknowledged_by_id = ctx.actor.user_id
        alert.acknowledgement_note = data.note
    audit.record(
        ctx,
        action="acknowledge",
        entity_type="adverse_event_alert",
        entity_id=alert.id,
        site_id=alert.site_id,
        client_id=alert.client_id,
        changes={
            "acknowledged_at": [None, ctx.now],
            "acknowledged_by_id": [None, ctx.actor.user_id],
            "acknowledgement_note": [None, data.note],
        },
    )
    return alert


# --- audited reads ---------------------------------------------------------------------------


def view_adverse_event(ctx: ActionContext, event_id: int) -> AdverseEvent:
    """Fetch a visible event and record that it was viewed."""
    event = get_visible_event(ctx.db, ctx.actor, event_id)
    audit.record_for(
        ctx,
        event,
        action="view",
        entity_type=ENTITY,
        entity_id=event.id,
    )
    return event


def view_client_events(ctx: ActionContext, client_id: int) -> Client:
    """Fetch a visible client for their adverse-event listing and record the view."""
    client = get_visible_client(ctx.db, ctx.actor, client_id)
    ctx.require(Permission.ADVERSE_EVENT_VIEW, client.site_id)
    audit.record(
        ctx,
        action="view",
        entity_type="client",
        entity_id=client.id,
        site_id=client.site_id,
        client_id=client.id,
        detail={"what": "adverse events"},
    )
    return client


def record_listing(
    ctx: ActionContext, filters: dict[str, Any], count: int, *, export: bool = False
) -> None:
    """A listing or CSV download of adverse events is an auditable access (exports as such)."""
    audit.record(
        ctx,
        action="export" if export else "search",
        entity_type=ENTITY,
        client_id=filters.get("client_id"),
        detail={"filters": filters, "rows" if export else "count": count}
        | ({"format": "csv"} if export else {}),
    )
