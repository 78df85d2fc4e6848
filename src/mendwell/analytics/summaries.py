"""Descriptive outcome summaries per visit: change, responders, diagnosis, remission, completion.

Every function takes the long-format frame of :mod:`mendwell.analytics.dataset` (one
instrument at a time) and groups by ``by`` (default: arm) and visit, in schedule order. Rows
flagged ``is_baseline`` are skipped by the change and rate summaries (change is 0 there by
definition) and used by :func:`completion_by_visit` to count who was enrolled.

Proportions use the Wilson score interval (Wilson 1927, *JASA* 22:209–212; recommended over the
Wald interval by Brown, Cai & DasGupta 2001, *Statist. Sci.* 16:101–133). Means use the
t-based interval ``mean ± t(n−1) · SD/√n``. Thresholds (responder drop, remission cut-off) are
parameters: they belong to the instrument or protocol, never to this module.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from mendwell.analytics.dataset import visit_levels
from mendwell.analytics.errors import AnalysisDataError


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion; (nan, nan) when n is 0."""
    if n < 0 or successes < 0 or successes > n:
        raise AnalysisDataError(f"need 0 ≤ successes ≤ n, got {successes} of {n}", field="n")
    _check_confidence(confidence)
    if n == 0:
        return math.nan, math.nan
    z = float(stats.norm.ppf(0.5 + confidence / 2.0))
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # Exact bounds at the edges (the formula gives them up to rounding).
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def mean_interval(
    values: Sequence[float] | np.ndarray, confidence: float = 0.95
) -> tuple[int, float, float, float, float, float]:
    """(n, mean, SD, SE, ci_low, ci_high) with the t-based interval; NaNs are ignored."""
    _check_confidence(confidence)
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = int(x.size)
    if n == 0:
        return 0, math.nan, math.nan, math.nan, math.nan, math.nan
    mean = float(x.mean())
    if n == 1:
        return 1, mean, math.nan, math.nan, math.nan, math.nan
    sd = float(x.std(ddof=1))
    se = sd / math.sqrt(n)
    q = float(stats.t.ppf(0.5 + confidence / 2.0, n - 1))
    return n, mean, sd, se, mean - q * se, mean + q * se


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise AnalysisDataError("must be between 0 and 1", field="confidence")


