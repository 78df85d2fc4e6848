"""Evaluate a screening record against the rules for a substance, protocol and jurisdiction.

Outcome semantics (what a medical monitor sees):

* **ineligible**: at least one finding is *contraindicated* and not overridden.
* **needs_review**: otherwise, at least one finding is *requires_washout* or *caution*, or a rule
  could not be decided because an answer is not recorded, and it is not overridden.
* **eligible**: no finding is left open.

A *requires_washout* finding makes the outcome "needs review": a prescriber must agree to stop the
medication. Overriding it with a reason (accepting the plan) makes the outcome "eligible", but the
washout plan stays: ``earliest_dosing_date`` is the first day dosing may happen, and the scheduler
enforces it. Once the recorded last dose is far enough in the past, the medication no longer
triggers the rule at all. Overrides never delete a finding; they are recorded on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from mendwell.clinical.screening.medications import (
    Medication,
    MedicationIndex,
    default_medication_index,
    load_medication_index,
)
from mendwell.clinical.screening.record import (
    MedicationEntry,
    ScreeningRecord,
    answer_path,
    history_path,
    measure_path,
)
from mendwell.clinical.screening.rules import (
    AllOf,
    AnswerIs,
    AnyOf,
    Condition,
    CssrsAtLeast,
    HistoryFlagIs,
    MedicationClassIn,
    MedicationUnrecognised,
    ParameterRef,
    Rule,
    RuleSet,
    RuleSetRef,
    Scope,
    SettingRef,
    Severity,
    Substance,
    Threshold,
    ValueAbove,
    ValueBelow,
    default_rule_sets,
    load_rule_sets,
)
from mendwell.clinical.screening.settings import ScreeningSettings
from mendwell.clinical.screening.washout import WashoutEntry, merge_plan, plan_washout
from mendwell.knowledge.sources import KNOWLEDGE_DIR, Source


class Outcome(StrEnum):
    ELIGIBLE = "eligible"
    NEEDS_REVIEW = "needs_review"
    INELIGIBLE = "ineligible"

    @property
    def rank(self) -> int:
        return list(Outcome).index(self)


class FindingStatus(StrEnum):
    TRIGGERED = "triggered"
    UNKNOWN = "unknown"


class Evidence(BaseModel):
    """One piece of the record that made a rule fire (or that is missing)."""

    model_config = ConfigDict(frozen=True)

    field: str
    value: str


class Override(BaseModel):
    """A clinician's decision to set a finding aside, with the reason."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    finding_id: str = Field(min_length=1)
    reason: str = Field(min_length=1, max_length=4000)
    clinician: str | None = Field(default=None, max_length=200)


class Finding(BaseModel):
    """A rule that fired (or could not be decided), traced to its rule and rule-set version."""

    model_config = ConfigDict(frozen=True)

    id: str
    rule_id: str
    rule_set_id: str
    rule_set_version: str
    title: str
    severity: Severity
    status: FindingStatus
    rationale: str
    sources: tuple[Source, ...]
    unconfirmed: bool
    note: str | None
    evidence: tuple[Evidence, ...]
    medication: str | None = None
    medication_id: str | None = None
    washout: WashoutEntry | None = None
    override: Override | None = None

    @property
    def effect(self) -> Outcome:
        """What this finding alone does to the outcome."""
        if self.override is not None:
            return Outcome.ELIGIBLE
        if self.status is FindingStatus.TRIGGERED and self.severity is Severity.CONTRAINDICATED:
            return Outcome.INELIGIBLE
        return Outcome.NEEDS_REVIEW


class KnowledgeFileRef(BaseModel):
    """A knowledge file and the version that was used."""

    model_config = ConfigDict(frozen=True)

    id: str
    version: str


class Evaluation(BaseModel):
    """The result of screening one record; plain data, storable as it is."""

    model_config = ConfigDict(frozen=True)

    outcome: Outcome
    as_of: date
    substance: Substance
    protocol_id: str | None
    jurisdiction: str | None
    findings: tuple[Finding, ...]
    washout_plan: tuple[WashoutEntry, ...]
    earliest_dosing_date: date | None
    rule_sets: tuple[RuleSetRef, ...]
    medication_knowledge: tuple[KnowledgeFileRef, ...]
    settings: ScreeningSettings
    overrides: tuple[Override, ...] = ()

    def finding(self, finding_id: str) -> Finding:
        """The finding with this id."""
        for f in self.findings:
            if f.id == finding_id:
                return f
        raise UnknownFindingError(finding_id)


