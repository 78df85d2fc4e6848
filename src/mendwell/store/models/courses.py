"""Treatment courses: protocol definitions, courses and their planned visits, consents, pregnancy
tests, dosing-gate checks and overrides, session notes with addenda, and calendar feed tokens.

Rows that record what happened (visit changes, pregnancy tests, gate checks and overrides, note
addenda) are append-only in the database; a signed session note can no longer be updated.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mendwell.store.base import Base
from mendwell.store.models.measures import SelfReportLink
from mendwell.store.types import JSONType


class ProtocolDefinition(Base):
    """The exact text of a protocol version used by the organisation (shipped or uploaded).

    A course points at the definition it was planned with, so a course stays explainable after a
    shipped template is upgraded or a custom protocol gets a new version.
    """

    __tablename__ = "protocol_definition"
    __table_args__ = (UniqueConstraint("organisation_id", "protocol_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    protocol_id: Mapped[str] = mapped_column(String(80))
    version: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(20))  # "shipped" | "custom"
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    uploaded_at: Mapped[datetime]
    # Offered for new enrolments; courses already planned with it keep working either way.
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class Course(Base):
    """A client's course of treatment under one protocol version."""

    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    protocol_definition_id: Mapped[int] = mapped_column(ForeignKey("protocol_definition.id"))
    protocol_id: Mapped[str] = mapped_column(String(80))
    protocol_version: Mapped[str] = mapped_column(String(40))
    anchor_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), index=True)
    arm: Mapped[str | None] = mapped_column(String(100))
    # The screening decision enrolment relied on, as it was then.
    screening: Mapped[dict[str, Any]] = mapped_column(JSONType)
    enrolled_at: Mapped[datetime]
    enrolled_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    completed_on: Mapped[date | None] = mapped_column(Date)
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)

    definition: Mapped[ProtocolDefinition] = relationship()
    visits: Mapped[list[CourseVisit]] = relationship(
        back_populates="course", order_by="CourseVisit.sequence"
    )

    __mapper_args__ = {"version_id_col": version}


class CourseVisit(Base):
    """One planned visit of a course: its target date and window, booking and outcome."""

    __tablename__ = "course_visit"
    __table_args__ = (
        UniqueConstraint("course_id", "visit_id"),
        Index("ix_course_visit_site_dates", "site_id", "earliest_date", "latest_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    visit_id: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(200))
    phase_id: Mapped[str] = mapped_column(String(80))
    sequence: Mapped[int]
    optional: Mapped[bool] = mapped_column(Boolean, default=False)
    anchor: Mapped[str] = mapped_column(String(80))
    anchor_basis: Mapped[str] = mapped_column(String(20))
    target_date: Mapped[date] = mapped_column(Date)
    earliest_date: Mapped[date] = mapped_column(Date)
    latest_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), index=True)
    scheduled_date: Mapped[date | None] = mapped_column(Date)
    scheduled_at: Mapped[datetime | None]
    actual_date: Mapped[date | None] = mapped_column(Date)
    actual_at: Mapped[datetime | None]
    missed_reason: Mapped[str | None] = mapped_column(String(30))
    missed_note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)

    course: Mapped[Course] = relationship(back_populates="visits")

    __mapper_args__ = {"version_id_col": version}


class VisitChange(Base):
    """What happened to a visit and why: booked, rescheduled, completed, missed, cancelled."""

    __tablename__ = "course_visit_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_visit_id: Mapped[int] = mapped_column(ForeignKey("course_visit.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    change: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    from_date: Mapped[date | None] = mapped_column(Date)
    to_date: Mapped[date | None] = mapped_column(Date)
    from_at: Mapped[datetime | None]
    to_at: Mapped[datetime | None]
    reason_code: Mapped[str | None] = mapped_column(String(30))
    reason: Mapped[str | None] = mapped_column(Text)
    # Visits whose target or window followed from this change: [{visit_id, from, to, held}].
    moved: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    changed_at: Mapped[datetime]


