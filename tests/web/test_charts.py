"""Progress-chart geometry: every point inside the plot, time left to right, higher totals
higher up, the cut-point where its value is."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mendwell.web.charts import line_chart

START = date(2026, 1, 1)
series_strategy = st.lists(
    st.tuples(st.integers(0, 400), st.integers(0, 80)),
    min_size=1,
    max_size=12,
    unique_by=lambda p: p[0],
).map(lambda pts: [(START + timedelta(days=d), float(v)) for d, v in pts])


@given(series_strategy)
def test_points_stay_in_the_plot_and_keep_their_order(series) -> None:  # type: ignore[no-untyped-def]
    chart = line_chart(series, y_range=(0, 80), cut_point=(33, "cut-point 33"))
    assert len(chart.points) == len(series)
    for p in chart.points:
        assert chart.plot_left <= p.x <= chart.plot_right
        assert chart.plot_top <= p.y <= chart.plot_bottom
    ordered = sorted(chart.points, key=lambda p: p.day)
    assert [p.x for p in ordered] == sorted(p.x for p in ordered)
    by_value = sorted(chart.points, key=lambda p: p.value)
    assert [p.y for p in by_value] == sorted((p.y for p in by_value), reverse=True)


def test_the_range_ends_and_the_cut_point_sit_where_they_should() -> None:
    chart = line_chart(
        [(START, 0.0), (START + timedelta(days=10), 80.0)],
        y_range=(0, 80),
        cut_point=(40, "cut-point 40"),
        marked_dates=[(START + timedelta(days=5), "dosing")],
    )
    low, high = chart.points
    assert low.y == chart.plot_bottom
    assert high.y == chart.plot_top
    assert chart.plot_left < low.x < high.x < chart.plot_right
    assert low.x - chart.plot_left == pytest.approx(chart.plot_right - high.x)
    assert chart.cut_line is not None
    assert chart.cut_line.y == pytest.approx((chart.plot_top + chart.plot_bottom) / 2)
    assert chart.cut_line.label == "cut-point 40"
    (dosing,) = chart.markers
    assert dosing.x == pytest.approx((chart.plot_left + chart.plot_right) / 2)
    assert [p.label for p in chart.points] == ["0", "80"]


def test_a_single_point_is_centred_and_an_empty_chart_is_refused() -> None:
    chart = line_chart([(START, 12.0)], y_range=(0, 27))
    assert chart.points[0].x == (chart.plot_left + chart.plot_right) / 2
    with pytest.raises(ValueError, match="at least one point"):
        line_chart([], y_range=(0, 27))
    with pytest.raises(ValueError, match="must rise"):
        line_chart([(START, 1.0)], y_range=(5, 5))


@pytest.mark.parametrize(
    ("y_range", "labels"),
    [
        ((0, 80), ["0", "20", "40", "60", "80"]),
        ((0, 27), ["0", "5", "10", "15", "20", "25"]),
        ((0, 21), ["0", "5", "10", "15", "20"]),
        ((0, 100), ["0", "20", "40", "60", "80", "100"]),
        ((0, 6), ["0", "2", "4", "6"]),
    ],
)
def test_axis_ticks_are_round_numbers(y_range, labels) -> None:  # type: ignore[no-untyped-def]
    chart = line_chart([(START, 1.0)], y_range=y_range)
    assert [t.label for t in chart.y_ticks] == labels
