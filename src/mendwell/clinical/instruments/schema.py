"""The instrument file format: items, licence, scoring rules, bands, cut-points, change, flags.

An instrument is one YAML file under ``knowledge/instruments/``. Everything a manual says about
scoring is data here; rule-based outputs (a DSM-5 cluster rule, the C-SSRS triage) are named
algorithms with parameters (see :mod:`mendwell.clinical.instruments.algorithms`). Every
threshold, band and algorithm names its sources, and says ``unconfirmed: true`` with a note when
no primary source confirmed it.

The invariants a manual implies are checked when a file loads: unique item ids, subscales that
reference real items (and partition the total where the manual says so), ordered option values,
contiguous bands covering the score range, a declared total range that matches the items and the
multiplier, and no item text in an instrument whose licence only allows item ids.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field, model_validator

from mendwell.clinical.instruments.algorithms import ALGORITHMS
from mendwell.clinical.instruments.options import CUT_POINT_OPTIONS
from mendwell.knowledge.sources import KnowledgeModel, Source, Sourced

SLUG = r"^[a-z0-9][a-z0-9-]*$"
ITEM_ID = r"^[a-z][a-z0-9]*_[a-z0-9]+(_[a-z0-9]+)*$"
NAME = r"^[a-z][a-z0-9_]*$"
LOINC = r"^[0-9]{1,7}-[0-9]$"

LicenceStatus = Literal[
    "public-domain", "free-with-attribution", "permission-required", "commercial"
]
TextDistribution = Literal["full", "ids_only"]
ItemKind = Literal["score", "frequency", "intensity", "boolean", "choice"]
Respondent = Literal["self", "clinician"]
Direction = Literal["decrease", "increase"]


class Licence(Sourced):
    """Who owns the instrument and whether its item text may ship with Mendwell."""

    status: LicenceStatus
    attribution: str = Field(min_length=3)
    text_distribution: TextDistribution


class Option(KnowledgeModel):
    """One response option: the value scored and its label."""

    value: int
    label: str = Field(min_length=1)


class AskedIf(KnowledgeModel):
    """An item asked only when an earlier item's answer is one of ``values`` (skip logic)."""

    item: str = Field(pattern=ITEM_ID)
    values: tuple[int, ...] = Field(min_length=1)


class Item(KnowledgeModel):
    """One item. ``text`` is the licensed wording (None for an ids-only instrument)."""

    id: str = Field(pattern=ITEM_ID)
    text: str | None = None
    label: str = Field(min_length=2, description="Neutral label, always present.")
    cluster: str | None = None
    options: tuple[Option, ...] = Field(min_length=2)
    optional: bool = False
    kind: ItemKind = "score"
    in_total: bool = Field(
        default=True, description="Counts towards the total (default: true for kind 'score')."
    )
    asked_if: AskedIf | None = None
    loinc: str | None = Field(default=None, pattern=LOINC)

    @model_validator(mode="before")
    @classmethod
    def _in_total_follows_kind(cls, data: Any) -> Any:
        if isinstance(data, dict) and "in_total" not in data:
            data = {**data, "in_total": data.get("kind", "score") == "score"}
        return data

    @model_validator(mode="after")
    def _options_are_ordered(self) -> Item:
        values = [o.value for o in self.options]
        for before, after in itertools.pairwise(values):
            if after <= before:
                raise ValueError(
                    f"options: values must increase in the order listed ({after} follows {before})"
                )
        labels = [o.label for o in self.options]
        if len(set(labels)) != len(labels):
            raise ValueError("options: each option needs its own label")
        if self.kind == "boolean" and values != [0, 1]:
            raise ValueError("options: a boolean item has exactly the values 0 (no) and 1 (yes)")
        if self.in_total and self.kind != "score":
            raise ValueError(
                f"in_total: only a 'score' item counts towards a total, not {self.kind!r}"
            )
        return self

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(o.value for o in self.options)

    @property
    def min_value(self) -> int:
        return self.options[0].value

    @property
    def max_value(self) -> int:
        return self.options[-1].value

    def option_label(self, value: int) -> str | None:
        """The label of an answer value, or None when the value is not an option."""
        return next((o.label for o in self.options if o.value == value), None)


class Subscale(Sourced):
    """A named sum of items (a DSM-5 cluster, a factor)."""

    id: str = Field(pattern=NAME)
    label: str = Field(min_length=2)
    items: tuple[str, ...] = Field(min_length=1)
    in_total: bool = Field(default=True, description="Part of the partition of the total.")
    multiplier: int = Field(default=1, ge=1)


