"""Session rules stored with a session come back exactly as they were resolved."""

from __future__ import annotations

import json

import pytest

from mendwell.clinical.protocols.schema import shipped_protocols
from mendwell.clinical.sessions.jurisdiction import resolve_session_rules
from mendwell.clinical.sessions.observations import shipped_observations
from mendwell.clinical.sessions.snapshot import rules_from_json, rules_to_json


@pytest.mark.parametrize("protocol_id", sorted(shipped_protocols()))
def test_rules_survive_a_round_trip_through_json(protocol_id: str) -> None:
    rules = resolve_session_rules(shipped_protocols()[protocol_id])
    stored = json.loads(json.dumps(rules_to_json(rules)))
    assert rules_from_json(stored) == rules


def test_oregon_rules_carry_the_jurisdiction_and_the_checklist() -> None:
    rules = resolve_session_rules(shipped_protocols()["oregon-service-centre"])
    again = rules_from_json(json.loads(json.dumps(rules_to_json(rules))))
    assert again.duration_table is not None
    assert [r.id for r in again.staffing] == [
        "oregon-facilitator-present",
        "oregon-licensee-representative",
    ]
    assert again.pre_dose_checklist[0].id == "cif-reviewed"


def test_the_observation_list_has_the_issue_codes() -> None:
    codes = {o.id for o in shipped_observations().observations}
    assert codes >= {
        "anxiety",
        "nausea",
        "crying",
        "rescue-medication-given",
        "supportive-touch-asked",
        "supportive-touch-yes",
        "supportive-touch-no",
    }
