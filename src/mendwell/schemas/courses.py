"""Treatment-course input and output models."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, ValidationInfo, field_validator

from mendwell.clinical.courses import Attendance, MissedReason, RiskLevel
from mendwell.schemas.common import InputModel, ShortText, Text

LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)]
_PROTOCOL_REF = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*(@[A-Za-z0-9.+-]{1,40})?$")
PROTOCOL_TEXT_LIMIT = 200_000


class EnrolInput(InputModel):
    """Enrol a client in a protocol; the anchor (enrolment) date defaults to today."""

    protocol: str = Field(
        title="Protocol",
        description="A protocol id, optionally with its version: mdma-at-phase3@1.0.0",
        max_length=130,
    )
    anchor_date: date | None = Field(None, title="Enrolment date")
    arm: ShortText | None = Field(
        None, title="Arm", max_length=100, description="Optional study arm, for analyses."
    )

    @field_validator("protocol")
    @classmethod
    def _protocol_ref(cls, value: str) -> str:
        if not _PROTOCOL_REF.match(value):
            raise ValueError("is not a protocol id (e.g. mdma-at-phase3 or mdma-at-phase3@1.0.0)")
        return value

    @property
    def protocol_id(self) -> str:
        return self.protocol.split("@", 1)[0]

    @property
    def protocol_version(self) -> str | None:
        return self.protocol.split("@", 1)[1] if "@" in self.protocol else None


class ApiEnrolInput(EnrolInput):
    client_id: int = Field(title="Client")


class VisitBooking(InputModel):
    """Book a visit, or move its booking (a reason is then required)."""

    scheduled_on: date = Field(title="Date")
    scheduled_time: time | None = Field(None, title="Time")
    reason: Text | None = Field(None, title="Reason for the change")
    version: int | None = Field(None, ge=1, title="Version you edited")


class VisitCompletion(InputModel):
    held_on: date = Field(title="Held on")
    held_time: time | None = Field(None, title="Start time")
    version: int | None = Field(None, ge=1, title="Version you edited")


class MissedVisit(InputModel):
    reason: MissedReason = Field(title="Reason")
    note: Text | None = Field(None, title="Details", validate_default=True)
    version: int | None = Field(None, ge=1, title="Version you edited")

    @field_validator("note")
    @classmethod
    def _other_needs_note(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("reason") == MissedReason.OTHER and not value:
            raise ValueError("say what happened when the reason is 'other'")
        return value or None


class Withdrawal(InputModel):
    withdrawn_on: date = Field(title="Withdrawal date")
    reason: Reason = Field(title="Reason")
    version: int | None = Field(None, ge=1, title="Version you edited")


class ConsentInput(InputModel):
    consent_type: str = Field(title="Consent", max_length=80)
    given_on: date = Field(title="Signed on")
    document_ref: ShortText | None = Field(None, title="Document reference")
    applies_to: Literal["course", "client"] = Field("course", title="Applies to")


class ConsentWithdrawalInput(InputModel):
    withdrawn_on: date = Field(title="Withdrawn on")
    reason: Reason = Field(title="Reason")


class PregnancyTestInput(InputModel):
    taken_on: date = Field(title="Date")
    taken_time: time = Field(title="Time")
    result: Literal["negative", "positive", "not_applicable"] = Field(title="Result")
    note: Text | None = Field(None, title="Note", validate_default=True)

    @field_validator("note")
    @classmethod
    def _not_applicable_needs_note(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("result") == "not_applicable" and not value:
            raise ValueError("say why a pregnancy test does not apply to this client")
        return value or None


class OverrideInput(InputModel):
    condition: str = Field(title="Condition", max_length=120)
    reason: Reason = Field(title="Reason")


class NoteInput(InputModel):
    """A preparation or integration note (a draft until its author signs it)."""

    held_on: date | None = Field(None, title="Session held on")
    held_time: time | None = Field(None, title="Start time")
    attendance: Attendance = Field(title="Attendance")
    duration_minutes: int = Field(title="Duration (minutes)", ge=1, le=720)
    topics: Text | None = Field(None, title="Intentions or topics")
    fidelity: list[str] = Field(default_factory=list, title="Fidelity checklist")
    risk_level: RiskLevel = Field(title="Risk check")
    risk_suicidal_ideation: bool = Field(False, title="Suicidal thoughts reported")
    risk_harm_to_others: bool = Field(False, title="Thoughts of harming others reported")
    risk_action: Text | None = Field(None, title="Action taken", validate_default=True)
    free_text: LongText | None = Field(None, title="Note")
    version: int | None = Field(None, ge=1, title="Version you edited")

    @field_validator("risk_action")
    @classmethod
    def _risk_needs_action(cls, value: str | None, info: ValidationInfo) -> str | None:
        data = info.data
        flagged = data.get("risk_suicidal_ideation") or data.get("risk_harm_to_others")
        if (flagged or data.get("risk_level") in (RiskLevel.MODERATE, RiskLevel.HIGH)) and not (
            value
        ):
            raise ValueError("say what was done about the risk identified")
        return value or None


class AddendumInput(InputModel):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]


class LinkRequest(InputModel):
    """Create a visit's self-report link; optionally email it and greet the client by name."""

    email: bool = Field(False, title="Email it to the client now")
    greet_by_name: bool = Field(False, title="Greet the client by first name")


class ProtocolUpload(InputModel):
    text: str = Field(title="Protocol file", min_length=1, max_length=PROTOCOL_TEXT_LIMIT)


# --- output models -------------------------------------------------------------------------


class VisitOut(BaseModel):
    visit_id: str
    kind: str
    label: str
    phase_id: str
    optional: bool
    anchor: str
    anchor_basis: str
    target_date: date
    earliest_date: date
    latest_date: date
    status: str
    scheduled_date: date | None
    scheduled_at: datetime | None
    actual_date: date | None
    actual_at: datetime | None
    missed_reason: str | None
    missed_note: str | None
    in_window: bool | None
    measures: list[str]
    version: int


class CourseOut(BaseModel):
    id: int
    client_id: int
    client_code: str
    site_id: int
    protocol_id: str
    protocol_version: str
    protocol_title: str
    anchor_date: date
    status: str
    arm: str | None = Field(None, description="Not shown to blinded raters.")
    enrolled_at: datetime
    completed_on: date | None
    withdrawn_on: date | None
    withdrawal_reason: str | None
    version: int
    visits: list[VisitOut]


class GateConditionOut(BaseModel):
    code: str
    message: str
    needed: str
    overridable: bool
    sources: list[str]
    unconfirmed: bool


class GateOverrideOut(BaseModel):
    condition: GateConditionOut
    reason: str
    authorised_by: str


class GateOut(BaseModel):
    course_id: int
    visit_id: str
    protocol_id: str
    protocol_version: str
    on_date: date
    ready: bool
    met: list[str]
    unmet: list[GateConditionOut]
    overridden: list[GateOverrideOut]
