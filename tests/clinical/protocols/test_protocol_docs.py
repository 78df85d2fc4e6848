"""The clinical reference pages document every protocol, gate condition and checklist item."""

from pathlib import Path

import pytest

from mendwell.clinical.protocols.gating import GateState, condition_codes
from mendwell.clinical.protocols.schema import shipped_protocols
from mendwell.clinical.sessions.adverse_events import shipped_vocabulary

DOCS = Path(__file__).resolve().parents[3] / "docs"
PROTOCOLS_PAGE = (DOCS / "protocols.md").read_text()
SESSIONS_PAGE = (DOCS / "dosing-sessions.md").read_text()


@pytest.mark.parametrize("protocol_id", sorted(shipped_protocols()))
def test_every_shipped_protocol_has_a_section(protocol_id):
    assert f"## `{protocol_id}`" in PROTOCOLS_PAGE


def test_every_gate_condition_is_documented():
    documented = PROTOCOLS_PAGE.split("## The dosing gate")[1]
    for protocol in shipped_protocols().values():
        for code in condition_codes(protocol, GateState(washout_safe_from={"x": None})):
            generic = "washout:<medication>" if code.startswith("washout:") else code
            if code.startswith("consent:"):
                assert f"`{code.split(':')[1]}`" in documented, code
            else:
                assert f"`{generic}`" in documented, code


def test_every_checklist_item_is_documented():
    for item in shipped_vocabulary().session_checklist:
        assert item.label.lower() in SESSIONS_PAGE.lower(), item.id
