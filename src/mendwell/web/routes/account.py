"""The signed-in user's own account: API tokens, password and recovery codes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from mendwell.actions import accounts, two_factor
from mendwell.actions import auth as auth_actions
from mendwell.actions.errors import InvalidInput, Refused
from mendwell.security.passwords import verify_password
from mendwell.store.models import ApiToken, Site
from mendwell.web.access import Db, Principal, SignedIn, action_context
from mendwell.web.forms import errors_by_field
from mendwell.web.templating import render

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    db: Db,
    principal: Principal,
    *,
    new_token: str | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    tokens = db.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == principal.info.id)
        .order_by(ApiToken.created_at.desc())
    ).all()
    sites = {s.id: s for s in db.scalars(select(Site))}
    return render(
        request,
        "account.html",
        {
            "tokens": tokens,
            "new_token": new_token,
            "errors": errors or {},
            "notice": notice,
            "roles": [(sites[r.site_id], r.role) for r in principal.user.roles],
            "two_factor": auth_actions.has_authenticator(db, principal.info.id),
            "recovery_codes_left": two_factor.unused_recovery_codes(db, principal.info.id),
            "two_factor_required": request.app.state.settings.two_factor_required,
        },
        status_code=status_code,
    )


@router.get("/account")
def account(request: Request, db: Db, principal: SignedIn) -> Response:
    return _page(request, db, principal)


@router.post("/account/tokens")
def create_token(
    request: Request, db: Db, principal: SignedIn, name: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    try:
        plain, _ = auth_actions.create_api_token(action_context(request, db, principal), name)
    except InvalidInput as exc:
        db.rollback()
        return _page(request, db, principal, errors=errors_by_field(exc.errors), status_code=422)
    return _page(request, db, principal, new_token=plain)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(request: Request, db: Db, principal: SignedIn, token_id: int) -> Response:
    auth_actions.revoke_api_token(action_context(request, db, principal), token_id)
    return RedirectResponse("/account", status_code=303)


@router.post("/account/password")
def change_password(
    request: Request,
    db: Db,
    principal: SignedIn,
    current_password: Annotated[str, Form(max_length=256)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    if not verify_password(principal.user.password_hash, current_password):
        return _page(
            request,
            db,
            principal,
            status_code=422,
            errors={"current_password": "is not your current password"},
        )
    try:
        accounts.set_password(
            action_context(request, db, principal),
            request.app.state.settings,
            principal.info.id,
            password,
            keep_session_id=principal.session_id,
        )
    except InvalidInput as exc:
        db.rollback()
        return _page(request, db, principal, errors=errors_by_field(exc.errors), status_code=422)
    return _page(
        request, db, principal, notice="Password changed. Your other sessions have been signed out."
    )


@router.post("/account/recovery-codes")
def replace_recovery_codes(
    request: Request, db: Db, principal: SignedIn, code: Annotated[str, Form(max_length=64)] = ""
) -> Response:
    try:
        codes = two_factor.replace_recovery_codes(action_context(request, db, principal), code)
    except InvalidInput as exc:
        db.rollback()
        return _page(request, db, principal, errors=errors_by_field(exc.errors), status_code=422)
    except Refused as exc:
        db.rollback()
        return _page(request, db, principal, errors={"code": exc.message}, status_code=409)
    return render(request, "two_factor/recovery_codes.html", {"codes": codes, "next": "/account"})
