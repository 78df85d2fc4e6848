"""Measurement-based care: measure submissions, self-report links, safety alerts and the
organisation's licensed instruments."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mendwell.store.base import Base

ENTERED_BY_CLINICIAN = "clinician"
ENTERED_VIA_LINK = "self_report_link"


class MeasureSubmission(Base):
    """One completed instrument, scored when stored. Never updated: a correction is a new row.

    The table is append-only in the database itself. ``corrects_id`` points at the version a
    correction replaces (each version can be corrected once, so a chain never forks) and
    ``original_id`` at the first version of the chain.
    """

    __tablename__ = "measure_submission"
    __table_args__ = (
        UniqueConstraint("corrects_id"),
        Index("ix_measure_submission_client_instrument", "client_id", "instrument_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    instrument_id: Mapped[str] = mapped_column(String(60))
    instrument_version: Mapped[str] = mapped_column(String(40))
    custom_instrument_id: Mapped[int | None] = mapped_column(ForeignKey("custom_instrument.id"))
    answers: Mapped[dict[str, Any]]
    scoring_options: Mapped[dict[str, Any]]
    score: Mapped[dict[str, Any]]
    total: Mapped[float | None] = mapped_column(Float)
    administered_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime]
    entered_via: Mapped[str] = mapped_column(String(20))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    link_id: Mapped[int | None] = mapped_column(ForeignKey("self_report_link.id"))
    respondent: Mapped[str] = mapped_column(String(20))
    rater_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    independent_rater: Mapped[bool] = mapped_column(Boolean, default=False)
    version_number: Mapped[int] = mapped_column(default=1)
    original_id: Mapped[int | None] = mapped_column(ForeignKey("measure_submission.id"), index=True)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("measure_submission.id"))
    correction_reason: Mapped[str | None] = mapped_column(Text)

    @property
    def chain_id(self) -> int:
        """The id of the first version: the same for every version of one submission."""
        return self.original_id or self.id


class SelfReportLink(Base):
    """A private link through which a client fills a battery of self-report instruments."""

    __tablename__ = "self_report_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    instrument_ids: Mapped[list[str]]
    first_name: Mapped[str | None] = mapped_column(String(100))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    saved_answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    saved_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    def state(self, now: datetime) -> str:
        """pending, submitted, revoked or expired."""
        if self.submitted_at is not None:
            return "submitted"
        if self.revoked_at is not None:
            return "revoked"
        if now >= self.expires_at:
            return "expired"
        return "pending"


class SafetyAlert(Base):
    """A safety flag raised by a scored submission, open until acknowledged with a note."""

    __tablename__ = "safety_alert"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("measure_submission.id"), index=True)
    instrument_id: Mapped[str] = mapped_column(String(60))
    flag_code: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(20))
    item_id: Mapped[str | None] = mapped_column(String(60))
    message: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    acknowledged_at: Mapped[datetime | None]
    acknowledgement_note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class CustomInstrument(Base):
    """An instrument the organisation holds a licence for, uploaded as a file of the shipped
    schema. Every uploaded version is kept so that old scores stay explainable."""

    __tablename__ = "custom_instrument"
    __table_args__ = (UniqueConstraint("organisation_id", "instrument_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    instrument_id: Mapped[str] = mapped_column(String(60))
    version: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    uploaded_at: Mapped[datetime]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