class ScreeningConfigurationError(ValueError):
    """A request the knowledge cannot serve (unknown protocol, mismatched substance, ...)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class UnknownFindingError(KeyError):
    """An override names a finding that the evaluation does not contain."""

    def __init__(self, finding_id: str) -> None:
        super().__init__(f"finding_id: no finding {finding_id!r} in this evaluation")
        self.finding_id = finding_id


@dataclass(frozen=True)
class ScreeningKnowledge:
    """Medication knowledge plus every rule set."""

    medications: MedicationIndex
    rule_sets: tuple[RuleSet, ...]

    def protocols(self) -> dict[str, RuleSet]:
        return {rs.protocol: rs for rs in self.rule_sets if rs.protocol}

    def jurisdictions(self) -> dict[str, RuleSet]:
        return {
            rs.jurisdiction: rs
            for rs in self.rule_sets
            if rs.scope is Scope.JURISDICTION and rs.jurisdiction
        }

    def select(
        self, substance: Substance, protocol_id: str | None, jurisdiction: str | None
    ) -> tuple[list[RuleSet], str | None]:
        """The rule sets that apply, and the jurisdiction in force (a protocol may imply one)."""
        chosen = [
            rs
            for rs in self.rule_sets
            if rs.scope in (Scope.GENERAL, Scope.INTERACTIONS, Scope.EXCLUSIONS)
            and substance in rs.substances
        ]
        if protocol_id is not None:
            protocol = self.protocols().get(protocol_id)
            if protocol is None:
                known = ", ".join(sorted(self.protocols()))
                raise ScreeningConfigurationError(
                    "protocol_id", f"unknown protocol {protocol_id!r}; known: {known}"
                )
            if substance not in protocol.substances:
                raise ScreeningConfigurationError(
                    "protocol_id", f"protocol {protocol_id!r} is not for {substance.value}"
                )
            if protocol.jurisdiction is not None:
                if jurisdiction not in (None, protocol.jurisdiction):
                    raise ScreeningConfigurationError(
                        "jurisdiction",
                        f"protocol {protocol_id!r} applies in {protocol.jurisdiction!r}, "
                        f"not {jurisdiction!r}",
                    )
                jurisdiction = protocol.jurisdiction
            chosen.append(protocol)
        if jurisdiction is not None:
            rules = self.jurisdictions().get(jurisdiction)
            if rules is None:
                known = ", ".join(sorted(self.jurisdictions()))
                raise ScreeningConfigurationError(
                    "jurisdiction",
                    f"no eligibility rules for jurisdiction {jurisdiction!r}; known: {known}",
                )
            if substance not in rules.substances:
                raise ScreeningConfigurationError(
                    "jurisdiction",
                    f"the {jurisdiction!r} eligibility rules do not cover {substance.value}",
                )
            chosen.append(rules)
        return chosen, jurisdiction


def load_screening_knowledge(root: Path = KNOWLEDGE_DIR) -> ScreeningKnowledge:
    """Load medication knowledge and rule sets from ``root``."""
    return ScreeningKnowledge(load_medication_index(root), load_rule_sets(root))


@lru_cache(maxsize=1)
def default_knowledge() -> ScreeningKnowledge:
    """The shipped knowledge, loaded once."""
    return ScreeningKnowledge(default_medication_index(), default_rule_sets())


Truth = bool | None


@dataclass
class _Context:
    record: ScreeningRecord
    today: date
    settings: ScreeningSettings
    rule_set: RuleSet


def evaluate(
    record: ScreeningRecord,
    *,
    substance: Substance | str,
    protocol_id: str | None = None,
    jurisdiction: str | None = None,
    today: date,
    settings: ScreeningSettings | None = None,
    proposed_stop_date: date | None = None,
    knowledge: ScreeningKnowledge | None = None,
) -> Evaluation:
    """Screen ``record`` for ``substance`` (and a protocol and jurisdiction) as of ``today``.

    ``proposed_stop_date`` is where the washout of a medication still being taken is planned
    from; it defaults to ``today``.
    """
    settings = settings or ScreeningSettings()
    knowledge = knowledge or default_knowledge()
    try:
        substance = Substance(substance)
    except ValueError:
        known = ", ".join(s.value for s in Substance)
        raise ScreeningConfigurationError(
            "substance", f"unknown substance {substance!r}; known: {known}"
        ) from None
    if proposed_stop_date is not None and proposed_stop_date < today:
        raise ScreeningConfigurationError(
            "proposed_stop_date", "must not be before the day of evaluation"
        )
    _check_overrides_exist(settings, knowledge.rule_sets)
    rule_sets, jurisdiction = knowledge.select(substance, protocol_id, jurisdiction)
    resolved = [
        (i, entry, knowledge.medications.classify(entry.name))
        for i, entry in enumerate(record.medications or ())
    ]
    findings: list[Finding] = []
    for rs in rule_sets:
        ctx = _Context(record, today, settings, rs)
        for rule in rs.rules:
            if isinstance(rule.when, MedicationClassIn | MedicationUnrecognised):
                if record.medications is not None:
                    findings.extend(_medication_findings(rule, ctx, resolved, proposed_stop_date))
                continue
            truth, evidence = _truth(rule.when, ctx)
            if truth is None and rule.if_unknown == "ignore":
                continue
            if truth is not False:
                status = FindingStatus.TRIGGERED if truth else FindingStatus.UNKNOWN
                findings.append(_finding(rule, rs, status, evidence, rule.id))
    findings = _unique_ids(findings)
    plan = merge_plan(
        f.washout
        for f in findings
        if f.washout is not None
        and f.severity in (Severity.CONTRAINDICATED, Severity.REQUIRES_WASHOUT)
    )
    return Evaluation(
        outcome=decide_outcome(findings),
        as_of=today,
        substance=substance,
        protocol_id=protocol_id,
        jurisdiction=jurisdiction,
        findings=tuple(findings),
        washout_plan=plan,
        earliest_dosing_date=max((e.earliest_dosing_date for e in plan), default=None),
        rule_sets=tuple(rs.ref for rs in rule_sets),
        medication_knowledge=tuple(
            KnowledgeFileRef(id=i, version=v) for i, v in knowledge.medications.versions()
        ),
        settings=settings,
    )


def decide_outcome(findings: Iterable[Finding]) -> Outcome:
    """The most severe effect of any finding; eligible when there is none."""
    return max((f.effect for f in findings), key=lambda o: o.rank, default=Outcome.ELIGIBLE)


def apply_overrides(evaluation: Evaluation, overrides: Sequence[Override]) -> Evaluation:
    """Record clinician overrides on their findings and recompute the outcome.

    A later override of the same finding replaces an earlier one. An override naming a finding
    that is not in the evaluation is an error, so a stale override never passes silently.
    """
    by_id = {o.finding_id: o for o in evaluation.overrides}
    known = {f.id for f in evaluation.findings}
    for override in overrides:
        if override.finding_id not in known:
            raise UnknownFindingError(override.finding_id)
        by_id[override.finding_id] = override
    findings = tuple(
        f.model_copy(update={"override": by_id.get(f.id)}) for f in evaluation.findings
    )
    return evaluation.model_copy(
        update={
            "findings": findings,
            "outcome": decide_outcome(findings),
            "overrides": tuple(by_id.values()),
        }
    )


def _finding(
    rule: Rule,
    rs: RuleSet,
    status: FindingStatus,
    evidence: Sequence[Evidence],
    finding_id: str,
    *,
    entry: MedicationEntry | None = None,
    medication: Medication | None = None,
    washout: WashoutEntry | None = None,
) -> Finding:
    return Finding(
        id=finding_id,
        rule_id=rule.id,
        rule_set_id=rs.id,
        rule_set_version=rs.version,
        title=rule.title,
        severity=rule.severity,
        status=status,
        rationale=rule.rationale,
        sources=rule.sources,
        unconfirmed=rule.unconfirmed,
        note=rule.note,
        evidence=tuple(evidence),
        medication=entry.name if entry else None,
        medication_id=medication.id if medication else None,
        washout=washout,
    )


def _medication_findings(
    rule: Rule,
    ctx: _Context,
    resolved: Sequence[tuple[int, MedicationEntry, Medication | None]],
    proposed_stop_date: date | None,
) -> list[Finding]:
    """One finding per recorded medication that the rule's medication condition matches."""
    findings = []
    for index, entry, med in resolved:
        hit = _medication_hit(rule, ctx, index, entry, med, proposed_stop_date)
        if hit is None:
            continue
        evidence, subject, plan = hit
        findings.append(
            _finding(
                rule,
                ctx.rule_set,
                FindingStatus.TRIGGERED,
                evidence,
                f"{rule.id}:{subject}",
                entry=entry,
                medication=med,
                washout=plan,
            )
        )
    return findings


