"""Geometry for small server-rendered SVG line charts (totals over time).

Pure: dates and numbers in, coordinates and labels out; the template draws them. Every point
carries its value as text and the cut-point is a labelled dashed line, so nothing depends on
colour.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

WIDTH = 360
HEIGHT = 220
LEFT, RIGHT, TOP, BOTTOM = 34, 14, 14, 34
INSET = 12  # keeps the first and last points clear of the axis and its labels


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    value: float
    day: date
    label: str


@dataclass(frozen=True)
class Guide:
    """A horizontal (y set) or vertical (x set) reference line with its text."""

    x: float | None
    y: float | None
    label: str


@dataclass
class LineChart:
    width: int
    height: int
    points: list[ChartPoint]
    y_ticks: list[Guide]
    x_ticks: list[Guide]
    cut_line: Guide | None = None
    markers: list[Guide] = field(default_factory=list)

    @property
    def path(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def plot_left(self) -> int:
        return LEFT

    @property
    def plot_right(self) -> int:
        return self.width - RIGHT

    @property
    def plot_top(self) -> int:
        return TOP

    @property
    def plot_bottom(self) -> int:
        return self.height - BOTTOM


def _fmt(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


NICE_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)


def _ticks(low: float, high: float, most: int = 6) -> list[float]:
    """Round-numbered ticks from ``low``: the smallest nice step giving at most ``most``."""
    step = next((s for s in NICE_STEPS if (high - low) / s < most), (high - low) / (most - 1))
    count = int((high - low) // step)
    return [low + step * i for i in range(count + 1)]


def line_chart(
    series: list[tuple[date, float]],
    *,
    y_range: tuple[float, float],
    cut_point: tuple[float, str] | None = None,
    marked_dates: list[tuple[date, str]] | None = None,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> LineChart:
    """Place ``series`` (date, total) on a chart with the instrument's full score range."""
    low, high = y_range
    if high <= low:
        raise ValueError("y_range must rise")
    if not series:
        raise ValueError("a chart needs at least one point")
    days = [d for d, _ in series] + [d for d, _ in marked_dates or []]
    first, last = min(days), max(days)
    span = max((last - first).days, 1)
    left, right, top, bottom = LEFT, width - RIGHT, TOP, height - BOTTOM

    def x_of(day: date) -> float:
        if first == last:
            return (left + right) / 2
        return left + INSET + (right - left - 2 * INSET) * (day - first).days / span

    def y_of(value: float) -> float:
        clamped = min(max(value, low), high)
        return bottom - (bottom - top) * (clamped - low) / (high - low)

    points = [ChartPoint(x_of(d), y_of(v), v, d, _fmt(v)) for d, v in sorted(series)]
    y_ticks = [Guide(None, y_of(v), _fmt(v)) for v in _ticks(low, high)]
    x_ticks = [Guide(x_of(first), None, first.isoformat())]
    if last != first:
        x_ticks.append(Guide(x_of(last), None, last.isoformat()))
    cut = Guide(None, y_of(cut_point[0]), cut_point[1]) if cut_point else None
    markers = [Guide(x_of(d), None, text) for d, text in marked_dates or []]
    return LineChart(width, height, points, y_ticks, x_ticks, cut, markers)


# --- Program outcomes: categorical visits on x ------------------------------------------------

OUTCOME_WIDTH = 640
OUTCOME_HEIGHT = 300
OUTCOME_LEFT, OUTCOME_BOTTOM = 44, 54


def _nice_range(low: float, high: float, most: int = 7) -> tuple[float, float, list[float]]:
    """A range widened to round steps around [low, high], and its ticks."""
    if high <= low:
        high = low + 1
    step = next((s for s in NICE_STEPS if (high - low) / s < most - 1), NICE_STEPS[-1])
    start = step * math.floor(low / step)
    stop = step * math.ceil(high / step)
    count = round((stop - start) / step)
    return start, stop, [start + step * i for i in range(count + 1)]


@dataclass(frozen=True)
class MeanBand:
    """One arm's mean line, its 95% CI band and labelled points."""

    arm_index: int
    arm: str
    path: str
    band: str  # polygon points: upper bound left to right, then lower bound back
    points: list[ChartPoint]


@dataclass
class TrajectoryChart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    y_ticks: list[Guide]
    x_ticks: list[Guide]
    individuals: list[tuple[int, str]]  # (arm index, polyline points)
    means: list[MeanBand]


