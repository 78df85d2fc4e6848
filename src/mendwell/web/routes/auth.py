"""Sign in and sign out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from mendwell.actions import auth as auth_actions
from mendwell.actions import two_factor
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
CHALLENGE_SECURE = "__Host-mendwell_signin"
CHALLENGE_PLAIN = "mendwell_signin"
NOTICES = {
    "signed_out": "You have been signed out.",
    "expired": "That sign-in has expired. Please sign in again.",
}


def _login_cookie(request: Request) -> str:
    return LOGIN_CSRF_SECURE if request.app.state.settings.cookie_secure else LOGIN_CSRF_PLAIN


def safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect a user to another host after sign-in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def sign_in_page(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    """A page with a sign-in form, carrying a fresh anti-forgery token in a cookie and the form."""
    token = new_token()
    response = render(request, template, {**context, "login_csrf": token}, status_code=status_code)
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


def sign_in_form_valid(request: Request, csrf_token: str) -> bool:
    expected = request.cookies.get(_login_cookie(request), "")
    return bool(expected) and tokens_equal(csrf_token, expected)


def challenge_cookie(request: Request) -> str:
    return CHALLENGE_SECURE if request.app.state.settings.cookie_secure else CHALLENGE_PLAIN


def signed_in(request: Request, response: Response, session_token: str) -> Response:
    """Give the browser its session cookie and drop the sign-in cookies."""
    secure = request.app.state.settings.cookie_secure
    response.set_cookie(
        cookie_name(request),
        session_token,
        httponly=True,
        secure=secure,
        samesite="lax",
        path="/",
    )
    for name in (_login_cookie(request), challenge_cookie(request)):
        response.delete_cookie(name, path="/", secure=secure, httponly=True)
    return response


def _login_page(
    request: Request,
    *,
    next_url: str,
    message: str | None = None,
    status_code: int = 200,
    username: str = "",
) -> Response:
    return sign_in_page(
        request,
        "login.html",
        {"next": next_url, "message": message, "username": username},
        status_code,
    )


@router.get("/login")
def login_form(request: Request, principal: MaybeUser, next: str | None = None) -> Response:
    if principal is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    notices = [text for key, text in NOTICES.items() if request.query_params.get(key)]
    notice = notices[0] if notices else None
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
    if not sign_in_form_valid(request, csrf_token):
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
    if result.second_factor_pending and result.user is not None:
        challenge = two_factor.open_challenge(
            db, result.user, ip=client_ip(request), next_path=target, now=state.clock.now()
        )
        response = RedirectResponse("/login/code", status_code=303)
        response.set_cookie(
            challenge_cookie(request),
            challenge,
            httponly=True,
            secure=state.settings.cookie_secure,
            samesite="strict",
            path="/",
            max_age=two_factor.CHALLENGE_MINUTES * 60,
        )
        return response
    if not result.ok:
        return _login_page(
            request,
            next_url=target,
            status_code=401,
            username=username,
            message="Username or password is incorrect.",
        )
    return signed_in(request, RedirectResponse(target, status_code=303), result.session_token or "")


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
