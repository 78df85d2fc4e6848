"""Named scoring algorithms: the rule-based outputs a plain sum cannot express.

An instrument file names an algorithm and gives its parameters (thresholds, item lists) with
sources; the code here holds no clinical number of its own. Two stages exist:

* ``derive`` algorithms fill in answers from other answers before scoring (the CAPS-5
  frequency × intensity → severity rule);
* ``classify`` algorithms read the answers and return named outputs (a DSM-5 provisional
  diagnosis, the PHQ-9 depressive syndromes, the C-SSRS triage level).

A missing answer is unknown, never zero: an output that a missing answer could change is None.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

if TYPE_CHECKING:
    from mendwell.clinical.instruments.schema import Instrument

Answers = Mapping[str, int | None]
RISK_LEVELS = ("none", "low", "moderate", "high")


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Algorithm:
    """Base: parse parameters, check their item references, list outputs, run."""

    name: ClassVar[str]
    stage: ClassVar[Literal["derive", "classify"]] = "classify"
    params_model: ClassVar[type[Params]]

    def parse(self, params: Mapping[str, Any]) -> Any:
        """The typed parameters (ValueError listing each problem)."""
        try:
            return self.params_model.model_validate(dict(params))
        except ValidationError as exc:
            lines = []
            for err in exc.errors():
                loc = ".".join(str(p) for p in err["loc"]) or "(params)"
                lines.append(f"{loc}: {err['msg']}")
            raise ValueError("\n".join(lines)) from exc

    def check(self, instrument: Instrument, params: Mapping[str, Any]) -> Iterator[str]:
        """Problems with the parameters for this instrument, each starting with the parameter."""
        try:
            parsed = self.parse(params)
        except ValueError as exc:
            yield from str(exc).splitlines()
            return
        yield from self.check_items(instrument, parsed)

    def check_items(self, instrument: Instrument, params: Any) -> Iterator[str]:
        yield from ()

    def outputs(self, params: Mapping[str, Any]) -> set[str]:
        return set()

    def run(self, instrument: Instrument, answers: Answers, params: Any) -> dict[str, Any]:
        return {}

    def derive(
        self, instrument: Instrument, answers: Answers, params: Any
    ) -> tuple[dict[str, int], list[tuple[str, str]]]:
        return {}, []


def _unknown(instrument: Instrument, field: str, ids: Iterable[str]) -> Iterator[str]:
    known = set(instrument.item_ids)
    for item_id in ids:
        if item_id not in known:
            yield f"{field}: {item_id!r} is not an item"


def _kind(instrument: Instrument, field: str, ids: Iterable[str], kind: str) -> Iterator[str]:
    known = {item.id: item for item in instrument.items}
    for item_id in ids:
        item = known.get(item_id)
        if item is None:
            yield f"{field}: {item_id!r} is not an item"
        elif item.kind != kind:
            yield f"{field}: {item_id!r} is a {item.kind!r} item, not {kind!r}"


# --- DSM-5 symptom-cluster rule (PCL-5, CAPS-5) ------------------------------------------------


class ClusterRuleParams(Params):
    symptom_threshold: int
    minimum_per_cluster: dict[str, int]
    output: str
    required_criteria: tuple[str, ...] = ()
    dissociation_items: tuple[str, ...] = ()
    dissociation_output: str | None = None


class DSM5ClusterRule(Algorithm):
    """A symptom counts when its item is at or above the threshold; each cluster needs a minimum.

    Optional extra criteria (CAPS-5 A, F, G) are yes/no items that must all be 'yes'. The
    dissociative subtype needs the diagnosis and at least one dissociation item at or above the
    threshold.
    """

    name = "dsm5_symptom_clusters"
    params_model = ClusterRuleParams

    def check_items(self, instrument: Instrument, params: ClusterRuleParams) -> Iterator[str]:
        for cluster, minimum in params.minimum_per_cluster.items():
            items = _cluster_items(instrument, cluster)
            if len(items) < minimum:
                yield (
                    f"minimum_per_cluster.{cluster}: needs {minimum} symptoms but the instrument "
                    f"has {len(items)} items in cluster {cluster!r}"
                )
        yield from _kind(instrument, "required_criteria", params.required_criteria, "boolean")
        yield from _kind(instrument, "dissociation_items", params.dissociation_items, "score")
        if params.dissociation_items and not params.dissociation_output:
            yield "dissociation_output: required with dissociation_items"

    def outputs(self, params: Mapping[str, Any]) -> set[str]:
        p = self.parse(params)
        names = {p.output, "symptom_count", "cluster_symptoms"}
        if p.required_criteria:
            names.add("criteria")
        if p.dissociation_output:
            names.add(p.dissociation_output)
        return names

    def run(self, instrument: Instrument, answers: Answers, params: ClusterRuleParams) -> dict:
        threshold = params.symptom_threshold
        counts: dict[str, int] = {}
        met = True
        undecided = False
        for cluster, minimum in params.minimum_per_cluster.items():
            items = _cluster_items(instrument, cluster)
            values = [answers.get(i) for i in items]
            counts[cluster] = sum(1 for v in values if v is not None and v >= threshold)
            if counts[cluster] < minimum:
                met = False
                # A missing item might have been a symptom that completes the cluster.
                unknown = sum(1 for v in values if v is None)
                undecided = undecided or counts[cluster] + unknown >= minimum
        symptoms: bool | None = True if met else (None if undecided else False)
        out: dict[str, Any] = {
            "symptom_count": sum(counts.values()),
            "cluster_symptoms": counts,
        }
        diagnosis = symptoms
        if params.required_criteria:
            criteria = {
                item_id: (None if answers.get(item_id) is None else answers.get(item_id) == 1)
                for item_id in params.required_criteria
            }
            out["criteria"] = criteria
            diagnosis = _all_of([symptoms, *criteria.values()])
        out[params.output] = diagnosis
        if params.dissociation_output:
            out[params.dissociation_output] = _dissociative(
                diagnosis, [answers.get(i) for i in params.dissociation_items], threshold
            )
        return out


def _cluster_items(instrument: Instrument, cluster: str) -> list[str]:
    return [i.id for i in instrument.items if i.cluster == cluster and i.kind == "score"]


def _all_of(values: Iterable[bool | None]) -> bool | None:
    """Three-valued AND: False if any is False, None if any is unknown, else True."""
    values = list(values)
    if any(v is False for v in values):
        return False
    if any(v is None for v in values):
        return None
    return True


def _dissociative(diagnosis: bool | None, values: list[int | None], threshold: int) -> bool | None:
    if diagnosis is False:
        return False
    present = any(v is not None and v >= threshold for v in values)
    if diagnosis is None:
        return False if not present and None not in values else None
    if present:
        return True
    return None if None in values else False


# --- CAPS-5 frequency × intensity → severity --------------------------------------------------


class SeverityRuleParams(Params):
    items: tuple[str, ...]
    frequency_suffix: str = "_frequency"
    intensity_suffix: str = "_intensity"


def caps5_severity(frequency: int, intensity: int) -> int:
    """The CAPS-5 three-part rule combining frequency and intensity ratings (0–4) into severity.

    Equal ratings give that rating; otherwise the lower one, except that an intensity two or more
    steps above the frequency gives one step above the frequency. A rating needs at least the
    minimum frequency and intensity, so an absent frequency or intensity gives 0.
    """
    if frequency <= 0 or intensity <= 0:
        return 0
    if intensity >= frequency + 2:
        return frequency + 1
    return min(frequency, intensity)


class CAPS5SeverityRule(Algorithm):
    """Fill in an item's severity from its frequency and intensity, or check that they agree."""

    name = "caps5_frequency_intensity"
    stage = "derive"
    params_model = SeverityRuleParams

    def check_items(self, instrument: Instrument, params: SeverityRuleParams) -> Iterator[str]:
        yield from _kind(instrument, "items", params.items, "score")
        yield from _kind(
            instrument, "items", (i + params.frequency_suffix for i in params.items), "frequency"
        )
        yield from _kind(
            instrument, "items", (i + params.intensity_suffix for i in params.items), "intensity"
        )

    def derive(
        self, instrument: Instrument, answers: Answers, params: SeverityRuleParams
    ) -> tuple[dict[str, int], list[tuple[str, str]]]:
        derived: dict[str, int] = {}
        errors: list[tuple[str, str]] = []
        for item_id in params.items:
            frequency = answers.get(item_id + params.frequency_suffix)
            intensity = answers.get(item_id + params.intensity_suffix)
            if frequency is None or intensity is None:
                continue
            rule = caps5_severity(frequency, intensity)
            given = answers.get(item_id)
            if given is None:
                derived[item_id] = rule
            elif given != rule:
                errors.append(
                    (
                        item_id,
                        f"severity {given} does not follow from frequency {frequency} and "
                        f"intensity {intensity}; the CAPS-5 scoring rule gives {rule}",
                    )
                )
        return derived, errors


