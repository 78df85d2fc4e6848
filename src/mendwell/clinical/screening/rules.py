"""Screening rules as data: the schema of ``knowledge/screening/*.yaml`` and jurisdiction files.

A rule set is one versioned file. Each rule has an id, a severity, a condition written in a small
vocabulary (no code is evaluated), a rationale and its sources. Rule sets are scoped: general,
per substance (interactions, exclusions), per protocol, or per jurisdiction
(``knowledge/jurisdictions/<id>/eligibility.yaml``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mendwell.clinical.screening.medications import MedicationClass
from mendwell.clinical.screening.record import AnswerName, CssrsTriage, HistoryFlag, Measure
from mendwell.clinical.screening.settings import THRESHOLD_SETTINGS
from mendwell.knowledge.registry import KnowledgeKind, knowledge_kind
from mendwell.knowledge.sources import (
    KNOWLEDGE_DIR,
    KnowledgeFileError,
    KnowledgeModel,
    Sourced,
    read_yaml,
)

SCREENING_DIR = "screening"
JURISDICTIONS_DIR = "jurisdictions"
JURISDICTION_FILE = "eligibility.yaml"


class Substance(StrEnum):
    MDMA = "mdma"
    PSILOCYBIN = "psilocybin"


class Severity(StrEnum):
    """How a triggered rule affects eligibility."""

    CONTRAINDICATED = "contraindicated"
    REQUIRES_WASHOUT = "requires_washout"
    CAUTION = "caution"


class Scope(StrEnum):
    GENERAL = "general"
    INTERACTIONS = "interactions"
    EXCLUSIONS = "exclusions"
    PROTOCOL = "protocol"
    JURISDICTION = "jurisdiction"


class SettingRef(KnowledgeModel):
    """A threshold taken from ScreeningSettings (a configurable, unconfirmed number)."""

    setting: str

    @model_validator(mode="after")
    def _known(self) -> SettingRef:
        if self.setting not in THRESHOLD_SETTINGS:
            known = ", ".join(THRESHOLD_SETTINGS)
            raise ValueError(f"unknown setting {self.setting!r}; use one of {known}")
        return self


class ParameterRef(KnowledgeModel):
    """A threshold taken from the rule set's own sourced parameters."""

    parameter: str


Threshold = float | SettingRef | ParameterRef


class MedicationClassIn(KnowledgeModel):
    """True for each recorded medication in any of ``classes`` (and none of ``except_classes``).

    A medication counts while it is taken and until its washout has passed; with
    ``lookback_days`` it also counts for that many days after the last dose.
    """

    kind: Literal["medication_class_in"]
    classes: tuple[MedicationClass, ...] = Field(min_length=1)
    except_classes: tuple[MedicationClass, ...] = ()
    lookback_days: int | None = Field(default=None, ge=1, le=365)


class MedicationUnrecognised(KnowledgeModel):
    """True for each recorded medication the medication knowledge cannot name."""

    kind: Literal["medication_unrecognised"]


class HistoryFlagIs(KnowledgeModel):
    """True when the history flag is yes; ``who: family`` reads first-degree relatives."""

    kind: Literal["history_flag"]
    flag: HistoryFlag
    who: Literal["self", "family"] = "self"

    @model_validator(mode="after")
    def _family_is_psychiatric(self) -> HistoryFlagIs:
        if self.who == "family" and not self.flag.psychiatric:
            raise ValueError(
                f"family history is recorded for psychiatric flags only, not {self.flag}"
            )
        return self


class AnswerIs(KnowledgeModel):
    """True when the answer equals ``equals``."""

    kind: Literal["answer_is"]
    answer: AnswerName
    equals: bool = True


class ValueAbove(KnowledgeModel):
    """True when the measure is strictly above the threshold."""

    kind: Literal["value_above"]
    measure: Measure
    threshold: Threshold


class ValueBelow(KnowledgeModel):
    """True when the measure is strictly below the threshold."""

    kind: Literal["value_below"]
    measure: Measure
    threshold: Threshold


class CssrsAtLeast(KnowledgeModel):
    """True when the C-SSRS triage level is at least ``level``."""

    kind: Literal["cssrs_at_least"]
    level: CssrsTriage


