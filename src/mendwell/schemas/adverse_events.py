"""Adverse-event input models (full form, checklist, follow-up, report, acknowledgement) and
the shape in which an event is returned.

Codes are checked against the adverse-event vocabulary passed as ``context["vocabulary"]`` (the
shipped one by default). Times must carry a UTC offset, except from a form, where
``context["naive_local"]`` says a time without one is in the site's zone
(``context["timezone"]``); the site's zone also decides an onset's calendar day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, StringConstraints, ValidationInfo, field_validator

from mendwell.clinical.sessions.adverse_events import (
    EVENT_CATEGORIES,
    AdverseEventVocabulary,
    shipped_vocabulary,
)
from mendwell.schemas.common import InputModel, ShortText, Text

SUBSTANCES: dict[str, str] = {
    "mdma": "MDMA",
    "psilocybin": "Psilocybin",
    "none": "None (no substance given)",
}
Substance = Literal["mdma", "psilocybin", "none"]
STATUSES: dict[str, str] = {"open": "Open", "closed": "Closed"}
OREGON_NATURES: dict[str, str] = {"behavioral": "Behavioral", "medical": "Medical"}

Term = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
MeddraCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{8}$")]
MeddraVersion = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{1,2}\.\d$")]


def _context(info: ValidationInfo) -> dict[str, Any]:
    return info.context or {}


def vocabulary_of(info: ValidationInfo) -> AdverseEventVocabulary:
    found = _context(info).get("vocabulary")
    return found if isinstance(found, AdverseEventVocabulary) else shipped_vocabulary()


def _now(info: ValidationInfo) -> datetime:
    found = _context(info).get("now")
    return found if isinstance(found, datetime) else datetime.now(UTC)


def _zone(info: ValidationInfo) -> ZoneInfo:
    return ZoneInfo(_context(info).get("timezone") or "UTC")


def _today(info: ValidationInfo) -> date:
    return _now(info).astimezone(_zone(info)).date()


def _one_of(value: str, allowed: dict[str, str] | set[str], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"'{value}' is not a known {what} (one of {', '.join(sorted(allowed))})")
    return value


def _codes(values: list[str], allowed: set[str], what: str) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("lists the same entry twice")
    for value in values:
        _one_of(value, allowed, what)
    return values


def _aware(value: datetime | None, info: ValidationInfo) -> datetime | None:
    """A UTC time; a time without an offset is read in the site's zone only from a form."""
    if value is None:
        return None
    if value.tzinfo is None:
        if not _context(info).get("naive_local"):
            raise ValueError("include the UTC offset, e.g. 2026-01-06T14:30:00-05:00")
        value = value.replace(tzinfo=_zone(info))
    if value > _now(info):
        raise ValueError("cannot be in the future")
    return value.astimezone(UTC)


def _not_future(value: date | None, info: ValidationInfo) -> date | None:
    if value is not None and value > _today(info):
        raise ValueError("cannot be in the future")
    return value


