"""Rules as data: the schema, loading (a rule without a source is rejected), each condition kind."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError
from screening_builders import TODAY, assert_check_reports, med, noor
from typer.testing import CliRunner

from mendwell.cli import app
from mendwell.clinical.screening import (
    FindingStatus,
    ScreeningKnowledge,
    ScreeningRecord,
    ScreeningSettings,
    evaluate,
)
from mendwell.clinical.screening.medications import default_medication_index
from mendwell.clinical.screening.rules import (
    Rule,
    RuleSet,
    check_rule_sets,
    default_rule_sets,
    load_rule_set,
)
from mendwell.knowledge.registry import kinds
from mendwell.knowledge.sources import KnowledgeFileError

SOURCE = [{"citation": "Example source"}]


def rule_data(**changes: Any) -> dict[str, Any]:
    data = {
        "id": "test.rule",
        "title": "Test rule",
        "severity": "caution",
        "when": {"kind": "history_flag", "flag": "psychosis"},
        "rationale": "Because the test says so.",
        "sources": SOURCE,
    }
    data.update(changes)
    return data


def rule_set_data(*rules: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data = {
        "id": "test-rules",
        "version": "1",
        "title": "Test rules",
        "scope": "general",
        "substances": ["mdma", "psilocybin"],
        "rules": list(rules) or [rule_data()],
    }
    data.update(changes)
    return data


def test_shipped_knowledge_passes_the_check_command() -> None:
    result = CliRunner().invoke(app, ["knowledge", "check"])
    assert result.exit_code == 0, result.output
    for name in ("medications", "screening-rules", "jurisdiction-eligibility"):
        assert name in result.output


def test_registered_kinds_include_the_screening_knowledge() -> None:
    names = {k.name for k in kinds()}
    assert {"medications", "screening-rules", "jurisdiction-eligibility"} <= names


def _write(tmp_path: Path, data: dict[str, Any], name: str = "test.yaml") -> Path:
    path = tmp_path / "screening" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize("sources", [None, []])
def test_loading_fails_on_a_rule_without_a_source(tmp_path: Path, sources: Any) -> None:
    rule = rule_data(sources=sources)
    if sources is None:
        del rule["sources"]
    path = _write(tmp_path, rule_set_data(rule))
    with pytest.raises(ValidationError) as caught:
        load_rule_set(path)
    assert caught.value.errors()[0]["loc"] == ("rules", 0, "sources")
    assert_check_reports("screening-rules", path, "rules.0.sources")
    result = CliRunner().invoke(app, ["knowledge", "check"])
    assert result.exit_code == 0  # the shipped files are unaffected


def test_a_rule_set_with_sourced_rules_loads(tmp_path: Path) -> None:
    assert load_rule_set(_write(tmp_path, rule_set_data())).rules[0].id == "test.rule"


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (rule_data(unconfirmed=True), "needs a note"),
        (rule_data(severty="caution"), "Extra inputs"),
        (rule_data(severity="forbidden"), "contraindicated"),
        (rule_data(id="NoDots"), "pattern"),
        (
            rule_data(
                when={
                    "kind": "value_above",
                    "measure": "qtc_ms",
                    "threshold": {"setting": "qtc_max_ms"},
                }
            ),
            "must be marked unconfirmed",
        ),
        (
            rule_data(
                when={"kind": "value_above", "measure": "qtc_ms", "threshold": {"setting": "nope"}},
                unconfirmed=True,
                note="n",
            ),
            "unknown setting 'nope'",
        ),
        (
            rule_data(
                when={
                    "kind": "value_below",
                    "measure": "caps5_total",
                    "threshold": {"parameter": "x"},
                }
            ),
            "parameter 'x' is not defined",
        ),
        (
            rule_data(
                when={
                    "kind": "all",
                    "conditions": [
                        {"kind": "medication_class_in", "classes": ["ssri"]},
                        {"kind": "history_flag", "flag": "psychosis"},
                    ],
                }
            ),
            "must not be nested",
        ),
        (rule_data(severity="requires_washout"), "medication_class_in rules only"),
        (
            rule_data(when={"kind": "history_flag", "flag": "stroke", "who": "family"}),
            "psychiatric flags only",
        ),
        (rule_data(when={"kind": "medication_class_in", "classes": ["sedative"]}), "ssri"),
        (
            rule_data(when={"kind": "eval", "code": "True"}),
            "does not match any of the expected tags",
        ),
    ],
)
def test_malformed_rules_are_rejected(rule: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        RuleSet.model_validate(rule_set_data(rule))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"scope": "protocol"}, "names its protocol"),
        ({"protocol": "x"}, "only a protocol rule set"),
        ({"scope": "jurisdiction"}, "names its jurisdiction"),
        ({"rules": []}, "at least one rule"),
        ({"rules": [rule_data(), rule_data()]}, "used twice"),
        ({"version": "v1"}, "pattern"),
        (
            {
                "rules": [
                    rule_data(
                        when={
                            "kind": "value_below",
                            "measure": "age_years",
                            "threshold": {"parameter": "age"},
                        }
                    )
                ],
                "parameters": {
                    "age": {
                        "value": 18,
                        "unit": "years",
                        "description": "Minimum age",
                        "sources": SOURCE,
                        "unconfirmed": True,
                        "note": "assumed",
                    }
                },
            },
            "uses the unconfirmed parameter 'age'",
        ),
    ],
)
def test_malformed_rule_sets_are_rejected(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        RuleSet.model_validate(rule_set_data(**changes))


def test_a_jurisdiction_file_must_match_its_folder(tmp_path: Path) -> None:
    data = rule_set_data(scope="jurisdiction", jurisdiction="us-or", id="x")
    path = tmp_path / "jurisdictions" / "us-co" / "eligibility.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(KnowledgeFileError, match="'us-co'"):
        load_rule_set(path)


def test_rule_ids_are_unique_across_files() -> None:
    first = RuleSet.model_validate(rule_set_data())
    second = RuleSet.model_validate(rule_set_data(id="other-rules"))
    problems = check_rule_sets([first, second])
    assert problems == ["screening: rule id 'test.rule' is in both 'test-rules' and 'other-rules'"]


def test_every_shipped_unconfirmed_rule_says_what_is_unconfirmed() -> None:
    rules = [r for rs in default_rule_sets() for r in rs.rules]
    assert rules
    assert all(r.note for r in rules if r.unconfirmed)


# --- each condition kind, evaluated through a one-rule knowledge ---------------------------


def status_of(when: dict[str, Any], record: ScreeningRecord, **rule: Any) -> str | None:
    """The finding status the condition produces on ``record`` (None: no finding)."""
    rule_set = RuleSet.model_validate(
        rule_set_data(
            rule_data(when=when, **rule),
            parameters={
                "limit": {
                    "value": 35,
                    "unit": "points",
                    "description": "A limit",
                    "sources": SOURCE,
                }
            },
        )
    )
    knowledge = ScreeningKnowledge(default_medication_index(), (rule_set,))
    evaluation = evaluate(record, substance="mdma", today=TODAY, knowledge=knowledge)
    statuses = {f.status.value for f in evaluation.findings}
    assert len(statuses) <= 1
    return statuses.pop() if statuses else None


TRIGGERED, UNKNOWN = FindingStatus.TRIGGERED.value, FindingStatus.UNKNOWN.value
PSYCHOSIS = {"kind": "history_flag", "flag": "psychosis"}
PREGNANT = {"kind": "answer_is", "answer": "pregnant"}


@pytest.mark.parametrize(
    ("when", "changes", "expected"),
    [
        (PSYCHOSIS, {"psychiatric_history__psychosis": True}, TRIGGERED),
        (PSYCHOSIS, {}, None),
        (PSYCHOSIS, {"psychiatric_history__psychosis": None}, UNKNOWN),
        (
            {**PSYCHOSIS, "who": "family"},
            {"family_psychiatric_history__psychosis": True},
            TRIGGERED,
        ),
        ({**PSYCHOSIS, "who": "family"}, {"psychiatric_history__psychosis": True}, None),
        ({"kind": "answer_is", "answer": "pregnant", "equals": False}, {}, TRIGGERED),
        (PREGNANT, {"reproductive__pregnant": None}, UNKNOWN),
        (
            {"kind": "value_above", "measure": "heart_rate_bpm", "threshold": 100},
            {"vitals__heart_rate_bpm": 101},
            TRIGGERED,
        ),
        (
            {"kind": "value_above", "measure": "heart_rate_bpm", "threshold": 100},
            {"vitals__heart_rate_bpm": 100},
            None,
        ),
        (
            {"kind": "value_above", "measure": "heart_rate_bpm", "threshold": 100},
            {"vitals__heart_rate_bpm": None},
            UNKNOWN,
        ),
        (
            {"kind": "value_below", "measure": "caps5_total", "threshold": {"parameter": "limit"}},
            {"ptsd__caps5_total": 34},
            TRIGGERED,
        ),
        (
            {"kind": "value_below", "measure": "caps5_total", "threshold": {"parameter": "limit"}},
            {"ptsd__caps5_total": 35},
            None,
        ),
        (
            {"kind": "value_below", "measure": "age_years", "threshold": 21},
            {"age_years": 20},
            TRIGGERED,
        ),
        (
            {"kind": "value_below", "measure": "sodium_mmol_per_l", "threshold": 135},
            {"labs__sodium": {"value": 134, "unit": "mEq/L"}},
            TRIGGERED,
        ),
        (
            {"kind": "cssrs_at_least", "level": "high"},
            {"suicidality__cssrs_triage": "moderate"},
            None,
        ),
        (
            {"kind": "cssrs_at_least", "level": "moderate"},
            {"suicidality__cssrs_triage": "high"},
            TRIGGERED,
        ),
        ({"kind": "cssrs_at_least", "level": "high"}, {"suicidality__cssrs_triage": None}, UNKNOWN),
        (
            {"kind": "all", "conditions": [PSYCHOSIS, PREGNANT]},
            {"psychiatric_history__psychosis": True, "reproductive__pregnant": True},
            TRIGGERED,
        ),
        (
            {"kind": "all", "conditions": [PSYCHOSIS, PREGNANT]},
            {"psychiatric_history__psychosis": True, "reproductive__pregnant": None},
            UNKNOWN,
        ),
        (
            {"kind": "all", "conditions": [PSYCHOSIS, PREGNANT]},
            {"reproductive__pregnant": None},
            None,
        ),
        (
            {"kind": "any", "conditions": [PSYCHOSIS, PREGNANT]},
            {"psychiatric_history__psychosis": True, "reproductive__pregnant": None},
            TRIGGERED,
        ),
        (
            {"kind": "any", "conditions": [PSYCHOSIS, PREGNANT]},
            {"reproductive__pregnant": None},
            UNKNOWN,
        ),
        ({"kind": "any", "conditions": [PSYCHOSIS, PREGNANT]}, {}, None),
    ],
)
def test_condition_kinds(
    when: dict[str, Any], changes: dict[str, Any], expected: str | None
) -> None:
    assert status_of(when, noor(**changes)) == expected


def test_a_rule_may_ignore_an_unknown_answer() -> None:
    when = {"kind": "cssrs_at_least", "level": "high"}
    record = noor(suicidality__cssrs_triage=None)
    assert status_of(when, record, if_unknown="ignore") is None
    assert status_of(when, record) == UNKNOWN


SSRI = {"kind": "medication_class_in", "classes": ["ssri"]}


@pytest.mark.parametrize(
    ("when", "medications", "expected"),
    [
        (SSRI, [med("Zoloft")], TRIGGERED),
        (SSRI, [med("Zoloft", TODAY - timedelta(days=3))], TRIGGERED),  # still washing out
        (SSRI, [med("Zoloft", TODAY - timedelta(days=365))], None),  # washed out long ago
        (SSRI, [med("Lamictal")], None),
        ({**SSRI, "except_classes": ["strong_cyp2d6_inhibitor"]}, [med("Paxil")], None),
        ({**SSRI, "except_classes": ["strong_cyp2d6_inhibitor"]}, [med("Zoloft")], TRIGGERED),
        # lithium: 24 h half-life washes out in 12 days, but a 30-day look-back keeps it in view
        (
            {"kind": "medication_class_in", "classes": ["lithium"]},
            [med("lithium", TODAY - timedelta(days=20))],
            None,
        ),
        (
            {"kind": "medication_class_in", "classes": ["lithium"], "lookback_days": 30},
            [med("lithium", TODAY - timedelta(days=20))],
            TRIGGERED,
        ),
        (
            {"kind": "medication_class_in", "classes": ["lithium"], "lookback_days": 30},
            [med("lithium", TODAY - timedelta(days=31))],
            None,
        ),
        ({"kind": "medication_unrecognised"}, [med("kratom")], TRIGGERED),
        ({"kind": "medication_unrecognised"}, [med("Zoloft")], None),
    ],
)
def test_medication_conditions(
    when: dict[str, Any], medications: list[dict], expected: str | None
) -> None:
    assert status_of(when, noor(medications=medications)) == expected


def test_medication_rules_are_silent_when_no_list_is_recorded() -> None:
    # The general rule "medication list not recorded" covers that case instead.
    assert status_of(SSRI, noor(medications=None)) is None


def test_rules_can_only_use_known_settings_as_thresholds() -> None:
    with pytest.raises(ValidationError, match="unknown setting"):
        Rule.model_validate(
            rule_data(
                when={
                    "kind": "value_above",
                    "measure": "qtc_ms",
                    "threshold": {"setting": "washout_margin_days"},
                },
                unconfirmed=True,
                note="n",
            )
        )
    assert ScreeningSettings().threshold("qtc_max_ms") == 450
