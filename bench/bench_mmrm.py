"""Benchmark the MMRM fit (unstructured covariance) and compare with R's nlme::gls.

Simulates a two-arm trial with six post-baseline visits and dropout, fits it at a small
baseline size and at 10,000 subjects, and reports wall time and peak memory. When ``Rscript``
(with nlme) is on PATH the same data are fitted with ``nlme::gls`` in the same run and the
Python/R time ratio is printed, together with the largest relative difference between the two
sets of estimates.

    python bench/bench_mmrm.py [--sizes 1000 10000] [--r-max-subjects 10000] [--summary PATH]
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from mendwell.analytics.mmrm import fit_mmrm

N_VISITS = 6
SEED = 20240613

R_SCRIPT = r"""
suppressPackageStartupMessages(library(nlme))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
d <- d[order(d$subject, d$visit), ]
d$visit_f <- factor(d$visit)
d$arm <- factor(d$arm, levels = c("placebo", "active"))
d$subject <- factor(d$subject)
elapsed <- system.time(
  fit <- gls(change ~ baseline + arm * visit_f, data = d, method = "REML",
             correlation = corSymm(form = ~ visit | subject),
             weights = varIdent(form = ~ 1 | visit_f))
)[["elapsed"]]
num <- function(x) paste(format(x, digits = 17), collapse = ",")
writeLines(sprintf('{"seconds": %s, "logLik": %s, "estimates": [%s], "se": [%s]}',
                   num(elapsed), num(as.numeric(logLik(fit))), num(unname(coef(fit))),
                   num(unname(sqrt(diag(vcov(fit)))))), args[2])
"""


def simulate(n_subjects: int, seed: int = SEED) -> pd.DataFrame:
    """Two arms, six visits, heterogeneous AR-like covariance, dropout hazard ~4% per visit."""
    rng = np.random.default_rng(seed)
    idx = np.arange(N_VISITS)
    sds = np.linspace(6.0, 11.0, N_VISITS)
    cov = 0.7 ** np.abs(idx[:, None] - idx[None, :]) * np.outer(sds, sds)
    arm = rng.integers(0, 2, n_subjects)
    baseline = rng.normal(42.0, 6.0, n_subjects)
    y = (
        rng.multivariate_normal(np.zeros(N_VISITS), cov, size=n_subjects)
        - np.outer(arm + 1.0, 2.0 * (idx + 1))
        - 0.3 * (baseline[:, None] - 42.0)
    )
    stay = rng.uniform(size=(n_subjects, N_VISITS)) > 0.04
    stay[:, 0] = True
    observed = np.cumprod(stay, axis=1).astype(bool)
    subject, visit = np.meshgrid(np.arange(n_subjects), idx, indexing="ij")
    return pd.DataFrame(
        {
            "subject": subject[observed],
            "arm": np.where(arm[subject[observed]] == 1, "active", "placebo"),
            "visit": visit[observed] + 1,
            "baseline": np.round(baseline[subject[observed]], 2),
            "change": np.round(y[observed], 3),
        }
    )


def fit(data: pd.DataFrame) -> object:
    return fit_mmrm(
        data,
        subject="subject",
        arm="arm",
        visit="visit",
        outcome="change",
        baseline="baseline",
        covariance="us",
        reference_arm="placebo",
    )


def time_python(data: pd.DataFrame) -> tuple[float, float, object]:
    """Best of two timed fits, then one fit under tracemalloc for the peak allocation."""
    times = []
    result = None
    for _ in range(2):
        gc.collect()
        started = time.perf_counter()
        result = fit(data)
        times.append(time.perf_counter() - started)
    gc.collect()
    tracemalloc.start()
    fit(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return min(times), peak / 2**20, result


def time_r(data: pd.DataFrame, workdir: Path, timeout: float) -> dict | None:
    csv = workdir / f"data_{len(data)}.csv"
    out = workdir / f"r_{len(data)}.json"
    script = workdir / "fit.R"
    script.write_text(R_SCRIPT)
    data.to_csv(csv, index=False)
    try:
        subprocess.run(
            ["Rscript", str(script), str(csv), str(out)],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"timeout": timeout}
    except subprocess.CalledProcessError as exc:
        return {"error": exc.stderr.decode(errors="replace").strip().splitlines()[-1:]}
    return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--r-max-subjects", type=int, default=10000)
    parser.add_argument("--r-timeout", type=float, default=3600.0)
    parser.add_argument(
        "--summary", type=Path, default=Path(__file__).parent / "results" / "bench_mmrm.txt"
    )
    args = parser.parse_args()

    have_r = shutil.which("Rscript") is not None
    lines = [
        "MMRM benchmark: unstructured covariance, REML, change ~ baseline + arm * visit",
        f"Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"{platform.machine()}",
        "",
        f"{'subjects':>8} {'rows':>7} {'python s':>9} {'peak MiB':>9} {'R nlme s':>9} "
        f"{'py/R':>7} {'max rel diff':>12}",
    ]
    print(*lines, sep="\n", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            data = simulate(n)
            seconds, peak, result = time_python(data)
            r_cell, ratio_cell, diff_cell = "—", "—", "—"
            if have_r and n <= args.r_max_subjects:
                r = time_r(data, Path(tmp), args.r_timeout)
                if r and "seconds" in r:
                    ours = np.array([fe.estimate for fe in result.fixed_effects])  # type: ignore[attr-defined]
                    diff = np.max(np.abs(ours - np.array(r["estimates"])) / np.abs(r["estimates"]))
                    r_cell = f"{r['seconds']:.2f}"
                    ratio_cell = f"{seconds / r['seconds']:.4f}"
                    diff_cell = f"{diff:.1e}"
                elif r and "timeout" in r:
                    r_cell = f">{r['timeout']:.0f}"
                    ratio_cell = f"<{seconds / r['timeout']:.4f}"
            row = (
                f"{n:>8} {len(data):>7} {seconds:>9.3f} {peak:>9.1f} {r_cell:>9} "
                f"{ratio_cell:>7} {diff_cell:>12}"
            )
            lines.append(row)
            print(row, flush=True)
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tail = [
        "",
        f"process max RSS {maxrss:.0f} MiB (resource.getrusage); peak MiB is tracemalloc's peak "
        "of Python allocations during one fit.",
        "R time is nlme::gls alone (system.time), without R start-up or reading the CSV.",
    ]
    if not have_r:
        tail.append("Rscript not found on PATH: no R comparison in this run.")
    print(*tail, sep="\n")
    lines += tail
    args.summary.parent.mkdir(parents=True, exist_ok=True)
    args.summary.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