class AllOf(KnowledgeModel):
    """True when every condition is true (unknown if none is false and one is unknown)."""

    kind: Literal["all"]
    conditions: tuple[Condition, ...] = Field(min_length=2)


class AnyOf(KnowledgeModel):
    """True when any condition is true (unknown if none is true and one is unknown)."""

    kind: Literal["any"]
    conditions: tuple[Condition, ...] = Field(min_length=2)


Condition = Annotated[
    MedicationClassIn
    | MedicationUnrecognised
    | HistoryFlagIs
    | AnswerIs
    | ValueAbove
    | ValueBelow
    | CssrsAtLeast
    | AllOf
    | AnyOf,
    Field(discriminator="kind"),
]
AllOf.model_rebuild()
AnyOf.model_rebuild()

MEDICATION_CONDITIONS = (MedicationClassIn, MedicationUnrecognised)


def walk(condition: Condition) -> Iterator[Condition]:
    """The condition and every condition nested in it."""
    yield condition
    if isinstance(condition, AllOf | AnyOf):
        for child in condition.conditions:
            yield from walk(child)


class Rule(Sourced):
    """One screening rule."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*(\.[a-z0-9_]+)+$")
    title: str = Field(min_length=3)
    severity: Severity
    when: Condition
    rationale: str = Field(min_length=10)
    if_unknown: Literal["review", "ignore"] = Field(
        default="review",
        description="What a rule whose answer is not recorded yields: a 'needs review' "
        "finding, or nothing (only for optional information such as a C-SSRS level).",
    )

    @model_validator(mode="after")
    def _shape(self) -> Rule:
        nested = list(walk(self.when))[1:]
        if any(isinstance(c, MEDICATION_CONDITIONS) for c in nested):
            raise ValueError("when: medication conditions must not be nested in all/any")
        if self.severity is Severity.REQUIRES_WASHOUT and not isinstance(
            self.when, MedicationClassIn
        ):
            raise ValueError("severity: requires_washout applies to medication_class_in rules only")
        uses_setting = any(
            isinstance(c, ValueAbove | ValueBelow) and isinstance(c.threshold, SettingRef)
            for c in walk(self.when)
        )
        if uses_setting and not self.unconfirmed:
            raise ValueError(
                "unconfirmed: a rule whose threshold is a setting must be marked unconfirmed"
            )
        return self


class Parameter(Sourced):
    """A sourced, overridable protocol number (for example a CAPS-5 inclusion threshold)."""

    value: float
    unit: str = Field(min_length=1)
    description: str = Field(min_length=5)
    options: dict[str, float] = Field(
        default_factory=dict, description="Named sourced alternatives, e.g. per trial."
    )


class RuleSet(KnowledgeModel):
    """One versioned rule file."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: str = Field(pattern=r"^\d+(\.\d+)*$")
    title: str = Field(min_length=3)
    scope: Scope
    substances: tuple[Substance, ...] = Field(min_length=1)
    protocol: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9-]*$")
    jurisdiction: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[a-z]{2})?$")
    effective_from: date | None = None
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    rules: tuple[Rule, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> RuleSet:
        if self.scope is Scope.PROTOCOL and not self.protocol:
            raise ValueError("protocol: a protocol rule set names its protocol")
        if self.scope is not Scope.PROTOCOL and self.protocol:
            raise ValueError("protocol: only a protocol rule set names a protocol")
        if self.scope is Scope.JURISDICTION and not self.jurisdiction:
            raise ValueError("jurisdiction: a jurisdiction rule set names its jurisdiction")
        if self.scope not in (Scope.PROTOCOL, Scope.JURISDICTION) and self.jurisdiction:
            raise ValueError("jurisdiction: only protocol and jurisdiction rule sets name one")
        if not self.rules and not (self.scope is Scope.PROTOCOL and self.jurisdiction):
            raise ValueError("rules: a rule set needs at least one rule")
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"rules: rule id {rule.id!r} is used twice")
            seen.add(rule.id)
            for cond in walk(rule.when):
                threshold = getattr(cond, "threshold", None)
                if not isinstance(threshold, ParameterRef):
                    continue
                parameter = self.parameters.get(threshold.parameter)
                if parameter is None:
                    raise ValueError(
                        f"rules: {rule.id}: parameter {threshold.parameter!r} is not defined "
                        "in parameters"
                    )
                if parameter.unconfirmed and not rule.unconfirmed:
                    raise ValueError(
                        f"rules: {rule.id}: uses the unconfirmed parameter "
                        f"{threshold.parameter!r}, so it must be marked unconfirmed"
                    )
        return self

    @property
    def ref(self) -> RuleSetRef:
        return RuleSetRef(id=self.id, version=self.version, scope=self.scope)


