"""Input and output models for a stateless ``POST /api/v1/screening/evaluate``.

The request carries a screening record (history, medications, ...), the substance, and optionally
a protocol, a jurisdiction and clinician overrides; the response carries the outcome, the findings
and the washout plan. Nothing is stored. The server supplies ``today`` and the program's settings;
a client cannot change clinical settings through this payload.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from mendwell.clinical.screening.evaluate import (
    Evaluation,
    Override,
    ScreeningKnowledge,
    apply_overrides,
    evaluate,
)
from mendwell.clinical.screening.record import ScreeningRecord
from mendwell.clinical.screening.rules import Substance
from mendwell.clinical.screening.settings import ScreeningSettings


class ScreeningEvaluateRequest(BaseModel):
    """What the client sends."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    record: ScreeningRecord
    substance: Substance
    protocol_id: str | None = Field(default=None, examples=["mdma-at-phase3"])
    jurisdiction: str | None = Field(default=None, examples=["us-or"])
    proposed_stop_date: date | None = Field(
        default=None,
        description="Where to plan the washout of medications still being taken; "
        "defaults to the day of evaluation.",
    )
    overrides: tuple[Override, ...] = ()


class ScreeningEvaluateResponse(Evaluation):
    """What the server returns: the evaluation plus a count of UNCONFIRMED findings.

    It never echoes the record, which holds a date of birth.
    """

    unconfirmed_findings: int = Field(
        description="Findings that rest on an UNCONFIRMED fact, including the washout formula."
    )

    @classmethod
    def from_evaluation(cls, evaluation: Evaluation) -> ScreeningEvaluateResponse:
        """Project an evaluation onto the response schema."""
        fields = {name: getattr(evaluation, name) for name in Evaluation.model_fields}
        unconfirmed = sum(1 for f in evaluation.findings if f.unconfirmed or f.washout is not None)
        return cls(**fields, unconfirmed_findings=unconfirmed)


def evaluate_request(
    request: ScreeningEvaluateRequest,
    *,
    today: date,
    settings: ScreeningSettings | None = None,
    knowledge: ScreeningKnowledge | None = None,
) -> ScreeningEvaluateResponse:
    """Evaluate a request and apply its overrides; pure, nothing stored.

    Raises ScreeningConfigurationError (``.field`` names the request field) for an unknown
    protocol or jurisdiction, and UnknownFindingError for an override of a missing finding.
    """
    evaluation = evaluate(
        request.record,
        substance=request.substance,
        protocol_id=request.protocol_id,
        jurisdiction=request.jurisdiction,
        today=today,
        settings=settings,
        proposed_stop_date=request.proposed_stop_date,
        knowledge=knowledge,
    )
    if request.overrides:
        evaluation = apply_overrides(evaluation, request.overrides)
    return ScreeningEvaluateResponse.from_evaluation(evaluation)
