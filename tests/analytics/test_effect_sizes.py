"""Effect sizes against published figures and textbook worked examples."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mendwell.analytics.effect_sizes import (
    cohens_d,
    effect_size_from_samples,
    hedges_correction,
    hedges_g,
    paired_d,
    pooled_sd,
)
from mendwell.analytics.errors import AnalysisDataError


def test_mapp1_caps5_between_group_d() -> None:
    """MAPP1 (Mitchell et al., Nat Med 2021): CAPS-5 change −24.4 (11.6), n 42 vs −13.9 (11.5),
    n 37; reported d = 0.91, recomputed from the means and SDs as 0.909 (pooled SD 11.55)."""
    d = cohens_d(-24.4, 11.6, 42, -13.9, 11.5, 37)
    assert pooled_sd(11.6, 42, 11.5, 37) == pytest.approx(11.55, abs=0.005)
    assert d.estimate == pytest.approx(-0.909, abs=0.0005)
    assert round(abs(d.estimate), 2) == 0.91
    assert d.ci_low < d.estimate < d.ci_high < 0


# Borenstein, Hedges, Higgins & Rothstein, Introduction to Meta-Analysis (Wiley 2009), ch. 4,
# worked examples: independent groups X̄ 103 vs 100, S 5.5 vs 4.5, n 50 each; and a pre-post
# design with mean difference 5, S_diff 10, n 50, r 0.5.
BORENSTEIN_INDEPENDENT = {
    "d": 0.5970,
    "v_d": 0.0418,
    "se_d": 0.2044,
    "j": 0.9923,
    "g": 0.5924,
    "v_g": 0.0411,
    "se_g": 0.2028,
}
BORENSTEIN_PAIRED = {"d": 0.5000, "v_d": 0.0225, "se_d": 0.1500, "j": 0.9846, "g": 0.4923}


def test_borenstein_independent_groups() -> None:
    ref = BORENSTEIN_INDEPENDENT
    d = cohens_d(103.0, 5.5, 50, 100.0, 4.5, 50)
    g = hedges_g(103.0, 5.5, 50, 100.0, 4.5, 50)
    assert round(d.estimate, 4) == ref["d"]
    assert round(d.variance, 4) == ref["v_d"]
    assert round(d.se, 4) == ref["se_d"]
    assert round(hedges_correction(98), 4) == ref["j"]
    assert round(g.estimate, 4) == ref["g"]
    assert round(g.variance, 4) == ref["v_g"]
    assert round(g.se, 4) == ref["se_g"]
    assert d.ci_low == pytest.approx(d.estimate - 1.959964 * d.se)


def test_borenstein_pre_post() -> None:
    ref = BORENSTEIN_PAIRED
    d = paired_d(5.0, 10.0, 50, correlation=0.5)
    g = paired_d(5.0, 10.0, 50, correlation=0.5, corrected=True)
    assert round(d.estimate, 4) == ref["d"]
    assert round(d.variance, 4) == ref["v_d"]
    assert round(d.se, 4) == ref["se_d"]
    assert round(hedges_correction(49), 4) == ref["j"]
    assert round(g.estimate, 4) == ref["g"]
    assert g.kind == "paired_g"


def test_paired_dz_without_correlation() -> None:
    d = paired_d(-10.0, 8.0, 32)
    assert d.estimate == pytest.approx(-1.25)
    assert d.variance == pytest.approx(1 / 32 + 1.25**2 / 64)
    assert d.kind == "paired_dz"


def test_samples_agree_with_summary_statistics() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.normal(1.0, 2.0, 30), rng.normal(0.0, 2.5, 25)
    g = effect_size_from_samples(x, y)
    expected = hedges_g(x.mean(), x.std(ddof=1), 30, y.mean(), y.std(ddof=1), 25)
    assert g == expected
    d = effect_size_from_samples(np.append(x, np.nan), y, corrected=False)
    assert d.estimate == pytest.approx(
        cohens_d(x.mean(), x.std(ddof=1), 30, y.mean(), y.std(ddof=1), 25).estimate
    )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"sd1": 0.0}, "sd1"),
        ({"sd2": -1.0}, "sd2"),
        ({"n1": 1}, "n1"),
        ({"mean2": math.nan}, "mean2"),
    ],
)
def test_bad_group_statistics_name_the_field(kwargs: dict, field: str) -> None:
    args = {"mean1": 1.0, "sd1": 1.0, "n1": 10, "mean2": 0.0, "sd2": 1.0, "n2": 10} | kwargs
    with pytest.raises(AnalysisDataError) as info:
        cohens_d(**args)
    assert info.value.field == field


def test_constant_sample_is_rejected() -> None:
    with pytest.raises(AnalysisDataError, match="no variation"):
        effect_size_from_samples([1.0, 1.0, 1.0], [1.0, 2.0])


def test_correlation_out_of_range() -> None:
    with pytest.raises(AnalysisDataError) as info:
        paired_d(1.0, 2.0, 10, correlation=1.0)
    assert info.value.field == "correlation"


means = st.floats(-100, 100, allow_nan=False)
sds = st.floats(0.1, 50, allow_nan=False)
sizes = st.integers(3, 500)


@given(m1=means, s1=sds, n1=sizes, m2=means, s2=sds, n2=sizes)
def test_swapping_groups_flips_the_sign(
    m1: float, s1: float, n1: int, m2: float, s2: float, n2: int
) -> None:
    a = hedges_g(m1, s1, n1, m2, s2, n2)
    b = hedges_g(m2, s2, n2, m1, s1, n1)
    assert b.estimate == pytest.approx(-a.estimate, abs=1e-12)
    assert b.se == pytest.approx(a.se)
    assert b.ci_low == pytest.approx(-a.ci_high, abs=1e-12)


@given(m1=means, s1=sds, n1=sizes, m2=means, s2=sds, n2=sizes)
def test_hedges_g_shrinks_d_toward_zero(
    m1: float, s1: float, n1: int, m2: float, s2: float, n2: int
) -> None:
    d = cohens_d(m1, s1, n1, m2, s2, n2)
    g = hedges_g(m1, s1, n1, m2, s2, n2)
    assert abs(g.estimate) <= abs(d.estimate)
    assert g.ci_low <= g.estimate <= g.ci_high


@given(m1=means, s1=sds, n1=sizes, m2=means, s2=sds, n2=sizes, k=st.floats(0.01, 100))
def test_d_does_not_depend_on_the_unit(
    m1: float, s1: float, n1: int, m2: float, s2: float, n2: int, k: float
) -> None:
    a = cohens_d(m1, s1, n1, m2, s2, n2)
    b = cohens_d(m1 * k, s1 * k, n1, m2 * k, s2 * k, n2)
    assert b.estimate == pytest.approx(a.estimate, rel=1e-9, abs=1e-12)
