"""The program outcome report: everything the outcomes page shows, computed from one frame.

``outcome_report(frame, settings)`` takes the long-format dataset of
:mod:`mendwell.analytics.dataset` for one instrument and returns plain dataclasses:

* change from baseline per visit (n, mean, SD, t-based CI), per arm;
* a single-arm program (fewer than two arms) gets the within-group standardised change per
  visit (:func:`~mendwell.analytics.effect_sizes.paired_d`, standardised by the within-occasion
  SD using the observed pre–post correlation);
* a program with two or more arms gets the MMRM of change (``change ~ baseline + arm * visit``,
  unstructured covariance; compound symmetry when the unstructured one cannot be estimated,
  saying why) with LS means, differences against the reference arm and Hedges' g of the
  observed change at each visit;
* responder, loss-of-diagnosis and remission rates with Wilson CIs, completion and dropout;
* what the charts need: mean total per visit with its CI, each subject's trajectory, and each
  subject's change from baseline to their last assessed visit (the waterfall).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from mendwell.analytics.dataset import follow_up_rows, visit_levels
from mendwell.analytics.effect_sizes import EffectSize, effect_size_from_samples, paired_d
from mendwell.analytics.errors import AnalysisDataError
from mendwell.analytics.mmrm import ArmDifference, LSMean, fit_mmrm
from mendwell.analytics.summaries import (
    RemissionDefinition,
    change_summary,
    completion_by_visit,
    loss_of_diagnosis_rates,
    mean_interval,
    remission_rates,
    responder_rates,
)

SINGLE_GROUP = "all"
_REFERENCE_WORDS = ("placebo", "control", "usual care", "waitlist", "wait-list")


@dataclass(frozen=True)
class ReportSettings:
    """Definitions that come from the instrument or the protocol, never from this module."""

    instrument: str
    responder_points: float
    direction: Literal["decrease", "increase"] = "decrease"
    remission: RemissionDefinition | None = None
    reference_arm: str | None = None
    confidence: float = 0.95


@dataclass(frozen=True)
class ChangeRow:
    arm: str
    visit: str
    n: int
    mean: float
    sd: float
    ci_low: float
    ci_high: float
    effect: EffectSize | None = None


@dataclass(frozen=True)
class RateRow:
    arm: str
    visit: str
    n: int
    events: int
    proportion: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class CompletionRow:
    arm: str
    visit: str
    enrolled: int
    assessed: int
    dropped_out: int
    intermittent: int
    completion: float


@dataclass(frozen=True)
class MeanPoint:
    """Mean total of one arm at one visit, with its t-based CI (observed cases)."""

    arm: str
    visit: str
    n: int
    mean: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class Trajectory:
    subject: str
    arm: str
    points: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class WaterfallBar:
    subject: str
    arm: str
    visit: str
    change: float


@dataclass(frozen=True)
class ObservedEffect:
    """Hedges' g of the observed change, arm vs the reference arm, at one visit."""

    arm: str
    reference: str
    visit: str
    effect: EffectSize


@dataclass(frozen=True)
class ArmComparison:
    """The MMRM, or why it could not be fitted."""

    covariance: str | None
    reference_arm: str
    fallback_reason: str | None = None
    error: str | None = None
    converged: bool = True
    n_subjects: int = 0
    n_observations: int = 0
    ls_means: tuple[LSMean, ...] = ()
    differences: tuple[ArmDifference, ...] = ()
    observed_effects: tuple[ObservedEffect, ...] = ()


@dataclass(frozen=True)
class OutcomeReport:
    settings: ReportSettings
    design: Literal["single_arm", "arms", "empty"]
    arms: tuple[str, ...]
    visits: tuple[str, ...]  # from the baseline visit on, in schedule order
    n_subjects: int
    n_with_baseline: int
    change: tuple[ChangeRow, ...] = ()
    responders: tuple[RateRow, ...] = ()
    loss_of_diagnosis: tuple[RateRow, ...] = ()
    remission: tuple[RateRow, ...] = ()
    completion: tuple[CompletionRow, ...] = ()
    means: tuple[MeanPoint, ...] = ()
    trajectories: tuple[Trajectory, ...] = ()
    waterfall: tuple[WaterfallBar, ...] = ()
    comparison: ArmComparison | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


def default_reference_arm(arms: Sequence[str]) -> str:
    """An arm named like a control (placebo, control, usual care, waitlist), else the first."""
    for arm in sorted(arms):
        if any(word in arm.lower() for word in _REFERENCE_WORDS):
            return arm
    return sorted(arms)[0]


