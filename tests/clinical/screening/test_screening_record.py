"""The screening record: strict validation with field-named errors, units, ages, tri-states."""

from __future__ import annotations

from datetime import date

import pytest
from screening_builders import NOOR, noor, noor_data

from mendwell.clinical.screening import RecordValidationError, parse_record
from mendwell.clinical.screening.record import (
    AnswerName,
    HistoryFlag,
    Labs,
    Measure,
    PtsdHistory,
    ScreeningRecord,
)


def test_a_complete_record_parses() -> None:
    record = parse_record(NOOR)
    assert record.age_on(date(2025, 1, 1)) == 35
    assert record.medications == ()


def _errors(data: dict) -> dict[str, str]:
    with pytest.raises(RecordValidationError) as caught:
        parse_record(data)
    return {e.field: e.message for e in caught.value.errors}


@pytest.mark.parametrize(
    ("data", "field", "fragment"),
    [
        ({"vitals": {"sbp": 120}}, "vitals.sbp", "Extra inputs"),
        ({"reproductive": {"pregnant": "yes"}}, "reproductive.pregnant", "boolean"),
        ({"vitals": {"systolic_bp_mmhg": 400}}, "vitals.systolic_bp_mmhg", "300"),
        (
            {"vitals": {"systolic_bp_mmhg": 110, "diastolic_bp_mmhg": 120}},
            "vitals.diastolic_bp_mmhg",
            "lower than systolic",
        ),
        (
            {"labs": {"sodium": {"value": 140, "unit": "mg/dL"}}},
            "labs.sodium",
            "use mmol/L, mEq/L",
        ),
        ({"labs": {"alt": {"value": -1, "unit": "U/L"}}}, "labs.alt.value", "0"),
        ({"date_of_birth": "1990-01-01", "age_years": 35}, "age_years", "not both"),
        (
            {"medical_history": {"hypertension": False, "hypertension_controlled": True}},
            "medical_history.hypertension_controlled",
            "only applies when hypertension is true",
        ),
        (
            {
                "medications": [
                    {"name": "x", "start_date": "2025-01-02", "last_dose_date": "2025-01-01"}
                ]
            },
            "medications.0.last_dose_date",
            "before start_date",
        ),
        ({"medications": [{"name": ""}]}, "medications.0.name", "at least 1"),
        ({"ptsd": {"caps5_total": 81}}, "ptsd.caps5_total", "80"),
        (
            {"ptsd": {"onset_date": "2020-01-01", "duration_months": 5}},
            "ptsd.duration_months",
            "not both",
        ),
        ({"suicidality": {"cssrs_triage": "severe"}}, "suicidality.cssrs_triage", "'high'"),
        ({"ecg": {"qtc_ms": 90}}, "ecg.qtc_ms", "250"),
    ],
)
def test_bad_input_names_the_field(data: dict, field: str, fragment: str) -> None:
    errors = _errors(data)
    assert field in errors, errors
    assert fragment in errors[field]


@pytest.mark.parametrize(
    ("analyte", "value", "unit", "canonical"),
    [
        ("sodium", 138, "mmol/L", 138),
        ("sodium", 138, "mEq/L", 138),  # monovalent: 1 mEq = 1 mmol
        ("bilirubin", 1.0, "mg/dL", 17.104),  # 10 mg/L ÷ 584.66 g/mol
        ("bilirubin", 12, "umol/L", 12),
        ("alt", 1, "µkat/L", 60),  # 1 U = 1 µmol/min = 16.67 nkat
        ("ast", 0.5, "ukat/l", 30),
        ("alt", 40, "IU/L", 40),
    ],
)
def test_lab_values_convert_to_the_canonical_unit(
    analyte: str, value: float, unit: str, canonical: float
) -> None:
    labs = Labs.model_validate({analyte: {"value": value, "unit": unit}})
    assert labs.canonical(analyte) == pytest.approx(canonical)


@pytest.mark.parametrize(
    ("born", "today", "age"),
    [
        (date(2004, 3, 6), date(2025, 3, 5), 20),  # the day before the 21st birthday
        (date(2004, 3, 6), date(2025, 3, 6), 21),
        (date(2004, 2, 29), date(2025, 2, 28), 20),  # leap-day birthday
        (date(2004, 2, 29), date(2025, 3, 1), 21),
    ],
)
def test_age_in_whole_years(born: date, today: date, age: int) -> None:
    record = ScreeningRecord(date_of_birth=born)
    assert record.age_on(today) == age
    assert record.measure(Measure.AGE_YEARS, today) == age


@pytest.mark.parametrize(
    ("onset", "months"),
    [(date(2024, 9, 5), 6), (date(2024, 9, 6), 5), (date(2025, 3, 6), 0)],
)
def test_ptsd_duration_in_whole_months(onset: date, months: int) -> None:
    assert PtsdHistory(onset_date=onset).duration_on(date(2025, 3, 5)) == months


def test_not_asked_is_distinct_from_no() -> None:
    asked = noor()
    not_asked = parse_record(noor_data(reproductive={}))
    assert asked.answer(AnswerName.PREGNANT) is False
    assert not_asked.answer(AnswerName.PREGNANT) is None


def test_an_absent_medication_list_differs_from_an_empty_one() -> None:
    assert noor().answer(AnswerName.MEDICATION_LIST_RECORDED) is True
    assert ScreeningRecord().answer(AnswerName.MEDICATION_LIST_RECORDED) is False


def test_family_history_is_psychiatric_only() -> None:
    record = noor(family_psychiatric_history__psychosis=True)
    assert record.history(HistoryFlag.PSYCHOSIS, family=True) is True
    assert record.history(HistoryFlag.PSYCHOSIS) is False
    with pytest.raises(ValueError, match="psychiatric flags only"):
        record.history(HistoryFlag.STROKE, family=True)


def test_oregon_form_answers_map_to_their_letters() -> None:
    record = noor(oregon_cif__needs_interpreter=True)
    assert record.answer(AnswerName.CIF_E_NEEDS_INTERPRETER) is True
    assert record.answer(AnswerName.CIF_A_LITHIUM_LAST_30_DAYS) is False
