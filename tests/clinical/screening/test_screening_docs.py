"""The clinical reference page documents every rule, setting, condition, class and medication."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest

from mendwell.clinical.screening import ScreeningSettings
from mendwell.clinical.screening.medications import (
    CLASS_LABELS,
    MedicationClass,
    default_medication_index,
)
from mendwell.clinical.screening.rules import Condition, default_rule_sets

DOC = (Path(__file__).parents[3] / "docs" / "screening.md").read_text(encoding="utf-8")


def _condition_kinds() -> list[str]:
    union = typing.get_args(Condition)[0]
    return [typing.get_args(m.model_fields["kind"].annotation)[0] for m in typing.get_args(union)]


@pytest.mark.parametrize("rule_id", [r.id for rs in default_rule_sets() for r in rs.rules])
def test_every_rule_is_documented(rule_id: str) -> None:
    assert f"`{rule_id}`" in DOC


@pytest.mark.parametrize("rule_set", [rs.id for rs in default_rule_sets()])
def test_every_rule_set_is_documented(rule_set: str) -> None:
    assert f"`{rule_set}`" in DOC


@pytest.mark.parametrize("setting", list(ScreeningSettings.model_fields))
def test_every_setting_is_documented(setting: str) -> None:
    assert f"`{setting}`" in DOC


@pytest.mark.parametrize("kind", _condition_kinds())
def test_every_condition_kind_is_documented(kind: str) -> None:
    assert f"`{kind}`" in DOC


@pytest.mark.parametrize("cls", list(MedicationClass))
def test_every_medication_class_is_documented(cls: MedicationClass) -> None:
    assert cls in CLASS_LABELS
    assert f"`{cls.value}`" in DOC


@pytest.mark.parametrize("name", sorted(m.name for m in default_medication_index().by_id.values()))
def test_every_medication_is_in_the_half_life_table(name: str) -> None:
    assert f"\n| {name} |" in DOC


def test_every_unconfirmed_rule_is_flagged_in_the_table() -> None:
    for rule in (r for rs in default_rule_sets() for r in rs.rules if r.unconfirmed):
        row = next(line for line in DOC.splitlines() if line.startswith(f"| `{rule.id}`"))
        assert "**UNCONFIRMED**" in row
