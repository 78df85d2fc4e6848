"""Personal API tokens: shown once, hashed at rest, revocable, carrying the user's permissions."""

from __future__ import annotations

import re

from sqlalchemy import select

from mendwell.store.models import ApiToken
from support.web import Browser, api_client


def test_token_lifecycle(app, database, world) -> None:  # type: ignore[no-untyped-def]
    alice = Browser(app)
    alice.login("alice")
    page = alice.post("/account/tokens", {"name": "REDCap sync"})
    assert page.status_code == 200
    token = re.search(r'id="new-token">([^<]+)<', page.text).group(1)  # type: ignore[union-attr]
    assert token.startswith("mw_")
    with database.sessionmaker() as db:
        stored = db.scalars(select(ApiToken)).one()
    assert stored.token_hash != token
    assert token not in stored.token_hash
    assert token not in alice.get("/account").text  # shown once only
    api = api_client(app, token)
    assert api.get("/api/v1/me").json()["username"] == "alice"
    assert api.get(f"/api/v1/clients/{world.clients['alice']}").status_code == 200
    assert api.get("/api/v1/users").status_code == 403  # alice's permissions, no more
    assert alice.post(f"/account/tokens/{stored.id}/revoke").status_code == 303
    assert api.get("/api/v1/me").status_code == 401


def test_tokens_need_no_csrf_but_sessions_do_for_api_writes(app, database, world) -> None:  # type: ignore[no-untyped-def]
    from support.tokens import issue_token
    from support.world import client_payload

    api = api_client(app, issue_token(database, world.users["alice"]))
    assert api.post("/api/v1/clients", json=client_payload(world.sites["A"])).status_code == 201
    browser = Browser(app)
    browser.login("alice")
    no_header = browser.http.post("/api/v1/clients", json=client_payload(world.sites["A"]))
    assert no_header.status_code == 403
    with_header = browser.http.post(
        "/api/v1/clients",
        json=client_payload(world.sites["A"]),
        headers={"x-csrf-token": browser.csrf or ""},
    )
    assert with_header.status_code == 201


def test_a_disabled_users_token_stops_working(app, database, world) -> None:  # type: ignore[no-untyped-def]
    from support.tokens import issue_token

    api = api_client(app, issue_token(database, world.users["bob"]))
    assert api.get("/api/v1/me").status_code == 200
    admin = api_client(app, issue_token(database, world.users["admin"]))
    assert admin.post(f"/api/v1/users/{world.users['bob']}/disable").status_code == 200
    assert api.get("/api/v1/me").status_code == 401


def test_forged_tokens_are_refused(app) -> None:  # type: ignore[no-untyped-def]
    for token in ("mw_forged", "not-even-a-token", ""):
        assert api_client(app, token).get("/api/v1/me").status_code == 401
