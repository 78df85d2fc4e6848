"""Deny by default: every route declares who may call it, and the declaration is enforced.

The expected outcome for each (route, role) is derived from the route's declaration and the role
matrix in ``mendwell.permissions``; the calls check that the running app agrees.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute
from starlette.routing import Mount

from mendwell.permissions import ROLE_PERMISSIONS, Role
from mendwell.settings import load_settings
from mendwell.web.access import Access, all_routes, declared_access
from mendwell.web.app import create_app
from support.web import Browser

ROLE_USERS = {
    Role.ADMIN: "admin",
    Role.FACILITATOR: "alice",
    Role.MEDICAL: "mara",
    Role.RATER: "rita",
    Role.ANALYST: "ana",
}


def _routes() -> list[tuple[str, str, APIRoute]]:
    app = create_app(load_settings(database_url="sqlite:///:memory:", audit_key="enumerate"))
    out = all_routes(app)
    assert len(out) > 30
    # Signing out ends the session the sweep is using: do it last.
    return sorted(out, key=lambda r: (r[1] == "/logout", r[1], r[0]))


ROUTES = _routes()


def _access(route: APIRoute) -> Access:
    found = set(declared_access(route.dependant))
    assert len(found) == 1, f"{route.path} declares {found or 'no access rule'}"
    return found.pop()


def _allowed(access: Access, role: Role) -> bool:
    return access.permission is None or access.permission in ROLE_PERMISSIONS[role]


class _Ids(dict):  # type: ignore[type-arg]
    """Path parameters: the standard people and places, and a missing id for anything else."""

    def __missing__(self, key: str) -> int:
        return 999_999


def _path(template: str, world: Any) -> str:
    return template.format_map(
        _Ids(
            client_id=world.clients["alice"],
            user_id=world.users["bob"],
            site_id=world.sites["A"],
            number=1,
        )
    )


def _call(browser: Browser, method: str, path: str) -> Any:
    if method == "GET":
        return browser.get(path)
    if path.startswith("/api/"):
        return browser.http.request(
            method, path, json={}, headers={"x-csrf-token": browser.csrf or ""}
        )
    return browser.post(path, {})


@pytest.mark.parametrize(
    ("method", "path", "route"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES]
)
def test_every_route_declares_exactly_one_access_rule(
    method: str, path: str, route: APIRoute
) -> None:
    access = _access(route)
    assert access.kind in {"public", "signed_in", "permission"}


def test_only_static_files_and_the_openapi_schema_sit_outside_the_declarations() -> None:
    from fastapi.routing import iter_route_contexts

    app = create_app(load_settings(database_url="sqlite:///:memory:", audit_key="enumerate"))
    undeclared = {
        str(c.path)
        for c in iter_route_contexts(app.routes)
        if not isinstance(c.original_route, APIRoute)
    }
    assert undeclared == {"/static", "/openapi.json"}
    assert any(isinstance(r, Mount) and r.path == "/static" for r in app.routes)


def test_unauthenticated_calls_are_refused(app, world) -> None:  # type: ignore[no-untyped-def]
    browser = Browser(app)
    for method, template, route in ROUTES:
        access = _access(route)
        response = _call(browser, method, _path(template, world))
        if access.kind == "public":
            # Public, but the sign-in form still insists on its own anti-forgery token (403).
            assert response.status_code != 401, (method, template)
            assert response.status_code < 500, (method, template)
        elif template.startswith("/api/"):
            assert response.status_code == 401, (method, template, response.status_code)
        else:
            assert response.status_code == 303, (method, template, response.status_code)
            assert response.headers["location"].startswith("/login")


@pytest.mark.parametrize("role", list(Role))
def test_each_role_gets_exactly_what_the_matrix_allows(app, world, role: Role) -> None:  # type: ignore[no-untyped-def]
    browser = Browser(app)
    assert browser.login(ROLE_USERS[role]).status_code == 303
    for method, template, route in ROUTES:
        access = _access(route)
        response = _call(browser, method, _path(template, world))
        where = (role.value, method, template, response.status_code)
        if access.kind == "public":
            assert response.status_code < 500, where
        elif _allowed(access, role):
            assert response.status_code not in (401, 403), where
            assert response.status_code < 500, where
        else:
            assert response.status_code == 403, where


def test_api_tokens_follow_the_same_matrix(app, database, world) -> None:  # type: ignore[no-untyped-def]
    from support.tokens import issue_token
    from support.web import api_client

    for role, username in ROLE_USERS.items():
        client = api_client(app, issue_token(database, world.users[username]))
        for method, template, route in ROUTES:
            if not template.startswith("/api/"):
                continue
            access = _access(route)
            path = _path(template, world)
            response = (
                client.request(method, path, json={}) if method != "GET" else client.get(path)
            )
            where = (role.value, method, template, response.status_code)
            if _allowed(access, role):
                assert response.status_code not in (401, 403), where
            else:
                assert response.status_code == 403, where


@pytest.mark.parametrize(
    ("method", "path", "route"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES]
)
def test_handlers_run_in_worker_threads(method: str, path: str, route: APIRoute) -> None:
    """A handler on the event loop that waits for a database lock would stall every request."""
    import inspect

    assert not inspect.iscoroutinefunction(route.endpoint), f"{method} {path} is async"
