"""Geometry for small server-rendered SVG line charts (totals over time).

Pure: dates and numbers in, coordinates and labels out; the template draws them. Every point
carries its value as text and the cut-point is a labelled dashed line, so nothing depends on
colour.
"""

from __future__ import annotations

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
