"""Resolved session rules as plain JSON, and back: a stored session keeps the rules it ran under.

A protocol or jurisdiction file may change after a session; the session's record is explained by
the rules stored with it, not by today's files.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from mendwell.clinical.sessions.jurisdiction import JurisdictionSessions, SessionRules
from mendwell.clinical.sessions.rules import (
    DischargeRules,
    DoseLimit,
    DurationTable,
    InitialDose,
    MinimumDuration,
    OvernightStay,
    PreDoseItem,
    StaffingRequirement,
    SupplementalDoseRule,
    VitalSignRules,
    WitnessRule,
)

SNAPSHOT_FORMAT = 1

_ONE: dict[str, type[BaseModel]] = {
    "jurisdiction": JurisdictionSessions,
    "initial_dose": InitialDose,
    "supplemental": SupplementalDoseRule,
    "witness": WitnessRule,
    "minimum_duration": MinimumDuration,
    "duration_table": DurationTable,
    "vital_signs": VitalSignRules,
    "discharge": DischargeRules,
    "overnight_stay": OvernightStay,
}
_MANY: dict[str, type[BaseModel]] = {
    "staffing": StaffingRequirement,
    "dose_limits": DoseLimit,
    "pre_dose_checklist": PreDoseItem,
}


def rules_to_json(rules: SessionRules) -> dict[str, Any]:
    """The rules as JSON-ready data (Decimals as strings)."""
    data: dict[str, Any] = {
        "format": SNAPSHOT_FORMAT,
        "protocol_id": rules.protocol_id,
        "protocol_version": rules.protocol_version,
        "substance": rules.substance,
        "basis": rules.basis,
    }
    for name in _ONE:
        value = getattr(rules, name)
        data[name] = None if value is None else value.model_dump(mode="json")
    for name in _MANY:
        data[name] = [item.model_dump(mode="json") for item in getattr(rules, name)]
    return data


def rules_from_json(data: dict[str, Any]) -> SessionRules:
    """The rules stored by :func:`rules_to_json`."""
    values: dict[str, Any] = {
        name: None if data.get(name) is None else model.model_validate(data[name])
        for name, model in _ONE.items()
    }
    values |= {
        name: tuple(model.model_validate(item) for item in data.get(name, []))
        for name, model in _MANY.items()
    }
    return SessionRules(
        protocol_id=data["protocol_id"],
        protocol_version=data["protocol_version"],
        substance=data.get("substance"),
        basis=data.get("basis"),
        **values,
    )