class AdverseEventFields(InputModel):
    """What is recorded about an adverse event; only the capture fields are required."""

    term: Term = Field(title="Event")
    description: Text | None = Field(None, title="Description")
    category: str | None = Field(None, title="Category")
    checklist_item: str | None = Field(None, title="Checklist item")
    substance: Substance = Field(title="Substance")
    context: ShortText | None = Field(None, title="Visit or context")
    dosing_session_id: int | None = Field(None, ge=1, title="Dosing session")
    onset_at: datetime = Field(title="Onset")
    resolved_at: datetime | None = Field(None, title="Resolved")
    aware_on: date = Field(title="Date of awareness (day 0)")
    grade: int | None = Field(None, ge=1, le=5, title="CTCAE grade")
    seriousness_criteria: list[str] = Field(default_factory=list, title="Seriousness criteria")
    relatedness: str | None = Field(None, title="Relatedness")
    expectedness: str | None = Field(None, title="Expectedness")
    action_taken: str | None = Field(None, title="Action taken")
    outcome: str | None = Field(None, title="Outcome")
    special_interest: list[str] = Field(default_factory=list, title="Events of special interest")
    meddra_code: MeddraCode | None = Field(None, title="MedDRA code")
    meddra_version: MeddraVersion | None = Field(
        None, title="MedDRA version", validate_default=True
    )
    oregon_during_session: bool | None = Field(None, title="During an administration session")
    oregon_nature: Literal["behavioral", "medical"] | None = Field(None, title="Reaction")
    oregon_emergency_services: bool | None = Field(None, title="Emergency services contacted")
    oregon_medical_care: bool | None = Field(None, title="Care from a medical provider")
    oregon_hospital_transport: bool | None = Field(None, title="Transported to a hospital")

    @field_validator("category")
    @classmethod
    def _category(cls, value: str | None) -> str | None:
        return None if value is None else _one_of(value, EVENT_CATEGORIES, "category")

    @field_validator("checklist_item")
    @classmethod
    def _checklist_item(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        items = {c.id for c in vocabulary_of(info).session_checklist}
        return _one_of(value, items, "checklist item")

    @field_validator("onset_at")
    @classmethod
    def _onset(cls, value: datetime, info: ValidationInfo) -> datetime | None:
        return _aware(value, info)

    @field_validator("resolved_at")
    @classmethod
    def _resolved(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        value = _aware(value, info)
        onset = info.data.get("onset_at")
        if value is not None and onset is not None and value < onset:
            raise ValueError("cannot be before the onset")
        return value

    @field_validator("aware_on")
    @classmethod
    def _awareness(cls, value: date, info: ValidationInfo) -> date | None:
        _not_future(value, info)
        onset = info.data.get("onset_at")
        if onset is not None and value < onset.astimezone(_zone(info)).date():
            raise ValueError("cannot be before the day of onset")
        return value

    @field_validator("seriousness_criteria")
    @classmethod
    def _criteria(cls, value: list[str], info: ValidationInfo) -> list[str]:
        allowed = {c.id for c in vocabulary_of(info).seriousness_criteria}
        return _codes(value, allowed, "seriousness criterion")

    @field_validator("special_interest")
    @classmethod
    def _interest(cls, value: list[str], info: ValidationInfo) -> list[str]:
        allowed = {s.id for s in vocabulary_of(info).special_interest}
        return _codes(value, allowed, "category of special interest")

    @field_validator("relatedness", "expectedness", "action_taken", "outcome")
    @classmethod
    def _term(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        vocab = vocabulary_of(info)
        sets = {
            "relatedness": vocab.relatedness,
            "expectedness": vocab.expectedness,
            "action_taken": vocab.actions,
            "outcome": vocab.outcomes,
        }
        name = str(info.field_name)
        return _one_of(value, sets[name].ids(), name.replace("_", " "))

    @field_validator("meddra_version")
    @classmethod
    def _meddra_pair(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("meddra_code") and not value:
            raise ValueError("give the MedDRA version the code comes from (e.g. 27.1)")
        if value and "meddra_code" in info.data and not info.data.get("meddra_code"):
            raise ValueError("a MedDRA version needs a MedDRA code")
        return value


class AdverseEventCreate(AdverseEventFields):
    """A new event for the client named in the body (the client-scoped route needs no id)."""

    client_id: int = Field(title="Client")


class AdverseEventUpdate(AdverseEventFields):
    version: int = Field(ge=1, title="Version you edited")


class ChecklistRecord(InputModel):
    """Tick the events seen; each becomes its own adverse event, to be graded later."""

    items: list[str] = Field(default_factory=list, title="Events")
    substance: Substance = Field(title="Substance")
    onset_at: datetime | None = Field(None, title="Onset (default: now)")
    aware_on: date | None = Field(None, title="Date of awareness (default: today)")
    context: ShortText | None = Field(None, title="Visit or context")
    dosing_session_id: int | None = Field(None, ge=1, title="Dosing session")

    @field_validator("items")
    @classmethod
    def _items(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if not value:
            raise ValueError("tick at least one event")
        allowed = {c.id for c in vocabulary_of(info).session_checklist}
        return _codes(value, allowed, "checklist item")

    @field_validator("onset_at")
    @classmethod
    def _onset(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        return _aware(value, info)

    @field_validator("aware_on")
    @classmethod
    def _awareness(cls, value: date | None, info: ValidationInfo) -> date | None:
        return _not_future(value, info)


class FollowUpCreate(InputModel):
    followed_up_on: date = Field(title="Date")
    note: Note = Field(title="Note")
    outcome: str | None = Field(None, title="Outcome")
    resolved_at: datetime | None = Field(None, title="Resolved")
    status_change: Literal["closed", "reopened"] | None = Field(None, title="Status change")
    version: int | None = Field(None, ge=1, title="Version you read")

    @field_validator("followed_up_on")
    @classmethod
    def _date(cls, value: date, info: ValidationInfo) -> date | None:
        return _not_future(value, info)

    @field_validator("outcome")
    @classmethod
    def _outcome(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        return _one_of(value, vocabulary_of(info).outcomes.ids(), "outcome")

    @field_validator("resolved_at")
    @classmethod
    def _resolved(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        return _aware(value, info)


class ReportSubmission(InputModel):
    """An expedited report sent for one of the event's clocks."""

    clock_id: str = Field(min_length=1, max_length=40, title="Report")
    submitted_on: date = Field(title="Submitted on")
    submitted_to: ShortText | None = Field(None, title="Submitted to")
    reference: ShortText | None = Field(None, title="Reference")

    @field_validator("submitted_on")
    @classmethod
    def _date(cls, value: date, info: ValidationInfo) -> date | None:
        return _not_future(value, info)


class AlertAcknowledgement(InputModel):
    note: Note = Field(title="Note")


# --- output models -------------------------------------------------------------------------


class ClockOut(BaseModel):
    id: str
    label: str
    days: int
    due_on: date
    provisional: bool
    state: str
    days_left: int
    submitted_on: date | None
    sources: list[str]


class FollowUpOut(BaseModel):
    id: int
    followed_up_on: date
    note: str
    outcome: str | None
    resolved_at: datetime | None
    status_change: str | None
    author: str | None
    recorded_at: datetime


class ReportOut(BaseModel):
    id: int
    clock_id: str
    submitted_on: date
    submitted_to: str | None
    reference: str | None
    recorded_by: str | None
    recorded_at: datetime


class AdverseEventOut(BaseModel):
    id: int
    client_id: int
    client_code: str
    site_id: int
    dosing_session_id: int | None
    context: str | None
    term: str
    description: str | None
    category: str
    checklist_item: str | None
    substance: str
    onset_at: datetime
    resolved_at: datetime | None
    aware_on: date
    grade: int | None
    grade_ncit: str | None
    seriousness_criteria: list[str]
    serious: bool
    fatal_or_life_threatening: bool
    relatedness: str | None
    expectedness: str | None
    expedited: str
    action_taken: str | None
    outcome: str | None
    special_interest: list[str]
    meddra_code: str | None
    meddra_version: str | None
    jurisdiction: str | None
    jurisdiction_facts: dict[str, Any] | None
    jurisdiction_categories: list[str]
    jurisdiction_rules: str | None
    assessment_notes: list[str]
    vocabulary_id: str
    vocabulary_version: str
    status: str
    version: int
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    clocks: list[ClockOut]
    follow_ups: list[FollowUpOut]
    reports: list[ReportOut]


class AdverseEventPage(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[AdverseEventOut]