def _require(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    for column in columns:
        if column not in frame.columns:
            raise AnalysisDataError("column not found", field=column)


def _post_baseline(frame: pd.DataFrame) -> pd.DataFrame:
    if "is_baseline" in frame.columns:
        return frame[~frame["is_baseline"].astype(bool)]
    return frame


def _groups(
    frame: pd.DataFrame, by: Sequence[str], visit: str, rows: pd.Series | None = None
) -> list[tuple[tuple, str]]:
    """Every group × visit, visits in schedule order; only visits with ``rows`` if given."""
    present = set(frame.loc[rows if rows is not None else frame.index, visit].astype(str))
    levels = [v for v in visit_levels(frame, visit) if v in present]
    keys = (
        sorted({tuple(str(v) for v in row) for row in frame[list(by)].itertuples(index=False)})
        if by
        else [()]
    )
    return [(key, v) for key in keys for v in levels]


def _select(frame: pd.DataFrame, by: Sequence[str], key: tuple, visit: str, v: str) -> pd.Series:
    mask = frame[visit].astype(str) == v
    for column, value in zip(by, key, strict=True):
        mask &= frame[column].astype(str) == value
    return mask


def change_summary(
    frame: pd.DataFrame,
    *,
    by: Sequence[str] = ("arm",),
    visit: str = "visit",
    value: str = "change",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Per group and visit: n, mean, SD, SE and t-based CI of ``value`` (observed cases)."""
    _require(frame, [*by, visit, value])
    data = _post_baseline(frame)
    out = []
    for key, v in _groups(data, by, visit):
        values = data.loc[_select(data, by, key, visit, v), value]
        n, mean, sd, se, low, high = mean_interval(values.to_numpy(dtype=float), confidence)
        if n:
            out.append((*key, v, n, mean, sd, se, low, high))
    return pd.DataFrame(out, columns=[*by, visit, "n", "mean", "sd", "se", "ci_low", "ci_high"])


def _rates(
    frame: pd.DataFrame,
    eligible: pd.Series,
    event: pd.Series,
    *,
    by: Sequence[str],
    visit: str,
    confidence: float,
    enrolled: dict[tuple, int] | None = None,
) -> pd.DataFrame:
    out = []
    for key, v in _groups(frame, by, visit, eligible):
        mask = _select(frame, by, key, visit, v) & eligible
        events = int((mask & event).sum())
        n = int(mask.sum()) if enrolled is None else enrolled.get(key, 0)
        if n == 0:
            continue
        low, high = wilson_interval(events, n, confidence)
        out.append((*key, v, n, events, events / n, low, high))
    return pd.DataFrame(out, columns=[*by, visit, "n", "events", "proportion", "ci_low", "ci_high"])


def _enrolled(frame: pd.DataFrame, by: Sequence[str], client: str) -> dict[tuple, int]:
    """Clients with a baseline value, per group."""
    _require(frame, [client, "baseline"])
    with_baseline = frame[frame["baseline"].notna()]
    counts = with_baseline.groupby(list(by), observed=True)[client].nunique() if by else None
    if counts is None:
        return {(): int(with_baseline[client].nunique())}
    return {
        (tuple(str(k) for k in key) if isinstance(key, tuple) else (str(key),)): int(n)
        for key, n in counts.items()
    }


def responder_rates(
    frame: pd.DataFrame,
    *,
    threshold: float,
    direction: Literal["decrease", "increase"] = "decrease",
    by: Sequence[str] = ("arm",),
    visit: str = "visit",
    value: str = "change",
    client: str = "client",
    missing_as_failure: bool = False,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Proportion whose change improved by at least ``threshold`` points, with Wilson CIs.

    ``direction="decrease"`` (lower scores are better, as on the PCL-5 or CAPS-5) counts
    ``change ≤ −threshold``; ``"increase"`` counts ``change ≥ threshold``. By default the
    denominator is the clients assessed at that visit; ``missing_as_failure`` uses every
    enrolled client (with a baseline) and counts the unassessed as non-responders.
    """
    if not math.isfinite(threshold) or threshold < 0:
        raise AnalysisDataError("must be a non-negative number", field="threshold")
    if direction not in ("decrease", "increase"):
        raise AnalysisDataError("must be 'decrease' or 'increase'", field="direction")
    _require(frame, [*by, visit, value])
    enrolled = _enrolled(frame, by, client) if missing_as_failure else None
    data = _post_baseline(frame)
    change = data[value].astype(float)
    event = change <= -threshold if direction == "decrease" else change >= threshold
    return _rates(
        data,
        change.notna(),
        event,
        by=by,
        visit=visit,
        confidence=confidence,
        enrolled=enrolled,
    )


def loss_of_diagnosis_rates(
    frame: pd.DataFrame,
    *,
    by: Sequence[str] = ("arm",),
    visit: str = "visit",
    diagnosis: str = "diagnosis",
    baseline_diagnosis: str = "baseline_diagnosis",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Among clients with the diagnosis at baseline and rated at the visit: share without it."""
    _require(frame, [*by, visit, diagnosis, baseline_diagnosis])
    data = _post_baseline(frame)
    eligible = _flag(data[baseline_diagnosis], True) & _rated(data[diagnosis])
    lost = _flag(data[diagnosis], False)
    return _rates(data, eligible, lost, by=by, visit=visit, confidence=confidence)


def _rated(column: pd.Series) -> pd.Series:
    return column.map(lambda v: isinstance(v, bool | np.bool_))


def _flag(column: pd.Series, wanted: bool) -> pd.Series:
    """True where the cell is a boolean equal to ``wanted`` (missing ratings are neither)."""
    return column.map(lambda v: isinstance(v, bool | np.bool_) and bool(v) is wanted)


@dataclass(frozen=True)
class RemissionDefinition:
    """Remission = every criterion that is set holds (e.g. loss of diagnosis AND total ≤ X).

    The criteria come from the protocol or the instrument's knowledge file; none is built in.
    """

    require_loss_of_diagnosis: bool = False
    max_total: float | None = None

    def __post_init__(self) -> None:
        if not self.require_loss_of_diagnosis and self.max_total is None:
            raise AnalysisDataError(
                "set at least one criterion (require_loss_of_diagnosis or max_total)",
                field="remission",
            )
        if self.max_total is not None and not math.isfinite(self.max_total):
            raise AnalysisDataError("must be a finite number", field="max_total")


def remission_rates(
    frame: pd.DataFrame,
    definition: RemissionDefinition,
    *,
    by: Sequence[str] = ("arm",),
    visit: str = "visit",
    total: str = "total",
    diagnosis: str = "diagnosis",
    baseline_diagnosis: str = "baseline_diagnosis",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Proportion in remission per group and visit, among clients assessable for it."""
    columns = [*by, visit, total]
    if definition.require_loss_of_diagnosis:
        columns += [diagnosis, baseline_diagnosis]
    _require(frame, columns)
    data = _post_baseline(frame)
    eligible = data[total].notna()
    event = pd.Series(True, index=data.index)
    if definition.max_total is not None:
        event &= data[total] <= definition.max_total
    if definition.require_loss_of_diagnosis:
        eligible &= _flag(data[baseline_diagnosis], True) & _rated(data[diagnosis])
        event &= _flag(data[diagnosis], False)
    return _rates(data, eligible, event, by=by, visit=visit, confidence=confidence)


def completion_by_visit(
    frame: pd.DataFrame,
    *,
    by: Sequence[str] = ("arm",),
    visit: str = "visit",
    client: str = "client",
    value: str = "total",
) -> pd.DataFrame:
    """Per group and post-baseline visit: enrolled, assessed, missed, dropped out, intermittent.

    Enrolled clients have a baseline value. A client missing a visit has *dropped out* at it
    if no later visit was assessed either, otherwise the visit was missed *intermittently*.
    """
    _require(frame, [*by, visit, client, value, "baseline"])
    levels = visit_levels(frame, visit)
    position = {v: i for i, v in enumerate(levels)}
    enrolled_rows = frame[frame["baseline"].notna()]
    assessed_rows = _post_baseline(enrolled_rows)
    assessed_rows = assessed_rows[assessed_rows[value].notna()]
    last = (
        assessed_rows.assign(_pos=assessed_rows[visit].astype(str).map(position))
        .groupby(client)["_pos"]
        .max()
    )
    baseline_visits = (
        set(frame.loc[frame["is_baseline"].astype(bool), visit].astype(str))
        if "is_baseline" in frame.columns
        else set()
    )
    # Visits up to the (earliest) baseline visit are not follow-up visits.
    first_follow_up = min((position[v] for v in baseline_visits), default=-1) + 1
    follow_up = [v for v in levels[first_follow_up:] if v not in baseline_visits]
    out = []
    group_clients = (
        enrolled_rows.groupby(list(by), observed=True)[client].unique()
        if by
        else pd.Series({(): enrolled_rows[client].unique()})
    )
    for key, clients in sorted(group_clients.items(), key=lambda kv: str(kv[0])):
        key_t = tuple(str(k) for k in key) if isinstance(key, tuple) else (str(key),)
        client_set = set(clients)
        n = len(client_set)
        for v in follow_up:
            at_visit = assessed_rows[
                (assessed_rows[visit].astype(str) == v) & assessed_rows[client].isin(client_set)
            ]
            assessed = int(at_visit[client].nunique())
            missed = n - assessed
            later = {c for c in client_set if last.get(c, -1) > position[v]}
            seen = set(at_visit[client])
            intermittent = len(later - seen)
            out.append(
                (*key_t, v, n, assessed, missed, missed - intermittent, intermittent, assessed / n)
            )
    return pd.DataFrame(
        out,
        columns=[
            *by,
            visit,
            "enrolled",
            "assessed",
            "missed",
            "dropped_out",
            "intermittent",
            "completion",
        ],
    )
