"""Adverse-event pages: checklist and full form, the event page, listings with CSV, and the
client-page and dashboard panels."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from mendwell.actions import adverse_events as ae_actions
from mendwell.actions.context import ActionContext
from mendwell.actions.errors import Conflict, InvalidInput
from mendwell.clinical.sessions.adverse_events import (
    EVENT_CATEGORIES,
    AdverseEventVocabulary,
    vocabulary_at,
)
from mendwell.clinical.sessions.jurisdiction import load_jurisdiction_sessions
from mendwell.permissions import Permission, Role
from mendwell.queries.adverse_events import (
    FILTER_PARAMS,
    EventFilter,
    clock_view,
    events_csv,
    filter_from_params,
    get_visible_event,
    open_alerts,
    running_clocks,
    search_events,
)
from mendwell.queries.scope import get_visible_client
from mendwell.queries.site_calendar import site_today
from mendwell.schemas.adverse_events import (
    OREGON_NATURES,
    STATUSES,
    SUBSTANCES,
    AdverseEventFields,
    AdverseEventUpdate,
    AlertAcknowledgement,
    ChecklistRecord,
    FollowUpCreate,
    ReportSubmission,
)
from mendwell.schemas.common import parse
from mendwell.store.models import AdverseEvent, AuditEvent, Client, Site
from mendwell.web.access import Db, Principal, action_context, requires
from mendwell.web.extensions import (
    NavItem,
    Panel,
    PanelRequest,
    client_panel,
    dashboard_panel,
    nav_item,
)
from mendwell.web.forms import errors_by_field, form_data, posted_form
from mendwell.web.templating import render

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, requires(Permission.ADVERSE_EVENT_VIEW)]
Recorder = Annotated[Principal, requires(Permission.ADVERSE_EVENT_RECORD)]
Acknowledger = Annotated[Principal, requires(Permission.ALERT_ACKNOWLEDGE)]
LOCAL_MINUTE = "%Y-%m-%dT%H:%M"


def vocabulary(request: Request) -> AdverseEventVocabulary:
    """The shipped vocabulary, or the program's own (MENDWELL_ADVERSE_EVENT_VOCABULARY)."""
    return vocabulary_at(request.app.state.settings.adverse_event_vocabulary)


def labels(vocab: AdverseEventVocabulary) -> dict[str, dict[Any, str]]:
    """Display labels for every coded field."""
    oregon = load_jurisdiction_sessions("us-or").adverse_reaction_categories
    return {
        "grade": {g.grade: f"{g.grade} — {g.label}" for g in vocab.grades},
        "criteria": {c.id: c.label for c in vocab.seriousness_criteria},
        "relatedness": {t.id: t.label for t in vocab.relatedness.terms},
        "expectedness": {t.id: t.label for t in vocab.expectedness.terms},
        "action": {t.id: t.label for t in vocab.actions.terms},
        "outcome": {t.id: t.label for t in vocab.outcomes.terms},
        "interest": {s.id: s.label for s in vocab.special_interest},
        "checklist": {c.id: c.label for c in vocab.session_checklist},
        "category": EVENT_CATEGORIES,
        "substance": SUBSTANCES,
        "status": STATUSES,
        "oregon_nature": OREGON_NATURES,
        "oregon": {c.id: c.label for c in oregon},
        "expedited": {"yes": "Yes", "no": "No", "pending-assessment": "Pending assessment"},
        "clock_state": {
            "pending": "Running",
            "due-today": "Due today",
            "overdue": "Overdue",
            "submitted": "Submitted on time",
            "submitted-late": "Submitted late",
        },
    }


def _form_context(request: Request, site: Site, now: datetime) -> dict[str, Any]:
    """Validation context for a form: times without an offset are in the site's zone."""
    return {
        "vocabulary": vocabulary(request),
        "timezone": site.timezone,
        "now": now,
        "naive_local": True,
    }


def _local(value: datetime | None, site: Site) -> str | None:
    """A time as a datetime-local value in the site's zone (seconds only when there are some)."""
    if value is None:
        return None
    local = value.astimezone(ZoneInfo(site.timezone))
    return local.strftime(LOCAL_MINUTE + (":%S" if local.second else ""))


