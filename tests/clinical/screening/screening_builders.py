"""Records for the screening tests: a complete, unremarkable record and ways to change it."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

from mendwell.clinical.screening import ScreeningRecord, parse_record
from mendwell.knowledge.registry import check_files, kinds

TODAY = date(2025, 3, 5)

_NO_CONDITIONS = {
    "psychosis": False,
    "bipolar_i": False,
    "bipolar_ii": False,
    "dissociative_identity_disorder": False,
    "eating_disorder_with_purging": False,
    "substance_use_disorder_current": False,
}

# Noor: 35, PTSD for two years (CAPS-5 40), nothing else of note, no medications.
NOOR: dict[str, Any] = {
    "age_years": 35,
    "medical_history": {
        "cardiovascular_disease": False,
        "hypertension": False,
        "arrhythmia": False,
        "qtc_prolongation": False,
        "stroke": False,
        "liver_disease": False,
        "seizures": False,
        "hyponatraemia": False,
        "hyperthermia": False,
    },
    "reproductive": {"pregnant": False, "breastfeeding": False, "can_become_pregnant": False},
    "psychiatric_history": dict(_NO_CONDITIONS),
    "family_psychiatric_history": dict(_NO_CONDITIONS),
    "suicidality": {"current_ideation": False, "cssrs_triage": "none"},
    "vitals": {
        "systolic_bp_mmhg": 118,
        "diastolic_bp_mmhg": 76,
        "heart_rate_bpm": 68,
        "temperature_c": 36.7,
        "weight_kg": 72,
    },
    "ecg": {"qtc_ms": 412},
    "labs": {
        "alt": {"value": 24, "unit": "U/L"},
        "ast": {"value": 21, "unit": "U/L"},
        "bilirubin": {"value": 9, "unit": "µmol/L"},
        "sodium": {"value": 140, "unit": "mmol/L"},
    },
    "medications": [],
    "prior_psychedelic_use": False,
    "prior_mdma_use": False,
    "mushroom_allergy": False,
    "ptsd": {"diagnosis": True, "duration_months": 24, "caps5_total": 40},
    "oregon_cif": {
        "lithium_last_30_days": False,
        "current_healthcare_treatment": False,
        "mushroom_allergy_reaction": False,
        "medications_during_session": False,
        "needs_interpreter": False,
        "needs_physical_support_person": False,
        "needs_communication_support_person": False,
        "current_harm_thoughts": False,
        "history_of_harm": False,
    },
}


def noor_data(**changes: Any) -> dict[str, Any]:
    """Noor's record as raw data; ``changes`` nest with ``__`` (``vitals__heart_rate_bpm``)."""
    data = copy.deepcopy(NOOR)
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        if value is _DELETE:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return data


def noor(**changes: Any) -> ScreeningRecord:
    """Noor's record with ``changes`` (use ``__`` for nesting: ``vitals__heart_rate_bpm=110``)."""
    return parse_record(noor_data(**changes))


class _Delete:
    def __repr__(self) -> str:
        return "DELETE"


_DELETE = _Delete()
DELETE: Any = _DELETE


def med(name: str, last_dose: date | None = None, **extra: Any) -> dict[str, Any]:
    """A medication entry; no last dose means still taking it."""
    entry: dict[str, Any] = {"name": name, **extra}
    if last_dose is not None:
        entry["last_dose_date"] = last_dose.isoformat()
    return entry


def assert_check_reports(kind_name: str, path: Path, field: str) -> None:
    """``mendwell knowledge check`` (the registry) reports the file's problem at ``field``."""
    kind = next(k for k in kinds() if k.name == kind_name)
    report = check_files(kind, [path])
    assert not report.ok
    assert f"{path}: {field}:" in report.problems[0]
