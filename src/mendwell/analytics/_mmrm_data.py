"""Checks long-format MMRM input and builds the design matrix and missingness patterns."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mendwell.analytics.errors import AnalysisDataError


@dataclass(frozen=True)
class Roles:
    """Which column plays which part in the model."""

    subject: str
    arm: str
    visit: str
    outcome: str
    baseline: str | None = None
    site: str | None = None

    def columns(self) -> dict[str, str]:
        named = {
            "subject": self.subject,
            "arm": self.arm,
            "visit": self.visit,
            "outcome": self.outcome,
            "baseline": self.baseline,
            "site": self.site,
        }
        return {role: column for role, column in named.items() if column is not None}


@dataclass
class Design:
    """Fixed-effects design, outcome and the subject/visit index of every analysed row."""

    names: list[str]
    x: np.ndarray
    y: np.ndarray
    subject_codes: np.ndarray
    visit_codes: np.ndarray
    arms: list[str]
    visits: list[str]
    sites: list[str]
    baseline_mean: float | None
    excluded_rows: int

    @property
    def n_subjects(self) -> int:
        return int(self.subject_codes.max()) + 1


@dataclass
class Pattern:
    """Subjects sharing one set of observed visits, with their cross-product tensors."""

    visits: np.ndarray  # visit positions observed, ascending
    x: np.ndarray  # (n, t, p)
    y: np.ndarray  # (n, t)
    xx: np.ndarray  # (t, t, p, p): Σ_i X_ij·ᵀ X_ik·
    xy: np.ndarray  # (t, t, p):    Σ_i X_ij· y_ik

    @property
    def n(self) -> int:
        return int(self.y.shape[0])


def label(value: object) -> str:
    """Text label of a level; whole floats print without the decimal (4.0 → "4")."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def natural_key(value: object) -> tuple[tuple[int, int, str], ...]:
    """Sort key that orders digits by value: ``week2`` < ``week4`` < ``week12``."""
    parts = re.split(r"(\d+)", str(value))
    return tuple((0, int(t), "") if t.isdigit() else (1, 0, t.lower()) for t in parts if t)


def numeric(frame: pd.DataFrame, column: str) -> pd.Series:
    """The column as floats; a clear error names the first non-numeric or infinite row."""
    series = frame[column]
    if not (pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)):
        converted = pd.to_numeric(series, errors="coerce")
        bad = converted.isna() & series.notna()
        if bad.any():
            row = bad.idxmax()
            raise AnalysisDataError(f"must be numeric; row {row} has {series[row]!r}", field=column)
        series = converted
    values = series.astype(float)
    if np.isinf(values).any():
        row = np.isinf(values).idxmax()
        raise AnalysisDataError(f"must be finite; row {row} is {values[row]}", field=column)
    return values


def _visit_levels(raw: pd.Series, levels: Sequence[object] | None) -> list[object]:
    if levels is not None:
        return list(levels)
    present = raw.dropna()
    if isinstance(raw.dtype, pd.CategoricalDtype):
        used = set(present)
        return [c for c in raw.cat.categories if c in used]
    if pd.api.types.is_numeric_dtype(present):
        return sorted(present.unique().tolist())
    return sorted(present.unique().tolist(), key=natural_key)


def _select(data: pd.DataFrame, roles: Roles) -> pd.DataFrame:
    for role, column in roles.columns().items():
        if column not in data.columns:
            available = ", ".join(map(str, data.columns))
            raise AnalysisDataError(
                f"{role} column not found (columns: {available})", field=str(column)
            )
    frame = data[list(dict.fromkeys(roles.columns().values()))].copy()
    for column in (roles.subject, roles.arm, roles.visit):
        missing = int(frame[column].isna().sum())
        if missing:
            raise AnalysisDataError(f"{missing} row(s) have no value", field=column)
    return frame


