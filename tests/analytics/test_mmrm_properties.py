"""Closed-form cases and invariances the MMRM must respect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from mendwell.analytics.mmrm import MMRMResult, fit_mmrm

from .trials import simulate_trial

FAST = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def fit(data: pd.DataFrame, **kwargs: object) -> MMRMResult:
    options = {
        "subject": "subject",
        "arm": "arm",
        "visit": "visit",
        "outcome": "change",
        "reference_arm": "placebo",
    }
    options.update(kwargs)
    return fit_mmrm(data, **options)  # type: ignore[arg-type]


def estimates(result: MMRMResult) -> np.ndarray:
    return np.array([fe.estimate for fe in result.fixed_effects])


def ses(result: MMRMResult) -> np.ndarray:
    return np.array([fe.se for fe in result.fixed_effects])


# ---- closed form: complete data, unstructured covariance, arm × visit only --------------------
# With no missing visits and the same design at every visit, GLS equals per-visit OLS and the
# REML estimate of Σ is the pooled within-arm sample covariance, a Wishart matrix with N − k df.
# So each between-arm difference is exactly the pooled two-sample t-test at that visit
# (Student 1908), with df = N − k (Satterthwaite is exact here).


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_complete_data_unstructured_equals_two_sample_t_test(seed: int) -> None:
    data = simulate_trial(seed, n_per_arm=25 + seed, dropout=0.0)
    data = data[~((data["arm"] == "active") & (data["subject"].str.endswith(("0", "7"))))]
    result = fit(data, covariance="us")
    n_total = data["subject"].nunique()
    for diff in result.differences:
        at = data[data["visit"] == diff.visit]
        active = at.loc[at["arm"] == "active", "change"]
        placebo = at.loc[at["arm"] == "placebo", "change"]
        test = stats.ttest_ind(active, placebo)
        assert diff.estimate == pytest.approx(active.mean() - placebo.mean(), rel=1e-7)
        assert diff.t == pytest.approx(test.statistic, rel=1e-6)
        assert diff.p == pytest.approx(test.pvalue, rel=1e-5)
        assert diff.df == pytest.approx(n_total - 2, rel=1e-6)
    for m in result.ls_means:
        values = data.loc[(data["visit"] == m.visit) & (data["arm"] == m.arm), "change"]
        assert m.estimate == pytest.approx(values.mean(), rel=1e-7)
        assert m.df == pytest.approx(n_total - 2, rel=1e-6)


def test_three_arms_complete_data_df_is_n_minus_arms() -> None:
    data = simulate_trial(7, n_per_arm=20, dropout=0.0, arms=("placebo", "low", "high"))
    result = fit(data, covariance="us")
    for diff in result.differences:
        assert diff.df == pytest.approx(60 - 3, rel=1e-6)


# ---- invariances (Hypothesis) ----------------------------------------------------------------

seeds = st.integers(min_value=0, max_value=10_000)
structures = st.sampled_from(["us", "cs", "ar1"])


@FAST
@given(seed=seeds, covariance=structures, shuffle_seed=seeds)
def test_row_order_does_not_matter(seed: int, covariance: str, shuffle_seed: int) -> None:
    data = simulate_trial(seed, n_per_arm=15, dropout=0.1, intermittent=0.1)
    shuffled = data.sample(frac=1.0, random_state=shuffle_seed).reset_index(drop=True)
    a = fit(data, covariance=covariance, baseline="baseline")
    b = fit(shuffled, covariance=covariance, baseline="baseline")
    np.testing.assert_allclose(estimates(a), estimates(b), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ses(a), ses(b), rtol=1e-6)
    assert a.log_likelihood == pytest.approx(b.log_likelihood, rel=1e-10)


@FAST
@given(seed=seeds, covariance=structures, shift=st.floats(-500, 500, allow_nan=False))
def test_shifting_the_outcome_moves_only_the_intercept(
    seed: int, covariance: str, shift: float
) -> None:
    data = simulate_trial(seed, n_per_arm=15, dropout=0.15)
    moved = data.assign(change=data["change"] + shift)
    a = fit(data, covariance=covariance, baseline="baseline")
    b = fit(moved, covariance=covariance, baseline="baseline")
    expected = estimates(a)
    expected[0] += shift
    np.testing.assert_allclose(estimates(b), expected, rtol=1e-5, atol=1e-5 * (1 + abs(shift)))
    np.testing.assert_allclose(ses(b), ses(a), rtol=1e-5)
    for da, db in zip(a.differences, b.differences, strict=True):
        assert db.estimate == pytest.approx(da.estimate, rel=1e-5, abs=1e-6)
        assert db.df == pytest.approx(da.df, rel=1e-4)


@FAST
@given(seed=seeds, covariance=structures, scale=st.floats(0.01, 100.0))
def test_rescaling_the_outcome_rescales_estimates_and_keeps_df(
    seed: int, covariance: str, scale: float
) -> None:
    data = simulate_trial(seed, n_per_arm=15, dropout=0.15)
    a = fit(data, covariance=covariance)
    b = fit(data.assign(change=data["change"] * scale), covariance=covariance)
    np.testing.assert_allclose(estimates(b), estimates(a) * scale, rtol=1e-5, atol=1e-8 * scale)
    np.testing.assert_allclose(ses(b), ses(a) * scale, rtol=1e-5)
    np.testing.assert_allclose(
        [d.df for d in b.differences], [d.df for d in a.differences], rtol=1e-4
    )
    np.testing.assert_allclose(b.covariance_matrix, a.covariance_matrix * scale**2, rtol=1e-4)


@FAST
@given(seed=seeds, covariance=structures)
def test_swapping_the_reference_arm_flips_the_differences(seed: int, covariance: str) -> None:
    data = simulate_trial(seed, n_per_arm=15, dropout=0.15)
    a = fit(data, covariance=covariance, baseline="baseline", reference_arm="placebo")
    b = fit(data, covariance=covariance, baseline="baseline", reference_arm="active")
    for da, db in zip(a.differences, b.differences, strict=True):
        assert db.estimate == pytest.approx(-da.estimate, rel=1e-5, abs=1e-6)
        assert db.se == pytest.approx(da.se, rel=1e-5)
        assert db.p == pytest.approx(da.p, rel=1e-4, abs=1e-9)
    assert b.log_likelihood == pytest.approx(a.log_likelihood, rel=1e-9)


@FAST
@given(seed=seeds)
def test_dropping_a_visit_of_one_subject_changes_little_and_still_fits(seed: int) -> None:
    data = simulate_trial(seed, n_per_arm=15, dropout=0.0)
    subject = data["subject"].iloc[0]
    thinner = data[~((data["subject"] == subject) & (data["visit"] == "week4"))]
    result = fit(thinner, covariance="us", baseline="baseline")
    assert result.convergence.converged
    assert result.n_observations == len(data) - 1
    assert all(np.isfinite([d.df for d in result.differences]))


def test_contrast_reproduces_a_reported_difference() -> None:
    data = simulate_trial(11, n_per_arm=20, dropout=0.2)
    result = fit(data, covariance="us", baseline="baseline")
    names = result.coefficient_names
    last = result.visits[-1]
    weights = [1.0 if n in ("arm[active]", f"arm[active]:visit[{last}]") else 0.0 for n in names]
    est = result.contrast(weights)
    reported = next(d for d in result.differences if d.visit == last)
    assert est.estimate == pytest.approx(reported.estimate)
    assert est.se == pytest.approx(reported.se)
    assert est.df == pytest.approx(reported.df)


def test_site_lsmeans_weight_sites_equally() -> None:
    data = simulate_trial(5, n_per_arm=30, dropout=0.1, with_site=True)
    result = fit(data, covariance="cs", site="site", baseline="baseline")
    beta = {fe.name: fe.estimate for fe in result.fixed_effects}
    first = result.visits[0]
    placebo = next(m for m in result.ls_means if m.arm == "placebo" and m.visit == first)
    site_average = sum(beta.get(f"site[{s}]", 0.0) for s in result.sites) / len(result.sites)
    expected = beta["intercept"] + beta["baseline"] * result.baseline_mean + site_average
    assert placebo.estimate == pytest.approx(expected)


def test_ten_thousand_subjects_fit_in_seconds() -> None:
    import time

    rng = np.random.default_rng(3)
    n, t = 10_000, 6
    arm = rng.integers(0, 2, n)
    idx = np.arange(t)
    cov = 0.6 ** np.abs(idx[:, None] - idx[None, :]) * 36.0
    y = rng.multivariate_normal(np.zeros(t), cov, size=n) - np.outer(arm, idx)
    last = np.minimum(rng.integers(1, 2 * t, n), t)
    subj, vis = np.meshgrid(np.arange(n), idx, indexing="ij")
    keep = vis < last[:, None]
    data = pd.DataFrame(
        {
            "subject": subj[keep],
            "visit": vis[keep] + 1,
            "arm": np.where(arm[subj[keep]] == 1, "active", "placebo"),
            "change": y[keep],
        }
    )
    started = time.perf_counter()
    result = fit(data, covariance="us")
    elapsed = time.perf_counter() - started
    assert result.convergence.converged
    assert elapsed < 15.0
