"""Signing in and out, browser sessions, throttling and API tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mendwell.actions import audit
from mendwell.actions.context import ActionContext, Actor, writes_allowed
from mendwell.actions.errors import InvalidInput, NotFound
from mendwell.clock import as_utc
from mendwell.permissions import Role
from mendwell.security.passwords import hash_password, needs_rehash, verify_password
from mendwell.security.tokens import new_token, token_hash
from mendwell.settings import Settings
from mendwell.store.models import (
    ApiToken,
    AuthenticatorSecret,
    LoginAttempt,
    User,
    UserSession,
)

API_TOKEN_PREFIX = "mw_"  # noqa: S105 (a public prefix, not a secret)


def actor_for(user: User, ip: str | None = None) -> Actor:
    return Actor(
        user_id=user.id,
        username=user.username,
        roles_by_site={r.site_id: Role(r.role) for r in user.roles},
        ip=ip,
    )


@dataclass
class LoginResult:
    ok: bool
    throttled: bool = False
    session_token: str | None = None
    session: UserSession | None = None
    user: User | None = None
    # The password was right; a one-time code must follow before a session opens.
    second_factor_pending: bool = False


def authenticator_of(db: Session, user_id: int) -> AuthenticatorSecret | None:
    return db.scalar(select(AuthenticatorSecret).where(AuthenticatorSecret.user_id == user_id))


def has_authenticator(db: Session, user_id: int) -> bool:
    secret = authenticator_of(db, user_id)
    return secret is not None and secret.confirmed_at is not None


def second_factor_needed(db: Session, settings: Settings, user: User) -> bool:
    """Everyone when two-factor sign-in is required; otherwise those who set it up."""
    return settings.two_factor_required or has_authenticator(db, user.id)


def _recent_failures(db: Session, column: object, value: str, since: datetime) -> int:
    last_success = db.scalar(
        select(func.max(LoginAttempt.attempted_at)).where(column == value, LoginAttempt.succeeded)
    )
    start = max(since, as_utc(last_success)) if last_success else since
    return int(
        db.scalar(
            select(func.count()).where(
                column == value,
                LoginAttempt.succeeded.is_(False),
                LoginAttempt.attempted_at > start,
            )
        )
        or 0
    )


def is_throttled(db: Session, settings: Settings, username: str, ip: str, now: datetime) -> bool:
    since = now - timedelta(minutes=settings.login_window_minutes)
    return (
        _recent_failures(db, LoginAttempt.username, username, since)
        >= settings.login_max_failures_per_account
        or _recent_failures(db, LoginAttempt.ip, ip, since)
        >= settings.login_max_failures_per_address
    )


def login(
    db: Session,
    settings: Settings,
    audit_key: bytes,
    *,
    username: str,
    password: str,
    ip: str,
    user_agent: str | None,
    now: datetime,
) -> LoginResult:
    """Check credentials and open a session. The outcome never says whether the account exists."""
    name = username.strip().lower()[:64]
    anonymous = Actor(user_id=None, username=name or None, ip=ip)
    if is_throttled(db, settings, name, ip, now):
        audit.append_event(
            db,
            audit_key,
            actor=anonymous,
            occurred_at=now,
            action="login",
            entity_type="session",
            outcome="throttled",
        )
        return LoginResult(ok=False, throttled=True)
    user = db.scalar(select(User).where(User.username == name)) if name else None
    valid = verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.is_active:
        with writes_allowed(db):
            db.add(LoginAttempt(username=name, ip=ip, attempted_at=now, succeeded=False))
        reason = "unknown user" if user is None else ("disabled" if valid else "wrong password")
        audit.append_event(
            db,
            audit_key,
            actor=Actor(user.id if user else None, name or None, ip=ip),
            occurred_at=now,
            action="login",
            entity_type="session",
            outcome="failure",
            detail={"reason": reason},
        )
        return LoginResult(ok=False)
    if needs_rehash(user.password_hash):
        with writes_allowed(db):
            user.password_hash = hash_password(password)
    if second_factor_needed(db, settings, user):
        audit.append_event(
            db,
            audit_key,
            actor=actor_for(user, ip),
            occurred_at=now,
            action="login",
            entity_type="session",
            outcome="code_required",
        )
        return LoginResult(ok=False, user=user, second_factor_pending=True)
    token, session = open_session(
        db, settings, audit_key, user, ip=ip, user_agent=user_agent, now=now
    )
    return LoginResult(ok=True, session_token=token, session=session, user=user)


def open_session(
    db: Session,
    settings: Settings,
    audit_key: bytes,
    user: User,
    *,
    ip: str,
    user_agent: str | None,
    now: datetime,
    second_factor: str | None = None,
) -> tuple[str, UserSession]:
    """A new browser session for a user who has proved who they are; the token is returned once."""
    token = new_token()
    with writes_allowed(db):
        user.last_login_at = now
        session = UserSession(
            token_hash=token_hash(token),
            user_id=user.id,
            csrf_token=new_token(),
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_absolute_hours),
            ip=ip,
            user_agent=(user_agent or "")[:300] or None,
        )
        db.add(session)
        db.add(LoginAttempt(username=user.username, ip=ip, attempted_at=now, succeeded=True))
        db.flush()
    audit.append_event(
        db,
        audit_key,
        actor=actor_for(user, ip),
        occurred_at=now,
        action="login",
        entity_type="session",
        entity_id=session.id,
        detail={"second_factor": second_factor} if second_factor else None,
    )
    return token, session


def resolve_session(
    db: Session, settings: Settings, token: str | None, now: datetime
) -> UserSession | None:
    """The live session for a cookie token, ending it if it has timed out."""
    if not token:
        return None
    session = db.scalar(select(UserSession).where(UserSession.token_hash == token_hash(token)))
    if session is None or session.ended_at is not None:
        return None
    reason = None
    if not session.user.is_active:
        reason = "account_disabled"
    elif now >= session.expires_at:
        reason = "absolute_timeout"
    elif now - session.last_seen_at >= timedelta(minutes=settings.session_idle_minutes):
        reason = "idle_timeout"
    with writes_allowed(db):
        if reason:
            session.ended_at = now
            session.end_reason = reason
        else:
            session.last_seen_at = now
    return None if reason else session


def logout(ctx: ActionContext, session: UserSession) -> None:
    with writes_allowed(ctx.db):
        session.ended_at = ctx.now
        session.end_reason = "logout"
    audit.record(ctx, action="logout", entity_type="session", entity_id=session.id)


def end_sessions(db: Session, user_id: int, now: datetime, reason: str) -> int:
    sessions = db.scalars(
        select(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    ).all()
    with writes_allowed(db):
        for session in sessions:
            session.ended_at = now
            session.end_reason = reason
    return len(sessions)


def create_api_token(ctx: ActionContext, name: str) -> tuple[str, ApiToken]:
    """A new personal API token; the plain token is returned once and never stored."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput.single("name", "give the token a name of 1 to 100 characters")
    plain = new_token(API_TOKEN_PREFIX)
    with writes_allowed(ctx.db):
        token = ApiToken(
            user_id=ctx.actor.user_id,
            name=name,
            token_prefix=plain[: len(API_TOKEN_PREFIX) + 6],
            token_hash=token_hash(plain),
            created_at=ctx.now,
        )
        ctx.db.add(token)
        ctx.db.flush()
    audit.record(
        ctx, action="create", entity_type="api_token", entity_id=token.id, detail={"name": name}
    )
    return plain, token


def revoke_api_token(ctx: ActionContext, token_id: int) -> ApiToken:
    token = ctx.db.get(ApiToken, token_id)
    if token is None or token.user_id != ctx.actor.user_id:
        raise NotFound("api_token", token_id)
    if token.revoked_at is None:
        with writes_allowed(ctx.db):
            token.revoked_at = ctx.now
        audit.record(ctx, action="revoke", entity_type="api_token", entity_id=token.id)
    return token


def resolve_api_token(db: Session, plain: str, now: datetime) -> User | None:
    if not plain.startswith(API_TOKEN_PREFIX):
        return None
    token = db.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(plain)))
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    with writes_allowed(db):
        token.last_used_at = now
    return token.user