def outcome_report(
    frame: pd.DataFrame,
    settings: ReportSettings,
    *,
    due: Mapping[str, Collection[str]] | None = None,
) -> OutcomeReport:
    """The report for ``settings.instrument``; see the module docstring.

    ``due`` maps each subject to the visits that were due by now (held, missed, cancelled or
    with their window closed); completion at a visit then counts only the subjects it was due
    for, so a visit still to come is not counted as dropout. Without it every enrolled subject
    counts at every visit.
    """
    data = frame[frame["instrument"] == settings.instrument].copy()
    arms = tuple(sorted({str(a) for a in data["arm"]}))
    if data.empty:
        return OutcomeReport(settings, "empty", (), (), 0, 0)
    design: Literal["single_arm", "arms"] = "arms" if len(arms) >= 2 else "single_arm"
    by: tuple[str, ...] = ("arm",)
    with_baseline = data[data["baseline"].notna()]
    start = _baseline_position(data)
    visits = tuple(v for v in visit_levels(data)[start:] if v in set(data["visit"].astype(str)))
    confidence = settings.confidence
    change = change_summary(data, by=by, confidence=confidence)
    notes: list[str] = []
    without = int(data["client"].nunique()) - int(with_baseline["client"].nunique())
    if without:
        notes.append(
            f"{without} without a baseline assessment: in the trajectories, "
            "not in the change, rate or completion tables"
        )
    effects: dict[tuple[str, str], EffectSize] = {}
    if design == "single_arm":
        effects = _within_group_effects(data, confidence)
    report_rows = tuple(
        ChangeRow(
            arm=str(r.arm),
            visit=str(r.visit),
            n=int(r.n),
            mean=float(r.mean),
            sd=float(r.sd),
            ci_low=float(r.ci_low),
            ci_high=float(r.ci_high),
            effect=effects.get((str(r.arm), str(r.visit))),
        )
        for r in change.itertuples(index=False)
    )
    responders = _rate_rows(
        responder_rates(
            data,
            threshold=settings.responder_points,
            direction=settings.direction,
            by=by,
            confidence=confidence,
        )
    )
    # Rates are over follow-up visits of clients with a baseline (not, e.g., screening).
    followed = data[data["change"].notna()]
    lost = _rate_rows(loss_of_diagnosis_rates(followed, by=by, confidence=confidence))
    remission: tuple[RateRow, ...] = ()
    if settings.remission is not None:
        remission = _rate_rows(
            remission_rates(followed, settings.remission, by=by, confidence=confidence)
        )
    completion = _completion(data, by, due)
    comparison = None
    if design == "arms":
        comparison = _compare_arms(data, arms, settings)
    return OutcomeReport(
        settings=settings,
        design=design,
        arms=arms,
        visits=visits,
        n_subjects=int(data["client"].nunique()),
        n_with_baseline=int(with_baseline["client"].nunique()),
        change=report_rows,
        responders=responders,
        loss_of_diagnosis=lost,
        remission=remission,
        completion=completion,
        means=_means(data, visits, confidence),
        trajectories=_trajectories(data, visits),
        waterfall=_waterfall(data),
        comparison=comparison,
        notes=tuple(notes),
    )


def _completion(
    data: pd.DataFrame, by: tuple[str, ...], due: Mapping[str, Collection[str]] | None
) -> tuple[CompletionRow, ...]:
    table = completion_by_visit(data, by=by)
    if due is not None:
        parts = []
        for visit in table["visit"].unique():
            subjects = [s for s, visits in due.items() if visit in visits]
            subset = data[data["client"].isin(subjects)]
            if subset.empty:
                continue
            rows = completion_by_visit(subset, by=by)
            parts.append(rows[rows["visit"] == visit])
        order = {v: i for i, v in enumerate(visit_levels(data))}
        table = pd.concat(parts) if parts else table.iloc[0:0]
        table = table.sort_values(
            [*by, "visit"], key=lambda c: c.map(order) if c.name == "visit" else c
        )
    return tuple(
        CompletionRow(
            str(r.arm),
            str(r.visit),
            int(r.enrolled),
            int(r.assessed),
            int(r.dropped_out),
            int(r.intermittent),
            float(r.completion),
        )
        for r in table.itertuples(index=False)
    )


def _baseline_position(data: pd.DataFrame) -> int:
    """Index of the earliest baseline visit in the schedule (0 when there is none)."""
    levels = visit_levels(data)
    baseline_visits = set(data.loc[data["is_baseline"].astype(bool), "visit"].astype(str))
    positions = [levels.index(v) for v in baseline_visits]
    return min(positions, default=0)


def _rate_rows(table: pd.DataFrame) -> tuple[RateRow, ...]:
    return tuple(
        RateRow(
            str(r.arm),
            str(r.visit),
            int(r.n),
            int(r.events),
            float(r.proportion),
            float(r.ci_low),
            float(r.ci_high),
        )
        for r in table.itertuples(index=False)
    )


