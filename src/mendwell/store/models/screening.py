"""Safety screenings: a series of immutable versions, then one signed, locked decision.

``screening`` is the header: which client, and where the screening stands (``draft``, ``signed``,
``superseded``). Every save of a draft adds a ``screening_version`` row; signing adds one
``screening_signature`` row and the washout plan's ``screening_washout`` rows. Versions,
signatures and washout rows are append-only in the database itself (see the migration).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mendwell.store.base import Base
from mendwell.store.models.accounts import User
from mendwell.store.types import JSONType


class Screening(Base):
    __tablename__ = "screening"
    __table_args__ = (Index("ix_screening_client_status", "client_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    latest_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    updated_at: Mapped[datetime]
    signed_at: Mapped[datetime | None]
    decision: Mapped[str | None] = mapped_column(String(20))
    superseded_at: Mapped[datetime | None]
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("screening.id"))
    version: Mapped[int] = mapped_column(default=1)

    versions: Mapped[list[ScreeningVersion]] = relationship(
        back_populates="screening", order_by="ScreeningVersion.number"
    )
    signature: Mapped[ScreeningSignature | None] = relationship(back_populates="screening")
    created_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def current(self) -> ScreeningVersion:
        """The latest version."""
        return self.versions[-1]


class ScreeningVersion(Base):
    """One saved state of a screening: the record, what it was evaluated for, and the result."""

    __tablename__ = "screening_version"
    __table_args__ = (UniqueConstraint("screening_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    screening_id: Mapped[int] = mapped_column(ForeignKey("screening.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    number: Mapped[int]
    substance: Mapped[str] = mapped_column(String(20))
    protocol_id: Mapped[str | None] = mapped_column(String(60))
    # The jurisdiction whose rules applied, and the site's own at the time (they differ when
    # the screener chose another, or the protocol implies one).
    jurisdiction: Mapped[str | None] = mapped_column(String(20))
    site_jurisdiction: Mapped[str | None] = mapped_column(String(20))
    jurisdiction_choice: Mapped[str] = mapped_column(String(20))
    proposed_stop_date: Mapped[date | None] = mapped_column(Date)
    record: Mapped[dict[str, Any]]
    as_of: Mapped[date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(20))
    evaluation: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    screening: Mapped[Screening] = relationship(back_populates="versions")
    created_by: Mapped[User | None] = relationship()


class ScreeningSignature(Base):
    """The signed decision (21 CFR 11.50): who, when, what it means, and a hash of the content."""

    __tablename__ = "screening_signature"

    id: Mapped[int] = mapped_column(primary_key=True)
    screening_id: Mapped[int] = mapped_column(ForeignKey("screening.id"), unique=True)
    screening_version_id: Mapped[int] = mapped_column(ForeignKey("screening_version.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    decision: Mapped[str] = mapped_column(String(20))
    meaning: Mapped[str] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)
    signer_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    signer_name: Mapped[str] = mapped_column(String(200))
    signer_username: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime]
    overrides: Mapped[list[Any]] = mapped_column(JSONType)
    outcome: Mapped[str] = mapped_column(String(20))
    evaluation: Mapped[dict[str, Any]]
    earliest_dosing_date: Mapped[date | None] = mapped_column(Date)
    content_hash: Mapped[str] = mapped_column(String(64))

    screening: Mapped[Screening] = relationship(back_populates="signature")
    screening_version: Mapped[ScreeningVersion] = relationship()
    washout: Mapped[list[ScreeningWashout]] = relationship(
        back_populates="signature", order_by="ScreeningWashout.earliest_dosing_date"
    )


class ScreeningWashout(Base):
    """One medication of a signed washout plan: the first day dosing may safely happen."""

    __tablename__ = "screening_washout"

    id: Mapped[int] = mapped_column(primary_key=True)
    signature_id: Mapped[int] = mapped_column(ForeignKey("screening_signature.id"), index=True)
    screening_id: Mapped[int] = mapped_column(ForeignKey("screening.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    medication: Mapped[str] = mapped_column(String(200))
    medication_id: Mapped[str] = mapped_column(String(60))
    generic_name: Mapped[str] = mapped_column(String(200))
    basis: Mapped[str] = mapped_column(String(30))
    from_date: Mapped[date] = mapped_column(Date)
    washout_days: Mapped[int]
    earliest_dosing_date: Mapped[date] = mapped_column(Date)
    rule_ids: Mapped[list[str]]

    signature: Mapped[ScreeningSignature] = relationship(back_populates="washout")
