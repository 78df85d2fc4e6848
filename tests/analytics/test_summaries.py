"""Descriptive summaries on a small hand-checked cohort, and the Wilson interval's source."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from mendwell.analytics.dataset import OutcomeRecord, build_long_dataset
from mendwell.analytics.errors import AnalysisDataError
from mendwell.analytics.summaries import (
    RemissionDefinition,
    change_summary,
    completion_by_visit,
    loss_of_diagnosis_rates,
    mean_interval,
    remission_rates,
    responder_rates,
    wilson_interval,
)

ORDER = {"screening": 0, "baseline": 1, "week8": 3, "week18": 5}
# client: arm, {visit: (total, meets diagnosis)}
COHORT = {
    "ada": (
        "active",
        {
            "screening": (47, True),
            "baseline": (44, True),
            "week8": (30, True),
            "week18": (18, False),
        },
    ),
    "ben": ("active", {"baseline": (40, True), "week18": (20, False)}),  # missed week8
    "eve": ("active", {"baseline": (38, True), "week8": (33, True)}),  # left after week8
    "cleo": ("placebo", {"baseline": (46, True), "week8": (41, True), "week18": (39, True)}),
    "dan": ("placebo", {"baseline": (42, False), "week8": (40, False), "week18": (30, False)}),
    "fay": ("placebo", {"baseline": (45, True)}),  # left after baseline
    "gil": ("placebo", {"week8": (25, None)}),  # never had a baseline: not enrolled
}


@pytest.fixture
def cohort() -> pd.DataFrame:
    records = [
        OutcomeRecord(
            client=client,
            site="site-a",
            protocol="mdma-at-phase3",
            substance="mdma",
            arm=arm,
            visit=visit,
            visit_order=ORDER[visit],
            instrument="caps5",
            total=float(total),
            assessed=date(2024, 1, 1 + ORDER[visit]),
            diagnosis=dx,
        )
        for client, (arm, visits) in COHORT.items()
        for visit, (total, dx) in visits.items()
    ]
    return build_long_dataset(records, baseline_visit="baseline")


def row(table: pd.DataFrame, arm: str, visit: str) -> pd.Series:
    hit = table[(table["arm"] == arm) & (table["visit"] == visit)]
    assert len(hit) == 1, (arm, visit, table)
    return hit.iloc[0]


def test_change_summary(cohort: pd.DataFrame) -> None:
    table = change_summary(cohort)
    assert set(table["visit"]) == {"week8", "week18"}  # baseline rows are skipped
    active8 = row(table, "active", "week8")  # ada −14, eve −5
    assert active8["n"] == 2
    assert active8["mean"] == pytest.approx(-9.5)
    assert active8["sd"] == pytest.approx(np.sqrt(40.5))
    low, high = stats.t.interval(0.95, 1, loc=-9.5, scale=np.sqrt(40.5) / np.sqrt(2))
    assert (active8["ci_low"], active8["ci_high"]) == pytest.approx((low, high))
    assert row(table, "active", "week18")["mean"] == pytest.approx(-23.0)  # ada −26, ben −20
    assert row(table, "placebo", "week18")["mean"] == pytest.approx(-9.5)  # cleo −7, dan −12
    assert row(table, "placebo", "week8")["n"] == 2  # gil has no baseline, so no change


def test_visits_come_out_in_schedule_order(cohort: pd.DataFrame) -> None:
    table = change_summary(cohort, by=())
    assert list(table["visit"]) == ["week8", "week18"]
    assert list(table["n"]) == [4, 4]


def test_responders_drop_of_at_least_threshold(cohort: pd.DataFrame) -> None:
    table = responder_rates(cohort, threshold=10)
    assert tuple(row(table, "active", "week8")[["n", "events"]]) == (2, 1)
    assert tuple(row(table, "active", "week18")[["n", "events"]]) == (2, 2)
    assert tuple(row(table, "placebo", "week8")[["n", "events"]]) == (2, 0)
    assert tuple(row(table, "placebo", "week18")[["n", "events"]]) == (2, 1)
    exactly = responder_rates(cohort, threshold=14)  # ada's −14 counts: "at least"
    assert row(exactly, "active", "week8")["events"] == 1
    r = row(table, "placebo", "week18")
    assert (r["ci_low"], r["ci_high"]) == pytest.approx(wilson_interval(1, 2))


def test_responders_with_missing_counted_as_failures(cohort: pd.DataFrame) -> None:
    table = responder_rates(cohort, threshold=10, missing_as_failure=True)
    assert set(table["visit"]) == {"week8", "week18"}  # no rows for screening or baseline
    assert tuple(row(table, "active", "week8")[["n", "events"]]) == (3, 1)
    assert tuple(row(table, "active", "week18")[["n", "events"]]) == (3, 2)
    assert tuple(row(table, "placebo", "week18")[["n", "events"]]) == (3, 1)


def test_responders_when_higher_is_better(cohort: pd.DataFrame) -> None:
    flipped = cohort.assign(change=-cohort["change"])
    table = responder_rates(flipped, threshold=10, direction="increase")
    assert row(table, "active", "week18")["events"] == 2


def test_loss_of_diagnosis(cohort: pd.DataFrame) -> None:
    table = loss_of_diagnosis_rates(cohort)
    assert tuple(row(table, "active", "week8")[["n", "events"]]) == (2, 0)
    assert tuple(row(table, "active", "week18")[["n", "events"]]) == (2, 2)
    # dan had no diagnosis at baseline, so only cleo counts for placebo
    assert tuple(row(table, "placebo", "week18")[["n", "events"]]) == (1, 0)


def test_remission_loss_of_diagnosis_and_low_total(cohort: pd.DataFrame) -> None:
    definition = RemissionDefinition(require_loss_of_diagnosis=True, max_total=19)
    table = remission_rates(cohort, definition)
    assert tuple(row(table, "active", "week18")[["n", "events"]]) == (2, 1)  # ben's 20 > 19
    assert tuple(row(table, "placebo", "week18")[["n", "events"]]) == (1, 0)


def test_remission_by_total_only(cohort: pd.DataFrame) -> None:
    table = remission_rates(cohort, RemissionDefinition(max_total=35))
    assert tuple(row(table, "active", "week8")[["n", "events"]]) == (2, 2)
    assert tuple(row(table, "placebo", "week8")[["n", "events"]]) == (3, 1)  # gil's 25 counts
    assert tuple(row(table, "placebo", "week18")[["n", "events"]]) == (2, 1)


def test_remission_needs_a_criterion() -> None:
    with pytest.raises(AnalysisDataError, match="at least one criterion"):
        RemissionDefinition()


def test_completion_and_dropout(cohort: pd.DataFrame) -> None:
    table = completion_by_visit(cohort)
    assert list(table["visit"].unique()) == ["week8", "week18"]
    columns = ["enrolled", "assessed", "missed", "dropped_out", "intermittent"]
    assert tuple(row(table, "active", "week8")[columns]) == (3, 2, 1, 0, 1)  # ben back at 18
    assert tuple(row(table, "active", "week18")[columns]) == (3, 2, 1, 1, 0)  # eve left
    assert tuple(row(table, "placebo", "week8")[columns]) == (3, 2, 1, 1, 0)  # fay left
    assert tuple(row(table, "placebo", "week18")[columns]) == (3, 2, 1, 1, 0)
    assert row(table, "active", "week8")["completion"] == pytest.approx(2 / 3)


def test_missing_column_is_named(cohort: pd.DataFrame) -> None:
    with pytest.raises(AnalysisDataError) as info:
        change_summary(cohort, value="pcl5_change")
    assert info.value.field == "pcl5_change"


# Newcombe, "Two-sided confidence intervals for the single proportion: comparison of seven
# methods", Stat Med 1998;17:857–872, Table I, method 3 (Wilson score interval).
NEWCOMBE = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
    (29, 29, 0.8830, 1.0000),
]


@pytest.mark.parametrize(("successes", "n", "low", "high"), NEWCOMBE)
def test_wilson_interval_matches_newcombe(successes: int, n: int, low: float, high: float) -> None:
    got = wilson_interval(successes, n)
    assert round(got[0], 4) == low
    assert round(got[1], 4) == high


@given(n=st.integers(1, 5000), data=st.data())
def test_wilson_interval_is_a_proper_interval(n: int, data: st.DataObject) -> None:
    k = data.draw(st.integers(0, n))
    low, high = wilson_interval(k, n)
    assert 0.0 <= low <= k / n <= high <= 1.0
    wider = wilson_interval(k, n, confidence=0.99)
    assert wider[0] <= low + 1e-12
    assert wider[1] >= high - 1e-12


@given(values=st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=2, max_size=50))
def test_mean_interval_contains_the_mean(values: list[float]) -> None:
    n, mean, _, _, low, high = mean_interval(values)
    assert n == len(values)
    assert low <= mean + 1e-9
    assert mean - 1e-9 <= high


def test_wilson_rejects_impossible_counts() -> None:
    with pytest.raises(AnalysisDataError):
        wilson_interval(5, 3)
    assert all(np.isnan(wilson_interval(0, 0)))
