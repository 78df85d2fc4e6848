"""Treatment-course vocabulary and the rules that follow from visit outcomes (pure, no I/O).

A course's visits are planned by :mod:`mendwell.clinical.protocols.schedule`; this module says
which dates anchor the plan (held dates, then booked dates), when a visit is due or overdue, and
which stage of care the visits show (enrolled, in treatment, follow-up, completed).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import Protocol


class CourseStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


class VisitStatus(StrEnum):
    PLANNED = "planned"
    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    MISSED = "missed"
    CANCELLED = "cancelled"


VISIT_STATUS_LABELS: dict[VisitStatus, str] = {
    VisitStatus.PLANNED: "Planned",
    VisitStatus.SCHEDULED: "Booked",
    VisitStatus.COMPLETED: "Held",
    VisitStatus.MISSED: "Missed",
    VisitStatus.CANCELLED: "Cancelled",
}

SETTLED = frozenset({VisitStatus.COMPLETED, VisitStatus.MISSED, VisitStatus.CANCELLED})
OPEN = frozenset({VisitStatus.PLANNED, VisitStatus.SCHEDULED})


class MissedReason(StrEnum):
    """Why a visit did not take place: missing data must stay explainable."""

    CLIENT_UNAVAILABLE = "client_unavailable"
    CLIENT_UNWELL = "client_unwell"
    STAFF_UNAVAILABLE = "staff_unavailable"
    CLIENT_WITHDREW = "client_withdrew"
    LOST_CONTACT = "lost_contact"
    CLIENT_DECLINED = "client_declined"
    OTHER = "other"


MISSED_REASON_LABELS: dict[MissedReason, str] = {
    MissedReason.CLIENT_UNAVAILABLE: "Client unavailable",
    MissedReason.CLIENT_UNWELL: "Client unwell",
    MissedReason.STAFF_UNAVAILABLE: "Staff unavailable",
    MissedReason.CLIENT_WITHDREW: "Client withdrew",
    MissedReason.LOST_CONTACT: "Lost contact with the client",
    MissedReason.CLIENT_DECLINED: "Client declined this optional visit",
    MissedReason.OTHER: "Other (say what)",
}


class Attendance(StrEnum):
    ATTENDED = "attended"
    REMOTE = "remote"
    PARTIAL = "partial"


ATTENDANCE_LABELS: dict[Attendance, str] = {
    Attendance.ATTENDED: "Attended in person",
    Attendance.REMOTE: "Attended remotely (video or phone)",
    Attendance.PARTIAL: "Partly attended (late or left early)",
}


class RiskLevel(StrEnum):
    NONE = "none"
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"


RISK_LEVEL_LABELS: dict[RiskLevel, str] = {
    RiskLevel.NONE: "No current risk identified",
    RiskLevel.LOW: "Low",
    RiskLevel.MODERATE: "Moderate: action taken",
    RiskLevel.HIGH: "High: urgent action taken",
}

NOTE_KINDS = ("preparation", "integration")


class VisitLike(Protocol):
    """What the rules need to know about a stored visit."""

    @property
    def visit_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def scheduled_date(self) -> date | None: ...
    @property
    def actual_date(self) -> date | None: ...
    @property
    def earliest_date(self) -> date: ...
    @property
    def latest_date(self) -> date: ...


def anchoring_dates(visits: Iterable[VisitLike]) -> dict[str, date]:
    """The dates later visits are planned from: the held date, else the booked date."""
    out: dict[str, date] = {}
    for v in visits:
        if v.status == VisitStatus.COMPLETED and v.actual_date is not None:
            out[v.visit_id] = v.actual_date
        elif v.status == VisitStatus.SCHEDULED and v.scheduled_date is not None:
            out[v.visit_id] = v.scheduled_date
    return out


def planned_on(visit: VisitLike, target: date) -> date:
    """The day a visit is expected: held, booked, or its target date."""
    return visit.actual_date or visit.scheduled_date or target


def is_overdue(visit: VisitLike, today: date) -> bool:
    """Still open after the last day of its window."""
    return visit.status in OPEN and visit.latest_date < today


def is_due(visit: VisitLike, today: date) -> bool:
    """Open and its window has opened (overdue visits are due too)."""
    return visit.status in OPEN and visit.earliest_date <= today


def stage_of(visits: Iterable[VisitLike]) -> str:
    """The client's stage of care that the visits show.

    ``in_treatment`` from the first dosing session held; ``follow_up`` once every dosing and
    integration visit is settled and later visits remain; ``completed`` when every visit is
    settled; ``enrolled`` before that.
    """
    visits = list(visits)
    if visits and all(v.status in SETTLED for v in visits):
        return "completed"
    dosed = any(v.kind == "dosing" and v.status == VisitStatus.COMPLETED for v in visits)
    if not dosed:
        return "enrolled"
    treatment = [v for v in visits if v.kind in ("dosing", "integration")]
    if all(v.status in SETTLED for v in treatment):
        return "follow_up"
    return "in_treatment"