def _arm_levels(arm_labels: pd.Series, reference_arm: str | None, field: str) -> list[str]:
    arms = sorted(arm_labels.unique().tolist())
    if len(arms) < 2:
        raise AnalysisDataError(
            f"only one arm ({arms[0]!r}) has data; at least two are needed", field=field
        )
    if reference_arm is None:
        reference_arm = arms[0]
    elif reference_arm not in arms:
        raise AnalysisDataError(
            f"reference arm {reference_arm!r} not found (arms: {', '.join(arms)})", field=field
        )
    return [reference_arm] + [a for a in arms if a != reference_arm]


def _check_subjects(
    frame: pd.DataFrame,
    roles: Roles,
    subject_codes: np.ndarray,
    visit_codes: np.ndarray,
    arm_labels: pd.Series,
    visit_labels: list[str],
) -> None:
    key = subject_codes.astype(np.int64) * len(visit_labels) + visit_codes
    duplicated = pd.Series(key).duplicated().to_numpy()
    if duplicated.any():
        at = int(duplicated.argmax())
        raise AnalysisDataError(
            f"subject {frame[roles.subject].iloc[at]!r} has more than one row at visit "
            f"{visit_labels[visit_codes[at]]!r}",
            field=roles.visit,
        )
    arms_per_subject = pd.Series(arm_labels.to_numpy()).groupby(subject_codes).nunique()
    if (arms_per_subject > 1).any():
        code = int(arms_per_subject.idxmax())
        name = frame[roles.subject].iloc[int(np.flatnonzero(subject_codes == code)[0])]
        raise AnalysisDataError(f"subject {name!r} appears in more than one arm", field=roles.arm)


def _check_cells(
    arm_codes: np.ndarray, visit_codes: np.ndarray, arms: list[str], visits: list[str], field: str
) -> None:
    counts = np.zeros((len(arms), len(visits)), dtype=int)
    np.add.at(counts, (arm_codes, visit_codes), 1)
    empty = np.argwhere(counts == 0)
    if empty.size:
        i, j = empty[0]
        raise AnalysisDataError(
            f"arm {arms[i]!r} has no outcome data at visit {visits[j]!r}", field=field
        )


def _check_rank(x: np.ndarray, names: list[str]) -> None:
    scale = np.sqrt((x * x).sum(axis=0))
    scale[scale == 0] = 1.0
    xs = x / scale
    if np.linalg.matrix_rank(xs) == x.shape[1]:
        return
    for k in range(1, x.shape[1] + 1):
        if np.linalg.matrix_rank(xs[:, :k]) < k:
            raise AnalysisDataError(
                f"the model term {names[k - 1]!r} is collinear with earlier terms "
                "(for example a covariate that does not vary)",
                field=names[k - 1],
            )


