"""Screening input and output models, the signed-content manifest and the scheduler's contract."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from mendwell.clinical.screening import Evaluation, Override, Substance
from mendwell.schemas.common import InputModel, Text


class ScreeningStatus(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"
    SUPERSEDED = "superseded"


class Decision(StrEnum):
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    DEFERRED = "deferred"


DECISION_LABELS: dict[Decision, str] = {
    Decision.ELIGIBLE: "Eligible",
    Decision.INELIGIBLE: "Ineligible",
    Decision.DEFERRED: "Deferred",
}
STATUS_LABELS: dict[ScreeningStatus, str] = {
    ScreeningStatus.DRAFT: "Draft",
    ScreeningStatus.SIGNED: "Signed",
    ScreeningStatus.SUPERSEDED: "Superseded",
}


def meaning_of(decision: Decision) -> str:
    """What the signature means (21 CFR 11.50(a)(3)), shown before and stored with it."""
    return f"I have reviewed these findings and decide: {decision.value}"


SITE_JURISDICTION = "site"
NO_JURISDICTION = "none"


class ScreeningInput(InputModel):
    """A screening draft: what it is evaluated for, and the record."""

    substance: Substance = Field(title="Substance")
    protocol_id: str | None = Field(
        None, title="Protocol", max_length=60, pattern=r"^[a-z0-9][a-z0-9-]*$"
    )
    jurisdiction: str = Field(
        SITE_JURISDICTION,
        title="Jurisdiction",
        description="'site' (the site's jurisdiction), 'none' (trial and clinical rules only) "
        "or a jurisdiction id such as 'us-or'.",
        max_length=20,
        pattern=r"^([a-z]{2}(-[a-z]{2})?|site|none)$",
    )
    proposed_stop_date: date | None = Field(
        None,
        title="Proposed stop date",
        description="Where the washout of a medication still being taken is planned from; "
        "defaults to the day of evaluation.",
    )
    record: dict[str, Any] = Field(
        default_factory=dict,
        title="Screening record",
        description="The screening record (see docs/screening.md). The date of birth is taken "
        "from the client's registry record.",
    )


class ScreeningUpdate(ScreeningInput):
    based_on_version: int = Field(title="Version you edited", ge=1)


class OverrideInput(InputModel):
    finding_id: str = Field(title="Finding", min_length=1, max_length=300)
    reason: str = Field("", title="Reason", max_length=4000)

    @field_validator("reason")
    @classmethod
    def _needs_reason(cls, value: str) -> str:
        if not value:
            raise ValueError("give the reason for overriding this finding")
        return value


Password = Annotated[str, StringConstraints(strip_whitespace=False, min_length=1, max_length=256)]


class SignatureInput(InputModel):
    version: int = Field(title="Version you reviewed", ge=1)
    decision: Decision = Field(title="Decision")
    password: Password = Field(title="Your password")
    overrides: list[OverrideInput] = Field(default_factory=list, title="Overrides")
    comment: Text | None = Field(None, title="Comment")

    @field_validator("overrides")
    @classmethod
    def _once_each(cls, value: list[OverrideInput]) -> list[OverrideInput]:
        ids = [o.finding_id for o in value]
        if len(set(ids)) != len(ids):
            raise ValueError("overrides the same finding twice")
        return value


# --- output models -------------------------------------------------------------------------


class VersionSummary(BaseModel):
    number: int
    created_at: datetime
    created_by: str | None
    outcome: str
    as_of: date


class ScreeningVersionOut(VersionSummary):
    substance: Substance
    protocol_id: str | None
    jurisdiction: str | None
    site_jurisdiction: str | None
    jurisdiction_choice: str
    proposed_stop_date: date | None
    record: dict[str, Any]
    evaluation: Evaluation


class WashoutOut(BaseModel):
    """One medication of a signed washout plan."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    medication: str
    medication_id: str
    generic_name: str
    basis: str = Field(description="'last_dose_date' or 'proposed_stop_date'")
    from_date: date
    washout_days: int
    earliest_dosing_date: date
    rule_ids: tuple[str, ...]


class SignatureOut(BaseModel):
    decision: Decision
    meaning: str
    comment: str | None
    signer_name: str
    signer_username: str
    signed_at: datetime
    version: int
    outcome: str
    overrides: list[Override]
    earliest_dosing_date: date | None
    washout: list[WashoutOut]
    content_hash: str
    evaluation: Evaluation


class ScreeningOut(BaseModel):
    id: int
    client_id: int
    site_id: int
    status: ScreeningStatus
    created_at: datetime
    updated_at: datetime
    latest_version: int
    superseded_at: datetime | None
    superseded_by_id: int | None
    versions: list[VersionSummary]
    current: ScreeningVersionOut
    signature: SignatureOut | None


class SignedScreening(BaseModel):
    """What the scheduler needs from the latest signed screening (see queries.screening)."""

    model_config = ConfigDict(frozen=True)

    screening_id: int
    client_id: int
    site_id: int
    decision: Decision
    signed_at: datetime
    signed_by: str
    substance: Substance
    protocol_id: str | None
    jurisdiction: str | None
    earliest_dosing_date: date | None = Field(
        description="No dosing before this day (the latest date of the washout plan)."
    )
    washout: tuple[WashoutOut, ...]
    newer_draft_id: int | None = Field(
        description="A later screening in progress (not yet signed), if any."
    )

    def allows_dosing_on(self, day: date) -> bool:
        """Eligible, and ``day`` is on or after the earliest dosing date."""
        if self.decision is not Decision.ELIGIBLE:
            return False
        return self.earliest_dosing_date is None or day >= self.earliest_dosing_date


class SignedContent(BaseModel):
    """Exactly what a signature covers; its SHA-256 is stored with the signature."""

    model_config = ConfigDict(frozen=True)

    screening_id: int
    client_id: int
    site_id: int
    version: int
    substance: str
    protocol_id: str | None
    jurisdiction: str | None
    record: dict[str, Any]
    evaluation: dict[str, Any]
    decision: str
    meaning: str
    comment: str | None
    signer_id: int
    signer_name: str
    signed_at: datetime

    def digest(self) -> str:
        """SHA-256 over the canonical JSON (sorted keys, no spaces, UTC time)."""
        data = self.model_dump(mode="json")
        data["signed_at"] = self.signed_at.astimezone(UTC).isoformat()
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
