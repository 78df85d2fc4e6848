"""Signing in and out: throttling, sessions, CSRF, cookies and headers (ASVS V3, V6, V7)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from mendwell.store.models import AuditEvent, User, UserSession
from mendwell.web.headers import CONTENT_SECURITY_POLICY
from support.web import Browser


def _events(database, action: str):  # type: ignore[no-untyped-def]
    with database.sessionmaker() as db:
        return db.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        ).all()


def test_sign_in_opens_a_session_and_audits_it(app, database) -> None:  # type: ignore[no-untyped-def]
    browser = Browser(app)
    response = browser.login("alice")
    assert response.status_code == 303
    assert browser.get("/").status_code == 200
    login = _events(database, "login")[-1]
    assert (login.username, login.outcome) == ("alice", "success")


def test_session_cookie_is_host_prefixed_secure_httponly_samesite(app) -> None:  # type: ignore[no-untyped-def]
    browser = Browser(app)
    cookie = browser.login("alice").headers["set-cookie"]
    assert cookie.startswith("__Host-mendwell_session=")
    for attribute in ("Secure", "HttpOnly", "SameSite=lax", "Path=/"):
        assert attribute.lower() in cookie.lower()
    assert "domain=" not in cookie.lower()


def test_session_token_is_random_and_stored_only_hashed(app, database) -> None:  # type: ignore[no-untyped-def]
    first, second = Browser(app), Browser(app)
    first.login("alice")
    second.login("alice")
    assert first.session_cookie != second.session_cookie
    assert len(first.session_cookie or "") >= 43  # 32 random bytes, base64url
    with database.sessionmaker() as db:
        stored = db.scalars(select(UserSession.token_hash)).all()
    assert first.session_cookie not in stored
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in stored)


@pytest.mark.parametrize("username", ["alice", "nobody-by-this-name"])
def test_wrong_password_does_not_reveal_whether_the_account_exists(app, username: str) -> None:  # type: ignore[no-untyped-def]
    response = Browser(app).login(username, "wrong password!")
    assert response.status_code == 401
    assert "Username or password is incorrect." in response.text
    assert username not in response.text.replace(f'value="{username}"', "")


def test_repeated_wrong_passwords_are_throttled_per_account(app, settings, clock, database) -> None:  # type: ignore[no-untyped-def]
    limit = settings.login_max_failures_per_account
    for _ in range(limit):
        assert Browser(app).login("alice", "not her password").status_code == 401
    blocked = Browser(app).login("alice")  # even the right password waits out the window
    assert blocked.status_code == 429
    assert "Too many sign-in attempts" in blocked.text
    assert _events(database, "login")[-1].outcome == "throttled"
    unknown = Browser(app)
    for _ in range(limit):
        unknown.login("ghost", "x")
    assert Browser(app).login("ghost", "x").status_code == 429  # same answer: no enumeration
    clock.advance(minutes=settings.login_window_minutes + 1)
    assert Browser(app).login("alice").status_code == 303  # no permanent lockout


def test_throttling_per_address_covers_many_usernames(app, settings) -> None:  # type: ignore[no-untyped-def]
    for n in range(settings.login_max_failures_per_address):
        Browser(app).login(f"user{n}", "guess")
    assert Browser(app).login("bob").status_code == 429


def test_success_resets_the_account_counter(app, settings) -> None:  # type: ignore[no-untyped-def]
    for _ in range(settings.login_max_failures_per_account - 1):
        Browser(app).login("bob", "typo")
    assert Browser(app).login("bob").status_code == 303
    assert Browser(app).login("bob", "typo").status_code == 401


def test_idle_timeout_ends_the_session_server_side(app, settings, clock) -> None:  # type: ignore[no-untyped-def]
    browser = Browser(app)
    browser.login("alice")
    clock.advance(minutes=settings.session_idle_minutes - 1)
    assert browser.get("/").status_code == 200  # activity keeps it alive
    clock.advance(minutes=settings.session_idle_minutes - 1)
    assert browser.get("/").status_code == 200
    clock.advance(minutes=settings.session_idle_minutes)
    response = browser.get("/")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    clock.advance(seconds=1)
    assert browser.get("/").status_code == 303  # ended, not just expired once


def test_absolute_lifetime_ends_an_active_session(app, settings, clock) -> None:  # type: ignore[no-untyped-def]
    browser = Browser(app)
    browser.login("alice")
    elapsed = 0
    while elapsed < settings.session_absolute_hours * 60 - 10:
        clock.advance(minutes=10)
        elapsed += 10
        assert browser.get("/").status_code == 200
    clock.advance(minutes=10)
    assert browser.get("/").status_code == 303


def test_logout_ends_the_session_server_side(app) -> None:  # type: ignore[no-untyped-def]
    browser = Browser(app)
    browser.login("alice")
    stolen = browser.session_cookie
    assert browser.post("/logout").status_code == 303
    replay = Browser(app)
    replay.http.cookies.set("__Host-mendwell_session", stolen or "")
    assert replay.get("/").status_code == 303
    api = replay.http.get("/api/v1/me")
    assert api.status_code == 401


def test_disabling_an_account_ends_its_sessions(app, world) -> None:  # type: ignore[no-untyped-def]
    alice, admin = Browser(app), Browser(app)
    alice.login("alice")
    admin.login("admin")
    assert alice.get("/").status_code == 200
    response = admin.post(
        f"/admin/users/{world.users['alice']}/active", {"active": "0", "reason": "left"}
    )
    assert response.status_code == 303
    assert alice.get("/").status_code == 303
    assert Browser(app).login("alice").status_code == 401


def test_post_without_csrf_token_is_refused(app, database, world) -> None:  # type: ignore[no-untyped-def]
    browser = Browser(app)
    browser.login("alice")
    response = browser.post("/logout", csrf=False)
    assert response.status_code == 403
    assert browser.get("/").status_code == 200  # still signed in: the logout did not happen
    forged = browser.post("/logout", [("csrf_token", "forged")], csrf=False)
    assert forged.status_code == 403
    assert [e.outcome for e in _events(database, "csrf_rejected")] == ["denied", "denied"]


def test_login_form_needs_its_own_csrf_token(app) -> None:  # type: ignore[no-untyped-def]
    browser = Browser(app)
    browser.get("/login")
    response = browser.http.post(
        "/login", data={"username": "alice", "password": "correct horse battery staple"}
    )
    assert response.status_code == 403
    assert browser.session_cookie is None


def test_password_is_stored_as_argon2id_with_owasp_parameters(database) -> None:  # type: ignore[no-untyped-def]
    with database.sessionmaker() as db:
        stored = db.scalar(select(User.password_hash).where(User.username == "alice"))
    match = re.match(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$", stored or "")
    assert match, stored
    memory, time_cost, _ = map(int, match.groups())
    assert (memory >= 19456 and time_cost >= 2) or (memory >= 47104 and time_cost >= 1)
    assert "correct horse" not in (stored or "")


def test_outdated_hash_parameters_are_upgraded_at_sign_in(app, database, world) -> None:  # type: ignore[no-untyped-def]
    from argon2 import PasswordHasher

    from mendwell.actions.context import writes_allowed
    from support.world import PASSWORD

    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with database.sessionmaker() as db, db.begin(), writes_allowed(db):
        db.get(User, world.users["bob"]).password_hash = weak  # type: ignore[union-attr]
    assert Browser(app).login("bob").status_code == 303
    with database.sessionmaker() as db:
        upgraded = db.get(User, world.users["bob"]).password_hash  # type: ignore[union-attr]
    assert upgraded != weak
    assert ",t=2," in upgraded


def test_security_headers_on_pages_and_api(app) -> None:  # type: ignore[no-untyped-def]
    browser = Browser(app)
    for response in (browser.get("/login"), browser.get("/api/v1/me"), browser.get("/healthz")):
        headers = response.headers
        assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "object-src 'none'" in headers["content-security-policy"]
        assert "base-uri 'none'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "http:" not in headers["content-security-policy"]
        assert "https:" not in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["strict-transport-security"].startswith("max-age=31536000")
        assert headers["cache-control"] == "no-store"


def test_pages_load_nothing_from_other_origins(app) -> None:  # type: ignore[no-untyped-def]
    browser = Browser(app)
    browser.login("admin")
    for path in ("/", "/clients", "/admin/users", "/admin/audit", "/login", "/account"):
        html = browser.get(path).text
        assert not re.search(r'(src|href)="(https?:)?//', html), path


def test_next_parameter_cannot_send_the_user_elsewhere(app) -> None:  # type: ignore[no-untyped-def]
    browser = Browser(app)
    page = browser.get("/login?next=//evil.example/x")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    response = browser.http.post(
        "/login",
        data={
            "username": "alice",
            "password": "correct horse battery staple",
            "csrf_token": token,
            "next": "//evil.example/x",
        },
    )
    assert response.headers["location"] == "/"


def test_a_common_new_password_is_refused_naming_the_field(app) -> None:  # type: ignore[no-untyped-def]
    browser = Browser(app)
    browser.login("alice")
    response = browser.post(
        "/account/password",
        {"current_password": "correct horse battery staple", "password": "qwertyuiop123"},
    )
    assert response.status_code == 422
    assert "is too easy to guess" in response.text
    assert Browser(app).login("alice").status_code == 303  # the old password still works