# --- PHQ-9 depressive syndromes ----------------------------------------------------------------


class SyndromeParams(Params):
    core_items: tuple[str, ...]
    other_items: tuple[str, ...]
    threshold: int
    item_thresholds: dict[str, int] = {}
    major_minimum: int
    other_range: tuple[int, int]


class DepressiveSyndromes(Algorithm):
    """PHQ-9 DSM-based algorithm: counted symptoms, with at least one core symptom."""

    name = "phq9_depressive_syndromes"
    params_model = SyndromeParams

    def check_items(self, instrument: Instrument, params: SyndromeParams) -> Iterator[str]:
        yield from _unknown(instrument, "core_items", params.core_items)
        yield from _unknown(instrument, "other_items", params.other_items)
        yield from _unknown(instrument, "item_thresholds", params.item_thresholds)

    def outputs(self, params: Mapping[str, Any]) -> set[str]:
        return {
            "major_depressive_syndrome",
            "other_depressive_syndrome",
            "core_symptoms",
            "symptoms_counted",
        }

    def run(self, instrument: Instrument, answers: Answers, params: SyndromeParams) -> dict:
        values = {i: answers.get(i) for i in (*params.core_items, *params.other_items)}
        if any(v is None for v in values.values()):
            return dict.fromkeys(self.outputs({}))

        def counted(item_id: str) -> bool:
            value = values[item_id]
            assert value is not None
            return value >= params.item_thresholds.get(item_id, params.threshold)

        core = sum(counted(i) for i in params.core_items)
        total = core + sum(counted(i) for i in params.other_items)
        low, high = params.other_range
        return {
            "core_symptoms": core,
            "symptoms_counted": total,
            "major_depressive_syndrome": core >= 1 and total >= params.major_minimum,
            "other_depressive_syndrome": core >= 1 and low <= total <= high,
        }


