"""MMRM fits compared with nlme::gls (REML) and emmeans (Satterthwaite) results stored as JSON.

The reference JSON files were written by ``r_reference/fit_nlme.R`` from the CSVs made by
``r_reference/generate_datasets.py``; these tests read them and never run R.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mendwell.analytics.mmrm import MMRMResult, fit_mmrm

REFERENCE = Path(__file__).parent / "r_reference"
RELATIVE = 1e-4

# name of the reference fit -> (dataset, covariance, baseline?, site?)
FITS = {
    "monotone_us": ("monotone", "us", True, False),
    "monotone_cs": ("monotone", "cs", True, False),
    "monotone_ar1": ("monotone", "ar1", True, False),
    "monotone_us_no_baseline": ("monotone", "us", False, False),
    "intermittent_us": ("intermittent", "us", True, True),
    "intermittent_cs": ("intermittent", "cs", True, True),
    "intermittent_ar1": ("intermittent", "ar1", True, True),
}


def r_name(name: str) -> str:
    """Our coefficient name in R's model.matrix spelling (treatment contrasts)."""
    if name == "intercept":
        return "(Intercept)"
    parts = []
    for term in name.split(":"):
        factor, _, level = term.partition("[")
        parts.append(f"{factor}{level.rstrip(']')}" if level else factor)
    return ":".join(parts)


@pytest.fixture(scope="module", params=sorted(FITS))
def pair(request: pytest.FixtureRequest) -> tuple[MMRMResult, dict]:
    dataset, covariance, baseline, site = FITS[request.param]
    reference = json.loads((REFERENCE / f"{request.param}.json").read_text())
    data = pd.read_csv(REFERENCE / f"{dataset}.csv")
    result = fit_mmrm(
        data,
        subject="subject",
        arm="arm",
        visit="visit",
        outcome="change",
        baseline="baseline" if baseline else None,
        site="site" if site else None,
        covariance=covariance,
        reference_arm="placebo",
    )
    return result, reference


def relative_error(ours: np.ndarray | float, theirs: np.ndarray | float) -> float:
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    return float(np.max(np.abs(ours - theirs) / np.abs(theirs)))


def test_converges(pair: tuple[MMRMResult, dict]) -> None:
    result, _ = pair
    assert result.convergence.converged, result.convergence


def test_design_matches_r(pair: tuple[MMRMResult, dict]) -> None:
    result, ref = pair
    assert [r_name(n) for n in result.coefficient_names] == [c["name"] for c in ref["coefficients"]]
    assert list(result.visits) == ref["visits"]
    assert list(result.arms) == ref["arms"]


def test_fixed_effects_and_standard_errors(pair: tuple[MMRMResult, dict]) -> None:
    result, ref = pair
    ours = {r_name(fe.name): fe for fe in result.fixed_effects}
    estimates = [ours[c["name"]].estimate for c in ref["coefficients"]]
    ses = [ours[c["name"]].se for c in ref["coefficients"]]
    assert relative_error(estimates, [c["estimate"] for c in ref["coefficients"]]) < RELATIVE
    assert relative_error(ses, [c["se"] for c in ref["coefficients"]]) < RELATIVE
    # Covariances near zero make elementwise relative error meaningless: scale by the SEs.
    theirs = np.asarray(ref["vcov"])
    scale = np.sqrt(np.outer(np.diag(theirs), np.diag(theirs)))
    assert np.max(np.abs(result.vcov - theirs) / scale) < RELATIVE


def test_likelihood_and_information_criteria(pair: tuple[MMRMResult, dict]) -> None:
    result, ref = pair
    assert relative_error(result.log_likelihood, ref["logLik"]) < RELATIVE
    assert result.n_parameters == ref["df"]
    assert relative_error(result.aic, ref["AIC"]) < RELATIVE
    assert relative_error(result.bic, ref["BIC"]) < RELATIVE


def test_covariance_matrix(pair: tuple[MMRMResult, dict]) -> None:
    result, ref = pair
    assert relative_error(result.covariance_matrix, ref["covariance_matrix"]) < RELATIVE


def test_ls_means_match_emmeans(pair: tuple[MMRMResult, dict]) -> None:
    result, ref = pair
    ours = {(m.arm, m.visit): m for m in result.ls_means}
    rows = ref["ls_means"]
    assert len(ours) == len(rows)
    mine = [ours[(r["arm"], r["visit"])] for r in rows]
    assert relative_error([m.estimate for m in mine], [r["estimate"] for r in rows]) < RELATIVE
    assert relative_error([m.se for m in mine], [r["se"] for r in rows]) < RELATIVE
    # Satterthwaite df: emmeans' construction with the REML information from numDeriv ...
    assert relative_error([m.df for m in mine], [r["df_information"] for r in rows]) < RELATIVE
    # ... and, loosely, with nlme's own finite-difference apVar as emmeans ships it.
    assert relative_error([m.df for m in mine], [r["df"] for r in rows]) < 2e-2


def test_differences_match_emmeans(pair: tuple[MMRMResult, dict]) -> None:
    result, ref = pair
    ours = {(f"{d.arm} - {d.reference}", d.visit): d for d in result.differences}
    rows = ref["differences"]
    assert len(ours) == len(rows)
    mine = [ours[(r["contrast"], r["visit"])] for r in rows]
    assert relative_error([d.estimate for d in mine], [r["estimate"] for r in rows]) < RELATIVE
    assert relative_error([d.se for d in mine], [r["se"] for r in rows]) < RELATIVE
    assert relative_error([d.t for d in mine], [r["t"] for r in rows]) < RELATIVE
    assert relative_error([d.df for d in mine], [r["df_information"] for r in rows]) < RELATIVE
    assert relative_error([d.p for d in mine], [r["p_information"] for r in rows]) < RELATIVE
