"""The stateless evaluate payload: request in, findings out, errors naming the field."""

from __future__ import annotations

import json
from datetime import date

import pytest
from pydantic import ValidationError
from screening_builders import DELETE, TODAY, med, noor_data

from mendwell.clinical.screening import Outcome, ScreeningConfigurationError, UnknownFindingError
from mendwell.clinical.screening.api_models import (
    ScreeningEvaluateRequest,
    ScreeningEvaluateResponse,
    evaluate_request,
)


def request(**changes: object) -> ScreeningEvaluateRequest:
    payload = {
        "record": noor_data(date_of_birth="1990-06-01", age_years=DELETE),
        "substance": "mdma",
        "protocol_id": "mdma-at-phase3",
        **changes,
    }
    return ScreeningEvaluateRequest.model_validate_json(json.dumps(payload))


def test_a_request_is_evaluated_into_findings() -> None:
    data = noor_data(medications=[med("Paxil", date(2025, 3, 1))])
    response = evaluate_request(request(record=data), today=TODAY)
    assert response.outcome is Outcome.NEEDS_REVIEW
    assert response.earliest_dosing_date == date(2025, 3, 13)
    assert {f.id for f in response.findings} == {
        "mdma.ssri:paroxetine",
        "mdma-at-phase3.psychiatric_medication_taper:paroxetine",
    }
    assert response.unconfirmed_findings == 2  # both rest on the UNCONFIRMED washout formula
    assert response.as_of == TODAY


def test_the_response_never_echoes_the_date_of_birth() -> None:
    response = evaluate_request(request(), today=TODAY)
    assert response.outcome is Outcome.ELIGIBLE
    assert "1990-06-01" not in response.model_dump_json()


def test_overrides_in_the_request_are_applied() -> None:
    data = noor_data(psychiatric_history={"psychosis": True})
    overrides = [{"finding_id": "mdma.psychosis", "reason": "Psychiatrist reviewed."}]
    response = evaluate_request(request(record=data, overrides=overrides), today=TODAY)
    assert (
        response.outcome is Outcome.NEEDS_REVIEW
    )  # the rest of the psychiatric history is unrecorded
    assert response.findings[0].override is not None


def test_an_override_of_a_missing_finding_is_reported() -> None:
    overrides = [{"finding_id": "mdma.psychosis", "reason": "x"}]
    with pytest.raises(UnknownFindingError):
        evaluate_request(request(overrides=overrides), today=TODAY)


@pytest.mark.parametrize(
    ("changes", "loc"),
    [
        (
            {"record": {"vitals": {"systolic_bp_mmhg": 1000}}},
            ("record", "vitals", "systolic_bp_mmhg"),
        ),
        ({"substance": "lsd"}, ("substance",)),
        ({"overrides": [{"finding_id": "x", "reason": ""}]}, ("overrides", 0, "reason")),
        ({"settings": {"washout_margin_days": 0}}, ("settings",)),
    ],
)
def test_invalid_requests_name_the_field(changes: dict, loc: tuple) -> None:
    with pytest.raises(ValidationError) as caught:
        request(**changes)
    assert caught.value.errors()[0]["loc"] == loc


def test_an_unknown_protocol_names_the_field() -> None:
    with pytest.raises(ScreeningConfigurationError) as caught:
        evaluate_request(request(protocol_id="mdma-phase2"), today=TODAY)
    assert caught.value.field == "protocol_id"


def test_the_models_have_json_schemas_for_the_api() -> None:
    request_schema = ScreeningEvaluateRequest.model_json_schema()
    response_schema = ScreeningEvaluateResponse.model_json_schema()
    assert "record" in request_schema["properties"]
    assert "findings" in response_schema["properties"]
