"""Scoring an instrument exactly as its file (and so its manual) says.

:func:`score` validates the answers (naming the item), applies derivations (CAPS-5 severity),
follows the manual's missing-item rule (refuse and list the missing items, or prorate), sums the
total and subscales, finds the band and cut-point, runs the named algorithms and raises the safety
flags. Safety flags are computed from whatever was answered, even when the total is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from mendwell.clinical.instruments.algorithms import ALGORITHMS
from mendwell.clinical.instruments.options import ScoringOptions
from mendwell.clinical.instruments.schema import Band, CutPoint, Instrument, Item
from mendwell.knowledge.sources import Source


class AnswerError(ValueError):
    """Answers that are not allowed; ``errors`` pairs each item id with what is wrong."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{item_id}: {message}" for item_id, message in errors))


class ScoringOptionError(ValueError):
    """A scoring option the instrument does not allow (a cut-point outside its range)."""


class CutPointResult(BaseModel):
    """The cut-point applied and which side of it the total falls."""

    model_config = ConfigDict(frozen=True)

    id: str
    value: int
    above: bool
    positive: bool
    direction: Literal["at_or_above", "at_or_below"]
    label: str
    configured: bool
    sources: tuple[Source, ...]
    unconfirmed: bool = False
    note: str | None = None


class SafetyFlag(BaseModel):
    """A safety concern raised by an answer or an algorithm, whatever the total."""

    model_config = ConfigDict(frozen=True)

    code: str
    severity: Literal["moderate", "high"]
    item_id: str | None
    message: str
    sources: tuple[Source, ...]


class ScoreResult(BaseModel):
    """The outcome of scoring one administration; JSON-serialisable and stored as given."""

    model_config = ConfigDict(frozen=True)

    instrument_id: str
    instrument_version: str
    scored: bool
    refused_reason: str | None = None
    missing_items: list[str] = []
    total: float | None = None
    raw_total: float | None = None
    prorated: bool = False
    subscales: dict[str, float] = {}
    band: Band | None = None
    cut_point: CutPointResult | None = None
    algorithms: dict[str, Any] = {}
    safety_flags: list[SafetyFlag] = []
    derived_answers: dict[str, int] = {}
    notes: list[str] = []


def score(
    instrument: Instrument,
    answers: Mapping[str, int | None],
    *,
    options: ScoringOptions | None = None,
) -> ScoreResult:
    """Score one administration; AnswerError names every item whose answer is not allowed."""
    options = options or ScoringOptions()
    values = _validated(instrument, answers)
    derived = _derive(instrument, values)
    values.update(derived)
    _check_skip_logic(instrument, values)

    algorithm_outputs = _run_algorithms(instrument, values)
    flags = _safety_flags(instrument, values, algorithm_outputs)
    missing = _missing(instrument, values)
    base: dict[str, Any] = {
        "instrument_id": instrument.id,
        "instrument_version": instrument.version,
        "missing_items": missing,
        "safety_flags": flags,
        "derived_answers": derived,
    }
    refusal = _refusal(instrument, values, missing)
    if refusal is not None:
        return ScoreResult(scored=False, refused_reason=refusal, **base)

    notes: list[str] = []
    raw_total, prorated = _raw_total(instrument, values)
    total = None if raw_total is None else raw_total * instrument.multiplier
    if prorated:
        notes.append(
            f"Total prorated for {len(missing)} missing item(s) ({', '.join(missing)}) as the "
            "missing-item rule allows."
        )
    cut_point = None
    if total is not None:
        cut_point = _cut_point(instrument, total, options, notes)
    return ScoreResult(
        scored=True,
        total=total,
        raw_total=raw_total,
        prorated=prorated,
        subscales=_subscales(instrument, values),
        band=_band(instrument, total),
        cut_point=cut_point,
        algorithms=algorithm_outputs,
        notes=notes,
        **base,
    )