def _last_substance(db: Session, client_id: int) -> str | None:
    return db.scalar(
        select(AdverseEvent.substance)
        .where(AdverseEvent.client_id == client_id)
        .order_by(AdverseEvent.id.desc())
        .limit(1)
    )


def _capture_defaults(db: Session, client: Client, now: datetime) -> dict[str, Any]:
    return {
        "onset_at": _local(now, client.site),
        "aware_on": site_today(client.site, now).isoformat(),
        "substance": _last_substance(db, client.id),
    }


def _page_context(request: Request, **extra: Any) -> dict[str, Any]:
    vocab = vocabulary(request)
    return {"vocab": vocab, "labels": labels(vocab), "categories": EVENT_CATEGORIES, **extra}


# --- checklist ---------------------------------------------------------------------------------


def _checklist_page(
    request: Request,
    db: Db,
    principal: Principal,
    client: Client,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "adverse_events/checklist.html",
        _page_context(request, client=client, site=client.site, values=values, errors=errors),
        status_code=status_code,
    )


@router.get("/clients/{client_id}/adverse-events/checklist")
def checklist_form(
    request: Request,
    db: Db,
    principal: Recorder,
    client_id: int,
    dosing_session_id: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """The at-session checklist; opened from a dosing session, the events are linked to it."""
    ctx = action_context(request, db, principal)
    client = get_visible_client(db, principal.actor, client_id)
    ctx.require(Permission.ADVERSE_EVENT_RECORD, client.site_id)
    values = _capture_defaults(db, client, ctx.now)
    if dosing_session_id is not None:
        values["dosing_session_id"] = dosing_session_id
        values["context"] = f"Dosing session {dosing_session_id}"
    return _checklist_page(request, db, principal, client, values, {})


@router.post("/clients/{client_id}/adverse-events/checklist")
def record_checklist(request: Request, db: Db, principal: Recorder, client_id: int) -> Response:
    values = form_data(posted_form(request), ChecklistRecord)
    ctx = action_context(request, db, principal)
    client = get_visible_client(db, principal.actor, client_id)
    try:
        data = parse(ChecklistRecord, values, context=_form_context(request, client.site, ctx.now))
        events = ae_actions.record_checklist(ctx, client_id, data, vocabulary=vocabulary(request))
    except InvalidInput as exc:
        db.rollback()
        client = get_visible_client(db, principal.actor, client_id)
        return _checklist_page(
            request, db, principal, client, values, errors_by_field(exc.errors), 422
        )
    if data.dosing_session_id is not None:
        return RedirectResponse(
            f"/sessions/{data.dosing_session_id}?recorded={len(events)}#adverse-events",
            status_code=303,
        )
    return RedirectResponse(
        f"/clients/{client_id}/adverse-events?recorded={len(events)}", status_code=303
    )


# --- full form ---------------------------------------------------------------------------------


def _event_form(
    request: Request,
    client: Client,
    *,
    event: AdverseEvent | None,
    values: dict[str, Any],
    errors: dict[str, str],
    conflict: Conflict | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "adverse_events/form.html",
        _page_context(
            request,
            client=client,
            site=client.site,
            event=event,
            values=values,
            errors=errors,
            conflict=conflict,
            oregon=client.site.jurisdiction == "us-or",
        ),
        status_code=status_code,
    )


@router.get("/clients/{client_id}/adverse-events/new")
def new_event_form(request: Request, db: Db, principal: Recorder, client_id: int) -> Response:
    ctx = action_context(request, db, principal)
    client = get_visible_client(db, principal.actor, client_id)
    ctx.require(Permission.ADVERSE_EVENT_RECORD, client.site_id)
    values = _capture_defaults(db, client, ctx.now)
    return _event_form(request, client, event=None, values=values, errors={})


@router.post("/clients/{client_id}/adverse-events")
def create_event(request: Request, db: Db, principal: Recorder, client_id: int) -> Response:
    values = form_data(posted_form(request), AdverseEventFields)
    ctx = action_context(request, db, principal)
    client = get_visible_client(db, principal.actor, client_id)
    try:
        data = parse(
            AdverseEventFields, values, context=_form_context(request, client.site, ctx.now)
        )
        event = ae_actions.create_adverse_event(
            ctx, client_id, data, vocabulary=vocabulary(request)
        )
    except InvalidInput as exc:
        db.rollback()
        client = get_visible_client(db, principal.actor, client_id)
        errors = errors_by_field(exc.errors)
        return _event_form(
            request, client, event=None, values=values, errors=errors, status_code=422
        )
    return RedirectResponse(f"/adverse-events/{event.id}", status_code=303)


def _event_values(event: AdverseEvent) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(event, name) for name in ae_actions.CAPTURE_FIELDS}
    values["onset_at"] = _local(event.onset_at, event.site)
    values["resolved_at"] = _local(event.resolved_at, event.site)
    values["aware_on"] = event.aware_on.isoformat()
    facts = event.jurisdiction_facts or {}
    if facts:
        values["oregon_during_session"] = "yes" if facts["during_administration_session"] else "no"
        values["oregon_nature"] = facts.get("nature")
        values["oregon_emergency_services"] = facts.get("emergency_services_contacted")
        values["oregon_medical_care"] = facts.get("medical_care_received")
        values["oregon_hospital_transport"] = facts.get("transported_to_hospital")
    values["version"] = event.version
    return values