class RuleSetRef(BaseModel):
    """Which rule set, and which version of it, produced a finding."""

    model_config = ConfigDict(frozen=True)

    id: str
    version: str
    scope: Scope


def load_rule_set(path: Path) -> RuleSet:
    """Read and validate one rule file."""
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise KnowledgeFileError(path, "expected a mapping at the top level")
    rule_set = RuleSet.model_validate(data)
    in_jurisdiction = (
        path.name == JURISDICTION_FILE and path.parent.parent.name == JURISDICTIONS_DIR
    )
    if in_jurisdiction and (
        rule_set.scope is not Scope.JURISDICTION or rule_set.jurisdiction != path.parent.name
    ):
        raise KnowledgeFileError(
            path, f"jurisdiction: must be a jurisdiction rule set for {path.parent.name!r}"
        )
    return rule_set


def check_rule_sets(rule_sets: Sequence[object]) -> list[str]:
    """Problems across rule files: duplicate ids, protocols or jurisdictions."""
    problems: list[str] = []
    seen_files: set[str] = set()
    seen_rules: dict[str, str] = {}
    seen_scopes: set[tuple[str, str]] = set()
    for rs in rule_sets:
        assert isinstance(rs, RuleSet)
        if rs.id in seen_files:
            problems.append(f"screening: rule set id {rs.id!r} is used twice")
        seen_files.add(rs.id)
        key = {Scope.PROTOCOL: rs.protocol, Scope.JURISDICTION: rs.jurisdiction}.get(rs.scope)
        if key is not None:
            if (rs.scope.value, key) in seen_scopes:
                problems.append(f"screening: two rule sets for {rs.scope.value} {key!r}")
            seen_scopes.add((rs.scope.value, key))
        for rule in rs.rules:
            if rule.id in seen_rules:
                problems.append(
                    f"screening: rule id {rule.id!r} is in both {seen_rules[rule.id]!r} "
                    f"and {rs.id!r}"
                )
            seen_rules[rule.id] = rs.id
    return problems


def rule_set_paths(root: Path = KNOWLEDGE_DIR) -> list[Path]:
    """Every screening and jurisdiction-eligibility rule file under ``root``."""
    paths = sorted((root / SCREENING_DIR).glob("*.yaml"))
    paths += sorted((root / JURISDICTIONS_DIR).glob(f"*/{JURISDICTION_FILE}"))
    return paths


def load_rule_sets(root: Path = KNOWLEDGE_DIR) -> tuple[RuleSet, ...]:
    """Load every rule file under ``root``; raise on any problem."""
    rule_sets = [load_rule_set(p) for p in rule_set_paths(root)]
    problems = check_rule_sets(rule_sets)
    if problems:
        raise KnowledgeFileError(root / SCREENING_DIR, "; ".join(problems))
    return tuple(rule_sets)


@lru_cache(maxsize=1)
def default_rule_sets() -> tuple[RuleSet, ...]:
    """The shipped rule sets, loaded once."""
    return load_rule_sets()


knowledge_kind(
    KnowledgeKind(
        name="screening-rules",
        directory=SCREENING_DIR,
        description="Screening rules: interactions and exclusions per substance, eligibility "
        "per protocol, each rule with severity, rationale and sources.",
        validate_file=load_rule_set,
        check_set=check_rule_sets,
    )
)
knowledge_kind(
    KnowledgeKind(
        name="jurisdiction-eligibility",
        directory=JURISDICTIONS_DIR,
        description="Eligibility rules per jurisdiction (jurisdictions/<id>/eligibility.yaml).",
        validate_file=load_rule_set,
        check_set=check_rule_sets,
        pattern=JURISDICTION_FILE,
    )
)
