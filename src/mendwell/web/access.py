"""Route access declarations and the request's unit of work.

Every route declares who may call it by depending on exactly one of :data:`public`,
:data:`signed_in` or :func:`requires`. A test walks all routes and checks the declarations against
the role matrix in ``mendwell.permissions``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from mendwell.actions.auth import actor_for, resolve_api_token, resolve_session
from mendwell.actions.context import ActionContext, Actor
from mendwell.actions.errors import PermissionDenied
from mendwell.permissions import Permission
from mendwell.security.tokens import tokens_equal
from mendwell.store.models import User, UserSession

SESSION_COOKIE_SECURE = "__Host-mendwell_session"
SESSION_COOKIE_PLAIN = "mendwell_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class NotSignedIn(Exception):
    """No valid session or API token."""


class CsrfFailure(Exception):
    """A state-changing request without a valid anti-forgery token."""


@dataclass(frozen=True)
class Access:
    """What a route requires: nothing, a signed-in user, or a permission at some site."""

    kind: str  # "public" | "signed_in" | "permission"
    permission: Permission | None = None

    def describe(self) -> str:
        return str(self.permission) if self.permission else self.kind


@dataclass(frozen=True)
class UserInfo:
    """Plain facts about the signed-in user, still usable after the request's rollback."""

    id: int
    username: str
    full_name: str
    organisation_id: int


@dataclass
class Principal:
    user: User
    actor: Actor
    session: UserSession | None
    via: str  # "session" | "token"
    info: UserInfo
    csrf_token: str | None
    session_id: int | None


def _principal(user: User, session: UserSession | None, via: str, ip: str) -> Principal:
    info = UserInfo(user.id, user.username, user.full_name, user.organisation_id)
    return Principal(
        user,
        actor_for(user, ip),
        session,
        via,
        info,
        session.csrf_token if session else None,
        session.id if session else None,
    )


def cookie_name(request: Request) -> str:
    return (
        SESSION_COOKIE_SECURE if request.app.state.settings.cookie_secure else SESSION_COOKIE_PLAIN
    )


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def get_db(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on error."""
    db = request.app.state.sessionmaker()
    request.state.db = db
    try:
        yield db
        db.commit()
    except BaseException:
        db.rollback()
        raise
    finally:
        db.close()


Db = Annotated[Session, Depends(get_db, scope="function")]


def _authenticate(request: Request, db: Session) -> Principal | None:
    state = request.app.state
    now = state.clock.now()
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        user = resolve_api_token(db, auth[7:].strip(), now)
        if user is None:
            return None
        return _principal(user, None, "token", client_ip(request))
    session = resolve_session(db, state.settings, request.cookies.get(cookie_name(request)), now)
    if session is None:
        return None
    return _principal(session.user, session, "session", client_ip(request))


async def _check_csrf(request: Request, principal: Principal) -> None:
    if request.method not in UNSAFE_METHODS or principal.via != "session":
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and getattr(request.state, "form", None) is not None:
        value = request.state.form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not tokens_equal(sent, principal.csrf_token or ""):
        raise CsrfFailure()


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def read_posted_form(request: Request) -> None:
    """Read a posted form on the event loop, so handlers can run in worker threads.

    Route handlers are plain functions: FastAPI runs them in a thread pool, where waiting for a
    database lock cannot block the event loop that other requests need to finish.
    """
    if request.headers.get("content-type", "").startswith(FORM_TYPES):
        request.state.form = await request.form()


def _principal_dependency(access: Access) -> Callable[..., Any]:
    async def dependency(request: Request, db: Db) -> Principal | None:
        request.state.access = access
        await read_posted_form(request)
        # In a worker thread: waiting for a lock another request holds must never block the
        # event loop, which that request needs in order to finish and release it.
        principal = await run_in_threadpool(_authenticate, request, db)
        request.state.principal = principal
        if access.kind == "public":
            return principal
        if principal is None:
            raise NotSignedIn()
        await _check_csrf(request, principal)
        if access.permission is not None and not principal.actor.can_anywhere(access.permission):
            raise PermissionDenied(str(access.permission))
        return principal

    dependency.access = access  # type: ignore[attr-defined]
    return dependency


_public = _principal_dependency(Access("public"))
_signed_in = _principal_dependency(Access("signed_in"))
_by_permission = {p: _principal_dependency(Access("permission", p)) for p in Permission}


async def _open(request: Request) -> None:
    request.state.access = Access("public")
    await read_posted_form(request)


_open.access = Access("public")  # type: ignore[attr-defined]

public = Depends(_public)
# Public and without touching the database (the health check must answer when it is down).
open_route = Depends(_open)
signed_in = Depends(_signed_in)


def requires(permission: Permission) -> Any:
    """Depend on this to require ``permission`` at one or more of the user's sites."""
    return Depends(_by_permission[permission])


MaybeUser = Annotated[Principal | None, public]
SignedIn = Annotated[Principal, signed_in]


def action_context(request: Request, db: Session, principal: Principal | None) -> ActionContext:
    state = request.app.state
    actor = principal.actor if principal else Actor(None, None, ip=client_ip(request))
    return ActionContext(db=db, actor=actor, now=state.clock.now(), audit_key=state.audit_key)


def all_routes(app: Any) -> list[tuple[str, str, Any]]:
    """Every (method, full path, APIRoute) the app serves, through included routers."""
    from fastapi.routing import APIRoute, iter_route_contexts

    out = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            out.extend((method, str(context.path), route) for method in sorted(route.methods))
    return out


def declared_access(dependant: Any) -> list[Access]:
    """The access declarations found in a route's dependency tree (used by the route test)."""
    found = []
    for dep in dependant.dependencies:
        access = getattr(dep.call, "access", None)
        if isinstance(access, Access):
            found.append(access)
        found.extend(declared_access(dep))
    return found
