"""Confidential concern reports: the form any staff member can use, and the reviewers' pages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from mendwell.actions import concerns as concern_actions
from mendwell.actions.errors import Conflict, InvalidInput
from mendwell.permissions import Permission
from mendwell.queries.concerns import list_concerns
from mendwell.schemas.common import parse
from mendwell.schemas.concerns import (
    CONCERN_CATEGORIES,
    CONCERN_STATUSES,
    ConcernCreate,
    ConcernReview,
)
from mendwell.store.models import RoleAssignment, Site, User
from mendwell.web.access import Db, Principal, action_context, requires
from mendwell.web.extensions import NavItem, nav_item
from mendwell.web.forms import errors_by_field, form_data, posted_form
from mendwell.web.templating import render

router = APIRouter(include_in_schema=False)

Reporter = Annotated[Principal, requires(Permission.CONCERN_REPORT)]
Reviewer = Annotated[Principal, requires(Permission.CONCERN_VIEW)]


def _reporting_sites(db: Session, principal: Principal) -> list[Site]:
    ids = principal.actor.sites_with(Permission.CONCERN_REPORT)
    return list(
        db.scalars(select(Site).where(Site.id.in_(ids), Site.is_active).order_by(Site.name))
    )


def _staff(db: Session, site_ids: set[int]) -> list[tuple[User, Site]]:
    rows = db.execute(
        select(User, Site)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .join(Site, Site.id == RoleAssignment.site_id)
        .where(RoleAssignment.site_id.in_(site_ids), User.is_active)
        .order_by(User.full_name, Site.name)
    ).all()
    return [(u, s) for u, s in rows]


def _form(
    request: Request,
    db: Db,
    principal: Principal,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    sites = _reporting_sites(db, principal)
    return render(
        request,
        "concerns/form.html",
        {
            "sites": sites,
            "staff": _staff(db, {s.id for s in sites}),
            "categories": CONCERN_CATEGORIES,
            "values": values,
            "errors": errors,
            "filed": request.query_params.get("filed") == "1",
        },
        status_code=status_code,
    )


@router.get("/report-concern")
def concern_form(request: Request, db: Db, principal: Reporter) -> Response:
    sites = _reporting_sites(db, principal)
    values = {"site_id": sites[0].id} if len(sites) == 1 else {}
    return _form(request, db, principal, values, {})


@router.post("/report-concern")
def file_concern(request: Request, db: Db, principal: Reporter) -> Response:
    values = form_data(posted_form(request), ConcernCreate)
    ctx = action_context(request, db, principal)
    try:
        concern_actions.file_concern(ctx, parse(ConcernCreate, values))
    except InvalidInput as exc:
        db.rollback()
        return _form(request, db, principal, values, errors_by_field(exc.errors), 422)
    return RedirectResponse("/report-concern?filed=1", status_code=303)


@router.get("/concerns")
def concern_list(
    request: Request,
    db: Db,
    principal: Reviewer,
    status: Annotated[str | None, Query()] = None,
) -> Response:
    chosen = status if status in CONCERN_STATUSES else None
    return render(
        request,
        "concerns/list.html",
        {
            "reports": list_concerns(db, principal.actor, status=chosen),
            "status": chosen,
            "statuses": CONCERN_STATUSES,
            "categories": CONCERN_CATEGORIES,
        },
    )


def _concern_page(
    request: Request,
    db: Db,
    principal: Principal,
    concern_id: int,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    conflict: Conflict | None = None,
    status_code: int = 200,
) -> Response:
    report = concern_actions.view_concern(action_context(request, db, principal), concern_id)
    return render(
        request,
        "concerns/page.html",
        {
            "report": report,
            "statuses": CONCERN_STATUSES,
            "categories": CONCERN_CATEGORIES,
            "values": values or {},
            "errors": errors or {},
            "conflict": conflict,
        },
        status_code=status_code,
    )


@router.get("/concerns/{concern_id}")
def concern_page(request: Request, db: Db, principal: Reviewer, concern_id: int) -> Response:
    return _concern_page(request, db, principal, concern_id)


@router.post("/concerns/{concern_id}/notes")
def review_concern(request: Request, db: Db, principal: Reviewer, concern_id: int) -> Response:
    values = form_data(posted_form(request), ConcernReview)
    ctx = action_context(request, db, principal)
    try:
        concern_actions.review_concern(ctx, concern_id, parse(ConcernReview, values))
    except InvalidInput as exc:
        db.rollback()
        errors = errors_by_field(exc.errors)
        return _concern_page(
            request, db, principal, concern_id, values=values, errors=errors, status_code=422
        )
    except Conflict as exc:
        db.rollback()
        return _concern_page(
            request, db, principal, concern_id, values=values, conflict=exc, status_code=409
        )
    return RedirectResponse(f"/concerns/{concern_id}", status_code=303)


nav_item(NavItem("Concern reports", "/concerns", Permission.CONCERN_VIEW, order=60))
nav_item(NavItem("Report a concern", "/report-concern", Permission.CONCERN_REPORT, order=70))
