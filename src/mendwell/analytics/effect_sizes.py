"""Standardised mean differences with confidence intervals.

Formulas follow Borenstein, Hedges, Higgins & Rothstein, *Introduction to Meta-Analysis*
(Wiley 2009), chapter 4 "Effect sizes based on means", which restates Hedges & Olkin,
*Statistical Methods for Meta-Analysis* (Academic Press 1985):

* pooled SD  ``S = √(((n₁−1)S₁² + (n₂−1)S₂²) / (n₁+n₂−2))``
* Cohen's d  ``d = (X̄₁ − X̄₂) / S``, ``V_d = (n₁+n₂)/(n₁n₂) + d²/(2(n₁+n₂))``
* Hedges' g  ``g = J·d``, ``J = 1 − 3/(4·df − 1)``, ``df = n₁+n₂−2``, ``V_g = J²·V_d``
* paired (pre/post) d with the pre–post correlation r: ``S_within = S_diff/√(2(1−r))``,
  ``d = X̄_diff / S_within``, ``V_d = (1/n + d²/(2n))·2(1−r)``; without r, the change is
  standardised by its own SD (d_z), ``V = 1/n + d²/(2n)``.

Confidence intervals are the normal approximation ``estimate ± z·√V`` (Hedges & Olkin 1985).
The sign follows the order of the groups: ``d > 0`` when group 1 has the larger mean.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from mendwell.analytics.errors import AnalysisDataError

CI_METHOD = "normal approximation, Hedges & Olkin (1985)"


@dataclass(frozen=True)
class EffectSize:
    """A standardised mean difference with its variance and normal-approximation CI."""

    estimate: float
    variance: float
    se: float
    ci_low: float
    ci_high: float
    kind: str
    confidence: float
    ci_method: str = CI_METHOD


def _z(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise AnalysisDataError("must be between 0 and 1", field="confidence")
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


def _check_group(mean: float, sd: float, n: int, suffix: str, minimum: int = 2) -> None:
    if not math.isfinite(mean):
        raise AnalysisDataError("must be a finite number", field=f"mean{suffix}")
    if not (math.isfinite(sd) and sd > 0):
        raise AnalysisDataError("must be a positive number", field=f"sd{suffix}")
    if isinstance(n, bool) or int(n) != n or n < minimum:
        raise AnalysisDataError(f"must be an integer of at least {minimum}", field=f"n{suffix}")


def _result(estimate: float, variance: float, kind: str, confidence: float) -> EffectSize:
    z = _z(confidence)
    se = math.sqrt(variance)
    low, high = estimate - z * se, estimate + z * se
    return EffectSize(estimate, variance, se, low, high, kind, confidence)


def pooled_sd(sd1: float, n1: int, sd2: float, n2: int) -> float:
    """Pooled within-group standard deviation of two independent groups."""
    return math.sqrt(((n1 - 1) * sd1 * sd1 + (n2 - 1) * sd2 * sd2) / (n1 + n2 - 2))


def hedges_correction(df: float) -> float:
    """Small-sample correction J = 1 − 3/(4·df − 1) (Hedges 1981; Borenstein 2009 eq. 4.22)."""
    if df <= 1:
        raise AnalysisDataError("must be greater than 1", field="df")
    return 1.0 - 3.0 / (4.0 * df - 1.0)


def cohens_d(
    mean1: float,
    sd1: float,
    n1: int,
    mean2: float,
    sd2: float,
    n2: int,
    *,
    confidence: float = 0.95,
) -> EffectSize:
    """Cohen's d for two independent groups from their means, SDs and sizes."""
    _check_group(mean1, sd1, n1, "1")
    _check_group(mean2, sd2, n2, "2")
    d = (mean1 - mean2) / pooled_sd(sd1, n1, sd2, n2)
    variance = (n1 + n2) / (n1 * n2) + d * d / (2.0 * (n1 + n2))
    return _result(d, variance, "cohens_d", confidence)


def hedges_g(
    mean1: float,
    sd1: float,
    n1: int,
    mean2: float,
    sd2: float,
    n2: int,
    *,
    confidence: float = 0.95,
) -> EffectSize:
    """Hedges' g (small-sample corrected d) for two independent groups."""
    d = cohens_d(mean1, sd1, n1, mean2, sd2, n2, confidence=confidence)
    j = hedges_correction(n1 + n2 - 2)
    return _result(j * d.estimate, j * j * d.variance, "hedges_g", confidence)


def _sample(values: Sequence[float] | np.ndarray, name: str) -> tuple[float, float, int]:
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if x.size < 2:
        raise AnalysisDataError("needs at least two non-missing values", field=name)
    sd = float(x.std(ddof=1))
    if sd == 0:
        raise AnalysisDataError("has no variation (SD is 0)", field=name)
    return float(x.mean()), sd, int(x.size)


def effect_size_from_samples(
    group1: Sequence[float] | np.ndarray,
    group2: Sequence[float] | np.ndarray,
    *,
    corrected: bool = True,
    confidence: float = 0.95,
) -> EffectSize:
    """Hedges' g (or Cohen's d with ``corrected=False``) from two samples; NaNs are ignored."""
    m1, s1, n1 = _sample(group1, "group1")
    m2, s2, n2 = _sample(group2, "group2")
    fn = hedges_g if corrected else cohens_d
    return fn(m1, s1, n1, m2, s2, n2, confidence=confidence)


def paired_d(
    mean_change: float,
    sd_change: float,
    n: int,
    *,
    correlation: float | None = None,
    corrected: bool = False,
    confidence: float = 0.95,
) -> EffectSize:
    """Within-group (pre/post) standardised change.

    With ``correlation`` (the pre–post r), the change is standardised by the within-occasion SD
    ``S_diff/√(2(1−r))`` (Borenstein 2009 eqs. 4.25–4.28); without it, by the SD of the change
    itself (d_z). ``corrected`` applies Hedges' J with df = n − 1.
    """
    _check_group(mean_change, sd_change, n, "", minimum=3 if corrected else 2)
    if correlation is None:
        d = mean_change / sd_change
        variance = 1.0 / n + d * d / (2.0 * n)
        kind = "paired_dz"
    else:
        if not (math.isfinite(correlation) and -1.0 < correlation < 1.0):
            raise AnalysisDataError("must be strictly between −1 and 1", field="correlation")
        s_within = sd_change / math.sqrt(2.0 * (1.0 - correlation))
        d = mean_change / s_within
        variance = (1.0 / n + d * d / (2.0 * n)) * 2.0 * (1.0 - correlation)
        kind = "paired_d"
    if corrected:
        j = hedges_correction(n - 1)
        return _result(j * d, j * j * variance, kind.replace("_d", "_g", 1), confidence)
    return _result(d, variance, kind, confidence)
