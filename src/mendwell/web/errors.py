"""Mapping action errors to responses: JSON under /api, pages elsewhere."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from mendwell.actions.audit import append_event
from mendwell.actions.context import Actor
from mendwell.actions.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Refused
from mendwell.store.db import transaction
from mendwell.web.access import CsrfFailure, NotSignedIn, client_ip
from mendwell.web.templating import render


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def record_security_event(request: Request, **fields: Any) -> None:
    """Write an audit event in its own transaction: the request's own work was rolled back."""
    db = getattr(request.state, "db", None)
    if db is not None:
        db.rollback()
    principal = getattr(request.state, "principal", None)
    actor = principal.actor if principal else Actor(None, None, ip=client_ip(request))
    state = request.app.state
    with transaction(state.sessionmaker) as session:
        append_event(session, state.audit_key, actor=actor, occurred_at=state.clock.now(), **fields)


def _problem(
    request: Request, status: int, title: str, message: str, extra: dict[str, Any] | None = None
) -> Response:
    if is_api(request):
        return JSONResponse({"detail": message, **(extra or {})}, status_code=status)
    return render(request, "error.html", {"title": title, "message": message}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if is_api(request):
            return JSONResponse(
                {
                    "detail": "sign in required: send a session cookie or "
                    "an API token as 'Authorization: Bearer <token>'"
                },
                status_code=401,
                headers={"www-authenticate": "Bearer"},
            )
        if request.headers.get("hx-request") == "true":
            return Response(status_code=401, headers={"hx-redirect": "/login"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(CsrfFailure)
    async def _csrf(request: Request, exc: CsrfFailure) -> Response:
        record_security_event(
            request,
            action="csrf_rejected",
            entity_type="request",
            outcome="denied",
            detail={"path": request.url.path, "method": request.method},
        )
        return _problem(
            request,
            403,
            "Form expired",
            "This form could not be accepted (missing or invalid anti-forgery "
            "token). Reload the page and try again.",
        )

    @app.exception_handler(PermissionDenied)
    async def _denied(request: Request, exc: PermissionDenied) -> Response:
        record_security_event(
            request,
            action="permission_denied",
            entity_type="request",
            site_id=exc.site_id,
            outcome="denied",
            detail={
                "path": request.url.path,
                "method": request.method,
                "permission": exc.permission,
            },
        )
        return _problem(
            request, 403, "Not allowed", f"Your role does not allow this ({exc.permission})."
        )

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> Response:
        record_security_event(
            request,
            action="access_failed",
            entity_type=exc.entity,
            entity_id=exc.ident,
            outcome="not_found",
            detail={"path": request.url.path, "method": request.method},
        )
        return _problem(request, 404, "Not found", f"No {exc.entity} {exc.ident} here.")

    @app.exception_handler(InvalidInput)
    async def _invalid(request: Request, exc: InvalidInput) -> Response:
        detail = [{"loc": ["body", *e.loc], "msg": e.msg, "type": e.type} for e in exc.errors]
        if is_api(request):
            return JSONResponse({"detail": detail}, status_code=422)
        return render(
            request,
            "error.html",
            {"title": "Please check the form", "message": str(exc)},
            status_code=422,
        )

    @app.exception_handler(Conflict)
    async def _conflict(request: Request, exc: Conflict) -> Response:
        return _problem(
            request,
            409,
            "Changed by someone else",
            str(exc),
            {
                "current_version": exc.current_version,
                "changed_since": [vars(c) for c in exc.changed_since],
                "current": exc.current,
            },
        )

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> Response:
        return _problem(request, 409, "Not possible now", exc.message, {"reasons": exc.reasons})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if is_api(request) or exc.status_code not in (404, 405):
            return JSONResponse(
                {"detail": exc.detail},
                status_code=exc.status_code,
                headers=getattr(exc, "headers", None),
            )
        return render(
            request,
            "error.html",
            {"title": "Not found", "message": "There is no page at this address."},
            status_code=exc.status_code,
        )
