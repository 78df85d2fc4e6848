"""Classifying change between two scored administrations against published thresholds.

Each instrument file lists its thresholds per population (reliable change, clinically meaningful
change), each with its sources. Without a population the threshold marked ``default`` for each
kind is used; the result names the thresholds it used so a stored classification can be explained.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from mendwell.clinical.instruments.schema import ChangeThreshold, Instrument
from mendwell.clinical.instruments.scoring import ScoreResult


class ChangeResult(BaseModel):
    """Change from baseline to follow-up and how it classifies."""

    model_config = ConfigDict(frozen=True)

    instrument_id: str
    change: float | None
    improvement: float | None
    direction: Literal["improved", "worsened", "unchanged"] | None
    reliable: bool | None
    clinically_meaningful: bool | None
    thresholds_used: list[ChangeThreshold]
    population: str | None


def populations(instrument: Instrument) -> list[str]:
    """The populations an instrument has change thresholds for, in file order."""
    return list(dict.fromkeys(t.population for t in instrument.change_thresholds))


def classify_change(
    instrument: Instrument,
    baseline: ScoreResult,
    follow_up: ScoreResult,
    *,
    population: str | None = None,
) -> ChangeResult:
    """Change, whether it is reliable and whether it is clinically meaningful (None if unknown)."""
    for name, result in (("baseline", baseline), ("follow_up", follow_up)):
        if result.instrument_id != instrument.id:
            raise ValueError(
                f"{name}: a {result.instrument_id} result cannot be compared on {instrument.id}"
            )
    if population is not None and population not in populations(instrument):
        known = ", ".join(populations(instrument)) or "none"
        raise ValueError(
            f"population: {population!r} has no {instrument.short_title} thresholds ({known})"
        )
    reliable_rule = _threshold(instrument, "reliable_change", population)
    meaningful_rule = _threshold(instrument, "clinically_meaningful", population)
    used = [t for t in (reliable_rule, meaningful_rule) if t is not None]
    if baseline.total is None or follow_up.total is None:
        return ChangeResult(
            instrument_id=instrument.id,
            change=None,
            improvement=None,
            direction=None,
            reliable=None,
            clinically_meaningful=None,
            thresholds_used=used,
            population=population,
        )
    change = follow_up.total - baseline.total
    improvement = change if instrument.higher_is_better else -change
    direction: Literal["improved", "worsened", "unchanged"] = (
        "unchanged" if change == 0 else ("improved" if improvement > 0 else "worsened")
    )
    return ChangeResult(
        instrument_id=instrument.id,
        change=change,
        improvement=improvement,
        direction=direction,
        reliable=None if reliable_rule is None else _reliable(reliable_rule, change),
        clinically_meaningful=(
            None
            if meaningful_rule is None
            else _meaningful(meaningful_rule, baseline.total, follow_up.total, improvement)
        ),
        thresholds_used=used,
        population=population,
    )


def _threshold(instrument: Instrument, kind: str, population: str | None) -> ChangeThreshold | None:
    candidates = [t for t in instrument.change_thresholds if t.kind == kind]
    if population is not None:
        candidates = [t for t in candidates if t.population == population]
        return candidates[0] if candidates else None
    defaults = [t for t in candidates if t.default]
    return defaults[0] if defaults else (candidates[0] if candidates else None)


def _reliable(rule: ChangeThreshold, change: float) -> bool:
    """Reliable in either direction: the size of the change reaches the threshold."""
    assert rule.points is not None
    return abs(change) >= rule.points


def _meaningful(
    rule: ChangeThreshold, baseline: float, follow_up: float, improvement: float
) -> bool:
    """Every condition of the rule holds (points, percent of baseline, endpoint)."""
    if rule.points is not None and improvement < rule.points:
        return False
    if rule.percent is not None and (
        baseline == 0 or improvement / abs(baseline) * 100 < rule.percent
    ):
        return False
    if rule.endpoint is not None:
        reached = (
            follow_up <= rule.endpoint
            if rule.direction == "decrease"
            else (follow_up >= rule.endpoint)
        )
        if not reached:
            return False
    return True
