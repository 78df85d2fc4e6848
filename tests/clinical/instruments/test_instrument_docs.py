"""docs/instruments.md documents every instrument, algorithm, flag and UNCONFIRMED fact."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mendwell.clinical.instruments import ALGORITHMS, list_instruments

PAGE = (Path(__file__).resolve().parents[3] / "docs" / "instruments.md").read_text()
UNCONFIRMED = PAGE.split("## Everything UNCONFIRMED")[1].split("\n## ")[0]


@pytest.mark.parametrize("instrument", list_instruments(), ids=lambda i: i.id)
def test_every_instrument_has_a_section_and_a_table_row(instrument):
    assert re.search(rf"^### .*`{re.escape(instrument.id)}`", PAGE, re.M)
    assert f"| `{instrument.id}` |" in PAGE


@pytest.mark.parametrize("name", sorted(ALGORITHMS))
def test_every_named_algorithm_is_documented(name):
    assert f"| `{name}` |" in PAGE


def test_every_safety_flag_code_is_documented():
    codes = {flag.code for i in list_instruments() for flag in i.safety_flags}
    assert codes == {"phq9_item9", "cssrs_high", "cssrs_moderate"}
    for code in codes:
        assert f"| `{code}` |" in PAGE


@pytest.mark.parametrize("instrument", list_instruments(), ids=lambda i: i.id)
def test_every_unconfirmed_fact_is_listed(instrument):
    for group in ("cut_points", "change_thresholds", "remission_definitions"):
        for fact in getattr(instrument, group):
            if fact.unconfirmed:
                assert f"`{fact.id}`" in UNCONFIRMED, (instrument.id, fact.id)
    for spec in instrument.algorithms:
        if spec.unconfirmed:
            assert f"`{spec.name}`" in UNCONFIRMED, (instrument.id, spec.name)
    for flag in instrument.safety_flags:
        if flag.unconfirmed:
            assert f"`{flag.code}`" in UNCONFIRMED, (instrument.id, flag.code)
    if instrument.unconfirmed_facts:
        assert f"`{instrument.id}`" in UNCONFIRMED, instrument.id