# --- C-SSRS screener triage --------------------------------------------------------------------


class TriageParams(Params):
    low: tuple[str, ...]
    moderate: tuple[str, ...]
    high: tuple[str, ...]
    behaviour: str
    behaviour_recent: str
    output: str = "risk"


class CSSRSTriage(Algorithm):
    """C-SSRS screener triage: the highest level any 'yes' reaches.

    Ideation items are listed in order of severity (low, moderate, high); lifetime behaviour is
    moderate, behaviour in the recent period is high. A 'yes' to behaviour without its recency
    counts as moderate until the recency is known.
    """

    name = "cssrs_screener_triage"
    params_model = TriageParams

    def check_items(self, instrument: Instrument, params: TriageParams) -> Iterator[str]:
        for field in ("low", "moderate", "high"):
            yield from _kind(instrument, field, getattr(params, field), "boolean")
        yield from _kind(instrument, "behaviour", [params.behaviour], "boolean")
        yield from _kind(instrument, "behaviour_recent", [params.behaviour_recent], "boolean")

    def outputs(self, params: Mapping[str, Any]) -> set[str]:
        return {self.parse(params).output, "most_severe_ideation", "behaviour"}

    def run(self, instrument: Instrument, answers: Answers, params: TriageParams) -> dict:
        level = 0
        ideation = [*params.low, *params.moderate, *params.high]
        most_severe = 0
        for position, item_id in enumerate(ideation, start=1):
            if answers.get(item_id) == 1:
                most_severe = position
        for rank, items in ((1, params.low), (2, params.moderate), (3, params.high)):
            if any(answers.get(i) == 1 for i in items):
                level = max(level, rank)
        behaviour = "none"
        if answers.get(params.behaviour) == 1:
            recent = answers.get(params.behaviour_recent)
            behaviour = {1: "recent", 0: "lifetime"}.get(recent, "recency_unknown")  # type: ignore[arg-type]
            level = max(level, 3 if recent == 1 else 2)
        elif answers.get(params.behaviour) is None:
            behaviour = "unknown"
        return {
            params.output: RISK_LEVELS[level],
            "most_severe_ideation": most_severe,
            "behaviour": behaviour,
        }


# --- Simple item checks (WHO-5 low item, AUDIT-C first-item-only) ------------------------------


class LowItemParams(Params):
    items: tuple[str, ...]
    at_or_below: int
    output: str


class AnyItemAtOrBelow(Algorithm):
    """True when any listed item is answered at or below a value."""

    name = "any_item_at_or_below"
    params_model = LowItemParams

    def check_items(self, instrument: Instrument, params: LowItemParams) -> Iterator[str]:
        yield from _unknown(instrument, "items", params.items)

    def outputs(self, params: Mapping[str, Any]) -> set[str]:
        return {self.parse(params).output}

    def run(self, instrument: Instrument, answers: Answers, params: LowItemParams) -> dict:
        values = [answers.get(i) for i in params.items]
        if any(v is not None and v <= params.at_or_below for v in values):
            return {params.output: True}
        return {params.output: None if None in values else False}


class OnlyItemParams(Params):
    item: str
    other_items: tuple[str, ...]
    output: str


class PointsOnlyFromItem(Algorithm):
    """True when the item scores and every other listed item is 0 (all points from that item)."""

    name = "points_only_from_item"
    params_model = OnlyItemParams

    def check_items(self, instrument: Instrument, params: OnlyItemParams) -> Iterator[str]:
        yield from _unknown(instrument, "item", [params.item])
        yield from _unknown(instrument, "other_items", params.other_items)

    def outputs(self, params: Mapping[str, Any]) -> set[str]:
        return {self.parse(params).output}

    def run(self, instrument: Instrument, answers: Answers, params: OnlyItemParams) -> dict:
        values = [answers.get(params.item), *(answers.get(i) for i in params.other_items)]
        if None in values:
            return {params.output: None}
        first, *others = values
        return {params.output: bool(first) and not any(others)}


ALGORITHMS: dict[str, Algorithm] = {
    a.name: a
    for a in (
        DSM5ClusterRule(),
        CAPS5SeverityRule(),
        DepressiveSyndromes(),
        CSSRSTriage(),
        AnyItemAtOrBelow(),
        PointsOnlyFromItem(),
    )
}
