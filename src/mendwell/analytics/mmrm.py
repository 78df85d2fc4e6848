"""Mixed model for repeated measures (MMRM), fitted by REML with generalised least squares.

The model for subject *i* observed at the visits in its pattern is

    y_i = X_i β + e_i,    e_i ~ N(0, Σ[visits_i, visits_i])

where X holds an intercept, the baseline covariate (optional), arm, visit, site (optional) and
arm × visit columns (treatment coding against the reference arm, first visit and first site),
and Σ is the visit-by-visit covariance: ``us`` (unstructured), ``cs`` (compound symmetry) or
``ar1`` (first-order autoregressive over visit positions). Subjects with missing visits
contribute the rows they have (valid under missing at random).

Speed comes from grouping subjects by missingness pattern: every likelihood evaluation works on
per-pattern cross-product tensors whose size does not grow with the number of subjects, and the
REML gradient is analytic. The REML log-likelihood is
``−½[(N−p) log 2π + Σ_i log|Σ_i| + log|X'V⁻¹X| + r'V⁻¹r]``, the same scale as R's ``nlme::gls``
and SAS PROC MIXED (it depends on the coding of X, so compare fits with the same fixed effects).
Degrees of freedom for every contrast are Satterthwaite's, with the covariance of the
variance parameters taken from the observed REML information (the same construction as
``emmeans`` for ``gls`` fits and the ``mmrm`` R package).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import linalg, optimize, stats

from mendwell.analytics._mmrm_data import Design, Roles, co_observed, patterns, prepare
from mendwell.analytics.errors import AnalysisDataError

Covariance = Literal["us", "cs", "ar1"]
COVARIANCE_STRUCTURES: tuple[str, ...] = ("us", "cs", "ar1")
_LOG_2PI = math.log(2.0 * math.pi)


# --------------------------------------------------------------------------------------------
# Covariance structures: Σ(θ) and its first derivatives on an unconstrained parameterisation.
# --------------------------------------------------------------------------------------------


class _Structure:
    name: str
    n_params: int

    def __init__(self, n_visits: int) -> None:
        self.t = n_visits

    def sigma(self, theta: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def dsigma(self, theta: np.ndarray) -> np.ndarray:
        """Array (k, T, T) of ∂Σ/∂θ_k."""
        raise NotImplementedError

    def start(self, cov: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def parameters(self, theta: np.ndarray, visits: Sequence[str]) -> dict[str, float]:
        raise NotImplementedError


class _Unstructured(_Structure):
    """Σ = L Lᵀ, θ = (log diag L, strictly-lower entries of L)."""

    name = "us"

    def __init__(self, n_visits: int) -> None:
        super().__init__(n_visits)
        self.n_params = n_visits * (n_visits + 1) // 2
        self.rows, self.cols = np.tril_indices(n_visits, -1)

    def _chol(self, theta: np.ndarray) -> np.ndarray:
        chol = np.zeros((self.t, self.t))
        chol[np.diag_indices(self.t)] = np.exp(theta[: self.t])
        chol[self.rows, self.cols] = theta[self.t :]
        return chol

    def sigma(self, theta: np.ndarray) -> np.ndarray:
        chol = self._chol(theta)
        return chol @ chol.T

    def dsigma(self, theta: np.ndarray) -> np.ndarray:
        chol = self._chol(theta)
        out = np.zeros((self.n_params, self.t, self.t))
        pairs = [(a, a) for a in range(self.t)] + list(zip(self.rows, self.cols, strict=True))
        for k, (a, b) in enumerate(pairs):
            scale = chol[a, a] if a == b else 1.0
            # ∂(L Lᵀ)/∂L_ab = E_ab Lᵀ + L E_ba
            term = np.zeros((self.t, self.t))
            term[a, :] = chol[:, b]
            out[k] = scale * (term + term.T)
        return out

    def start(self, cov: np.ndarray) -> np.ndarray:
        chol = np.linalg.cholesky(cov)
        return np.concatenate([np.log(np.diag(chol)), chol[self.rows, self.cols]])

    def parameters(self, theta: np.ndarray, visits: Sequence[str]) -> dict[str, float]:
        cov = self.sigma(theta)
        sd = np.sqrt(np.diag(cov))
        out = {f"variance[{v}]": float(cov[j, j]) for j, v in enumerate(visits)}
        for j, k in zip(self.cols.tolist(), self.rows.tolist(), strict=True):
            out[f"correlation[{visits[j]},{visits[k]}]"] = float(cov[j, k] / (sd[j] * sd[k]))
        return out


class _CompoundSymmetry(_Structure):
    """Σ = σ²((1−ρ)I + ρJ), θ = (log σ², logit of ρ rescaled to (−1/(T−1), 1))."""

    name = "cs"
    n_params = 2

    def _rho(self, z: float) -> tuple[float, float]:
        low = -1.0 / (self.t - 1)
        s = 1.0 / (1.0 + math.exp(-z))
        return low + (1.0 - low) * s, (1.0 - low) * s * (1.0 - s)

    def sigma(self, theta: np.ndarray) -> np.ndarray:
        var = math.exp(theta[0])
        rho, _ = self._rho(theta[1])
        return var * ((1.0 - rho) * np.eye(self.t) + rho * np.ones((self.t, self.t)))

    def dsigma(self, theta: np.ndarray) -> np.ndarray:
        var = math.exp(theta[0])
        _, drho = self._rho(theta[1])
        return np.stack(
            [self.sigma(theta), var * drho * (np.ones((self.t, self.t)) - np.eye(self.t))]
        )

    def start(self, cov: np.ndarray) -> np.ndarray:
        var = float(np.mean(np.diag(cov)))
        off = cov[~np.eye(self.t, dtype=bool)]
        low = -1.0 / (self.t - 1)
        rho = float(np.clip(np.mean(off) / var, low + 0.05 * (1 - low), 0.95))
        s = (rho - low) / (1.0 - low)
        return np.array([math.log(var), math.log(s / (1.0 - s))])

    def parameters(self, theta: np.ndarray, visits: Sequence[str]) -> dict[str, float]:
        return {"variance": math.exp(theta[0]), "correlation": self._rho(theta[1])[0]}


class _AR1(_Structure):
    """Σ_jk = σ² ρ^|j−k| over visit positions, θ = (log σ², atanh ρ)."""

    name = "ar1"
    n_params = 2

    def __init__(self, n_visits: int) -> None:
        super().__init__(n_visits)
        idx = np.arange(n_visits)
        self.lag = np.abs(idx[:, None] - idx[None, :]).astype(float)

    def sigma(self, theta: np.ndarray) -> np.ndarray:
        return math.exp(theta[0]) * np.tanh(theta[1]) ** self.lag

    def dsigma(self, theta: np.ndarray) -> np.ndarray:
        var, rho = math.exp(theta[0]), math.tanh(theta[1])
        d_rho = self.lag * rho ** np.maximum(self.lag - 1.0, 0.0) * (1.0 - rho * rho)
        return np.stack([self.sigma(theta), var * d_rho])

    def start(self, cov: np.ndarray) -> np.ndarray:
        var = float(np.mean(np.diag(cov)))
        lag1 = np.diag(cov, 1)
        rho = float(np.clip(np.mean(lag1) / var, -0.9, 0.95)) if lag1.size else 0.0
        return np.array([math.log(var), math.atanh(rho)])

    def parameters(self, theta: np.ndarray, visits: Sequence[str]) -> dict[str, float]:
        return {"variance": math.exp(theta[0]), "correlation": math.tanh(theta[1])}


_STRUCTURES: dict[str, type[_Structure]] = {
    "us": _Unstructured,
    "cs": _CompoundSymmetry,
    "ar1": _AR1,
}


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A linear combination of the fixed effects with its Satterthwaite inference."""

    estimate: float
    se: float
    df: float
    t: float
    p: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class FixedEffect:
    name: str
    estimate: float
    se: float
    df: float
    t: float
    p: float


