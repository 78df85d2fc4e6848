"""Two-factor sign-in: the second step after a correct password, set-up, recovery codes, reset.

A correct password alone opens no session when the user has an authenticator app (or must set
one up): it opens a short-lived sign-in challenge, and only a valid one-time code (or an unused
recovery code) turns that into a session. Wrong codes count as failed sign-ins for the account
and the address, so the sign-in throttle limits guessing; a challenge also ends after
``CHALLENGE_MAX_FAILURES`` wrong codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mendwell.actions import audit
from mendwell.actions.auth import (
    actor_for,
    authenticator_of,
    is_throttled,
    open_session,
)
from mendwell.actions.context import ActionContext, writes_allowed
from mendwell.actions.errors import InvalidInput, Refused
from mendwell.security import totp
from mendwell.security.tokens import new_token, token_hash
from mendwell.settings import Settings
from mendwell.store.models import (
    AuthenticatorSecret,
    LoginAttempt,
    RecoveryCode,
    SignInChallenge,
    User,
)

CHALLENGE_MINUTES = 10
CHALLENGE_MAX_FAILURES = 5


def open_challenge(db: Session, user: User, *, ip: str, next_path: str, now: datetime) -> str:
    """Start the second step of a sign-in; the plain token goes to the browser once."""
    token = new_token()
    with writes_allowed(db):
        db.add(
            SignInChallenge(
                token_hash=token_hash(token),
                user_id=user.id,
                created_at=now,
                expires_at=now + timedelta(minutes=CHALLENGE_MINUTES),
                ip=ip,
                next_path=next_path,
            )
        )
        db.flush()
    return token


def live_challenge(db: Session, token: str | None, now: datetime) -> SignInChallenge | None:
    """The challenge for a browser's token, if it is still open and the account still active."""
    if not token:
        return None
    challenge = db.scalar(
        select(SignInChallenge).where(SignInChallenge.token_hash == token_hash(token))
    )
    if (
        challenge is None
        or challenge.ended_at is not None
        or now >= challenge.expires_at
        or not challenge.user.is_active
    ):
        return None
    return challenge


def _authenticator(db: Session, user_id: int, now: datetime) -> AuthenticatorSecret:
    """The user's authenticator secret, created (unconfirmed) when they have none yet."""
    secret = authenticator_of(db, user_id)
    if secret is None:
        secret = AuthenticatorSecret(user_id=user_id, secret=totp.new_secret(), created_at=now)
        with writes_allowed(db):
            db.add(secret)
            db.flush()
    return secret


def setup_secret(db: Session, user_id: int, now: datetime) -> str | None:
    """The secret a user is setting up (created on first sight), or None if they have one."""
    secret = _authenticator(db, user_id, now)
    return None if secret.confirmed_at is not None else secret.secret


@dataclass
class SecondFactorResult:
    ok: bool
    expired: bool = False
    throttled: bool = False
    session_token: str | None = None
    next_path: str = "/"
    # Shown once, right after an authenticator app is set up.
    recovery_codes: list[str] = field(default_factory=list)


def _issue_recovery_codes(db: Session, user_id: int, now: datetime) -> list[str]:
    codes = totp.new_recovery_codes()
    with writes_allowed(db):
        db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
        for code in codes:
            db.add(RecoveryCode(user_id=user_id, code_hash=_code_hash(code), created_at=now))
        db.flush()
    return codes


def _code_hash(code: str) -> str:
    return token_hash(totp.normalise_code(code))


def _check_code(db: Session, secret: AuthenticatorSecret, code: str, now: datetime) -> str | None:
    """How ``code`` proves the second factor ("authenticator" or "recovery code"), if it does."""
    step = totp.matching_step(secret.secret, code, now, secret.last_used_step)
    if step is not None:
        with writes_allowed(db):
            secret.last_used_step = step
        return "authenticator"
    if secret.confirmed_at is None:
        return None
    recovery = db.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == secret.user_id,
            RecoveryCode.code_hash == _code_hash(code),
            RecoveryCode.used_at.is_(None),
        )
    )
    if recovery is None:
        return None
    with writes_allowed(db):
        recovery.used_at = now
    return "recovery code"


def complete_sign_in(
    db: Session,
    settings: Settings,
    audit_key: bytes,
    *,
    challenge: SignInChallenge,
    code: str,
    ip: str,
    user_agent: str | None,
    now: datetime,
) -> SecondFactorResult:
    """Check the one-time code of a pending (live) sign-in and open the session."""
    user = challenge.user
    actor = actor_for(user, ip)
    if is_throttled(db, settings, user.username, ip, now):
        audit.append_event(
            db,
            audit_key,
            actor=actor,
            occurred_at=now,
            action="login",
            entity_type="session",
            outcome="throttled",
            detail={"step": "second factor"},
        )
        return SecondFactorResult(ok=False, throttled=True)
    secret = _authenticator(db, user.id, now)
    setting_up = secret.confirmed_at is None
    method = _check_code(db, secret, code, now)
    if method is None:
        with writes_allowed(db):
            challenge.failures += 1
            if challenge.failures >= CHALLENGE_MAX_FAILURES:
                challenge.ended_at = now
            db.add(LoginAttempt(username=user.username, ip=ip, attempted_at=now, succeeded=False))
        audit.append_event(
            db,
            audit_key,
            actor=actor,
            occurred_at=now,
            action="login",
            entity_type="session",
            outcome="failure",
            detail={"reason": "wrong one-time code"},
        )
        return SecondFactorResult(ok=False, expired=challenge.ended_at is not None)
    codes: list[str] = []
    with writes_allowed(db):
        challenge.ended_at = now
        if setting_up:
            secret.confirmed_at = now
    if setting_up:
        codes = _issue_recovery_codes(db, user.id, now)
        audit.append_event(
            db,
            audit_key,
            actor=actor,
            occurred_at=now,
            action="two_factor_setup",
            entity_type="user",
            entity_id=user.id,
        )
    session_token, _ = open_session(
        db, settings, audit_key, user, ip=ip, user_agent=user_agent, now=now, second_factor=method
    )
    return SecondFactorResult(
        ok=True, session_token=session_token, next_path=challenge.next_path, recovery_codes=codes
    )


def replace_recovery_codes(ctx: ActionContext, code: str) -> list[str]:
    """New recovery codes for the signed-in user, after a current one-time code."""
    user_id = ctx.actor.user_id
    secret = authenticator_of(ctx.db, user_id) if user_id else None
    if secret is None or secret.confirmed_at is None:
        raise Refused("set up an authenticator app first (sign out and in again)")
    step = totp.matching_step(secret.secret, code, ctx.now, secret.last_used_step)
    if step is None:
        raise InvalidInput.single("code", "is not the current code of your authenticator app")
    with writes_allowed(ctx.db):
        secret.last_used_step = step
    codes = _issue_recovery_codes(ctx.db, secret.user_id, ctx.now)
    audit.record(ctx, action="recovery_codes_replaced", entity_type="user", entity_id=user_id)
    return codes


def unused_recovery_codes(db: Session, user_id: int) -> int:
    return len(
        db.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )
