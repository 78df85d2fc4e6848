"""Adverse events, their follow-ups, expedited-report submissions and serious-event alerts.

``dosing_session_id`` links an event to a dosing session. It is a plain integer without a
foreign key until dosing-session records exist; an event may also stand alone (``context`` says
where it happened, e.g. "integration visit 2" or "phone call").
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mendwell.store.base import Base
from mendwell.store.models.accounts import Site, User
from mendwell.store.models.clients import Client
from mendwell.store.types import JSONType


class AdverseEvent(Base):
    """One adverse event as captured and assessed; editable until closed."""

    __tablename__ = "adverse_event"
    __table_args__ = (Index("ix_adverse_event_site_onset", "site_id", "onset_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    # No foreign key yet: dosing-session records are a separate feature.
    dosing_session_id: Mapped[int | None] = mapped_column(index=True)
    context: Mapped[str | None] = mapped_column(String(200))

    # Capture
    term: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(30))
    checklist_item: Mapped[str | None] = mapped_column(String(40))
    substance: Mapped[str] = mapped_column(String(20), index=True)
    onset_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    aware_on: Mapped[date] = mapped_column(Date)

    # Assessment
    grade: Mapped[int | None]
    seriousness_criteria: Mapped[list[str]] = mapped_column(default=list)
    relatedness: Mapped[str | None] = mapped_column(String(30))
    expectedness: Mapped[str | None] = mapped_column(String(30))
    action_taken: Mapped[str | None] = mapped_column(String(40))
    outcome: Mapped[str | None] = mapped_column(String(40))
    special_interest: Mapped[list[str]] = mapped_column(default=list)
    meddra_code: Mapped[str | None] = mapped_column(String(8))
    meddra_version: Mapped[str | None] = mapped_column(String(10))

    # Derived by the rules (clinical.sessions.adverse_events), with the vocabulary version used
    serious: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    fatal_or_life_threatening: Mapped[bool] = mapped_column(Boolean, default=False)
    expedited: Mapped[str] = mapped_column(String(30))
    grade_ncit: Mapped[str | None] = mapped_column(String(20))
    clocks: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    assessment_notes: Mapped[list[str]] = mapped_column(default=list)
    vocabulary_id: Mapped[str] = mapped_column(String(60))
    vocabulary_version: Mapped[str] = mapped_column(String(20))

    # Jurisdiction categories (Oregon: OAR 333-333-1010), with the facts and the rules version
    jurisdiction: Mapped[str | None] = mapped_column(String(20))
    jurisdiction_facts: Mapped[dict[str, Any] | None]
    jurisdiction_categories: Mapped[list[str]] = mapped_column(default=list)
    jurisdiction_rules: Mapped[str | None] = mapped_column(String(80))

    status: Mapped[str] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    site: Mapped[Site] = relationship()
    client: Mapped[Client] = relationship()
    created_by: Mapped[User | None] = relationship()
    follow_ups: Mapped[list[AdverseEventFollowUp]] = relationship(
        back_populates="event", order_by="AdverseEventFollowUp.id"
    )
    reports: Mapped[list[AdverseEventReport]] = relationship(
        back_populates="event", order_by="AdverseEventReport.id"
    )
    alerts: Mapped[list[AdverseEventAlert]] = relationship(
        back_populates="event", order_by="AdverseEventAlert.id"
    )

    __mapper_args__ = {"version_id_col": version}


class AdverseEventFollowUp(Base):
    """A dated follow-up note; append-only (the database refuses UPDATE and DELETE)."""

    __tablename__ = "adverse_event_follow_up"

    id: Mapped[int] = mapped_column(primary_key=True)
    adverse_event_id: Mapped[int] = mapped_column(ForeignKey("adverse_event.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    followed_up_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(40))
    resolved_at: Mapped[datetime | None]
    status_change: Mapped[str | None] = mapped_column(String(20))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime]

    event: Mapped[AdverseEvent] = relationship(back_populates="follow_ups")
    author: Mapped[User | None] = relationship()


class AdverseEventReport(Base):
    """An expedited report sent for one clock; append-only. The earliest one counts."""

    __tablename__ = "adverse_event_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    adverse_event_id: Mapped[int] = mapped_column(ForeignKey("adverse_event.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    clock_id: Mapped[str] = mapped_column(String(40))
    submitted_on: Mapped[date] = mapped_column(Date)
    submitted_to: Mapped[str | None] = mapped_column(String(200))
    reference: Mapped[str | None] = mapped_column(String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime]

    event: Mapped[AdverseEvent] = relationship(back_populates="reports")
    recorded_by: Mapped[User | None] = relationship()


class AdverseEventAlert(Base):
    """Raised when an event becomes serious (or fatal/life-threatening) for the medical monitor."""

    __tablename__ = "adverse_event_alert"

    id: Mapped[int] = mapped_column(primary_key=True)
    adverse_event_id: Mapped[int] = mapped_column(ForeignKey("adverse_event.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    reason: Mapped[str] = mapped_column(String(40))
    raised_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    acknowledgement_note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)

    event: Mapped[AdverseEvent] = relationship(back_populates="alerts")
    acknowledged_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}