def _medication_hit(
    rule: Rule,
    ctx: _Context,
    index: int,
    entry: MedicationEntry,
    med: Medication | None,
    proposed_stop_date: date | None,
) -> tuple[list[Evidence], str, WashoutEntry | None] | None:
    """Evidence, finding subject and washout when the medication matches, else None."""
    where = f"medications[{index}]"
    if isinstance(rule.when, MedicationUnrecognised):
        if med is not None:
            return None
        return (
            [Evidence(field=where, value=f"{entry.name!r} is not in the knowledge")],
            entry.name,
            None,
        )
    assert isinstance(rule.when, MedicationClassIn)
    if med is None or set(rule.when.except_classes) & set(med.classes):
        return None
    matched = [c for c in med.classes if c in rule.when.classes]
    if not matched:
        return None
    plan = plan_washout(
        entry,
        med,
        today=ctx.today,
        settings=ctx.settings,
        proposed_stop_date=proposed_stop_date,
        lookback_days=rule.when.lookback_days,
        rule_ids=(rule.id,),
    )
    stopped = entry.last_dose_date is not None and entry.last_dose_date < ctx.today
    if stopped and ctx.today >= plan.earliest_dosing_date:
        return None
    last_dose = entry.last_dose_date.isoformat() if entry.last_dose_date else "still taking"
    evidence = [
        Evidence(field=where, value=f"{entry.name} = {med.name} ({', '.join(matched)})"),
        Evidence(field=f"{where}.last_dose_date", value=last_dose),
    ]
    return evidence, med.id, plan


