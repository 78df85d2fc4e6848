"""Typed settings read from ``MENDWELL_*`` environment variables; bad values fail fast."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from mendwell.clinical.screening.settings import ScreeningSettings


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "mendwell"


class Settings(BaseSettings):
    """Every setting Mendwell reads. Each field is documented in docs/configuration.md."""

    model_config = SettingsConfigDict(env_prefix="MENDWELL_", extra="ignore", frozen=True)

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Folder for the SQLite database, the audit key and backups.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the database; unset means SQLite in the data folder. "
        "PostgreSQL example: postgresql+psycopg://mendwell@db.example.org/mendwell",
    )
    audit_key: str | None = Field(
        default=None,
        description="Secret for the audit trail's HMAC chain. Unset: read from (or created in) "
        "audit-hmac.key in the data folder. Keep it outside the database.",
    )
    session_idle_minutes: int = Field(
        default=15, ge=1, le=24 * 60, description="Sign a user out after this much inactivity."
    )
    session_absolute_hours: int = Field(
        default=12, ge=1, le=7 * 24, description="Longest a signed-in session may last."
    )
    login_window_minutes: int = Field(
        default=15, ge=1, description="Window over which failed sign-ins are counted."
    )
    login_max_failures_per_account: int = Field(
        default=5, ge=1, description="Failed sign-ins for one username within the window."
    )
    login_max_failures_per_address: int = Field(
        default=20, ge=1, description="Failed sign-ins from one network address within the window."
    )
    two_factor_required: bool = Field(
        default=True,
        description="Require every user to sign in with a one-time code from an authenticator "
        "app as well as the password. A user without one sets it up at their next sign-in. "
        "Users who have set one up always need it, whatever this says.",
    )
    two_factor_issuer: str = Field(
        default="Mendwell",
        max_length=60,
        description="The name authenticator apps show next to the one-time code.",
    )
    password_min_length: int = Field(
        default=12, ge=8, le=64, description="Shortest password accepted for a new password."
    )
    cookie_secure: bool = Field(
        default=True,
        description="Mark cookies Secure and use the __Host- prefix. Browsers accept Secure "
        "cookies on http://localhost and 127.0.0.1, so only a plain-HTTP host other than "
        "those needs this off.",
    )
    base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Public address of this Mendwell, used in links sent to clients.",
    )
    smtp_host: str | None = Field(
        default=None,
        description="Mail server for emailing self-report links to clients; unset: Mendwell "
        "sends no email (links can still be copied).",
    )
    smtp_port: int = Field(default=587, ge=1, le=65535, description="Port of the mail server.")
    smtp_username: str | None = Field(
        default=None, description="User name at the mail server; unset: no authentication."
    )
    smtp_password: SecretStr | None = Field(
        default=None, description="Password at the mail server (with MENDWELL_SMTP_USERNAME)."
    )
    smtp_from: str | None = Field(
        default=None,
        description="Sender address of emails, e.g. Northside Clinic <no-reply@clinic.example>; "
        "required with MENDWELL_SMTP_HOST.",
        validate_default=True,
    )
    smtp_starttls: bool = Field(
        default=True,
        description="Upgrade the connection with STARTTLS before signing in and sending. Turn "
        "off only for a mail relay on the same machine.",
    )

    adverse_event_vocabulary: Path | None = Field(
        default=None,
        description="A program's own adverse-event vocabulary file (same format as the shipped "
        "knowledge/adverse_events/vocabulary.yaml), e.g. to change the expedited-reporting "
        "clock lengths. Unset: the shipped vocabulary (7 and 15 days).",
    )

    @field_validator("adverse_event_vocabulary")
    @classmethod
    def _valid_vocabulary(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        from mendwell.clinical.sessions.adverse_events import vocabulary_at
        from mendwell.knowledge.sources import KnowledgeFileError

        if not value.is_file():
            raise ValueError(f"{value} is not a file")
        try:
            vocabulary_at(value.resolve())
        except KnowledgeFileError as exc:
            raise ValueError(str(exc)) from exc
        return value.resolve()

    screening: ScreeningSettings = Field(
        default_factory=ScreeningSettings,
        description="Clinical screening settings as JSON: washout formula and the numeric "
        "screening thresholds that no source gives (see docs/screening-workflow.md), e.g. "
        '{"qtc_max_ms": 460, "washout_margin_days": 14}. Unset keys keep their defaults.',
    )

    @field_validator("screening")
    @classmethod
    def _known_parameters(cls, value: ScreeningSettings) -> ScreeningSettings:
        from mendwell.clinical.screening.evaluate import check_settings

        check_settings(value)
        return value

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str | None) -> str | None:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:// or postgresql+psycopg:// URL")
        return value

    @field_validator("smtp_from")
    @classmethod
    def _mail_needs_sender(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("smtp_host") and not value:
            raise ValueError("a sender address is required with MENDWELL_SMTP_HOST")
        return value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'mendwell.sqlite3'}"


class SettingsError(RuntimeError):
    """Settings that cannot be used; the message names the variable."""


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment (plus explicit overrides), naming any bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"MENDWELL_{str(err['loc'][0]).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise SettingsError(f"invalid configuration: {problems}") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