class Consent(Base):
    """A consent or signed form the protocol requires before dosing.

    ``course_id`` is empty for a consent that covers the client in every course.
    """

    __tablename__ = "consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id"), index=True)
    consent_type: Mapped[str] = mapped_column(String(80))
    label: Mapped[str] = mapped_column(String(300))
    given_on: Mapped[date] = mapped_column(Date)
    document_ref: Mapped[str | None] = mapped_column(String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime]
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class PregnancyTest(Base):
    """A pregnancy test result, or a record that testing does not apply to this client."""

    __tablename__ = "pregnancy_test"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    taken_at: Mapped[datetime]
    taken_on: Mapped[date] = mapped_column(Date)  # the site's calendar date of taken_at
    result: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime]


class GateOverride(Base):
    """A medical decision to proceed with one dosing session despite one unmet condition."""

    __tablename__ = "dosing_gate_override"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    visit_id: Mapped[str] = mapped_column(String(80))
    condition: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(Text)
    authorised_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    authorised_by_name: Mapped[str] = mapped_column(String(200))
    authorised_at: Mapped[datetime]


class GateCheck(Base):
    """One evaluation of the dosing gate when a session was about to start, and its outcome."""

    __tablename__ = "dosing_gate_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    visit_id: Mapped[str] = mapped_column(String(80))
    protocol_id: Mapped[str] = mapped_column(String(80))
    protocol_version: Mapped[str] = mapped_column(String(40))
    on_date: Mapped[date] = mapped_column(Date)
    authorised: Mapped[bool] = mapped_column(Boolean)
    met: Mapped[list[str]]
    unmet: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    overridden: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    checked_at: Mapped[datetime]


class SessionNote(Base):
    """A preparation or integration session note; locked once its author signs it."""

    __tablename__ = "session_note"
    __table_args__ = (UniqueConstraint("course_visit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    course_visit_id: Mapped[int] = mapped_column(ForeignKey("course_visit.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    protocol_id: Mapped[str] = mapped_column(String(80))
    protocol_version: Mapped[str] = mapped_column(String(40))
    author_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    attendance: Mapped[str] = mapped_column(String(30))
    duration_minutes: Mapped[int]
    topics: Mapped[str | None] = mapped_column(Text)
    fidelity: Mapped[dict[str, Any]]
    risk_level: Mapped[str] = mapped_column(String(20))
    risk_suicidal_ideation: Mapped[bool] = mapped_column(Boolean)
    risk_harm_to_others: Mapped[bool] = mapped_column(Boolean)
    risk_action: Mapped[str | None] = mapped_column(Text)
    free_text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    signed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    addenda: Mapped[list[SessionNoteAddendum]] = relationship(
        back_populates="note", order_by="SessionNoteAddendum.id"
    )

    __mapper_args__ = {"version_id_col": version}


class SessionNoteAddendum(Base):
    """A later addition to a signed note; the note itself is never changed."""

    __tablename__ = "session_note_addendum"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("session_note.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    written_at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)

    note: Mapped[SessionNote] = relationship(back_populates="addenda")


class MeasureLink(Base):
    """A self-report link created for the measures due at a visit.

    The link itself (and the only copy of its token's hash) belongs to the measures module; its
    address is shown once, when it is created.
    """

    __tablename__ = "visit_measure_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    course_visit_id: Mapped[int] = mapped_column(ForeignKey("course_visit.id"), index=True)
    self_report_link_id: Mapped[int] = mapped_column(ForeignKey("self_report_link.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    instruments: Mapped[list[str]]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime]
    emailed_at: Mapped[datetime | None]

    link: Mapped[SelfReportLink] = relationship()


class CalendarFeedToken(Base):
    """A user's private iCalendar feed address; only the token's hash is stored."""

    __tablename__ = "calendar_feed_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    token_prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