def prepare(
    data: pd.DataFrame,
    roles: Roles,
    *,
    reference_arm: str | None,
    visit_levels: Sequence[object] | None,
) -> Design:
    """Validate the rows and build the treatment-coded design (R's column order)."""
    frame = _select(data, roles)
    y_all = numeric(frame, roles.outcome)
    levels = _visit_levels(frame[roles.visit], visit_levels)
    visits = [label(v) for v in levels]
    if len(set(visits)) != len(visits):
        raise AnalysisDataError("visit levels are not unique", field=roles.visit)
    unknown = ~frame[roles.visit].isin(levels)
    if unknown.any():
        row = unknown.idxmax()
        raise AnalysisDataError(
            f"row {row} has visit {frame[roles.visit][row]!r}, not among the visit levels",
            field=roles.visit,
        )
    observed = set(frame.loc[y_all.notna(), roles.visit])
    for level, name in zip(levels, visits, strict=True):
        if level not in observed:
            raise AnalysisDataError(f"visit {name!r} has no outcome data", field=roles.visit)

    keep = y_all.notna().to_numpy().copy()
    baseline_all = numeric(frame, roles.baseline) if roles.baseline is not None else None
    if baseline_all is not None:
        keep &= baseline_all.notna().to_numpy()
    if roles.site is not None:
        keep &= frame[roles.site].notna().to_numpy()
    frame = frame[keep]
    if frame.empty:
        raise AnalysisDataError(
            "no rows with a value for every model variable", field=roles.outcome
        )

    arm_labels = frame[roles.arm].map(label)
    arms = _arm_levels(arm_labels, reference_arm, roles.arm)
    subject_codes, _ = pd.factorize(frame[roles.subject].map(label))
    visit_codes = frame[roles.visit].map({v: j for j, v in enumerate(levels)}).to_numpy(int)
    _check_subjects(frame, roles, subject_codes, visit_codes, arm_labels, visits)
    arm_codes = arm_labels.map({a: i for i, a in enumerate(arms)}).to_numpy(int)
    _check_cells(arm_codes, visit_codes, arms, visits, roles.visit)

    names = ["intercept"]
    columns: list[np.ndarray] = [np.ones(len(frame))]
    baseline_mean = None
    if baseline_all is not None:
        b = baseline_all[keep].to_numpy()
        baseline_mean = float(b.mean())
        names.append("baseline")
        columns.append(b)

    def indicators(codes: np.ndarray, levels_: list[str], factor: str) -> None:
        for k, level in enumerate(levels_[1:], start=1):
            names.append(f"{factor}[{level}]")
            columns.append((codes == k).astype(float))

    indicators(arm_codes, arms, "arm")
    indicators(visit_codes, visits, "visit")
    sites: list[str] = []
    if roles.site is not None:
        site_labels = frame[roles.site].map(label)
        sites = sorted(site_labels.unique().tolist())
        site_codes = site_labels.map({s: i for i, s in enumerate(sites)}).to_numpy(int)
        indicators(site_codes, sites, "site")
    for j, visit_name in enumerate(visits[1:], start=1):
        for i, arm_name in enumerate(arms[1:], start=1):
            names.append(f"arm[{arm_name}]:visit[{visit_name}]")
            columns.append(((arm_codes == i) & (visit_codes == j)).astype(float))
    x = np.column_stack(columns)
    _check_rank(x, names)
    return Design(
        names=names,
        x=x,
        y=y_all[keep].to_numpy(),
        subject_codes=subject_codes,
        visit_codes=visit_codes,
        arms=arms,
        visits=visits,
        sites=sites,
        baseline_mean=baseline_mean,
        excluded_rows=int((~keep).sum()),
    )


def patterns(design: Design, n_visits: int) -> list[Pattern]:
    """Group subjects by their set of observed visits (one block per missingness pattern)."""
    masks = np.zeros(design.n_subjects, dtype=np.int64)
    np.add.at(masks, design.subject_codes, np.left_shift(1, design.visit_codes))
    row_mask = masks[design.subject_codes]
    order = np.lexsort((design.visit_codes, design.subject_codes, row_mask))
    x, y, row_mask = design.x[order], design.y[order], row_mask[order]
    p = x.shape[1]
    out = []
    bounds = np.flatnonzero(np.diff(row_mask)) + 1
    starts = np.concatenate([[0], bounds])
    stops = np.concatenate([bounds, [len(y)]])
    for start, stop in zip(starts, stops, strict=True):
        mask = int(row_mask[start])
        visits = np.array([j for j in range(n_visits) if mask >> j & 1])
        t = visits.size
        xp = x[start:stop].reshape(-1, t, p)
        yp = y[start:stop].reshape(-1, t)
        flat = xp.reshape(xp.shape[0], t * p)
        xx = (flat.T @ flat).reshape(t, p, t, p).transpose(0, 2, 1, 3).copy()
        xy = (flat.T @ yp).reshape(t, p, t).transpose(0, 2, 1).copy()
        out.append(Pattern(visits=visits, x=xp, y=yp, xx=xx, xy=xy))
    return out


def co_observed(design: Design, n_visits: int) -> np.ndarray:
    """Number of subjects observed at both visits j and k, for every pair."""
    seen = np.zeros((design.n_subjects, n_visits))
    seen[design.subject_codes, design.visit_codes] = 1.0
    return seen.T @ seen