@router.get("/adverse-events/{event_id}/edit")
def edit_event_form(request: Request, db: Db, principal: Recorder, event_id: int) -> Response:
    event = get_visible_event(db, principal.actor, event_id)
    action_context(request, db, principal).require(Permission.ADVERSE_EVENT_RECORD, event.site_id)
    return _event_form(request, event.client, event=event, values=_event_values(event), errors={})


@router.post("/adverse-events/{event_id}")
def update_event(request: Request, db: Db, principal: Recorder, event_id: int) -> Response:
    values = form_data(posted_form(request), AdverseEventUpdate)
    ctx = action_context(request, db, principal)
    event = get_visible_event(db, principal.actor, event_id)
    try:
        data = parse(
            AdverseEventUpdate, values, context=_form_context(request, event.site, ctx.now)
        )
        ae_actions.update_adverse_event(ctx, event_id, data, vocabulary=vocabulary(request))
    except (InvalidInput, Conflict) as exc:
        db.rollback()
        event = get_visible_event(db, principal.actor, event_id)
        if isinstance(exc, Conflict):
            return _event_form(
                request,
                event.client,
                event=event,
                values={**values, "version": event.version},
                errors={},
                conflict=exc,
                status_code=409,
            )
        return _event_form(
            request,
            event.client,
            event=event,
            values=values,
            errors=errors_by_field(exc.errors),
            status_code=422,
        )
    return RedirectResponse(f"/adverse-events/{event_id}", status_code=303)


# --- the event page ----------------------------------------------------------------------------


def _history(db: Session, event: AdverseEvent) -> list[AuditEvent]:
    return list(
        db.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.entity_type == ae_actions.ENTITY,
                AuditEvent.entity_id == str(event.id),
                AuditEvent.action.in_(("create", "update")),
                AuditEvent.outcome == "success",
            )
            .order_by(AuditEvent.seq.desc())
        )
    )