def _truth(cond: Condition, ctx: _Context) -> tuple[Truth, list[Evidence]]:
    """Three-valued truth of a condition, with the evidence behind it."""
    record = ctx.record
    if isinstance(cond, HistoryFlagIs):
        family = cond.who == "family"
        flag = record.history(cond.flag, family=family)
        return flag, [Evidence(field=history_path(cond.flag, family=family), value=_show(flag))]
    if isinstance(cond, AnswerIs):
        answer = record.answer(cond.answer)
        truth = None if answer is None else answer == cond.equals
        return truth, [Evidence(field=answer_path(cond.answer), value=_show(answer))]
    if isinstance(cond, ValueAbove | ValueBelow):
        value = record.measure(cond.measure, ctx.today)
        limit, label = _threshold(cond.threshold, ctx)
        field = measure_path(cond.measure)
        if value is None:
            return None, [Evidence(field=field, value="not recorded")]
        above = isinstance(cond, ValueAbove)
        truth = value > limit if above else value < limit
        sign = (">" if truth else "≤") if above else ("<" if truth else "≥")
        return truth, [Evidence(field=field, value=f"{value:g} {sign} {limit:g} ({label})")]
    if isinstance(cond, CssrsAtLeast):
        level = record.suicidality.cssrs_triage
        truth = None if level is None else level.rank >= cond.level.rank
        shown = "not recorded" if level is None else level.value
        return truth, [Evidence(field="suicidality.cssrs_triage", value=shown)]
    if isinstance(cond, AllOf | AnyOf):
        results = [_truth(c, ctx) for c in cond.conditions]
        decisive = not isinstance(cond, AllOf)
        hits = [ev for t, ev in results if t is decisive]
        if hits:
            return decisive, [e for ev in hits for e in ev]
        unknown = [ev for t, ev in results if t is None]
        if unknown:
            return None, [e for ev in unknown for e in ev]
        return not decisive, [e for _, ev in results for e in ev]
    raise TypeError(f"medication conditions are evaluated per medication, not here: {cond!r}")


def _threshold(threshold: Threshold, ctx: _Context) -> tuple[float, str]:
    if isinstance(threshold, SettingRef):
        return ctx.settings.threshold(threshold.setting), f"setting {threshold.setting}"
    if isinstance(threshold, ParameterRef):
        name = threshold.parameter
        parameter = ctx.rule_set.parameters[name]
        override = ctx.settings.parameter_overrides.get(f"{ctx.rule_set.id}.{name}")
        if override is None:
            return parameter.value, f"{ctx.rule_set.id} parameter {name}"
        if isinstance(override, str):
            return parameter.options[override], f"{ctx.rule_set.id} parameter {name} = {override}"
        return float(override), f"{ctx.rule_set.id} parameter {name}, overridden"
    return float(threshold), "rule threshold"


def check_settings(
    settings: ScreeningSettings, knowledge: ScreeningKnowledge | None = None
) -> None:
    """Raise ScreeningConfigurationError if a parameter override names no known parameter."""
    _check_overrides_exist(settings, (knowledge or default_knowledge()).rule_sets)


def _check_overrides_exist(settings: ScreeningSettings, rule_sets: Sequence[RuleSet]) -> None:
    parameters = {f"{rs.id}.{name}": p for rs in rule_sets for name, p in rs.parameters.items()}
    for key, value in settings.parameter_overrides.items():
        field = f"settings.parameter_overrides.{key}"
        if key not in parameters:
            known = ", ".join(sorted(parameters))
            raise ScreeningConfigurationError(field, f"no such parameter; known: {known}")
        options = parameters[key].options
        if isinstance(value, str) and value not in options:
            names = ", ".join(sorted(options)) or "none"
            raise ScreeningConfigurationError(field, f"no option {value!r}; options: {names}")


def _show(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "not recorded"}[value]


def _unique_ids(findings: list[Finding]) -> list[Finding]:
    """Make finding ids unique when a medication is recorded twice."""
    seen: dict[str, int] = {}
    unique = []
    for f in findings:
        n = seen.get(f.id, 0) + 1
        seen[f.id] = n
        unique.append(f if n == 1 else f.model_copy(update={"id": f"{f.id}#{n}"}))
    return unique
