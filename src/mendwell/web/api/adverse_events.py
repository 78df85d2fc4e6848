"""Adverse events over JSON: list (with the listing filters), create and read."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response

from mendwell.actions import adverse_events as ae_actions
from mendwell.actions.context import ActionContext
from mendwell.permissions import Permission
from mendwell.queries.adverse_events import (
    FILTER_PARAMS,
    event_out,
    filter_from_params,
    search_events,
)
from mendwell.queries.scope import get_visible_client
from mendwell.queries.site_calendar import site_today
from mendwell.schemas.adverse_events import (
    AdverseEventCreate,
    AdverseEventFields,
    AdverseEventOut,
    AdverseEventPage,
)
from mendwell.schemas.common import parse
from mendwell.store.models import AdverseEvent
from mendwell.web.access import Db, Principal, action_context, requires
from mendwell.web.routes.adverse_events import vocabulary

router = APIRouter(prefix="/api/v1", tags=["adverse events"])

Viewer = Annotated[Principal, requires(Permission.ADVERSE_EVENT_VIEW)]
Recorder = Annotated[Principal, requires(Permission.ADVERSE_EVENT_RECORD)]
EXAMPLE = {
    "term": "Euphoria",
    "checklist_item": "euphoria",
    "substance": "mdma",
    "onset_at": "2026-01-06T11:30:00-05:00",
    "aware_on": "2026-01-06",
    "grade": 1,
    "relatedness": "probably",
    "expectedness": "expected",
}


def _context(request: Request, ctx: ActionContext, timezone: str) -> dict[str, Any]:
    return {"vocabulary": vocabulary(request), "timezone": timezone, "now": ctx.now}


def _page(
    request: Request,
    db: Db,
    principal: Principal,
    page: int,
    per_page: int,
    client_id: int | None,
) -> AdverseEventPage:
    ctx = action_context(request, db, principal)
    params = {name: request.query_params.get(name) for name in FILTER_PARAMS}
    f = filter_from_params(params, vocabulary(request), page=page)
    f.per_page = per_page
    f.client_id = client_id
    rows, total = search_events(db, principal.actor, f)
    if client_id is None:
        ae_actions.record_listing(ctx, f.public_dict(), total)
    return AdverseEventPage(
        total=total,
        page=page,
        per_page=per_page,
        items=[event_out(e, site_today(e.site, ctx.now)) for e in rows],
    )


def _created(response: Response, event: AdverseEvent, ctx: ActionContext) -> AdverseEventOut:
    response.headers["location"] = f"/api/v1/adverse-events/{event.id}"
    response.headers["etag"] = f'"{event.version}"'
    return event_out(event, site_today(event.site, ctx.now))


@router.get("/adverse-events", response_model=AdverseEventPage)
def list_events(
    request: Request,
    db: Db,
    principal: Viewer,
    substance: str | None = None,
    grade: int | None = None,
    serious: Annotated[str | None, Query(pattern="^(yes|no)$")] = None,
    special_interest: str | None = None,
    site_id: int | None = None,
    since: str | None = None,
    until: str | None = None,
    status: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AdverseEventPage:
    """Adverse events you may see, newest onset first. Filters: substance (mdma, psilocybin,
    none), grade (1-5), serious (yes/no), special_interest, site_id, since/until (onset date in
    the site's time zone, YYYY-MM-DD), status (open/closed)."""
    return _page(request, db, principal, page, per_page, None)


@router.post("/adverse-events", response_model=AdverseEventOut, status_code=201)
def create_event(
    request: Request,
    db: Db,
    response: Response,
    principal: Recorder,
    payload: Annotated[dict, Body(examples=[{"client_id": 1, **EXAMPLE}])],  # type: ignore[type-arg]
) -> AdverseEventOut:
    """Record an adverse event for `client_id`. Times need a UTC offset; errors name each
    field (422)."""
    ctx = action_context(request, db, principal)
    client_id = payload.get("client_id")
    timezone = "UTC"
    if isinstance(client_id, int):
        timezone = get_visible_client(db, principal.actor, client_id).site.timezone
    data = parse(AdverseEventCreate, payload, context=_context(request, ctx, timezone))
    event = ae_actions.create_adverse_event(
        ctx, data.client_id, data, vocabulary=vocabulary(request)
    )
    return _created(response, event, ctx)


@router.get("/adverse-events/{event_id}", response_model=AdverseEventOut)
def get_event(
    request: Request, db: Db, response: Response, principal: Viewer, event_id: int
) -> AdverseEventOut:
    """One event with its clocks (as of today at the site), follow-ups and reports."""
    ctx = action_context(request, db, principal)
    event = ae_actions.view_adverse_event(ctx, event_id)
    response.headers["etag"] = f'"{event.version}"'
    return event_out(event, site_today(event.site, ctx.now))


@router.get("/clients/{client_id}/adverse-events", response_model=AdverseEventPage)
def list_client_events(
    request: Request,
    db: Db,
    principal: Viewer,
    client_id: int,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AdverseEventPage:
    """One client's adverse events (the listing filters apply here too)."""
    ae_actions.view_client_events(action_context(request, db, principal), client_id)
    return _page(request, db, principal, page, per_page, client_id)


@router.post("/clients/{client_id}/adverse-events", response_model=AdverseEventOut, status_code=201)
def create_client_event(
    request: Request,
    db: Db,
    response: Response,
    principal: Recorder,
    client_id: int,
    payload: Annotated[dict, Body(examples=[EXAMPLE])],  # type: ignore[type-arg]
) -> AdverseEventOut:
    """Record an adverse event for this client. Errors name each field (422)."""
    ctx = action_context(request, db, principal)
    client = get_visible_client(db, principal.actor, client_id)
    ctx.require(Permission.ADVERSE_EVENT_RECORD, client.site_id)
    data = parse(AdverseEventFields, payload, context=_context(request, ctx, client.site.timezone))
    event = ae_actions.create_adverse_event(ctx, client_id, data, vocabulary=vocabulary(request))
    return _created(response, event, ctx)
