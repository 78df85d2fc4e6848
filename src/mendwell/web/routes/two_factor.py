"""The second step of signing in: a one-time code from an authenticator app (set up on first
use) or a recovery code."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from mendwell.actions import two_factor
from mendwell.security import totp
from mendwell.store.models import SignInChallenge
from mendwell.web.access import CSRF_FIELD, Db, MaybeUser, client_ip
from mendwell.web.routes.auth import challenge_cookie, sign_in_form_valid, sign_in_page, signed_in
from mendwell.web.templating import render

router = APIRouter(include_in_schema=False)

EXPIRED = "/login?expired=1"


def _code_page(
    request: Request,
    db: Db,
    challenge: SignInChallenge,
    *,
    message: str | None = None,
    status_code: int = 200,
) -> Response:
    now = request.app.state.clock.now()
    secret = two_factor.setup_secret(db, challenge.user_id, now)
    setup = None
    if secret is not None:
        uri = totp.provisioning_uri(
            secret, challenge.user.username, request.app.state.settings.two_factor_issuer
        )
        setup = {"secret": secret, "qr": totp.qr_svg(uri)}
    return sign_in_page(
        request,
        "two_factor/code.html",
        {"setup": setup, "message": message, "username": challenge.user.username},
        status_code,
    )


@router.get("/login/code")
def code_form(request: Request, db: Db, principal: MaybeUser) -> Response:
    now = request.app.state.clock.now()
    challenge = two_factor.live_challenge(db, request.cookies.get(challenge_cookie(request)), now)
    if challenge is None:
        return RedirectResponse(EXPIRED, status_code=303)
    return _code_page(request, db, challenge)


@router.post("/login/code")
def code_submit(
    request: Request,
    db: Db,
    principal: MaybeUser,
    code: Annotated[str, Form(max_length=64)] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    state = request.app.state
    challenge = two_factor.live_challenge(
        db, request.cookies.get(challenge_cookie(request)), state.clock.now()
    )
    if challenge is None:
        return RedirectResponse(EXPIRED, status_code=303)
    if not sign_in_form_valid(request, csrf_token):
        return _code_page(
            request, db, challenge, message="The form expired. Please try again.", status_code=403
        )
    result = two_factor.complete_sign_in(
        db,
        state.settings,
        state.audit_key,
        challenge=challenge,
        code=code,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
        now=state.clock.now(),
    )
    if result.throttled:
        minutes = state.settings.login_window_minutes
        return _code_page(
            request,
            db,
            challenge,
            message=f"Too many attempts. Wait {minutes} minutes and try again, or ask an admin.",
            status_code=429,
        )
    if result.expired:
        return RedirectResponse(EXPIRED, status_code=303)
    if not result.ok:
        return _code_page(
            request,
            db,
            challenge,
            message="That code is not right. Enter the code your app shows now.",
            status_code=401,
        )
    if result.recovery_codes:
        page = render(
            request,
            "two_factor/recovery_codes.html",
            {"codes": result.recovery_codes, "next": result.next_path},
        )
        return signed_in(request, page, result.session_token or "")
    return signed_in(
        request, RedirectResponse(result.next_path, status_code=303), result.session_token or ""
    )
