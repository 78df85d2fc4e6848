"""Input models for the dosing-session record (one per action).

Times are optional: without one, the server's time is used. An explicit earlier time records
something after the fact (back-entry); the action checks it is not in the future and not before
the session started. Times must carry a UTC offset, except from a form, where
``context["naive_local"]`` says a time without one is in the site's zone (``context["timezone"]``).
Writes that append to the record may carry the session ``version`` the writer last saw; writes
that change the session as a whole (end, discharge, sign, co-sign, facilitators) must.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    BeforeValidator,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from mendwell.clinical.sessions.doses import UnitField
from mendwell.clinical.sessions.rules import Basis, ReleaseMode
from mendwell.schemas.common import InputModel, ShortText
from mendwell.schemas.courses import OverrideInput

Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Slug = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9-]*$")]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def _blank_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


Optional = BeforeValidator(_blank_is_none)


def _aware(value: datetime | None, info: ValidationInfo) -> datetime | None:
    """A UTC time; a time without an offset is read in the site's zone only from a form."""
    if value is None:
        return None
    context = info.context or {}
    if value.tzinfo is None:
        if not context.get("naive_local"):
            raise ValueError("include the UTC offset, e.g. 2026-01-06T14:30:00-05:00")
        value = value.replace(tzinfo=ZoneInfo(context.get("timezone") or "UTC"))
    return value.astimezone(UTC)


When = Annotated[datetime | None, Optional]
OptionalNote = Annotated[Note | None, Optional]


