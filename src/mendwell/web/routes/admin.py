"""Admin pages: users and roles, sites, the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from mendwell.actions import accounts
from mendwell.actions import audit as audit_actions
from mendwell.actions.auth import has_authenticator
from mendwell.actions.context import ActionContext
from mendwell.actions.errors import Conflict, FieldError, InvalidInput
from mendwell.permissions import Permission, Role
from mendwell.queries.audit import SORTABLE, AuditFilter, audit_csv, client_codes, search_audit
from mendwell.queries.params import ParamReader
from mendwell.schemas.accounts import JURISDICTIONS, SiteCreate, SiteUpdate, UserCreate
from mendwell.schemas.common import parse
from mendwell.store.models import RoleAssignment, Site, User
from mendwell.web.access import Db, Principal, action_context, requires
from mendwell.web.forms import errors_by_field, form_data, posted_form
from mendwell.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)

UserAdmin = Annotated[Principal, requires(Permission.USER_MANAGE)]
SiteAdmin = Annotated[Principal, requires(Permission.SITE_MANAGE)]
AuditReader = Annotated[Principal, requires(Permission.AUDIT_VIEW)]
AuditExporter = Annotated[Principal, requires(Permission.AUDIT_EXPORT)]


def _managed_sites(db: Db, principal: Principal, permission: Permission) -> list[Site]:
    ids = principal.actor.sites_with(permission)
    return list(db.scalars(select(Site).where(Site.id.in_(ids)).order_by(Site.name)))


# --- users -----------------------------------------------------------------------------------


@router.get("/users")
def users(request: Request, db: Db, principal: UserAdmin) -> Response:
    sites = _managed_sites(db, principal, Permission.USER_MANAGE)
    site_ids = [s.id for s in sites]
    with_roles = select(RoleAssignment.user_id).where(RoleAssignment.site_id.in_(site_ids))
    no_roles = ~User.roles.any()
    rows = db.scalars(
        select(User).where(User.id.in_(with_roles) | no_roles).order_by(User.username)
    ).all()
    return render(
        request,
        "admin/users.html",
        {"users": rows, "sites": sites, "site_names": {s.id: s.name for s in sites}},
    )


def _user_form(
    request: Request,
    db: Db,
    principal: Principal,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "admin/user_new.html",
        {
            "sites": _managed_sites(db, principal, Permission.USER_MANAGE),
            "roles": list(Role),
            "values": values,
            "errors": errors,
        },
        status_code=status_code,
    )


@router.get("/users/new")
def new_user(request: Request, db: Db, principal: UserAdmin) -> Response:
    return _user_form(request, db, principal, {}, {})


@router.post("/users")
def create_user(request: Request, db: Db, principal: UserAdmin) -> Response:
    form = posted_form(request)
    values = form_data(form, UserCreate, skip={"roles"})
    roles = {}
    for site in _managed_sites(db, principal, Permission.USER_MANAGE):
        role = form.get(f"role_{site.id}")
        if isinstance(role, str) and role:
            roles[site.id] = role
    values["roles"] = roles
    ctx = action_context(request, db, principal)
    try:
        data = parse(UserCreate, values)
        user = accounts.create_user(
            ctx, request.app.state.settings, principal.info.organisation_id, data
        )
    except InvalidInput as exc:
        db.rollback()
        values.pop("password", None)
        return _user_form(request, db, principal, values, errors_by_field(exc.errors), 422)
    return RedirectResponse(f"/admin/users/{user.id}", status_code=303)


def _user_page(
    request: Request,
    db: Db,
    principal: Principal,
    user_id: int,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    user = accounts.visible_user(action_context(request, db, principal), user_id)
    sites = _managed_sites(db, principal, Permission.USER_MANAGE)
    current = {r.site_id: r.role for r in user.roles}
    return render(
        request,
        "admin/user.html",
        {
            "target": user,
            "sites": sites,
            "current": current,
            "roles": list(Role),
            "errors": errors or {},
            "two_factor": has_authenticator(db, user.id),
        },
        status_code=status_code,
    )


@router.get("/users/{user_id}")
def user_detail(request: Request, db: Db, principal: UserAdmin, user_id: int) -> Response:
    return _user_page(request, db, principal, user_id)


def _account_change(
    request: Request,
    db: Db,
    principal: Principal,
    user_id: int,
    change: Callable[[ActionContext], object],
) -> Response:
    """Apply one account change; on bad input show the user page with the message."""
    try:
        change(action_context(request, db, principal))
    except InvalidInput as exc:
        db.rollback()
        return _user_page(
            request, db, principal, user_id, errors=errors_by_field(exc.errors), status_code=422
        )
    return RedirectResponse(f"/admin/users/{user_id}", status_code=303)


@router.post("/users/{user_id}/roles")
def set_roles(request: Request, db: Db, principal: UserAdmin, user_id: int) -> Response:
    form = posted_form(request)
    sites = _managed_sites(db, principal, Permission.USER_MANAGE)

    def change(ctx: ActionContext) -> None:
        for site in sites:
            key = f"role_{site.id}"
            if key not in form:
                continue
            raw = str(form.get(key) or "")
            if raw and raw not in set(Role):
                raise InvalidInput.single("role", f"'{raw}' is not a role")
            accounts.set_role(ctx, user_id, site.id, Role(raw) if raw else None)

    return _account_change(request, db, principal, user_id, change)


@router.post("/users/{user_id}/active")
def set_active(
    request: Request,
    db: Db,
    principal: UserAdmin,
    user_id: int,
    active: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    return _account_change(
        request,
        db,
        principal,
        user_id,
        lambda ctx: accounts.set_active(ctx, user_id, active == "1", reason.strip() or None),
    )


@router.post("/users/{user_id}/password")
def reset_password(
    request: Request,
    db: Db,
    principal: UserAdmin,
    user_id: int,
    password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    settings = request.app.state.settings
    return _account_change(
        request,
        db,
        principal,
        user_id,
        lambda ctx: accounts.set_password(ctx, settings, user_id, password),
    )


@router.post("/users/{user_id}/two-factor-reset")
def reset_two_factor(
    request: Request,
    db: Db,
    principal: UserAdmin,
    user_id: int,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    return _account_change(
        request,
        db,
        principal,
        user_id,
        lambda ctx: accounts.reset_two_factor(ctx, user_id, reason.strip() or None),
    )


# --- sites -----------------------------------------------------------------------------------


@router.get("/sites")
def sites(request: Request, db: Db, principal: SiteAdmin) -> Response:
    return render(
        request,
        "admin/sites.html",
        {
            "sites": _managed_sites(db, principal, Permission.SITE_MANAGE),
            "jurisdictions": JURISDICTIONS,
        },
    )


def _site_form(
    request: Request,
    site: Site | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
    conflict: Any = None,
) -> Response:
    return render(
        request,
        "admin/site_form.html",
        {
            "site": site,
            "values": values,
            "errors": errors,
            "jurisdictions": JURISDICTIONS,
            "conflict": conflict,
        },
        status_code=status_code,
    )


@router.get("/sites/new")
def new_site(request: Request, principal: SiteAdmin) -> Response:
    return _site_form(request, None, {"timezone": "UTC"}, {})


@router.post("/sites")
def create_site(request: Request, db: Db, principal: SiteAdmin) -> Response:
    values = form_data(posted_form(request), SiteCreate)
    ctx = action_context(request, db, principal)
    try:
        site = accounts.create_site(ctx, principal.info.organisation_id, parse(SiteCreate, values))
    except InvalidInput as exc:
        db.rollback()
        return _site_form(request, None, values, errors_by_field(exc.errors), 422)
    return RedirectResponse(f"/admin/sites/{site.id}/edit", status_code=303)


def _managed_site(db: Db, principal: Principal, site_id: int) -> Site:
    site = db.get(Site, site_id)
    if site is None or not principal.actor.can(Permission.SITE_MANAGE, site_id):
        from mendwell.actions.errors import NotFound

        raise NotFound("site", site_id)
    return site


@router.get("/sites/{site_id}/edit")
def edit_site(request: Request, db: Db, principal: SiteAdmin, site_id: int) -> Response:
    site = _managed_site(db, principal, site_id)
    values = {f: getattr(site, f) for f in SiteUpdate.model_fields}
    return _site_form(request, site, values, {})


@router.post("/sites/{site_id}")
def update_site(request: Request, db: Db, principal: SiteAdmin, site_id: int) -> Response:
    values = form_data(posted_form(request), SiteUpdate)
    ctx = action_context(request, db, principal)
    try:
        accounts.update_site(ctx, site_id, parse(SiteUpdate, values))
    except InvalidInput as exc:
        db.rollback()
        site = _managed_site(db, principal, site_id)
        return _site_form(request, site, values, errors_by_field(exc.errors), 422)
    except Conflict as exc:
        db.rollback()
        site = _managed_site(db, principal, site_id)
        return _site_form(request, site, {**values, "version": site.version}, {}, 409, exc)
    return RedirectResponse("/admin/sites", status_code=303)


# --- audit -----------------------------------------------------------------------------------


def _audit_filter(
    params: dict[str, str | None], page: int, default_order: str
) -> tuple[AuditFilter, list[FieldError]]:
    """The audit log's filters, and any bad values (the log still shows, filtered by the rest)."""
    read = ParamReader(params)
    sort = read.text("sort") or "occurred_at"
    since, until = read.date_range("since", "until")
    audit_filter = AuditFilter(
        username=read.text("username"),
        client=read.text("client"),
        entity_type=read.text("entity_type"),
        action=read.text("action"),
        outcome=read.text("outcome"),
        since=since,
        until=until,
        sort=sort if sort in SORTABLE else "occurred_at",
        descending=(read.text("order") or default_order) != "asc",
        page=page,
    )
    return audit_filter, read.problems