def _event_page(
    request: Request,
    db: Db,
    principal: Principal,
    event_id: int,
    *,
    follow_up_errors: dict[str, str] | None = None,
    follow_up_values: dict[str, Any] | None = None,
    report_errors: dict[str, str] | None = None,
    report_values: dict[str, Any] | None = None,
    ack_errors: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    ctx = action_context(request, db, principal)
    event = ae_actions.view_adverse_event(ctx, event_id)
    today = site_today(event.site, ctx.now)
    actor = principal.actor
    return render(
        request,
        "adverse_events/page.html",
        _page_context(
            request,
            event=event,
            client=event.client,
            site=event.site,
            clocks=clock_view(event, today),
            today=today,
            history=_history(db, event),
            may_record=actor.can(Permission.ADVERSE_EVENT_RECORD, event.site_id),
            may_acknowledge=actor.roles_by_site.get(event.site_id) == Role.MEDICAL,
            follow_up_errors=follow_up_errors or {},
            follow_up_values=follow_up_values or {"followed_up_on": today.isoformat()},
            report_errors=report_errors or {},
            report_values=report_values or {"submitted_on": today.isoformat()},
            ack_errors=ack_errors or {},
        ),
        status_code=status_code,
    )


@router.get("/adverse-events/{event_id}")
def event_page(request: Request, db: Db, principal: Viewer, event_id: int) -> Response:
    return _event_page(request, db, principal, event_id)


def _post_to_event(
    request: Request,
    db: Db,
    principal: Principal,
    event_id: int,
    model: type[FollowUpCreate] | type[ReportSubmission],
    act: Callable[[ActionContext, int, Any], object],
    form: str,
    anchor: str,
) -> Response:
    """Handle one of the event page's forms; bad input shows the page again with the errors."""
    values = form_data(posted_form(request), model)
    ctx = action_context(request, db, principal)
    event = get_visible_event(db, principal.actor, event_id)
    try:
        act(
            ctx, event_id, parse(model, values, context=_form_context(request, event.site, ctx.now))
        )
    except InvalidInput as exc:
        db.rollback()
        shown = {f"{form}_errors": errors_by_field(exc.errors), f"{form}_values": values}
        return _event_page(request, db, principal, event_id, status_code=422, **shown)
    return RedirectResponse(f"/adverse-events/{event_id}#{anchor}", status_code=303)


@router.post("/adverse-events/{event_id}/follow-ups")
def add_follow_up(request: Request, db: Db, principal: Recorder, event_id: int) -> Response:
    return _post_to_event(
        request,
        db,
        principal,
        event_id,
        FollowUpCreate,
        ae_actions.add_follow_up,
        "follow_up",
        "follow-ups",
    )


@router.post("/adverse-events/{event_id}/reports")
def record_report(request: Request, db: Db, principal: Recorder, event_id: int) -> Response:
    return _post_to_event(
        request,
        db,
        principal,
        event_id,
        ReportSubmission,
        ae_actions.record_report,
        "report",
        "clocks",
    )


@router.post("/adverse-events/alerts/{alert_id}/acknowledge")
def acknowledge_alert(request: Request, db: Db, principal: Acknowledger, alert_id: int) -> Response:
    form = posted_form(request)
    values = form_data(form, AlertAcknowledgement)
    ctx = action_context(request, db, principal)
    try:
        alert = ae_actions.acknowledge_alert(ctx, alert_id, parse(AlertAcknowledgement, values))
    except InvalidInput as exc:
        db.rollback()
        event_id = ae_actions.alert_event_id(ctx, alert_id)
        return _event_page(
            request,
            db,
            principal,
            event_id,
            ack_errors={"alert": alert_id, **errors_by_field(exc.errors)},
            status_code=422,
        )
    back = str(form.get("next") or "")
    if back.startswith("/") and not back.startswith(("//", "/\\")):  # stay on this site
        return RedirectResponse(back, status_code=303)
    return RedirectResponse(f"/adverse-events/{alert.adverse_event_id}", status_code=303)


# --- listings ----------------------------------------------------------------------------------


def _params(request: Request) -> dict[str, str | None]:
    return {name: request.query_params.get(name) for name in FILTER_PARAMS}


def _view_sites(db: Session, principal: Principal) -> list[Site]:
    ids = principal.actor.sites_with(Permission.ADVERSE_EVENT_VIEW)
    return list(db.scalars(select(Site).where(Site.id.in_(ids)).order_by(Site.name)))


def _listing(
    request: Request, db: Db, principal: Principal, page: int, client: Client | None
) -> Response:
    vocab = vocabulary(request)
    ctx = action_context(request, db, principal)
    errors: dict[str, str] = {}
    try:
        f = filter_from_params(_params(request), vocab, page=page)
    except InvalidInput as exc:
        errors = errors_by_field(exc.errors)
        f = EventFilter(page=page)
    if client is not None:
        f.client_id = client.id
    rows, total = search_events(db, principal.actor, f)
    if client is None:
        ae_actions.record_listing(ctx, f.public_dict(), total)
    query = urlencode({k: v for k, v in f.public_dict().items() if k != "client_id"})
    return render(
        request,
        "adverse_events/list.html",
        _page_context(
            request,
            client=client,
            rows=[(e, clock_view(e, site_today(e.site, ctx.now))) for e in rows],
            total=total,
            f=f,
            raw=_params(request),
            errors=errors,
            sites=_view_sites(db, principal),
            pages=(total + f.per_page - 1) // f.per_page,
            query=query,
            recorded=request.query_params.get("recorded"),
            may_record=client is not None
            and principal.actor.can(Permission.ADVERSE_EVENT_RECORD, client.site_id),
        ),
        status_code=422 if errors else 200,
    )


def _csv(request: Request, db: Db, principal: Principal, client: Client | None) -> Response:
    ctx = action_context(request, db, principal)
    f = filter_from_params(_params(request), vocabulary(request))
    if client is not None:
        f.client_id = client.id
    rows, total = search_events(db, principal.actor, f, everything=True)
    ae_actions.record_listing(ctx, f.public_dict(), total, export=True)
    stamp = ctx.now.strftime("%Y%m%dT%H%M%SZ")
    name = f"mendwell-adverse-events-{client.code + '-' if client else ''}{stamp}.csv"
    return Response(
        events_csv(rows, ctx.now),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@router.get("/adverse-events")
def program_listing(
    request: Request, db: Db, principal: Viewer, page: Annotated[int, Query(ge=1)] = 1
) -> Response:
    return _listing(request, db, principal, page, None)


@router.get("/adverse-events.csv")
def program_csv(request: Request, db: Db, principal: Viewer) -> Response:
    return _csv(request, db, principal, None)


@router.get("/clients/{client_id}/adverse-events")
def client_listing(
    request: Request,
    db: Db,
    principal: Viewer,
    client_id: int,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    client = ae_actions.view_client_events(action_context(request, db, principal), client_id)
    return _listing(request, db, principal, page, client)


@router.get("/clients/{client_id}/adverse-events.csv")
def client_csv(request: Request, db: Db, principal: Viewer, client_id: int) -> Response:
    client = get_visible_client(db, principal.actor, client_id)
    action_context(request, db, principal).require(Permission.ADVERSE_EVENT_VIEW, client.site_id)
    return _csv(request, db, principal, client)


# --- panels and menu -----------------------------------------------------------------------------


def _client_panel(req: PanelRequest) -> dict[str, Any]:
    client = req.client
    assert client is not None
    vocab = vocabulary(req.request)
    rows, total = search_events(req.db, req.actor, EventFilter(client_id=client.id, per_page=8))
    today = site_today(client.site, req.now)
    return {
        "client": client,
        "site": client.site,
        "rows": [(e, clock_view(e, today)) for e in rows],
        "total": total,
        "alerts": open_alerts(req.db, req.actor, client_id=client.id),
        "may_record": req.actor.can(Permission.ADVERSE_EVENT_RECORD, client.site_id),
        "vocab": vocab,
        "labels": labels(vocab),
        "checklist_values": _capture_defaults(req.db, client, req.now),
    }


def _dashboard_panel(req: PanelRequest) -> dict[str, Any] | None:
    # Serious events are brought to the medical monitor at once.
    if Role.MEDICAL not in req.actor.roles_by_site.values():
        return None
    vocab = vocabulary(req.request)
    return {
        "running": running_clocks(req.db, req.actor, req.now),
        "alerts": open_alerts(req.db, req.actor),
        "labels": labels(vocab),
        "medical_sites": {s for s, r in req.actor.roles_by_site.items() if r == Role.MEDICAL},
    }


client_panel(
    Panel(
        "adverse-events",
        "Adverse events",
        "adverse_events/_client_panel.html",
        Permission.ADVERSE_EVENT_VIEW,
        _client_panel,
        order=40,
    )
)
dashboard_panel(
    Panel(
        "serious-adverse-events",
        "Serious adverse events",
        "adverse_events/_dashboard_panel.html",
        Permission.ADVERSE_EVENT_VIEW,
        _dashboard_panel,
        order=10,
    )
)
nav_item(NavItem("Adverse events", "/adverse-events", Permission.ADVERSE_EVENT_VIEW, order=40))