class TotalRule(Sourced):
    """How the total is formed: the sum of the in-total items, times a multiplier."""

    method: Literal["sum"] = "sum"
    multiplier: int = Field(default=1, ge=1)


class MissingRule(Sourced):
    """The manual's rule for missing items: refuse to score ('none') or prorate.

    Prorating replaces the missing in-total items by the mean of the answered ones, when no more
    than ``max_missing`` are missing.
    """

    rule: Literal["none", "prorate"]
    max_missing: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _prorating_needs_a_limit(self) -> MissingRule:
        if self.rule == "prorate" and self.max_missing < 1:
            raise ValueError("max_missing: a prorating rule allows at least one missing item")
        if self.rule == "none" and self.max_missing:
            raise ValueError("max_missing: only a prorating rule allows missing items")
        return self


class Scoring(KnowledgeModel):
    """Total, reverse-scored items, subscales and the missing-item rule."""

    total: TotalRule | None = None
    reverse_scored: tuple[str, ...] = ()
    subscales: tuple[Subscale, ...] = ()
    subscales_partition_total: bool = False
    missing: MissingRule


class Band(Sourced):
    """An interpretation band of the total (inclusive range), only where the manual defines it."""

    label: str = Field(min_length=2)
    range: tuple[int, int]


class CutPoint(Sourced):
    """A screening or classification threshold on the total.

    ``direction`` says which side is positive. ``option`` names the ScoringOptions field that may
    override the value, within ``configurable_range``. ``sex_at_birth`` restricts a sex-specific
    cut-point.
    """

    id: str = Field(pattern=SLUG)
    value: int
    label: str = Field(min_length=2)
    direction: Literal["at_or_above", "at_or_below"] = "at_or_above"
    configurable_range: tuple[int, int] | None = None
    option: str | None = None
    sex_at_birth: Literal["female", "male"] | None = None

    @model_validator(mode="after")
    def _range_holds_value(self) -> CutPoint:
        if self.configurable_range is not None:
            low, high = self.configurable_range
            if not low <= self.value <= high:
                raise ValueError(
                    f"configurable_range: {low}–{high} does not contain the value {self.value}"
                )
        if self.option is not None and self.option not in CUT_POINT_OPTIONS:
            known = ", ".join(CUT_POINT_OPTIONS)
            raise ValueError(f"option: {self.option!r} is not a cut-point option ({known})")
        return self


class ChangeThreshold(Sourced):
    """A reliable-change or clinically-meaningful threshold for one population.

    Every condition given must hold: an improvement of at least ``points``, a relative improvement
    of at least ``percent`` of the baseline, and a follow-up score at or beyond ``endpoint``.
    ``direction`` is the direction of improvement.
    """

    id: str = Field(pattern=SLUG)
    kind: Literal["reliable_change", "clinically_meaningful"]
    points: float | None = Field(default=None, gt=0)
    percent: float | None = Field(default=None, gt=0, le=100)
    endpoint: float | None = None
    direction: Direction
    population: str = Field(min_length=2)
    default: bool = False

    @model_validator(mode="after")
    def _some_condition(self) -> ChangeThreshold:
        if self.points is None and self.percent is None and self.endpoint is None:
            raise ValueError("a change threshold needs points, percent or an endpoint")
        if self.kind == "reliable_change" and self.points is None:
            raise ValueError("points: a reliable-change threshold is a number of points")
        return self


class RemissionDefinitionSpec(Sourced):
    """A definition of remission: every condition given must hold at the follow-up visit.

    ``max_total``: the total is at or below this value; ``loss_of_diagnosis``: the client met
    the instrument's diagnostic algorithm at baseline and no longer meets it.
    """

    id: str = Field(pattern=SLUG)
    label: str = Field(min_length=3)
    max_total: float | None = None
    loss_of_diagnosis: bool = False
    population: str = Field(min_length=2)
    default: bool = False

    @model_validator(mode="after")
    def _some_condition(self) -> RemissionDefinitionSpec:
        if self.max_total is None and not self.loss_of_diagnosis:
            raise ValueError("a remission definition needs max_total or loss_of_diagnosis")
        return self