def _validated(instrument: Instrument, answers: Mapping[str, int | None]) -> dict[str, int | None]:
    errors: list[tuple[str, str]] = []
    items = {item.id: item for item in instrument.items}
    values: dict[str, int | None] = dict.fromkeys(items)
    for item_id, value in answers.items():
        item = items.get(item_id)
        if item is None:
            errors.append((item_id, f"not an item of {instrument.short_title} ({instrument.id})"))
            continue
        if value is None:
            continue
        if isinstance(value, bool):
            if item.kind != "boolean":
                errors.append((item_id, f"{value} is not one of {_allowed(item)}"))
                continue
            value = int(value)
        if not isinstance(value, int) or value not in item.values:
            errors.append((item_id, f"{value!r} is not one of {_allowed(item)}"))
            continue
        values[item_id] = value
    if errors:
        raise AnswerError(errors)
    return values


def _allowed(item: Item) -> str:
    return ", ".join(str(v) for v in item.values)


def _derive(instrument: Instrument, values: dict[str, int | None]) -> dict[str, int]:
    derived: dict[str, int] = {}
    errors: list[tuple[str, str]] = []
    for spec in instrument.algorithms:
        algorithm = ALGORITHMS[spec.name]
        if algorithm.stage != "derive":
            continue
        found, problems = algorithm.derive(instrument, values, algorithm.parse(spec.params))
        derived.update(found)
        errors.extend(problems)
    if errors:
        raise AnswerError(errors)
    return derived


def _asked(instrument: Instrument, values: Mapping[str, int | None]) -> dict[str, bool | None]:
    """Whether each item is asked under the skip logic: True, False, or None when unknown.

    An item is unknown when the answer it depends on is missing; that answer is then the missing
    one, and an answer given to the dependent item is kept.
    """
    asked: dict[str, bool | None] = {}
    for item in instrument.items:
        rule = item.asked_if
        if rule is None:
            asked[item.id] = True
        elif asked.get(rule.item) is False:
            asked[item.id] = False
        elif values.get(rule.item) is None:
            asked[item.id] = None
        else:
            asked[item.id] = values.get(rule.item) in rule.values
    return asked


def _check_skip_logic(instrument: Instrument, values: Mapping[str, int | None]) -> None:
    asked = _asked(instrument, values)
    errors = []
    for item in instrument.items:
        if asked[item.id] is False and values.get(item.id) is not None and item.asked_if:
            parent = instrument.item(item.asked_if.item)
            wanted = " or ".join(parent.option_label(v) or str(v) for v in item.asked_if.values)
            errors.append((item.id, f"answered, but it is only asked when {parent.id} is {wanted}"))
    if errors:
        raise AnswerError(errors)


def _missing(instrument: Instrument, values: Mapping[str, int | None]) -> list[str]:
    asked = _asked(instrument, values)
    return [
        item.id
        for item in instrument.items
        if asked[item.id] is True and not item.optional and values.get(item.id) is None
    ]


def _refusal(
    instrument: Instrument, values: Mapping[str, int | None], missing: list[str]
) -> str | None:
    if not missing:
        return None
    rule = instrument.scoring.missing
    if rule.rule == "prorate":
        in_total = {item.id for item in instrument.total_items}
        outside = [i for i in missing if i not in in_total]
        if not outside and len(missing) <= rule.max_missing:
            return None
        return (
            f"{len(missing)} item(s) missing ({', '.join(missing)}); {instrument.short_title} "
            f"may be prorated only with at most {rule.max_missing} missing item(s) of the total"
        )
    return (
        f"{len(missing)} item(s) missing ({', '.join(missing)}); {instrument.short_title} is not "
        "scored with missing items (no prorating rule)"
    )


def _value(instrument: Instrument, item: Item, value: int) -> int:
    if item.id in instrument.scoring.reverse_scored:
        return item.min_value + item.max_value - value
    return value