def _within_group_effects(
    data: pd.DataFrame, confidence: float
) -> dict[tuple[str, str], EffectSize]:
    """Standardised within-group change per arm and visit (d with the observed pre–post r)."""
    out: dict[tuple[str, str], EffectSize] = {}
    rows = follow_up_rows(data)
    for (arm, visit), group in rows.groupby(["arm", "visit"], observed=True):
        change = group["change"].to_numpy(dtype=float)
        n = change.size
        if n < 2:
            continue
        sd = float(change.std(ddof=1))
        if not sd > 0:
            continue
        r = _correlation(group["baseline"].to_numpy(dtype=float), group["total"].to_numpy(float))
        try:
            out[(str(arm), str(visit))] = paired_d(
                float(change.mean()), sd, n, correlation=r, confidence=confidence
            )
        except AnalysisDataError:
            continue
    return out


def _correlation(x: np.ndarray, y: np.ndarray) -> float | None:
    """Pearson r of baseline and follow-up, or None when it is undefined or ±1."""
    if x.size < 3 or np.std(x) == 0 or np.std(y) == 0:
        return None
    r = float(np.corrcoef(x, y)[0, 1])
    return r if math.isfinite(r) and -1.0 < r < 1.0 else None


def _compare_arms(
    data: pd.DataFrame, arms: Sequence[str], settings: ReportSettings
) -> ArmComparison:
    reference = settings.reference_arm or default_reference_arm(arms)
    if reference not in arms:
        return ArmComparison(
            None, reference, error=f"reference arm {reference!r} has no data in this selection"
        )
    rows = follow_up_rows(data)
    fallback = None
    result = None
    for covariance in ("us", "cs"):
        try:
            result = fit_mmrm(
                rows,
                subject="client",
                arm="arm",
                visit="visit",
                outcome="change",
                baseline="baseline",
                covariance=covariance,
                reference_arm=reference,
                confidence=settings.confidence,
            )
            break
        except AnalysisDataError as exc:
            if covariance == "us" and exc.field == "covariance":
                fallback = f"the unstructured covariance could not be estimated: {exc.message}"
                continue
            return ArmComparison(None, reference, fallback_reason=fallback, error=str(exc))
    assert result is not None
    observed = []
    for visit in result.visits:
        at_visit = rows[rows["visit"].astype(str) == visit]
        for arm in result.arms[1:]:
            try:
                effect = effect_size_from_samples(
                    at_visit.loc[at_visit["arm"] == arm, "change"].to_numpy(float),
                    at_visit.loc[at_visit["arm"] == reference, "change"].to_numpy(float),
                    confidence=settings.confidence,
                )
            except AnalysisDataError:
                continue
            observed.append(ObservedEffect(arm, reference, visit, effect))
    return ArmComparison(
        covariance=result.covariance,
        reference_arm=reference,
        fallback_reason=fallback,
        converged=result.convergence.converged,
        n_subjects=result.n_subjects,
        n_observations=result.n_observations,
        ls_means=result.ls_means,
        differences=result.differences,
        observed_effects=tuple(observed),
    )


def _means(data: pd.DataFrame, visits: Sequence[str], confidence: float) -> tuple[MeanPoint, ...]:
    out = []
    for arm, group in data.groupby("arm"):
        for visit in visits:
            values = group.loc[group["visit"].astype(str) == visit, "total"].to_numpy(float)
            n, mean, _sd, _se, low, high = mean_interval(values, confidence)
            if n:
                out.append(MeanPoint(str(arm), visit, n, mean, low, high))
    return tuple(out)


def _trajectories(data: pd.DataFrame, visits: Sequence[str]) -> tuple[Trajectory, ...]:
    shown = set(visits)
    out = []
    for (subject, arm), group in data.groupby(["client", "arm"], sort=True):
        points = tuple(
            (str(v), float(t))
            for v, t in zip(group["visit"].astype(str), group["total"], strict=True)
            if str(v) in shown
        )
        if points:
            out.append(Trajectory(str(subject), str(arm), points))
    return tuple(out)


def _waterfall(data: pd.DataFrame) -> tuple[WaterfallBar, ...]:
    """Each subject's change at their last assessed follow-up visit, largest rise first."""
    rows = follow_up_rows(data)
    if rows.empty:
        return ()
    last = rows.sort_values("visit_order").groupby("client", sort=False).tail(1)
    bars = [
        WaterfallBar(str(r.client), str(r.arm), str(r.visit), float(r.change))
        for r in last.itertuples(index=False)
    ]
    return tuple(sorted(bars, key=lambda b: (-b.change, b.subject)))
