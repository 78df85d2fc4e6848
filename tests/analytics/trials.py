"""Simulated trials for the analytics tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def simulate_trial(
    seed: int,
    *,
    n_per_arm: int = 30,
    n_visits: int = 4,
    arms: tuple[str, ...] = ("placebo", "active"),
    dropout: float = 0.1,
    intermittent: float = 0.0,
    with_site: bool = False,
) -> pd.DataFrame:
    """Long-format two-or-more-arm trial with random dropout and missed visits."""
    rng = np.random.default_rng(seed)
    idx = np.arange(n_visits)
    corr = 0.6 ** np.abs(idx[:, None] - idx[None, :])
    sds = np.linspace(5.0, 8.0, n_visits)
    cov = corr * np.outer(sds, sds)
    rows = []
    for a, arm in enumerate(arms):
        for i in range(n_per_arm):
            base = rng.normal(40.0, 6.0)
            y = -np.arange(1, n_visits + 1) * (1.0 + a) - 0.3 * (base - 40.0)
            y = y + rng.multivariate_normal(np.zeros(n_visits), cov)
            site = f"s{rng.integers(1, 4)}"
            for j in range(n_visits):
                if j > 0 and rng.uniform() < dropout:
                    break
                if j > 0 and rng.uniform() < intermittent:
                    continue
                row = {
                    "subject": f"{arm}-{i:03d}",
                    "arm": arm,
                    "visit": f"week{2 * (j + 1)}",
                    "baseline": round(base, 2),
                    "change": round(float(y[j]), 3),
                }
                if with_site:
                    row["site"] = site
                rows.append(row)
    return pd.DataFrame(rows)