def _raw_total(
    instrument: Instrument, values: Mapping[str, int | None]
) -> tuple[float | None, bool]:
    if not instrument.has_total:
        return None, False
    answered = [
        _value(instrument, item, v)
        for item in instrument.total_items
        if (v := values.get(item.id)) is not None
    ]
    count = len(instrument.total_items)
    if len(answered) == count:
        return float(sum(answered)), False
    return sum(answered) / len(answered) * count, True


def _subscales(instrument: Instrument, values: Mapping[str, int | None]) -> dict[str, float]:
    out: dict[str, float] = {}
    for sub in instrument.scoring.subscales:
        scored = [
            _value(instrument, instrument.item(item_id), v)
            for item_id in sub.items
            if (v := values.get(item_id)) is not None
        ]
        if len(scored) == len(sub.items):
            out[sub.id] = float(sum(scored) * sub.multiplier)
    return out


def _band(instrument: Instrument, total: float | None) -> Band | None:
    if total is None:
        return None
    for band in instrument.bands:
        low, high = band.range
        # A prorated total can fall between two integer bands; it belongs to the lower one.
        if low <= total < high + 1:
            return band
    return None


def _cut_point(
    instrument: Instrument, total: float, options: ScoringOptions, notes: list[str]
) -> CutPointResult | None:
    chosen = _choose_cut_point(instrument, options, notes)
    if chosen is None:
        return None
    value = chosen.value
    configured = False
    override = getattr(options, chosen.option) if chosen.option else None
    if override is not None:
        low, high = chosen.configurable_range or (chosen.value, chosen.value)
        if not low <= override <= high:
            raise ScoringOptionError(
                f"options.{chosen.option}: {override} is outside the configurable range "
                f"{low}–{high} of the {instrument.short_title} cut-point"
            )
        value, configured = override, override != chosen.value
    above = total >= value
    positive = above if chosen.direction == "at_or_above" else total <= value
    return CutPointResult(
        id=chosen.id,
        value=value,
        above=above,
        positive=positive,
        direction=chosen.direction,
        label=chosen.label,
        configured=configured,
        sources=chosen.sources,
        unconfirmed=chosen.unconfirmed,
        note=chosen.note,
    )


def _choose_cut_point(
    instrument: Instrument, options: ScoringOptions, notes: list[str]
) -> CutPoint | None:
    if not instrument.cut_points:
        return None
    if options.cut_point_id is not None:
        for cut in instrument.cut_points:
            if cut.id == options.cut_point_id:
                return cut
        known = ", ".join(c.id for c in instrument.cut_points)
        raise ScoringOptionError(
            f"options.cut_point_id: {options.cut_point_id!r} is not a cut-point of "
            f"{instrument.short_title} ({known})"
        )
    if any(c.sex_at_birth for c in instrument.cut_points):
        sex = (options.sex_at_birth or "").lower()
        for cut in instrument.cut_points:
            if cut.sex_at_birth == sex:
                return cut
        notes.append(
            f"No cut-point applied: the {instrument.short_title} cut-points are specific to sex "
            "at birth (female or male), which was not given."
        )
        return None
    return instrument.cut_points[0]


def _run_algorithms(instrument: Instrument, values: Mapping[str, int | None]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for spec in instrument.algorithms:
        algorithm = ALGORITHMS[spec.name]
        if algorithm.stage == "classify":
            out.update(algorithm.run(instrument, values, algorithm.parse(spec.params)))
    return out


def _safety_flags(
    instrument: Instrument, values: Mapping[str, int | None], outputs: Mapping[str, Any]
) -> list[SafetyFlag]:
    flags = []
    for rule in instrument.safety_flags:
        if rule.item is not None:
            value = values.get(rule.item)
            raised = value is not None and rule.at_least is not None and value >= rule.at_least
        else:
            raised = rule.output is not None and outputs.get(rule.output) == rule.equals
        if raised:
            flags.append(
                SafetyFlag(
                    code=rule.code,
                    severity=rule.severity,
                    item_id=rule.item,
                    message=rule.message,
                    sources=rule.sources,
                )
            )
    return flags
