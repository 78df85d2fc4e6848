"""`mendwell analyze`: outcome analyses of long-format CSV files."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from mendwell.analytics.effect_sizes import effect_size_from_samples
from mendwell.analytics.errors import AnalysisDataError
from mendwell.analytics.mmrm import COVARIANCE_STRUCTURES, MMRMResult, fit_mmrm

app = typer.Typer(
    help="Outcome analyses (MMRM, effect sizes) of long-format CSV files.",
    no_args_is_help=True,
)


@app.callback()
def analyze() -> None:
    """Outcome analyses (MMRM, effect sizes) of long-format CSV files."""


COVARIANCE_NAMES = {
    "us": "unstructured",
    "cs": "compound symmetry",
    "ar1": "first-order autoregressive",
}


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _clean(value: Any) -> Any:
    """JSON-safe copy: NaN and infinities become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _observed_effect_sizes(
    frame: pd.DataFrame, result: MMRMResult, *, arm: str, visit: str, outcome: str
) -> list[dict[str, Any]]:
    """Hedges' g of the outcome at the last visit, observed cases, each arm vs the reference."""
    last = result.visits[-1]
    at_last = frame[frame[visit].map(_text) == last]
    values = pd.to_numeric(at_last[outcome], errors="coerce")
    arms = at_last[arm].map(_text)
    out = []
    for level in result.arms[1:]:
        try:
            es = effect_size_from_samples(
                values[arms == level], values[arms == result.reference_arm]
            )
        except AnalysisDataError:
            continue
        out.append(
            {
                "arm": level,
                "reference": result.reference_arm,
                "visit": last,
                "hedges_g": es.estimate,
                "ci_low": es.ci_low,
                "ci_high": es.ci_high,
                "ci_method": es.ci_method,
            }
        )
    return out


def _levels_from(frame: pd.DataFrame, visit: str, order: str) -> list[object]:
    """Visit levels sorted by a numeric order column (one order value per visit)."""
    for column in (visit, order):
        if column not in frame.columns:
            raise AnalysisDataError("column not found", field=column)
    ranks = pd.to_numeric(frame[order], errors="coerce")
    if ranks[frame[order].notna()].isna().any():
        raise AnalysisDataError("must be numeric", field=order)
    pairs = pd.DataFrame({"visit": frame[visit], "rank": ranks}).dropna().drop_duplicates()
    clash = pairs[pairs["visit"].duplicated(keep=False)]
    if not clash.empty:
        raise AnalysisDataError(
            f"visit {clash['visit'].iloc[0]!r} has more than one order value", field=order
        )
    return pairs.sort_values("rank")["visit"].tolist()


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _num(value: float | None, digits: int = 2) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.{digits}f}"


