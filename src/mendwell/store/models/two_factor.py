"""Two-factor sign-in: authenticator secrets, recovery codes and pending sign-ins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mendwell.store.base import Base
from mendwell.store.models.accounts import User


class AuthenticatorSecret(Base):
    """A user's TOTP secret. Unconfirmed until the user has entered one code from it."""

    __tablename__ = "authenticator_secret"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), unique=True)
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    # The last time step accepted, so a code cannot be used twice.
    last_used_step: Mapped[int | None]

    user: Mapped[User] = relationship()


class RecoveryCode(Base):
    """A single-use recovery code; only its SHA-256 hash is stored (80 random bits)."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class SignInChallenge(Base):
    """A sign-in whose password was right and whose second factor is still to come."""

    __tablename__ = "sign_in_challenge"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    failures: Mapped[int] = mapped_column(default=0)
    ip: Mapped[str | None] = mapped_column(String(64))
    next_path: Mapped[str] = mapped_column(String(500), default="/")

    user: Mapped[User] = relationship()