@dataclass(frozen=True)
class LSMean:
    """Least-squares mean of the outcome for one arm at one visit."""

    arm: str
    visit: str
    estimate: float
    se: float
    df: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class ArmDifference:
    """LS-mean difference ``arm − reference`` at one visit.

    ``effect_size`` is the difference divided by the model-estimated SD of the outcome at that
    visit (√Σ_vv); its interval divides the difference's interval by the same SD.
    """

    arm: str
    reference: str
    visit: str
    estimate: float
    se: float
    df: float
    t: float
    p: float
    ci_low: float
    ci_high: float
    effect_size: float
    effect_size_ci_low: float
    effect_size_ci_high: float


@dataclass(frozen=True)
class Convergence:
    converged: bool
    iterations: int
    gradient_norm: float
    message: str


@dataclass(frozen=True)
class MMRMResult:
    """Everything an MMRM fit reports; ``to_dict`` gives a JSON-ready mapping."""

    covariance: str
    outcome: str
    arms: tuple[str, ...]
    reference_arm: str
    visits: tuple[str, ...]
    sites: tuple[str, ...]
    baseline: str | None
    baseline_mean: float | None
    n_subjects: int
    n_observations: int
    excluded_rows: int
    confidence: float
    fixed_effects: tuple[FixedEffect, ...]
    covariance_parameters: dict[str, float]
    covariance_matrix: np.ndarray
    log_likelihood: float
    aic: float
    bic: float
    n_parameters: int
    convergence: Convergence
    ls_means: tuple[LSMean, ...]
    differences: tuple[ArmDifference, ...]
    vcov: np.ndarray = field(repr=False)
    _model: _Model = field(repr=False, compare=False)

    @property
    def coefficient_names(self) -> tuple[str, ...]:
        return tuple(fe.name for fe in self.fixed_effects)

    def contrast(self, weights: Sequence[float] | np.ndarray) -> Estimate:
        """Estimate Σ w_k β_k with SE, Satterthwaite df, t, p and confidence interval."""
        c = np.asarray(weights, dtype=float)
        if c.shape != (len(self.fixed_effects),):
            raise AnalysisDataError(
                f"expected {len(self.fixed_effects)} weights, got {c.size}", field="weights"
            )
        return self._model.estimate(c, self.confidence)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "model": {
                "covariance": self.covariance,
                "outcome": self.outcome,
                "arms": list(self.arms),
                "reference_arm": self.reference_arm,
                "visits": list(self.visits),
                "sites": list(self.sites),
                "baseline": self.baseline,
                "baseline_mean": self.baseline_mean,
                "n_subjects": self.n_subjects,
                "n_observations": self.n_observations,
                "excluded_rows": self.excluded_rows,
                "confidence": self.confidence,
            },
            "fit": {
                "reml_log_likelihood": self.log_likelihood,
                "aic": self.aic,
                "bic": self.bic,
                "n_parameters": self.n_parameters,
                "convergence": asdict(self.convergence),
            },
            "fixed_effects": [asdict(fe) for fe in self.fixed_effects],
            "covariance_parameters": dict(self.covariance_parameters),
            "covariance_matrix": self.covariance_matrix.tolist(),
            "ls_means": [asdict(m) for m in self.ls_means],
            "differences": [asdict(d) for d in self.differences],
        }
        return out


