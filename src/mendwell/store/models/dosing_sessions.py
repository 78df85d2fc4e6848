"""Dosing-session records: the session, who was present, the pre-dose checklist, doses, the
supplemental-dose decision, vital signs and their alerts, the timeline, discharge and addenda.

What happened in a session is append-only in the database: checklist answers, doses,
supplemental decisions, readings, timeline entries, the discharge and addenda are never changed
once written (a later answer supersedes an earlier one; a correction after signing is an
addendum). A presence interval can be closed once (its ``left_at`` set) and a vital alert
acknowledged once; after that the row is locked. The session row itself is locked once it is
co-signed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mendwell.store.base import Base
from mendwell.store.models.accounts import Site
from mendwell.store.types import JSONType


class DosingSession(Base):
    """One dosing visit as it happened, and the rules it was held under."""

    __tablename__ = "dosing_session"
    __table_args__ = (
        UniqueConstraint("course_visit_id"),
        Index("ix_dosing_session_site_started", "site_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    course_visit_id: Mapped[int] = mapped_column(ForeignKey("course_visit.id"))
    visit_id: Mapped[str] = mapped_column(String(80))
    protocol_id: Mapped[str] = mapped_column(String(80))
    protocol_version: Mapped[str] = mapped_column(String(40))
    # The resolved rules (protocol plus jurisdiction) the session was run under, as they were.
    rules: Mapped[dict[str, Any]] = mapped_column(JSONType)
    gate_check_id: Mapped[int | None] = mapped_column(ForeignKey("dosing_gate_check.id"))
    status: Mapped[str] = mapped_column(String(20), index=True)
    started_at: Mapped[datetime]
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    ended_at: Mapped[datetime | None]
    lead_facilitator_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    second_facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # Staffing gaps found when the session ended (or was signed), kept with the record.
    staffing_check: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    signed_at: Mapped[datetime | None]
    cosigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    cosigned_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)

    site: Mapped[Site] = relationship()
    presence: Mapped[list[SessionPresence]] = relationship(
        back_populates="session", order_by="SessionPresence.id"
    )
    checklist: Mapped[list[PreDoseAnswer]] = relationship(
        back_populates="session", order_by="PreDoseAnswer.id"
    )
    administrations: Mapped[list[DoseAdministration]] = relationship(
        back_populates="session", order_by="DoseAdministration.id"
    )
    supplemental_decisions: Mapped[list[SupplementalDecision]] = relationship(
        back_populates="session", order_by="SupplementalDecision.id"
    )
    readings: Mapped[list[VitalReading]] = relationship(
        back_populates="session", order_by="VitalReading.id"
    )
    alerts: Mapped[list[VitalAlert]] = relationship(
        back_populates="session", order_by="VitalAlert.id"
    )
    timeline: Mapped[list[TimelineEntry]] = relationship(
        back_populates="session", order_by="TimelineEntry.id"
    )
    discharge: Mapped[SessionDischarge | None] = relationship(back_populates="session")
    addenda: Mapped[list[SessionAddendum]] = relationship(
        back_populates="session", order_by="SessionAddendum.id"
    )

    __mapper_args__ = {"version_id_col": version}


class _SessionPart:
    """Columns every part of a session record carries: its session, site, client and author."""

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("dosing_session.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime]


class SessionPresence(_SessionPart, Base):
    """A stretch of time one staff member was in the session, in a role; closed once."""

    __tablename__ = "dosing_session_presence"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    arrived_at: Mapped[datetime]
    left_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)

    session: Mapped[DosingSession] = relationship(back_populates="presence")


class PreDoseAnswer(_SessionPart, Base):
    """An answer to one pre-dose checklist item; the latest answer for an item counts."""

    __tablename__ = "dosing_session_checklist_answer"

    item_id: Mapped[str] = mapped_column(String(60))
    answer: Mapped[str] = mapped_column(String(20))  # yes | no | not-applicable | text
    text: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime]

    session: Mapped[DosingSession] = relationship(back_populates="checklist")


class DoseAdministration(_SessionPart, Base):
    """One dose given, with its explicit basis and unit, and the checks made when recorded."""

    __tablename__ = "dosing_session_administration"

    kind: Mapped[str] = mapped_column(String(20))  # initial | supplemental
    substance: Mapped[str] = mapped_column(String(20))
    product: Mapped[str] = mapped_column(String(200))
    lot_or_unique_id: Mapped[str] = mapped_column(String(120))
    basis: Mapped[str] = mapped_column(String(30))
    # Decimal as text: exact on every backend.
    amount: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(8))
    servings: Mapped[str | None] = mapped_column(String(40))
    container_amount: Mapped[str | None] = mapped_column(String(40))
    route: Mapped[str] = mapped_column(String(20))
    given_at: Mapped[datetime]
    given_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    witnessed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # Conversions shown to the recorder, limit violations and plan differences accepted with a
    # reason, as they were when the dose was recorded.
    checks: Mapped[dict[str, Any]] = mapped_column(JSONType)
    deviation_reason: Mapped[str | None] = mapped_column(Text)

    session: Mapped[DosingSession] = relationship(back_populates="administrations")


class SupplementalDecision(_SessionPart, Base):
    """The supplemental dose offered, given, declined or withheld; timing against the window."""

    __tablename__ = "dosing_session_supplemental"

    status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)
    elapsed_minutes: Mapped[int | None]
    timing: Mapped[str | None] = mapped_column(String(20))
    administration_id: Mapped[int | None] = mapped_column(
        ForeignKey("dosing_session_administration.id")
    )

    session: Mapped[DosingSession] = relationship(back_populates="supplemental_decisions")


class VitalReading(_SessionPart, Base):
    """One set of vital signs; any value may be missing."""

    __tablename__ = "dosing_session_vital_reading"

    taken_at: Mapped[datetime]
    systolic_bp: Mapped[int | None]
    diastolic_bp: Mapped[int | None]
    heart_rate: Mapped[int | None]
    temperature_c: Mapped[str | None] = mapped_column(String(10))
    spo2: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(Text)

    session: Mapped[DosingSession] = relationship(back_populates="readings")


class VitalAlert(Base):
    """A reading beyond a protocol threshold; acknowledged once, with the action taken."""

    __tablename__ = "dosing_session_vital_alert"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("dosing_session.id"), index=True)
    reading_id: Mapped[int] = mapped_column(ForeignKey("dosing_session_vital_reading.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    vital: Mapped[str] = mapped_column(String(30))
    direction: Mapped[str] = mapped_column(String(10))  # above | below
    threshold: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str] = mapped_column(String(20))
    unconfirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    sources: Mapped[list[str]]
    raised_at: Mapped[datetime]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    acknowledged_at: Mapped[datetime | None]
    action_note: Mapped[str | None] = mapped_column(Text)

    session: Mapped[DosingSession] = relationship(back_populates="alerts")
    reading: Mapped[VitalReading] = relationship()


class TimelineEntry(_SessionPart, Base):
    """A structured observation or free-text note at a minute of the session."""

    __tablename__ = "dosing_session_timeline"

    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(20))  # observation | note
    code: Mapped[str | None] = mapped_column(String(60))
    text: Mapped[str | None] = mapped_column(Text)

    session: Mapped[DosingSession] = relationship(back_populates="timeline")


class SessionDischarge(_SessionPart, Base):
    """How the session ended: criteria confirmed, to whom or where, and the duration check."""

    __tablename__ = "dosing_session_discharge"
    __table_args__ = (UniqueConstraint("session_id"),)

    discharged_at: Mapped[datetime]
    criteria: Mapped[dict[str, Any]] = mapped_column(JSONType)
    release_to: Mapped[str] = mapped_column(String(30))
    released_to_name: Mapped[str | None] = mapped_column(String(200))
    duration_check: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    problems: Mapped[list[str]]
    reason: Mapped[str | None] = mapped_column(Text)

    session: Mapped[DosingSession] = relationship(back_populates="discharge")


class SessionAddendum(_SessionPart, Base):
    """A later addition or correction to a signed session; the record itself is never changed."""

    __tablename__ = "dosing_session_addendum"

    text: Mapped[str] = mapped_column(Text)

    session: Mapped[DosingSession] = relationship(back_populates="addenda")
