"""Generate the synthetic long-format datasets used to validate the MMRM against nlme.

Run from the repository root: ``python tests/analytics/r_reference/generate_datasets.py``.
The output CSVs are committed; rerunning reproduces them (fixed seeds).

* ``monotone.csv``: two arms, five post-baseline visits, monotone dropout whose probability
  depends on the last observed change (missing at random).
* ``intermittent.csv``: three arms, three sites, four visits, intermittently missed visits
  plus some dropout.
* ``docs/examples/mmrm-example.csv``: the small two-arm example shown in ``docs/analytics.md``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


def _covariance(sds: list[float], base_corr: float, rng: np.random.Generator) -> np.ndarray:
    t = len(sds)
    idx = np.arange(t)
    corr = base_corr ** np.abs(idx[:, None] - idx[None, :])
    noise = rng.uniform(-0.05, 0.05, size=(t, t))
    corr = corr + np.triu(noise, 1) + np.triu(noise, 1).T
    return corr * np.outer(sds, sds)


def monotone(seed: int = 20240611) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_per_arm = 80
    visits = ["week02", "week04", "week08", "week12", "week18"]
    means = {
        "placebo": np.array([-3.0, -6.0, -8.0, -10.0, -12.0]),
        "active": np.array([-5.0, -10.0, -15.0, -20.0, -24.0]),
    }
    cov = _covariance([6.0, 7.0, 8.5, 9.5, 11.0], 0.75, rng)
    rows = []
    for arm, mu in means.items():
        for i in range(n_per_arm):
            subject = f"{arm[0].upper()}{i + 1:03d}"
            base = rng.normal(42.0, 6.0)
            y = mu - 0.3 * (base - 42.0) + rng.multivariate_normal(np.zeros(5), cov)
            for j, v in enumerate(visits):
                rows.append((subject, arm, v, j + 1, round(base, 1), round(float(y[j]), 2)))
                if j < len(visits) - 1:
                    # MAR: subjects whose last change was poor are likelier to leave.
                    hazard = 1.0 / (1.0 + np.exp(-(-2.6 + 0.08 * y[j])))
                    if rng.uniform() < hazard:
                        break
    return pd.DataFrame(
        rows, columns=["subject", "arm", "visit", "visit_index", "baseline", "change"]
    )


def intermittent(seed: int = 20240612) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    visits = ["v1", "v2", "v3", "v4"]
    means = {
        "placebo": np.array([-2.0, -4.0, -5.0, -6.0]),
        "low": np.array([-3.0, -6.0, -8.0, -9.0]),
        "high": np.array([-4.0, -8.0, -11.0, -13.0]),
    }
    site_shift = {"s1": 0.0, "s2": 1.5, "s3": -1.0}
    cov = _covariance([5.0, 6.0, 6.5, 8.0], 0.6, rng)
    rows = []
    for arm, mu in means.items():
        for i in range(50):
            subject = f"{arm}-{i + 1:02d}"
            site = ["s1", "s2", "s3"][int(rng.integers(0, 3))]
            base = rng.normal(38.0, 7.0)
            y = mu + site_shift[site] - 0.2 * (base - 38.0)
            y = y + rng.multivariate_normal(np.zeros(4), cov)
            dropout_after = 4 if rng.uniform() > 0.12 else int(rng.integers(2, 4))
            for j, v in enumerate(visits[:dropout_after]):
                if rng.uniform() < 0.18:
                    continue  # missed visit, later visits may still be attended
                rows.append((subject, site, arm, v, j + 1, round(base, 1), round(float(y[j]), 2)))
    return pd.DataFrame(
        rows, columns=["subject", "site", "arm", "visit", "visit_index", "baseline", "change"]
    )


def documentation_example(seed: int = 20240614) -> pd.DataFrame:
    """Small two-arm CAPS-5 example for docs/analytics.md (weeks 6, 12, 18; dropout)."""
    rng = np.random.default_rng(seed)
    weeks = [6, 12, 18]
    means = {"placebo": np.array([-6.0, -10.0, -13.0]), "mdma": np.array([-10.0, -18.0, -23.0])}
    cov = _covariance([9.0, 10.0, 11.5], 0.7, rng)
    rows = []
    for arm, mu in means.items():
        for i in range(24):
            client = f"{arm[0].upper()}{i + 1:02d}"
            base = float(np.clip(rng.normal(44.0, 6.0), 35, 70))
            y = mu - 0.3 * (base - 44.0) + rng.multivariate_normal(np.zeros(3), cov)
            for j, week in enumerate(weeks):
                total = int(np.clip(round(base + y[j]), 0, 80))
                rows.append((client, arm, week, round(base), total - round(base)))
                if j < 2 and rng.uniform() < (0.08 if arm == "mdma" else 0.15):
                    break
    return pd.DataFrame(rows, columns=["client", "arm", "week", "caps5_baseline", "caps5_change"])


def main() -> None:
    monotone().to_csv(HERE / "monotone.csv", index=False)
    intermittent().to_csv(HERE / "intermittent.csv", index=False)
    docs = HERE.parents[2] / "docs" / "examples"
    docs.mkdir(parents=True, exist_ok=True)
    documentation_example().to_csv(docs / "mmrm-example.csv", index=False)


if __name__ == "__main__":
    main()