def _p(value: float) -> str:
    if not math.isfinite(value):
        return "—"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """Columns padded to width; the first two (visit, arm) left-aligned, numbers right."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i < 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return [line(headers), *(line(r) for r in rows)]


def render_report(result: MMRMResult, observed: list[dict[str, Any]]) -> str:
    """The readable MMRM report printed by ``mendwell analyze mmrm``."""
    level = f"{round(result.confidence * 100):d}%"
    lines = [
        f"MMRM of {result.outcome}: {COVARIANCE_NAMES[result.covariance]} covariance "
        f"({result.covariance}), REML",
        f"Subjects {result.n_subjects}, observations {result.n_observations}, "
        f"rows excluded {result.excluded_rows}; reference arm {result.reference_arm}",
    ]
    if result.baseline is not None:
        lines.append(
            f"Baseline covariate {result.baseline}, LS means at its mean "
            f"{_num(result.baseline_mean)}"
        )
    if result.sites:
        lines.append(f"Sites {', '.join(result.sites)} weighted equally in LS means")
    lines += ["", "Least-squares means"]
    lines += _table(
        ["visit", "arm", "LS mean", "SE", f"{level} CI", "df"],
        [
            [
                m.visit,
                m.arm,
                _num(m.estimate),
                _num(m.se),
                f"{_num(m.ci_low)} to {_num(m.ci_high)}",
                _num(m.df, 1),
            ]
            for m in result.ls_means
        ],
    )
    lines += ["", f"Differences vs {result.reference_arm}"]
    lines += _table(
        ["visit", "arm", "difference", "SE", f"{level} CI", "df", "p"],
        [
            [
                d.visit,
                d.arm,
                _num(d.estimate),
                _num(d.se),
                f"{_num(d.ci_low)} to {_num(d.ci_high)}",
                _num(d.df, 1),
                _p(d.p),
            ]
            for d in result.differences
        ],
    )
    last = result.visits[-1]
    lines += ["", f"Effect size at visit {last}"]
    for d in result.differences:
        if d.visit == last:
            lines.append(
                f"  {d.arm} vs {d.reference}: d = {_num(d.effect_size)} "
                f"({level} CI {_num(d.effect_size_ci_low)} to {_num(d.effect_size_ci_high)}), "
                "LS-mean difference / model SD at the visit"
            )
    for o in observed:
        lines.append(
            f"  {o['arm']} vs {o['reference']}: Hedges' g = {_num(o['hedges_g'])} "
            f"({level} CI {_num(o['ci_low'])} to {_num(o['ci_high'])}), observed cases"
        )
    conv = result.convergence
    lines += [
        "",
        f"REML log-likelihood {_num(result.log_likelihood, 3)}, AIC {_num(result.aic, 3)}, "
        f"BIC {_num(result.bic, 3)}, parameters {result.n_parameters}",
        f"Convergence: {conv.message} after {conv.iterations} iterations "
        f"(max |gradient| {conv.gradient_norm:.1e})",
    ]
    return "\n".join(lines)


@app.command("mmrm")
def mmrm(
    file: Annotated[Path, typer.Argument(help="Long-format CSV: one row per subject and visit.")],
    subject: Annotated[str, typer.Option(help="Column identifying the subject.")],
    arm: Annotated[str, typer.Option(help="Column with the randomised arm.")],
    visit: Annotated[str, typer.Option(help="Column with the visit.")],
    outcome: Annotated[str, typer.Option(help="Numeric outcome column, e.g. the change.")],
    baseline: Annotated[str | None, typer.Option(help="Baseline covariate column.")] = None,
    site: Annotated[str | None, typer.Option(help="Site column (a fixed effect).")] = None,
    covariance: Annotated[
        str, typer.Option(help=f"Covariance structure: {', '.join(COVARIANCE_STRUCTURES)}.")
    ] = "us",
    visit_order: Annotated[
        str | None, typer.Option(help="Numeric column giving the order of the visits.")
    ] = None,
    reference_arm: Annotated[
        str | None,
        typer.Option(help="Arm the others are compared with (default: first in sorted order)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full result as JSON.")] = False,
) -> None:
    """Fit a mixed model for repeated measures and print LS means and arm differences.

    Visits are ordered by --visit-order if given, else numerically, else in natural text order
    (week2 before week12).
    """
    if covariance not in COVARIANCE_STRUCTURES:
        raise _fail(
            f"--covariance must be one of {', '.join(COVARIANCE_STRUCTURES)}, not {covariance!r}"
        )
    try:
        frame = pd.read_csv(file)
    except FileNotFoundError:
        raise _fail(f"{file}: file not found") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise _fail(f"{file}: not a readable CSV file ({exc})") from None
    try:
        levels = _levels_from(frame, visit, visit_order) if visit_order else None
        result = fit_mmrm(
            frame,
            subject=subject,
            arm=arm,
            visit=visit,
            outcome=outcome,
            baseline=baseline,
            site=site,
            covariance=covariance,
            reference_arm=reference_arm,
            visit_levels=levels,
        )
    except AnalysisDataError as exc:
        raise _fail(str(exc)) from None
    observed = _observed_effect_sizes(frame, result, arm=arm, visit=visit, outcome=outcome)
    if as_json:
        payload = result.to_dict()
        payload["observed_effect_sizes"] = observed
        typer.echo(json.dumps(_clean(payload), indent=2))
    else:
        typer.echo(render_report(result, observed))
    if not result.convergence.converged:
        typer.echo(f"warning: {result.convergence.message}", err=True)
