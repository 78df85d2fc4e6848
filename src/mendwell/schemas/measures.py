"""Measure input and output models: entries, corrections, self-report links, alerts, uploads."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from mendwell.schemas.common import InputModel, ShortText, Text

InstrumentId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Answers = dict[Annotated[str, StringConstraints(max_length=60)], int | None]

MAX_LINK_DAYS = 30
MAX_INSTRUMENT_FILE_CHARS = 500_000


def _not_in_future(value: date | None, info: ValidationInfo) -> date | None:
    today = (info.context or {}).get("today")
    if value is not None and today is not None and value > today:
        raise ValueError("cannot be in the future")
    return value


PastDate = Annotated[date | None, AfterValidator(_not_in_future)]


class MeasureEntry(InputModel):
    """A clinician entering one instrument's answers (item id → answer value, blank = None)."""

    instrument_id: InstrumentId = Field(title="Instrument")
    answers: Answers = Field(title="Answers")
    administered_on: PastDate = Field(None, title="Date administered")


class Correction(InputModel):
    """A corrected set of answers for a stored submission, with the reason."""

    answers: Answers = Field(title="Answers")
    reason: Text = Field(title="Reason for the correction")
    administered_on: PastDate = Field(None, title="Date administered")

    @field_validator("reason")
    @classmethod
    def _reason_given(cls, value: str) -> str:
        if not value:
            raise ValueError("say why the answers are corrected")
        return value


class LinkCreate(InputModel):
    instrument_ids: list[InstrumentId] = Field(title="Questionnaires")
    expires_in_days: int = Field(7, ge=1, le=MAX_LINK_DAYS, title="Link valid for (days)")
    first_name: ShortText | None = Field(None, max_length=100, title="First name to show")


class AlertAcknowledge(InputModel):
    note: Text = Field(title="Note")
    version: int | None = Field(None, ge=1, title="Version you saw")

    @field_validator("note")
    @classmethod
    def _note_given(cls, value: str) -> str:
        if not value:
            raise ValueError("write what was done (for example: called the client, safety plan)")
        return value


class InstrumentUpload(InputModel):
    """An instrument file, stored exactly as uploaded."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    text: Annotated[str, StringConstraints(max_length=MAX_INSTRUMENT_FILE_CHARS)] = Field(
        title="Instrument file"
    )

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("choose an instrument file (YAML) or paste its text")
        return value


class ScoreRequest(InputModel):
    answers: Answers = Field(title="Answers")
    options: dict[str, Any] = Field(default_factory=dict, title="Scoring options")


# --- output models -------------------------------------------------------------------------


class SubmissionOut(BaseModel):
    """One stored version of a submission with its score as computed when it was stored."""

    id: int
    client_id: int
    site_id: int
    instrument_id: str
    instrument_version: str
    administered_on: date
    recorded_at: datetime
    entered_via: str
    entered_by_id: int | None
    respondent: str
    rater_id: int | None
    independent_rater: bool
    version_number: int
    original_id: int | None
    corrects_id: int | None
    correction_reason: str | None
    current: bool
    answers: dict[str, int | None]
    score: dict[str, Any]


class LinkOut(BaseModel):
    id: int
    client_id: int
    instrument_ids: list[str]
    state: str
    created_at: datetime
    expires_at: datetime
    submitted_at: datetime | None
    revoked_at: datetime | None
    url: str | None = Field(None, description="Only in the answer that creates the link")


class AlertOut(BaseModel):
    id: int
    client_id: int
    submission_id: int
    instrument_id: str
    flag_code: str
    severity: str
    item_id: str | None
    message: str
    raised_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by_id: int | None
    acknowledgement_note: str | None
    version: int


class InstrumentSummary(BaseModel):
    id: str
    version: str
    title: str
    short_title: str
    respondent: str
    recall_period: str
    item_count: int
    total_range: tuple[int, int] | None
    licence_status: str
    custom: bool