AUDIT_PARAMS = (
    "username",
    "client",
    "entity_type",
    "action",
    "outcome",
    "since",
    "until",
    "sort",
    "order",
)


def _params(request: Request) -> dict[str, str | None]:
    return {name: request.query_params.get(name) for name in AUDIT_PARAMS}


@router.get("/audit")
def audit_log(
    request: Request, db: Db, principal: AuditReader, page: Annotated[int, Query(ge=1)] = 1
) -> Response:
    f, problems = _audit_filter(_params(request), page, "desc")
    errors = errors_by_field(problems)
    rows, total = search_audit(db, principal.actor, f)
    return render(
        request,
        "admin/audit.html",
        {
            "rows": rows,
            "total": total,
            "f": f,
            "codes": client_codes(db, {r.client_id for r in rows}),
            "sortable": list(SORTABLE),
            "pages": (total + f.per_page - 1) // f.per_page,
            "query": request.url.query,
            "errors": errors,
        },
        status_code=422 if errors else 200,
    )


@router.get("/audit.csv")
def audit_export(request: Request, db: Db, principal: AuditExporter) -> Response:
    f, problems = _audit_filter(_params(request), 1, "asc")
    if problems:
        raise InvalidInput(problems)
    ctx = action_context(request, db, principal)
    text, count = audit_csv(db, principal.actor, f)
    audit_actions.record(
        ctx,
        action="export",
        entity_type="audit_event",
        detail={"format": "csv", "filters": f.public_dict(), "rows": count},
    )
    stamp = ctx.now.strftime("%Y%m%dT%H%M%SZ")
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="mendwell-audit-{stamp}.csv"'},
    )