class _Timed(InputModel):
    """An entry with an optional time (server time when missing) and the version last seen."""

    at: When = Field(None, title="Time")
    version: int | None = Field(None, ge=1, title="Record version")

    @field_validator("at")
    @classmethod
    def _at(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        return _aware(value, info)


class _Versioned(InputModel):
    version: int = Field(ge=1, title="Record version")


class StartSession(InputModel):
    """Start the session of a dosing visit; the dosing gate is checked and recorded first."""

    visit_id: Slug = Field(title="Dosing visit")
    started_at: When = Field(None, title="Started at")
    second_facilitator_id: Annotated[int | None, Optional] = Field(
        None, ge=1, title="Second facilitator"
    )
    overrides: list[OverrideInput] = Field(default_factory=list, title="Gate overrides")

    @field_validator("started_at")
    @classmethod
    def _started(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        return _aware(value, info)


class FacilitatorsInput(_Versioned):
    """Who leads the session and who is the second facilitator (the co-signer)."""

    lead_facilitator_id: int = Field(ge=1, title="Lead facilitator")
    second_facilitator_id: Annotated[int | None, Optional] = Field(
        None, ge=1, title="Second facilitator"
    )


class ArrivalInput(_Timed):
    """A staff member joins the session in a role."""

    user_id: int = Field(ge=1, title="Staff member")
    role: Slug = Field(title="Role in the session")
    note: OptionalNote = Field(None, title="Note")


class LeavingInput(_Timed):
    """A staff member leaves the session (a break or the end of their shift)."""

    note: OptionalNote = Field(None, title="Note")


class ChecklistAnswerInput(_Timed):
    """An answer to one pre-dose checklist item."""

    item_id: Slug = Field(title="Checklist item")
    answer: Literal["yes", "no", "not-applicable"] | None = Field(None, title="Answer")
    text: OptionalNote = Field(None, title="Details")

    @model_validator(mode="after")
    def _something(self) -> ChecklistAnswerInput:
        if self.answer is None and self.text is None:
            raise ValueError("give an answer or details")
        return self


class AdministrationInput(InputModel):
    """One dose given; amount, unit and basis are explicit."""

    kind: Literal["initial", "supplemental"] = Field("initial", title="Dose")
    product: Label = Field(title="Product")
    lot_or_unique_id: Label = Field(title="Lot or unique id")
    basis: Basis | None = Field(None, title="Basis (salt or analyte)")
    amount: Decimal = Field(gt=0, max_digits=12, decimal_places=6, title="Amount")
    unit: UnitField = Field(title="Unit")
    route: Literal["oral"] = Field("oral", title="Route")
    servings: Annotated[Decimal | None, Optional] = Field(
        None, gt=0, max_digits=8, decimal_places=3, title="Servings"
    )
    container_amount: Annotated[Decimal | None, Optional] = Field(
        None, gt=0, max_digits=12, decimal_places=6, title="Amount in the container"
    )
    given_at: When = Field(None, title="Given at")
    given_by_id: int = Field(ge=1, title="Given by")
    witnessed_by_id: Annotated[int | None, Optional] = Field(None, ge=1, title="Witnessed by")
    reason: OptionalNote = Field(
        None, title="Reason (a dose outside the plan, the limits or the window)"
    )
    version: int | None = Field(None, ge=1, title="Record version")

    @field_validator("given_at")
    @classmethod
    def _given(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        return _aware(value, info)


class SupplementalInput(_Timed):
    """The supplemental dose was offered, declined by the client or withheld by the team.

    A supplemental dose that is given is recorded as an administration of kind "supplemental".
    """

    status: Literal["offered", "declined", "withheld"] = Field(title="Supplemental dose")
    reason: OptionalNote = Field(None, title="Reason")


class VitalsInput(_Timed):
    """One set of vital signs; at least one value."""

    systolic_bp: Annotated[int | None, Optional] = Field(None, ge=40, le=300, title="Systolic")
    diastolic_bp: Annotated[int | None, Optional] = Field(None, ge=20, le=200, title="Diastolic")
    heart_rate: Annotated[int | None, Optional] = Field(None, ge=20, le=250, title="Heart rate")
    temperature_c: Annotated[Decimal | None, Optional] = Field(
        None, ge=30, le=45, max_digits=4, decimal_places=1, title="Temperature (°C)"
    )
    spo2: Annotated[int | None, Optional] = Field(None, ge=50, le=100, title="SpO2 (%)")
    note: OptionalNote = Field(None, title="Note")

    @model_validator(mode="after")
    def _one_value(self) -> VitalsInput:
        values = (self.systolic_bp, self.diastolic_bp, self.heart_rate, self.temperature_c)
        if all(v is None for v in (*values, self.spo2)):
            raise ValueError("enter at least one vital sign")
        if (self.systolic_bp is None) != (self.diastolic_bp is None):
            raise ValueError("enter both systolic and diastolic blood pressure, or neither")
        both = self.systolic_bp is not None and self.diastolic_bp is not None
        if both and self.diastolic_bp >= self.systolic_bp:  # type: ignore[operator]
            raise ValueError("diastolic pressure must be below systolic")
        return self


class VitalAlertAcknowledgement(InputModel):
    """What was done about a vital-sign alert."""

    action_note: Note = Field(title="Action taken")


class TimelineInput(_Timed):
    """A structured observation (a code from the observation list) or a free-text note."""

    code: Annotated[Slug | None, Optional] = Field(None, title="Observation")
    text: OptionalNote = Field(None, title="Note")

    @model_validator(mode="after")
    def _something(self) -> TimelineInput:
        if self.code is None and self.text is None:
            raise ValueError("choose an observation or write a note")
        return self


class EndSessionInput(_Versioned):
    """The session ends (the client's time in the session, not the paperwork)."""

    at: When = Field(None, title="Ended at")

    @field_validator("at")
    @classmethod
    def _at(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        return _aware(value, info)


class DischargeInput(_Versioned):
    """Discharge: the criteria confirmed, to whom or where the client went, and when."""

    discharged_at: When = Field(None, title="Discharged at")
    criteria: dict[str, bool] = Field(default_factory=dict, title="Discharge criteria")
    release_to: ReleaseMode = Field(title="Discharged to")
    released_to_name: Annotated[ShortText | None, Optional] = Field(None, title="Name of the adult")
    reason: OptionalNote = Field(
        None, title="Reason (a discharge that does not meet every criterion or the duration)"
    )

    @field_validator("discharged_at")
    @classmethod
    def _at(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        return _aware(value, info)


class SignInput(_Versioned):
    """Sign (lead facilitator) or co-sign (second facilitator) the session as it stands."""


class AddendumInput(InputModel):
    """A later addition or correction to a signed session."""

    text: Note = Field(title="Addendum")