def trajectory_chart(
    visits: list[str],
    labels: dict[str, str],
    arms: list[str],
    means: list[tuple[str, str, float, float, float]],
    individuals: list[tuple[str, list[tuple[str, float]]]],
    *,
    y_range: tuple[float, float],
    width: int = OUTCOME_WIDTH,
    height: int = OUTCOME_HEIGHT,
) -> TrajectoryChart:
    """Mean total per visit with its CI band per arm, over each subject's faint trajectory.

    ``means`` holds (arm, visit, mean, ci_low, ci_high); ``individuals`` (arm, [(visit, total)]).
    """
    if not visits:
        raise ValueError("a chart needs at least one visit")
    left, right, top, bottom = OUTCOME_LEFT, width - RIGHT, TOP, height - OUTCOME_BOTTOM
    low, high = y_range
    position = {v: i for i, v in enumerate(visits)}
    step = (right - left - 2 * INSET) / max(len(visits) - 1, 1)

    def x_of(visit: str) -> float:
        if len(visits) == 1:
            return (left + right) / 2
        return left + INSET + step * position[visit]

    def y_of(value: float) -> float:
        clamped = min(max(value, low), high)
        return bottom - (bottom - top) * (clamped - low) / (high - low)

    def line(pairs: list[tuple[str, float]]) -> str:
        return " ".join(f"{x_of(v):.1f},{y_of(t):.1f}" for v, t in pairs)

    arm_index = {a: i for i, a in enumerate(arms)}
    faint = [
        (arm_index[arm], line([(v, t) for v, t in pts if v in position]))
        for arm, pts in individuals
    ]
    bands = []
    for arm in arms:
        rows = sorted((r for r in means if r[0] == arm), key=lambda r: position[r[1]])
        if not rows:
            continue
        with_ci = [r for r in rows if math.isfinite(r[3]) and math.isfinite(r[4])]
        band = " ".join(
            [f"{x_of(r[1]):.1f},{y_of(r[4]):.1f}" for r in with_ci]
            + [f"{x_of(r[1]):.1f},{y_of(r[3]):.1f}" for r in reversed(with_ci)]
        )
        points = [ChartPoint(x_of(r[1]), y_of(r[2]), r[2], date.min, f"{r[2]:.1f}") for r in rows]
        bands.append(
            MeanBand(arm_index[arm], arm, line([(r[1], r[2]) for r in rows]), band, points)
        )
    y_ticks = [Guide(None, y_of(v), _fmt(v)) for v in _ticks(low, high)]
    x_ticks = [Guide(x_of(v), None, labels.get(v, v)) for v in visits]
    return TrajectoryChart(width, height, left, right, top, bottom, y_ticks, x_ticks, faint, bands)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    arm_index: int
    value: float
    label: str


@dataclass
class WaterfallChart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    zero_y: float
    y_ticks: list[Guide]
    bars: list[Bar]
    threshold: Guide | None


def waterfall_chart(
    bars: list[tuple[str, float]],
    arms: list[str],
    *,
    threshold: tuple[float, str] | None = None,
    width: int = OUTCOME_WIDTH,
    height: int = OUTCOME_HEIGHT,
) -> WaterfallChart:
    """One bar per subject from 0 to their change, in the order given (sorted by the caller)."""
    if not bars:
        raise ValueError("a chart needs at least one bar")
    left, right, top, bottom = OUTCOME_LEFT, width - RIGHT, TOP, height - 24
    values = [v for _, v in bars] + [0.0] + ([threshold[0]] if threshold else [])
    low, high, ticks = _nice_range(min(values), max(values))

    def y_of(value: float) -> float:
        return bottom - (bottom - top) * (value - low) / (high - low)

    slot = (right - left) / len(bars)
    gap = min(2.0, slot * 0.2)
    arm_index = {a: i for i, a in enumerate(arms)}
    zero = y_of(0.0)
    out = []
    for i, (arm, value) in enumerate(bars):
        y = min(zero, y_of(value))
        out.append(
            Bar(
                x=left + i * slot + gap / 2,
                y=y,
                width=max(slot - gap, 0.5),
                height=max(abs(y_of(value) - zero), 0.5),
                arm_index=arm_index.get(arm, 0),
                value=value,
                label=_fmt(round(value, 1)),
            )
        )
    guide = Guide(None, y_of(threshold[0]), threshold[1]) if threshold else None
    y_ticks = [Guide(None, y_of(v), _fmt(v)) for v in ticks]
    return WaterfallChart(width, height, left, right, top, bottom, zero, y_ticks, out, guide)
