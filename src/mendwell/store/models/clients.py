"""The client registry."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mendwell.store.base import Base
from mendwell.store.models.accounts import Site, User


class Client(Base):
    __tablename__ = "client"
    __table_args__ = (UniqueConstraint("organisation_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    code: Mapped[str] = mapped_column(String(20))

    # Identifying details
    legal_name: Mapped[str] = mapped_column(String(200))
    preferred_name: Mapped[str | None] = mapped_column(String(100))
    date_of_birth: Mapped[date] = mapped_column(Date)
    sex_at_birth: Mapped[str] = mapped_column(String(20))
    gender_identity: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(Text)
    emergency_contact_name: Mapped[str | None] = mapped_column(String(200))
    emergency_contact_phone: Mapped[str | None] = mapped_column(String(40))
    emergency_contact_relationship: Mapped[str | None] = mapped_column(String(100))

    # Clinical registry details
    trauma_types: Mapped[list[str]] = mapped_column(default=list)
    ptsd_diagnosis_status: Mapped[str] = mapped_column(String(30))
    ptsd_diagnosis_source: Mapped[str | None] = mapped_column(String(200))
    prior_psychotherapies: Mapped[list[str]] = mapped_column(default=list)
    prior_medications: Mapped[str | None] = mapped_column(Text)
    treatment_resistant: Mapped[bool] = mapped_column(Boolean, default=False)
    prior_psychedelic_use: Mapped[str] = mapped_column(String(20))
    prior_psychedelic_details: Mapped[str | None] = mapped_column(Text)
    referral_source: Mapped[str | None] = mapped_column(String(200))

    status: Mapped[str] = mapped_column(String(30), index=True)
    status_changed_at: Mapped[datetime]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)

    site: Mapped[Site] = relationship()
    assignments: Mapped[list[ClientAssignment]] = relationship(
        back_populates="client", cascade="all, delete-orphan"
    )
    status_history: Mapped[list[ClientStatusChange]] = relationship(
        back_populates="client", order_by="ClientStatusChange.id"
    )

    __mapper_args__ = {"version_id_col": version}


class ClientAssignment(Base):
    """A facilitator (or other clinician) assigned to a client."""

    __tablename__ = "client_assignment"
    __table_args__ = (UniqueConstraint("client_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    assigned_at: Mapped[datetime]

    client: Mapped[Client] = relationship(back_populates="assignments")
    user: Mapped[User] = relationship()


class ClientStatusChange(Base):
    __tablename__ = "client_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    effective_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime]
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    client: Mapped[Client] = relationship(back_populates="status_history")
    changed_by: Mapped[User | None] = relationship()