# --------------------------------------------------------------------------------------------
# The REML objective
# --------------------------------------------------------------------------------------------


@dataclass
class _Evaluation:
    loglik: float
    beta: np.ndarray
    w: np.ndarray  # X'V⁻¹X
    grad_sigma: np.ndarray  # ∂ℓ/∂Σ (T × T, symmetric convention: ℓ' = tr(G dΣ))


class _Model:
    def __init__(self, design: Design, structure: _Structure) -> None:
        self.design = design
        self.structure = structure
        self.patterns = patterns(design, structure.t)
        self.n, self.p = design.x.shape
        self.constant = -0.5 * (self.n - self.p) * _LOG_2PI
        self.theta = np.zeros(structure.n_params)
        self.theta_cov: np.ndarray | None = None
        self.vcov = np.zeros((self.p, self.p))
        self.beta = np.zeros(self.p)
        self._dvcov: np.ndarray | None = None

    def evaluate(self, theta: np.ndarray, *, gradient: bool = True) -> _Evaluation | None:
        sigma = self.structure.sigma(theta)
        w = np.zeros((self.p, self.p))
        u = np.zeros(self.p)
        logdet = 0.0
        inverses = []
        for pat in self.patterns:
            sub = sigma[np.ix_(pat.visits, pat.visits)]
            try:
                factor = linalg.cho_factor(sub, lower=True, check_finite=False)
            except linalg.LinAlgError:
                return None
            inv = linalg.cho_solve(factor, np.eye(sub.shape[0]), check_finite=False)
            inverses.append(inv)
            logdet += pat.n * 2.0 * np.log(np.diag(factor[0])).sum()
            w += np.tensordot(inv, pat.xx, axes=([0, 1], [0, 1]))
            u += np.tensordot(inv, pat.xy, axes=([0, 1], [0, 1]))
        try:
            w_factor = linalg.cho_factor(w, lower=True, check_finite=False)
        except linalg.LinAlgError:
            return None
        beta = linalg.cho_solve(w_factor, u, check_finite=False)
        logdet_w = 2.0 * np.log(np.diag(w_factor[0])).sum()
        quad = 0.0
        residual_cp = []
        for pat, inv in zip(self.patterns, inverses, strict=True):
            r = pat.y - pat.x @ beta
            rr = r.T @ r
            residual_cp.append(rr)
            quad += float((inv * rr).sum())
        loglik = self.constant - 0.5 * (logdet + logdet_w + quad)
        if not np.isfinite(loglik):
            return None
        grad = np.zeros_like(sigma)
        if gradient:
            w_inv = linalg.cho_solve(w_factor, np.eye(self.p), check_finite=False)
            for pat, inv, rr in zip(self.patterns, inverses, residual_cp, strict=True):
                c = np.tensordot(pat.xx, w_inv, axes=([2, 3], [0, 1]))
                g = -0.5 * (pat.n * inv - inv @ (c + rr) @ inv)
                grad[np.ix_(pat.visits, pat.visits)] += g
        return _Evaluation(loglik=loglik, beta=beta, w=w, grad_sigma=grad)

    def objective(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        ev = self.evaluate(theta)
        if ev is None:
            return math.inf, np.zeros_like(theta)
        dsig = self.structure.dsigma(theta)
        grad = np.tensordot(dsig, ev.grad_sigma, axes=([1, 2], [0, 1]))
        return -ev.loglik, -grad

    def hessian(self, theta: np.ndarray) -> np.ndarray:
        """Hessian of −ℓ by central differences of the analytic gradient."""
        k = theta.size
        h = np.zeros((k, k))
        for j in range(k):
            step = 1e-5 * max(1.0, abs(theta[j]))
            e = np.zeros(k)
            e[j] = step
            up = self.objective(theta + e)[1]
            down = self.objective(theta - e)[1]
            h[:, j] = (up - down) / (2 * step)
        return 0.5 * (h + h.T)

    def fit(self, start: np.ndarray) -> Convergence:
        res = optimize.minimize(
            self.objective,
            start,
            jac=True,
            method="BFGS",
            options={"gtol": 1e-7, "maxiter": 1000},
        )
        theta = res.x
        f, g = self.objective(theta)
        iterations = int(res.nit)
        converged = False
        hess = self.hessian(theta)
        for _ in range(50):
            try:
                step = linalg.solve(hess, g, assume_a="sym")
            except linalg.LinAlgError:
                break
            decrement = float(g @ step)
            if 0 <= decrement < 1e-14 * max(1.0, abs(f)):
                converged = True
                break
            if decrement < 0:
                step = g.copy()  # not a descent direction: fall back to steepest descent
            t = 1.0
            while t > 1e-10:
                f_new, g_new = self.objective(theta - t * step)
                if f_new <= f:
                    break
                t *= 0.5
            else:
                converged = decrement < 1e-9 * max(1.0, abs(f))
                break
            theta, f, g = theta - t * step, f_new, g_new
            iterations += 1
            hess = self.hessian(theta)
        self.theta = theta
        grad_norm = float(np.max(np.abs(g)))
        if not converged:
            return Convergence(False, iterations, grad_norm, "did not reach a REML optimum")
        eigen = np.linalg.eigvalsh(hess)
        if eigen.min() <= 0:
            return Convergence(
                False, iterations, grad_norm, "REML information is not positive definite"
            )
        self.theta_cov = np.linalg.inv(hess)
        return Convergence(True, iterations, grad_norm, "converged")

    def finish(self) -> _Evaluation:
        """Fixed effects, their covariance and its derivatives at the fitted θ."""
        ev = self.evaluate(self.theta, gradient=False)
        assert ev is not None
        self.beta = ev.beta
        self.vcov = np.linalg.inv(ev.w)
        sigma = self.structure.sigma(self.theta)
        dsig = self.structure.dsigma(self.theta)
        dvcov = np.zeros((dsig.shape[0], self.p, self.p))
        for pat in self.patterns:
            idx = np.ix_(pat.visits, pat.visits)
            inv = np.linalg.inv(sigma[idx])
            for k in range(dsig.shape[0]):
                b = inv @ dsig[k][idx] @ inv
                dvcov[k] += np.tensordot(b, pat.xx, axes=([0, 1], [0, 1]))
        # ∂(W⁻¹)/∂θ_k = W⁻¹ (Σ_P X'A dΣ_k A X) W⁻¹
        self._dvcov = np.einsum("ab,kbc,cd->kad", self.vcov, dvcov, self.vcov)
        return ev

    def estimate(self, c: np.ndarray, confidence: float) -> Estimate:
        value = float(c @ self.beta)
        var = float(c @ self.vcov @ c)
        se = math.sqrt(max(var, 0.0))
        df = self.satterthwaite(c, var)
        t_stat = value / se if se > 0 else math.nan
        if math.isnan(df) or se == 0:
            return Estimate(value, se, df, t_stat, math.nan, math.nan, math.nan)
        dist = stats.t(df) if math.isfinite(df) else stats.norm()
        p = float(2.0 * dist.sf(abs(t_stat)))
        q = float(dist.ppf(0.5 + confidence / 2.0))
        return Estimate(value, se, df, t_stat, p, value - q * se, value + q * se)

    def satterthwaite(self, c: np.ndarray, var: float) -> float:
        """Satterthwaite df; NaN when the fit gave no usable information matrix."""
        if self.theta_cov is None or self._dvcov is None:
            return math.nan
        g = np.einsum("a,kab,b->k", c, self._dvcov, c)
        denom = float(g @ self.theta_cov @ g)
        if denom <= 0 or not np.isfinite(denom):
            return math.inf
        return 2.0 * var * var / denom


def _start_covariance(design: Design, n_visits: int) -> np.ndarray:
    """Pairwise-available covariance of OLS residuals, made positive definite."""
    beta, *_ = np.linalg.lstsq(design.x, design.y, rcond=None)
    resid = design.y - design.x @ beta
    grid = np.full((design.n_subjects, n_visits), np.nan)
    grid[design.subject_codes, design.visit_codes] = resid
    cov = pd.DataFrame(grid).cov(min_periods=2).to_numpy()
    var = np.nanvar(grid, axis=0)
    var = np.where(np.isfinite(var) & (var > 0), var, np.nanmean(var[var > 0]) or 1.0)
    cov = np.where(np.isfinite(cov), cov, 0.0)
    sd = np.sqrt(var)
    corr = cov / np.outer(sd, sd)
    np.fill_diagonal(corr, 1.0)
    corr = np.clip(corr, -0.95, 0.95)
    np.fill_diagonal(corr, 1.0)
    vals, vecs = np.linalg.eigh(corr)
    corr = (vecs * np.maximum(vals, 0.05)) @ vecs.T
    d = np.sqrt(np.diag(corr))
    corr = corr / np.outer(d, d)
    return corr * np.outer(sd, sd)


def _check_pairs(design: Design, n_visits: int) -> None:
    together = co_observed(design, n_visits)
    for j in range(n_visits):
        for k in range(j + 1, n_visits):
            if together[j, k] == 0:
                raise AnalysisDataError(
                    f"visits {design.visits[j]!r} and {design.visits[k]!r} are never observed "
                    "in the same subject, so their correlation cannot be estimated; "
                    "use covariance 'cs' or 'ar1'",
                    field="covariance",
                )


# --------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------


def fit_mmrm(
    data: pd.DataFrame,
    *,
    subject: str,
    arm: str,
    visit: str,
    outcome: str,
    baseline: str | None = None,
    site: str | None = None,
    covariance: str = "us",
    reference_arm: str | None = None,
    visit_levels: Sequence[object] | None = None,
    confidence: float = 0.95,
) -> MMRMResult:
    """Fit an MMRM to long-format data (one row per subject and visit) by REML.

    Visit order comes from ``visit_levels`` if given, else the categories (those present) of
    a categorical column, else numeric order, else natural text order (``week2`` before
    ``week12``). The reference arm defaults to the first arm in sorted order. Rows with a
    missing outcome are missing visits; rows with a missing baseline or site are excluded and
    counted in ``excluded_rows``. LS means put the baseline covariate at its mean over the
    analysed rows and weight sites equally.
    """
    if covariance not in _STRUCTURES:
        raise AnalysisDataError(
            f"unknown structure {covariance!r}; choose one of {', '.join(COVARIANCE_STRUCTURES)}",
            field="covariance",
        )
    if not 0.0 < confidence < 1.0:
        raise AnalysisDataError("must be between 0 and 1", field="confidence")
    roles = Roles(subject, arm, visit, outcome, baseline=baseline, site=site)
    design = prepare(data, roles, reference_arm=reference_arm, visit_levels=visit_levels)
    n_visits = len(design.visits)
    if n_visits < 2:
        raise AnalysisDataError("at least two visits with data are needed", field=visit)
    if covariance == "us":
        _check_pairs(design, n_visits)
    structure = _STRUCTURES[covariance](n_visits)
    n_obs, p = design.x.shape
    if n_obs <= p + structure.n_params:
        raise AnalysisDataError(
            f"{n_obs} observations are too few for {p} fixed effects and "
            f"{structure.n_params} covariance parameters",
            field=outcome,
        )
    model = _Model(design, structure)
    convergence = model.fit(structure.start(_start_covariance(design, n_visits)))
    ev = model.finish()
    return _assemble(model, ev, convergence, covariance, outcome, baseline, confidence)


def _assemble(
    model: _Model,
    ev: _Evaluation,
    convergence: Convergence,
    covariance: str,
    outcome: str,
    baseline: str | None,
    confidence: float,
) -> MMRMResult:
    design = model.design
    p = model.p
    fixed = []
    for k, name in enumerate(design.names):
        c = np.zeros(p)
        c[k] = 1.0
        est = model.estimate(c, confidence)
        fixed.append(FixedEffect(name, est.estimate, est.se, est.df, est.t, est.p))

    index = {name: k for k, name in enumerate(design.names)}

    def lsmean_vector(arm_level: str, visit_level: str) -> np.ndarray:
        c = np.zeros(p)
        c[0] = 1.0
        if design.baseline_mean is not None:
            c[index["baseline"]] = design.baseline_mean
        for name in (f"arm[{arm_level}]", f"visit[{visit_level}]"):
            if name in index:
                c[index[name]] = 1.0
        inter = f"arm[{arm_level}]:visit[{visit_level}]"
        if inter in index:
            c[index[inter]] = 1.0
        for s in design.sites[1:]:
            c[index[f"site[{s}]"]] = 1.0 / len(design.sites)
        return c

    sigma = model.structure.sigma(model.theta)
    ls_means = []
    differences = []
    reference = design.arms[0]
    for j, v in enumerate(design.visits):
        for a in design.arms:
            est = model.estimate(lsmean_vector(a, v), confidence)
            ls_means.append(LSMean(a, v, est.estimate, est.se, est.df, est.ci_low, est.ci_high))
        sd = math.sqrt(sigma[j, j])
        for a in design.arms[1:]:
            est = model.estimate(lsmean_vector(a, v) - lsmean_vector(reference, v), confidence)
            differences.append(
                ArmDifference(
                    arm=a,
                    reference=reference,
                    visit=v,
                    estimate=est.estimate,
                    se=est.se,
                    df=est.df,
                    t=est.t,
                    p=est.p,
                    ci_low=est.ci_low,
                    ci_high=est.ci_high,
                    effect_size=est.estimate / sd,
                    effect_size_ci_low=est.ci_low / sd,
                    effect_size_ci_high=est.ci_high / sd,
                )
            )

    n_params = p + model.structure.n_params
    n_obs = model.n
    loglik = ev.loglik
    return MMRMResult(
        covariance=covariance,
        outcome=outcome,
        arms=tuple(design.arms),
        reference_arm=reference,
        visits=tuple(design.visits),
        sites=tuple(design.sites),
        baseline=baseline,
        baseline_mean=design.baseline_mean,
        n_subjects=design.n_subjects,
        n_observations=n_obs,
        excluded_rows=design.excluded_rows,
        confidence=confidence,
        fixed_effects=tuple(fixed),
        covariance_parameters=model.structure.parameters(model.theta, design.visits),
        covariance_matrix=sigma,
        log_likelihood=loglik,
        # nlme's convention for REML fits: parameters = fixed effects + covariance parameters,
        # BIC penalty uses N − p observations.
        aic=-2.0 * loglik + 2.0 * n_params,
        bic=-2.0 * loglik + math.log(n_obs - p) * n_params,
        n_parameters=n_params,
        convergence=convergence,
        ls_means=tuple(ls_means),
        differences=tuple(differences),
        vcov=model.vcov,
        _model=model,
    )
