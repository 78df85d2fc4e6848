"""Sign in and sign out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from mendwell.actions import auth as auth_actions
from mendwell.security.tokens import new_token, tokens_equal
from mendwell.web.access import (
    CSRF_FIELD,
    Db,
    MaybeUser,
    SignedIn,
    action_context,
    client_ip,
    cookie_name,
)
from mendwell.web.templating import render

router = APIRouter(include_in_schema=False)

LOGIN_CSRF_SECURE = "__Host-mendwell_login"
LOGIN_CSRF_PLAIN = "mendwell_login"


def _login_cookie(request: Request) -> str:
    return LOGIN_CSRF_SECURE if request.app.state.settings.cookie_secure else LOGIN_CSRF_PLAIN


def safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect a user to another host after sign-in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _login_page(
    request: Request,
    *,
    next_url: str,
    message: str | None = None,
    status_code: int = 200,
    username: str = "",
) -> Response:
    token = new_token()
    response = render(
        request,
        "login.html",
        {"login_csrf": token, "next": next_url, "message": message, "username": username},
        status_code=status_code,
    )
    secure = request.app.state.settings.cookie_secure
    response.set_cookie(
        _login_cookie(request),
        token,
        httponly=True,
        secure=secure,
        samesite="strict",
        path="/",
        max_age=3600,
    )
    return response


@router.get("/login")
def login_form(request: Request, principal: MaybeUser, next: str | None = None) -> Response:
    if principal is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    notice = "You have been signed out." if request.query_params.get("signed_out") else None
    return _login_page(request, next_url=safe_next(next), message=notice)


@router.post("/login")
def login_submit(
    request: Request,
    db: Db,
    principal: MaybeUser,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    target = safe_next(next)
    expected = request.cookies.get(_login_cookie(request), "")
    if not expected or not tokens_equal(csrf_token, expected):
        return _login_page(
            request,
            next_url=target,
            status_code=403,
            username=username,
            message="The sign-in form expired. Please try again.",
        )
    state = request.app.state
    result = auth_actions.login(
        db,
        state.settings,
        state.audit_key,
        username=username,
        password=password,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
        now=state.clock.now(),
    )
    if result.throttled:
        minutes = state.settings.login_window_minutes
        return _login_page(
            request,
            next_url=target,
            status_code=429,
            username=username,
            message=f"Too many sign-in attempts. Wait {minutes} minutes and "
            "try again, or ask an admin.",
        )
    if not result.ok:
        return _login_page(
            request,
            next_url=target,
            status_code=401,
            username=username,
            message="Username or password is incorrect.",
        )
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        cookie_name(request),
        result.session_token or "",
        httponly=True,
        secure=state.settings.cookie_secure,
        samesite="lax",
        path="/",
    )
    response.delete_cookie(
        _login_cookie(request), path="/", secure=state.settings.cookie_secure, httponly=True
    )
    return response


@router.post("/logout")
def logout(request: Request, db: Db, principal: SignedIn) -> Response:
    if principal.session is not None:
        auth_actions.logout(action_context(request, db, principal), principal.session)
    response = RedirectResponse("/login?signed_out=1", status_code=303)
    response.delete_cookie(
        cookie_name(request),
        path="/",
        secure=request.app.state.settings.cookie_secure,
        httponly=True,
    )
    return response
