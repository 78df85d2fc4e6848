"""Confidential concern reports (boundaries, protocol deviations, misconduct) and their notes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mendwell.store.base import Base
from mendwell.store.models.accounts import Site, User
from mendwell.store.models.clients import Client


class ConcernReport(Base):
    """A confidential report, readable only by admin and medical users at its site."""

    __tablename__ = "concern_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id"), index=True)
    category: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text)
    about_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    about_text: Mapped[str | None] = mapped_column(String(200))
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    reported_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), index=True)
    status_changed_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)

    site: Mapped[Site] = relationship()
    client: Mapped[Client | None] = relationship()
    about_user: Mapped[User | None] = relationship(foreign_keys=[about_user_id])
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
    notes: Mapped[list[ConcernNote]] = relationship(
        back_populates="report", order_by="ConcernNote.id"
    )

    __mapper_args__ = {"version_id_col": version}


class ConcernNote(Base):
    """A reviewer's note, with any status change; append-only."""

    __tablename__ = "concern_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    concern_report_id: Mapped[int] = mapped_column(ForeignKey("concern_report.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    note: Mapped[str] = mapped_column(Text)
    status_from: Mapped[str | None] = mapped_column(String(20))
    status_to: Mapped[str | None] = mapped_column(String(20))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    written_at: Mapped[datetime]

    report: Mapped[ConcernReport] = relationship(back_populates="notes")
    author: Mapped[User | None] = relationship()
