"""Fidelity checklists for preparation and integration notes."""

import pytest

from mendwell.clinical.protocols.fidelity import check_fidelity
from mendwell.clinical.protocols.schema import load_protocol

MDMA = load_protocol("mdma-at-phase3")


def test_integration_note_missing_the_positive_mood_question():
    # FDA's complete response letter: positive or favourable events must be collected.
    ticked = {
        "experience-reviewed": True,
        "suicidality-assessed": True,
        "adverse-events-asked": False,
    }
    result = check_fidelity(MDMA, "integration", ticked)
    assert [i.id for i in result.missing] == ["adverse-events-asked", "support-between-sessions"]
    assert result.adherence == pytest.approx(2 / 4)


def test_complete_preparation_note():
    ids = [i.id for i in MDMA.fidelity.preparation]
    result = check_fidelity(MDMA, "preparation", dict.fromkeys(ids, True))
    assert result.missing == ()
    assert result.adherence == 1.0


def test_unknown_item_is_an_error():
    with pytest.raises(ValueError, match="made-up"):
        check_fidelity(MDMA, "preparation", {"made-up": True})
