"""Client list, search, page and form."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from mendwell.actions import clients as client_actions
from mendwell.actions.errors import Conflict, InvalidInput
from mendwell.clinical.registry import ClientStatus
from mendwell.permissions import Permission, Role
from mendwell.queries.clients import (
    ClientFilter,
    client_timeline,
    client_view,
    facilitators_by_id,
    search_clients,
)
from mendwell.queries.scope import get_visible_client
from mendwell.schemas.clients import ClientCreate, ClientFields, ClientUpdate, StatusChange
from mendwell.schemas.common import parse
from mendwell.store.models import Client, RoleAssignment, Site, User
from mendwell.web.access import Db, Principal, action_context, requires
from mendwell.web.extensions import PanelRequest, client_panels
from mendwell.web.forms import errors_by_field, form_data, posted_form
from mendwell.web.templating import render

router = APIRouter(include_in_schema=False)

Lister = Annotated[Principal, requires(Permission.CLIENT_LIST)]
Creator = Annotated[Principal, requires(Permission.CLIENT_CREATE)]
Editor = Annotated[Principal, requires(Permission.CLIENT_EDIT)]
StatusChanger = Annotated[Principal, requires(Permission.CLIENT_CHANGE_STATUS)]


def _sites_for(db: Db, principal: Principal, permission: Permission) -> list[Site]:
    ids = principal.actor.sites_with(permission)
    return list(
        db.scalars(select(Site).where(Site.id.in_(ids), Site.is_active).order_by(Site.name))
    )


def _clinicians(db: Db, site_ids: set[int]) -> list[tuple[User, int]]:
    rows = db.execute(
        select(User, RoleAssignment.site_id)
        .join(RoleAssignment)
        .where(
            RoleAssignment.site_id.in_(site_ids),
            RoleAssignment.role.in_([Role.FACILITATOR, Role.MEDICAL]),
            User.is_active,
        )
        .order_by(User.full_name)
    ).all()
    return [(u, s) for u, s in rows]


@router.get("/clients")
def client_list(
    request: Request,
    db: Db,
    principal: Lister,
    q: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[str | None, Query()] = None,
    site_id: Annotated[str | None, Query()] = None,
    facilitator_id: Annotated[str | None, Query()] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    filters = ClientFilter(
        q=q or None,
        status=status if status in set(ClientStatus) else None,
        site_id=int(site_id) if site_id and site_id.isdigit() else None,
        facilitator_id=int(facilitator_id) if facilitator_id and facilitator_id.isdigit() else None,
        page=page,
    )
    ctx = action_context(request, db, principal)
    rows, total = search_clients(db, principal.actor, filters)
    client_actions.record_search(ctx, filters.as_dict(), total)
    today = ctx.now.date()
    sites = _sites_for(db, principal, Permission.CLIENT_LIST)
    context = {
        "rows": [(c, client_view(c, principal.actor, today)) for c in rows],
        "total": total,
        "filters": filters,
        "sites": sites,
        "site_names": {s.id: s.name for s in sites},
        "facilitators": _clinicians(db, {s.id for s in sites}),
        "statuses": list(ClientStatus),
        "pages": (total + filters.per_page - 1) // filters.per_page,
    }
    template = "clients/_results.html" if request.headers.get("hx-request") else "clients/list.html"
    return render(request, template, context)


def _form_context(
    db: Db, principal: Principal, permission: Permission, **extra: Any
) -> dict[str, Any]:
    sites = _sites_for(db, principal, permission)
    return {
        "sites": sites,
        "clinicians": _clinicians(db, {s.id for s in sites}),
        "may_assign": principal.actor.can_anywhere(Permission.CLIENT_ASSIGN),
        **extra,
    }


@router.get("/clients/new")
def new_client_form(request: Request, db: Db, principal: Creator) -> Response:
    return render(
        request,
        "clients/form.html",
        _form_context(db, principal, Permission.CLIENT_CREATE, values={}, errors={}, client=None),
    )


@router.post("/clients")
def create_client(request: Request, db: Db, principal: Creator) -> Response:
    form = posted_form(request)
    values = form_data(form, ClientCreate)
    ctx = action_context(request, db, principal)
    try:
        data = parse(ClientCreate, values, context={"today": ctx.now.date()})
        client = client_actions.create_client(ctx, data)
    except InvalidInput as exc:
        db.rollback()
        return render(
            request,
            "clients/form.html",
            _form_context(
                db,
                principal,
                Permission.CLIENT_CREATE,
                values=values,
                errors=errors_by_field(exc.errors),
                client=None,
            ),
            status_code=422,
        )
    return RedirectResponse(f"/clients/{client.id}", status_code=303)


@router.get("/clients/{client_id}")
def client_page(request: Request, db: Db, principal: Lister, client_id: int) -> Response:
    return _client_page(request, db, principal, client_id)


def _client_page(
    request: Request,
    db: Db,
    principal: Principal,
    client_id: int,
    *,
    status_errors: dict[str, str] | None = None,
    status_values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    ctx = action_context(request, db, principal)
    client = client_actions.view_client(ctx, client_id)
    actor = principal.actor
    clinical = actor.can(Permission.CLIENT_VIEW_CLINICAL, client.site_id)
    assigned = facilitators_by_id(db, {a.user_id for a in client.assignments})
    timeline = client_timeline(db, client.id) if clinical else []
    actor_names = facilitators_by_id(db, {e.user_id for e in timeline if e.user_id})
    return render(
        request,
        "clients/page.html",
        {
            "client": client,
            "view": client_view(client, actor, ctx.now.date()),
            "site": db.get(Site, client.site_id),
            "clinical": clinical,
            "identifying": actor.can(Permission.CLIENT_VIEW_IDENTIFYING, client.site_id),
            "may_edit": actor.can(Permission.CLIENT_EDIT, client.site_id),
            "may_change_status": actor.can(Permission.CLIENT_CHANGE_STATUS, client.site_id),
            "assigned": [assigned[a.user_id] for a in client.assignments if a.user_id in assigned],
            "timeline": timeline,
            "actor_names": actor_names,
            "status_history": client.status_history if clinical else [],
            "statuses": list(ClientStatus),
            "panels": client_panels(PanelRequest(request, db, actor, ctx.now, client)),
            "status_errors": status_errors or {},
            "status_values": status_values or {},
        },
        status_code=status_code,
    )


def _client_values(client: Client) -> dict[str, Any]:
    values = {
        name: getattr(client, name)
        for name in ClientFields.model_fields
        if name != "facilitator_ids"
    }
    values["facilitator_ids"] = [a.user_id for a in client.assignments]
    values["version"] = client.version
    return values


def _edit_form(
    request: Request,
    db: Db,
    principal: Principal,
    client_id: int,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    conflict: Conflict | None = None,
    status_code: int = 200,
) -> Response:
    client = get_visible_client(db, principal.actor, client_id)
    action_context(request, db, principal).require(Permission.CLIENT_EDIT, client.site_id)
    if values is None:
        values = _client_values(client)
    elif conflict is not None:
        # Keep what the user typed; show what changed meanwhile; let them save over the new
        # version once they have reviewed it.
        values = {**values, "version": client.version}
    context = _form_context(
        db,
        principal,
        Permission.CLIENT_EDIT,
        client=client,
        values=values,
        errors=errors or {},
        conflict=conflict,
    )
    return render(request, "clients/form.html", context, status_code=status_code)


@router.get("/clients/{client_id}/edit")
def edit_client_form(request: Request, db: Db, principal: Editor, client_id: int) -> Response:
    return _edit_form(request, db, principal, client_id)


@router.post("/clients/{client_id}")
def update_client(request: Request, db: Db, principal: Editor, client_id: int) -> Response:
    values = form_data(posted_form(request), ClientUpdate)
    ctx = action_context(request, db, principal)
    try:
        data = parse(ClientUpdate, values, context={"today": ctx.now.date()})
        client = client_actions.update_client(ctx, client_id, data)
    except InvalidInput as exc:
        db.rollback()
        return _edit_form(
            request,
            db,
            principal,
            client_id,
            values=values,
            errors=errors_by_field(exc.errors),
            status_code=422,
        )
    except Conflict as exc:
        db.rollback()
        return _edit_form(
            request, db, principal, client_id, values=values, conflict=exc, status_code=409
        )
    return RedirectResponse(f"/clients/{client.id}", status_code=303)


@router.post("/clients/{client_id}/status")
def change_status(request: Request, db: Db, principal: StatusChanger, client_id: int) -> Response:
    form = posted_form(request)
    values = form_data(form, StatusChange)
    ctx = action_context(request, db, principal)
    try:
        data = parse(StatusChange, values)
        client_actions.change_status(ctx, client_id, data)
    except InvalidInput as exc:
        db.rollback()
        return _client_page(
            request,
            db,
            principal,
            client_id,
            status_errors=errors_by_field(exc.errors),
            status_values=values,
            status_code=422,
        )
    return RedirectResponse(f"/clients/{client_id}", status_code=303)
