"""Client input and output models. Output models are chosen by what the viewer may see."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from mendwell.clinical.registry import (
    ClientStatus,
    DiagnosisStatus,
    PriorPsychedelicUse,
    Psychotherapy,
    SexAtBirth,
    TraumaType,
)
from mendwell.schemas.common import Email, InputModel, Name, Phone, ShortText, Text

EARLIEST_BIRTH_DATE = date(1900, 1, 1)


class ClientFields(InputModel):
    """The editable registry fields of a client."""

    legal_name: Name = Field(title="Legal name")
    preferred_name: ShortText | None = Field(None, title="Preferred name", max_length=100)
    date_of_birth: date = Field(title="Date of birth")
    sex_at_birth: SexAtBirth = Field(title="Sex at birth")
    gender_identity: ShortText | None = Field(None, title="Gender identity", max_length=100)
    email: Email = Field(None, title="Email")
    phone: Phone = Field(None, title="Phone")
    address: Text | None = Field(None, title="Address", max_length=500)
    emergency_contact_name: ShortText | None = Field(None, title="Emergency contact name")
    emergency_contact_phone: Phone = Field(None, title="Emergency contact phone")
    emergency_contact_relationship: ShortText | None = Field(
        None, title="Emergency contact relationship", max_length=100
    )
    trauma_types: list[TraumaType] = Field(default_factory=list, title="Index trauma type(s)")
    ptsd_diagnosis_status: DiagnosisStatus = Field(
        DiagnosisStatus.NOT_ASSESSED, title="PTSD diagnosis"
    )
    ptsd_diagnosis_source: ShortText | None = Field(
        None, title="Diagnosis source", validate_default=True
    )
    prior_psychotherapies: list[Psychotherapy] = Field(
        default_factory=list, title="Prior psychotherapies"
    )
    prior_medications: Text | None = Field(None, title="Prior medications for PTSD")
    treatment_resistant: bool = Field(False, title="Treatment-resistant")
    prior_psychedelic_use: PriorPsychedelicUse = Field(
        PriorPsychedelicUse.UNKNOWN, title="Prior psychedelic or MDMA use"
    )
    prior_psychedelic_details: Text | None = Field(None, title="Details of prior use")
    referral_source: ShortText | None = Field(None, title="Referral source")
    facilitator_ids: list[int] = Field(default_factory=list, title="Assigned facilitators")

    @field_validator("date_of_birth")
    @classmethod
    def _plausible_birth_date(cls, value: date, info: ValidationInfo) -> date:
        today = (info.context or {}).get("today") or datetime.now(UTC).date()
        if value > today:
            raise ValueError("cannot be in the future")
        if value < EARLIEST_BIRTH_DATE:
            raise ValueError(f"cannot be before {EARLIEST_BIRTH_DATE.isoformat()}")
        return value

    @field_validator("trauma_types", "prior_psychotherapies", "facilitator_ids")
    @classmethod
    def _no_repeats(cls, value: list[Any]) -> list[Any]:
        if len(set(value)) != len(value):
            raise ValueError("lists the same entry twice")
        return value

    @field_validator("ptsd_diagnosis_source")
    @classmethod
    def _diagnosis_needs_source(cls, value: str | None, info: ValidationInfo) -> str | None:
        status = info.data.get("ptsd_diagnosis_status")
        if status in (DiagnosisStatus.CONFIRMED, DiagnosisStatus.PROVISIONAL) and not value:
            raise ValueError("say how the diagnosis was made (e.g. CAPS-5 interview, PCL-5)")
        return value or None


class ClientCreate(ClientFields):
    site_id: int = Field(title="Site")


class ClientUpdate(ClientFields):
    version: int = Field(title="Version you edited", ge=1)


class StatusChange(InputModel):
    status: ClientStatus = Field(title="New status")
    effective_date: date | None = Field(None, title="Effective date")
    reason: Text | None = Field(None, title="Reason")
    version: int | None = Field(None, ge=1, title="Version you edited")


# --- output models -------------------------------------------------------------------------


class ClientDeidentified(BaseModel):
    """What an analyst sees: no names, dates, contacts or free text."""

    id: int
    code: str
    site_id: int
    status: ClientStatus
    sex_at_birth: SexAtBirth
    age_years: int | str
    trauma_types: list[TraumaType]
    ptsd_diagnosis_status: DiagnosisStatus
    treatment_resistant: bool
    prior_psychedelic_use: PriorPsychedelicUse


class ClientScheduling(BaseModel):
    """What a blinded rater sees: enough to arrange an assessment, nothing clinical."""

    id: int
    code: str
    site_id: int
    status: ClientStatus
    legal_name: str
    preferred_name: str | None
    email: str | None
    phone: str | None


class ClientFull(BaseModel):
    """The whole registry record, for clinicians and program admins."""

    id: int
    code: str
    site_id: int
    status: ClientStatus
    version: int
    legal_name: str
    preferred_name: str | None
    date_of_birth: date
    sex_at_birth: SexAtBirth
    gender_identity: str | None
    email: str | None
    phone: str | None
    address: str | None
    emergency_contact_name: str | None
    emergency_contact_phone: str | None
    emergency_contact_relationship: str | None
    trauma_types: list[TraumaType]
    ptsd_diagnosis_status: DiagnosisStatus
    ptsd_diagnosis_source: str | None
    prior_psychotherapies: list[Psychotherapy]
    prior_medications: str | None
    treatment_resistant: bool
    prior_psychedelic_use: PriorPsychedelicUse
    prior_psychedelic_details: str | None
    referral_source: str | None
    facilitator_ids: list[int]
    created_at: datetime
    updated_at: datetime
