"""Bad MMRM input gets an AnalysisDataError that names the problem and the column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mendwell.analytics.errors import AnalysisDataError
from mendwell.analytics.mmrm import fit_mmrm

from .trials import simulate_trial


@pytest.fixture
def data() -> pd.DataFrame:
    return simulate_trial(42, n_per_arm=20, dropout=0.1)


def fit(data: pd.DataFrame, **kwargs: object) -> object:
    options: dict[str, object] = {
        "subject": "subject",
        "arm": "arm",
        "visit": "visit",
        "outcome": "change",
    }
    options.update(kwargs)
    return fit_mmrm(data, **options)  # type: ignore[arg-type]


def test_missing_column_is_named(data: pd.DataFrame) -> None:
    with pytest.raises(AnalysisDataError, match="column not found") as info:
        fit(data, outcome="pcl5_change")
    assert info.value.field == "pcl5_change"


def test_missing_baseline_column_is_named(data: pd.DataFrame) -> None:
    with pytest.raises(AnalysisDataError) as info:
        fit(data, baseline="caps5_baseline")
    assert info.value.field == "caps5_baseline"
    assert "baseline column not found" in str(info.value)


def test_non_numeric_outcome_names_the_row(data: pd.DataFrame) -> None:
    bad = data.assign(change=data["change"].astype(object))
    bad.loc[5, "change"] = "worse"
    with pytest.raises(AnalysisDataError, match=r"must be numeric; row 5 has 'worse'") as info:
        fit(bad)
    assert info.value.field == "change"


def test_infinite_outcome_is_rejected(data: pd.DataFrame) -> None:
    bad = data.copy()
    bad.loc[3, "change"] = np.inf
    with pytest.raises(AnalysisDataError, match="must be finite"):
        fit(bad)


def test_single_arm(data: pd.DataFrame) -> None:
    with pytest.raises(AnalysisDataError, match=r"only one arm \('placebo'\)") as info:
        fit(data[data["arm"] == "placebo"])
    assert info.value.field == "arm"


def test_visit_with_no_outcome_data(data: pd.DataFrame) -> None:
    blank = data.copy()
    blank.loc[blank["visit"] == "week6", "change"] = np.nan
    with pytest.raises(AnalysisDataError, match=r"visit 'week6' has no outcome data") as info:
        fit(blank)
    assert info.value.field == "visit"


def test_listed_visit_with_no_rows(data: pd.DataFrame) -> None:
    with pytest.raises(AnalysisDataError, match=r"visit 'week10' has no outcome data"):
        fit(data, visit_levels=["week2", "week4", "week6", "week8", "week10"])


def test_row_at_a_visit_outside_the_levels(data: pd.DataFrame) -> None:
    with pytest.raises(AnalysisDataError, match="not among the visit levels"):
        fit(data, visit_levels=["week2", "week4", "week6"])


def test_arm_without_data_at_a_visit(data: pd.DataFrame) -> None:
    gap = data[~((data["arm"] == "active") & (data["visit"] == "week8"))]
    with pytest.raises(AnalysisDataError, match=r"arm 'active' has no outcome data at visit"):
        fit(gap)


def test_duplicate_visit_rows(data: pd.DataFrame) -> None:
    doubled = pd.concat([data, data.iloc[[0]]], ignore_index=True)
    subject = data["subject"].iloc[0]
    with pytest.raises(AnalysisDataError, match=f"subject '{subject}' has more than one row"):
        fit(doubled)


def test_subject_in_two_arms(data: pd.DataFrame) -> None:
    moved = data.copy()
    first = moved["subject"].iloc[0]
    moved.loc[(moved["subject"] == first) & (moved["visit"] == "week4"), "arm"] = "active"
    with pytest.raises(AnalysisDataError, match=f"subject '{first}' appears in more than one arm"):
        fit(moved)


def test_unknown_reference_arm(data: pd.DataFrame) -> None:
    with pytest.raises(AnalysisDataError, match=r"reference arm 'control' not found"):
        fit(data, reference_arm="control")


def test_unknown_covariance(data: pd.DataFrame) -> None:
    with pytest.raises(AnalysisDataError, match="unknown structure 'toeplitz'") as info:
        fit(data, covariance="toeplitz")
    assert info.value.field == "covariance"


def test_missing_subject_or_arm_values(data: pd.DataFrame) -> None:
    bad = data.copy()
    bad.loc[2, "arm"] = None
    with pytest.raises(AnalysisDataError, match="1 row") as info:
        fit(bad)
    assert info.value.field == "arm"


def test_constant_baseline_is_collinear(data: pd.DataFrame) -> None:
    with pytest.raises(AnalysisDataError, match="collinear") as info:
        fit(data.assign(baseline=40.0), baseline="baseline")
    assert info.value.field == "baseline"


def test_visits_never_seen_together_rule_out_unstructured() -> None:
    rows = []
    for arm in ("placebo", "active"):
        for i in range(12):
            visits = ["week2", "week4"] if i % 2 else ["week2", "week6"]
            for v in visits:
                rows.append({"subject": f"{arm}{i}", "arm": arm, "visit": v, "change": i * 0.7})
    data = pd.DataFrame(rows)
    data["change"] += np.random.default_rng(0).normal(size=len(data))
    with pytest.raises(AnalysisDataError, match="never observed in the same subject"):
        fit(data, covariance="us")
    assert fit(data, covariance="cs").convergence.converged  # type: ignore[attr-defined]


def test_rows_missing_a_covariate_are_excluded_and_counted(data: pd.DataFrame) -> None:
    holes = data.copy()
    holes.loc[[0, 1], "baseline"] = np.nan
    holes.loc[[2], "change"] = np.nan
    result = fit(holes, baseline="baseline")
    assert result.excluded_rows == 3  # type: ignore[attr-defined]
    assert result.n_observations == len(data) - 3  # type: ignore[attr-defined]