class SafetyFlagRule(Sourced):
    """A safety flag raised whatever the total: an item at or above a value, or an algorithm output.

    Flags are computed from whatever was answered, even when the total cannot be scored.
    """

    code: str = Field(pattern=NAME)
    severity: Literal["moderate", "high"]
    message: str = Field(min_length=5)
    item: str | None = None
    at_least: int | None = None
    output: str | None = None
    equals: str | int | bool | None = None

    @model_validator(mode="after")
    def _one_trigger(self) -> SafetyFlagRule:
        by_item = self.item is not None and self.at_least is not None
        by_output = self.output is not None and self.equals is not None
        if by_item == by_output:
            raise ValueError(
                "a safety flag is triggered either by 'item' and 'at_least' or by 'output' and "
                "'equals'"
            )
        return self


class AlgorithmSpec(Sourced):
    """A named algorithm (see algorithms.py) with the parameters its source gives."""

    name: str
    params: dict[str, Any] = Field(default_factory=dict)


class LoincCodes(Sourced):
    """LOINC codes for the panel and the total score, only where a source confirmed them."""

    panel: str | None = Field(default=None, pattern=LOINC)
    total: str | None = Field(default=None, pattern=LOINC)


class Instrument(KnowledgeModel):
    """One instrument: identity, licence, items and everything needed to score and interpret it."""

    id: str = Field(pattern=SLUG)
    version: str = Field(min_length=1)
    title: str = Field(min_length=3)
    short_title: str = Field(min_length=2)
    authors: tuple[str, ...] = Field(min_length=1)
    citation: str = Field(min_length=5)
    form_version: str | None = None
    description: str | None = None
    respondent: Respondent
    recall_period: str = Field(min_length=3)
    instructions: str | None = None
    licence: Licence
    scales: dict[str, tuple[Option, ...]] = Field(default_factory=dict)
    items: tuple[Item, ...] = Field(min_length=1)
    total_range: tuple[int, int] | None = None
    higher_is_better: bool = Field(
        default=False, description="True when a higher total means better health (WHO-5)."
    )
    scoring: Scoring
    bands: tuple[Band, ...] = ()
    cut_points: tuple[CutPoint, ...] = ()
    algorithms: tuple[AlgorithmSpec, ...] = ()
    change_thresholds: tuple[ChangeThreshold, ...] = ()
    remission_definitions: tuple[RemissionDefinitionSpec, ...] = ()
    safety_flags: tuple[SafetyFlagRule, ...] = ()
    loinc: LoincCodes | None = None
    sources: tuple[Source, ...] = Field(min_length=1)
    note: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _expand_scales(cls, data: Any) -> Any:
        """Let items say ``scale: name`` instead of repeating a shared option list."""
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            return data
        scales = data.get("scales") or {}
        for name, options in scales.items():
            values = [o.get("value") for o in options if isinstance(o, dict)]
            for before, after in itertools.pairwise(values):
                if isinstance(before, int) and isinstance(after, int) and after <= before:
                    raise ValueError(
                        f"scales.{name}: values must increase in the order listed "
                        f"({after} follows {before})"
                    )
        items = []
        for index, item in enumerate(data["items"]):
            if isinstance(item, dict) and "scale" in item:
                item = dict(item)
                name = item.pop("scale")
                if name not in scales:
                    known = ", ".join(sorted(scales)) or "none declared"
                    raise ValueError(
                        f"items.{index}.scale: {name!r} is not one of the scales ({known})"
                    )
                if "options" in item:
                    raise ValueError(f"items.{index}: give either 'scale' or 'options', not both")
                item["options"] = scales[name]
            items.append(item)
        return {**data, "items": items}

    @model_validator(mode="after")
    def _invariants(self) -> Instrument:
        problems = list(_problems(self))
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def item(self, item_id: str) -> Item:
        """The item with this id (KeyError naming the instrument when there is none)."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(f"{item_id!r} is not an item of {self.short_title}")

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.items)

    @property
    def total_items(self) -> tuple[Item, ...]:
        """The items that count towards the total."""
        return tuple(i for i in self.items if i.in_total)

    @property
    def has_total(self) -> bool:
        return self.scoring.total is not None

    @property
    def multiplier(self) -> int:
        return self.scoring.total.multiplier if self.scoring.total else 1

    @property
    def diagnosis_output(self) -> str | None:
        """The algorithm output that says whether the diagnostic criteria are met, if any."""
        for spec in self.algorithms:
            if spec.name == "dsm5_symptom_clusters":
                return str(spec.params.get("output")) if spec.params.get("output") else None
        return None

    @property
    def unconfirmed_facts(self) -> tuple[str, ...]:
        """Where each UNCONFIRMED fact of this instrument sits, with its note."""
        found: list[str] = []
        for path, fact in _sourced_facts(self):
            if fact.unconfirmed:
                found.append(f"{path}: {fact.note}")
        return tuple(found)


def _sourced_facts(instrument: Instrument) -> Iterator[tuple[str, Sourced]]:
    yield "licence", instrument.licence
    if instrument.scoring.total is not None:
        yield "scoring.total", instrument.scoring.total
    yield "scoring.missing", instrument.scoring.missing
    for i, sub in enumerate(instrument.scoring.subscales):
        yield f"scoring.subscales.{i} ({sub.id})", sub
    for name, group in (
        ("bands", instrument.bands),
        ("cut_points", instrument.cut_points),
        ("algorithms", instrument.algorithms),
        ("change_thresholds", instrument.change_thresholds),
        ("remission_definitions", instrument.remission_definitions),
        ("safety_flags", instrument.safety_flags),
    ):
        for i, fact in enumerate(group):
            key = (
                getattr(fact, "id", None)
                or getattr(fact, "name", None)
                or getattr(fact, "code", None)
                or getattr(fact, "label", "")
            )
            yield f"{name}.{i} ({key})", fact
    if instrument.loinc is not None:
        yield "loinc", instrument.loinc


def _problems(ins: Instrument) -> Iterator[str]:
    """Every invariant a file breaks, each naming its field."""
    index = {item.id: i for i, item in enumerate(ins.items)}
    seen: set[str] = set()
    for i, item in enumerate(ins.items):
        if item.id in seen:
            yield f"items.{i}.id: {item.id!r} is used twice"
        seen.add(item.id)
        if ins.licence.text_distribution == "ids_only" and item.text is not None:
            yield (
                f"items.{i}.text: must be empty, because the licence allows item ids only "
                "(licence.text_distribution: ids_only)"
            )
        if item.asked_if is not None:
            parent = index.get(item.asked_if.item)
            if parent is None or parent >= i:
                yield f"items.{i}.asked_if.item: {item.asked_if.item!r} is not an earlier item"
            else:
                bad = set(item.asked_if.values) - set(ins.items[parent].values)
                if bad:
                    yield (
                        f"items.{i}.asked_if.values: {sorted(bad)} are not options of "
                        f"{item.asked_if.item!r}"
                    )
    yield from _scoring_problems(ins, index)
    yield from _interpretation_problems(ins)
    for i, spec in enumerate(ins.algorithms):
        algorithm = ALGORITHMS.get(spec.name)
        if algorithm is None:
            known = ", ".join(ALGORITHMS)
            yield f"algorithms.{i}.name: {spec.name!r} is not a known algorithm ({known})"
            continue
        yield from (f"algorithms.{i}.params.{p}" for p in algorithm.check(ins, spec.params))
    outputs = _algorithm_outputs(ins)
    for i, rule in enumerate(ins.safety_flags):
        if rule.item is not None:
            if rule.item not in index:
                yield f"safety_flags.{i}.item: {rule.item!r} is not an item"
            elif rule.at_least not in ins.items[index[rule.item]].values:
                yield (
                    f"safety_flags.{i}.at_least: {rule.at_least} is not an option of {rule.item!r}"
                )
        elif rule.output not in outputs:
            yield f"safety_flags.{i}.output: {rule.output!r} is not produced by any algorithm"


def _algorithm_outputs(ins: Instrument) -> set[str]:
    outputs: set[str] = set()
    for spec in ins.algorithms:
        algorithm = ALGORITHMS.get(spec.name)
        if algorithm is not None:
            try:
                outputs |= algorithm.outputs(spec.params)
            except ValueError:
                continue
    return outputs


def _scoring_problems(ins: Instrument, index: dict[str, int]) -> Iterator[str]:
    scoring = ins.scoring
    total_ids = [item.id for item in ins.total_items]
    for i, item_id in enumerate(scoring.reverse_scored):
        if item_id not in index:
            yield f"scoring.reverse_scored.{i}: {item_id!r} is not an item"
    for i, sub in enumerate(scoring.subscales):
        for j, item_id in enumerate(sub.items):
            if item_id not in index:
                yield f"scoring.subscales.{i}.items.{j}: {item_id!r} is not an item"
            elif ins.items[index[item_id]].kind != "score":
                yield f"scoring.subscales.{i}.items.{j}: {item_id!r} is not a scored item"
        if len(set(sub.items)) != len(sub.items):
            yield f"scoring.subscales.{i}.items: an item is listed twice in {sub.id!r}"
    ids = [s.id for s in scoring.subscales]
    if len(set(ids)) != len(ids):
        yield "scoring.subscales: each subscale needs its own id"
    if scoring.subscales_partition_total:
        owner: dict[str, str] = {}
        for i, sub in enumerate(scoring.subscales):
            if not sub.in_total:
                continue
            for item_id in sub.items:
                if item_id in owner:
                    yield (
                        f"scoring.subscales.{i}.items: {item_id!r} is already in "
                        f"{owner[item_id]!r}; the subscales must not overlap"
                    )
                owner.setdefault(item_id, sub.id)
        uncovered = [item_id for item_id in total_ids if item_id not in owner]
        if uncovered:
            yield f"scoring.subscales: {', '.join(uncovered)} belong to no subscale"
        outside = [item_id for item_id in owner if item_id in index and item_id not in total_ids]
        if outside:
            yield f"scoring.subscales: {', '.join(outside)} are not part of the total"
    if scoring.total is None:
        if ins.total_range is not None:
            yield "total_range: an instrument without a total has no total range"
        return
    if not total_ids:
        yield "items: a total needs at least one item with in_total: true"
        return
    low = sum(ins.items[index[i]].min_value for i in total_ids) * scoring.total.multiplier
    high = sum(ins.items[index[i]].max_value for i in total_ids) * scoring.total.multiplier
    if ins.total_range is None:
        yield f"total_range: required for an instrument with a total (the items give {low}–{high})"
    elif tuple(ins.total_range) != (low, high):
        yield (
            f"total_range: {ins.total_range[0]}–{ins.total_range[1]} does not match the items "
            f"({len(total_ids)} items × multiplier {scoring.total.multiplier} give {low}–{high})"
        )


def _interpretation_problems(ins: Instrument) -> Iterator[str]:
    if ins.scoring.total is None or ins.total_range is None:
        for name in ("bands", "cut_points", "change_thresholds"):
            if getattr(ins, name):
                yield f"{name}: an instrument without a total cannot have {name.replace('_', ' ')}"
        return
    low, high = ins.total_range
    if ins.bands:
        expected = low
        for i, band in enumerate(ins.bands):
            lo, hi = band.range
            if lo > hi:
                yield f"bands.{i}.range: {lo}–{hi} is empty"
            if lo != expected:
                yield (
                    f"bands.{i}.range: starts at {lo} but the previous band ends at "
                    f"{expected - 1}; bands must be contiguous"
                    if i
                    else f"bands.{i}.range: starts at {lo}, not at the lowest score {low}"
                )
            expected = hi + 1
        if expected - 1 != high:
            yield f"bands: the last band ends at {expected - 1}, not at the highest score {high}"
    ids = [c.id for c in ins.cut_points]
    if len(set(ids)) != len(ids):
        yield "cut_points: each cut-point needs its own id"
    for i, cut in enumerate(ins.cut_points):
        if not low <= cut.value <= high:
            yield f"cut_points.{i}.value: {cut.value} is outside the score range {low}–{high}"
        if cut.configurable_range is not None:
            lo, hi = cut.configurable_range
            if lo < low or hi > high:
                yield f"cut_points.{i}.configurable_range: {lo}–{hi} leaves the score range"
    ids = [t.id for t in ins.change_thresholds]
    if len(set(ids)) != len(ids):
        yield "change_thresholds: each threshold needs its own id"
    improving = "increase" if ins.higher_is_better else "decrease"
    for i, threshold in enumerate(ins.change_thresholds):
        if threshold.direction != improving:
            yield (
                f"change_thresholds.{i}.direction: improvement on {ins.short_title} is a score "
                f"{improving} (higher_is_better: {str(ins.higher_is_better).lower()})"
            )
    for kind in ("reliable_change", "clinically_meaningful"):
        defaults = [t.id for t in ins.change_thresholds if t.kind == kind and t.default]
        if len(defaults) > 1:
            yield (
                f"change_thresholds: more than one default {kind} threshold ({', '.join(defaults)})"
            )
    remissions = ins.remission_definitions
    if len({r.id for r in remissions}) != len(remissions):
        yield "remission_definitions: each definition needs its own id"
    if sum(r.default for r in remissions) > 1:
        yield "remission_definitions: more than one default definition"
    for i, remission in enumerate(remissions):
        if remission.loss_of_diagnosis and not ins.diagnosis_output:
            yield (
                f"remission_definitions.{i}.loss_of_diagnosis: {ins.short_title} has no "
                "diagnostic algorithm"
            )
        if remission.max_total is not None and ins.total_range is not None:
            low, high = ins.total_range
            if not low <= remission.max_total <= high:
                yield (
                    f"remission_definitions.{i}.max_total: {remission.max_total} leaves the "
                    "score range"
                )
