"""The program outcomes page, its downloadable HTML report and the de-identified CSV."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from mendwell.actions import outcomes as outcome_actions
from mendwell.actions.errors import InvalidInput
from mendwell.analytics.dataset import build_long_dataset
from mendwell.analytics.outcome_report import OutcomeReport, ReportSettings, outcome_report
from mendwell.analytics.summaries import RemissionDefinition
from mendwell.clinical.instruments import ChangeThreshold, Instrument, get_instrument
from mendwell.clinical.instruments.schema import RemissionDefinitionSpec
from mendwell.permissions import Permission
from mendwell.queries.outcomes import (
    INSTRUMENTS,
    FilterChoices,
    OutcomeData,
    OutcomeFilter,
    dataset_csv,
    filter_choices,
    filter_from_params,
    outcome_data,
)
from mendwell.web.access import Db, Principal, action_context, requires
from mendwell.web.charts import trajectory_chart, waterfall_chart
from mendwell.web.extensions import NavItem, nav_item
from mendwell.web.forms import errors_by_field
from mendwell.web.templating import STATIC_DIR, render, templates

router = APIRouter(include_in_schema=False)

Analyst = Annotated[Principal, requires(Permission.ANALYTICS_VIEW)]
PARAMS = ("instrument", "site", "protocol", "substance", "from", "to", "reference", "threshold")
REPORT_CSS = STATIC_DIR / "outcomes-report.css"
ARM_COLOURS = ("#1f5f8b", "#b3541e", "#2e7d32", "#6a1b9a", "#5c6670")
ARM_DASHES = ("", "6 4", "2 3", "8 3 2 3", "1 2")


@dataclass(frozen=True)
class Definitions:
    """The responder threshold and remission definition used, as the instrument gives them."""

    threshold: ChangeThreshold | None
    thresholds: tuple[ChangeThreshold, ...]
    remission: RemissionDefinitionSpec | None


def _definitions(instrument: Instrument, threshold_id: str | None) -> Definitions:
    usable = tuple(t for t in instrument.change_thresholds if t.points is not None)
    chosen = next((t for t in usable if t.id == threshold_id), None)
    if threshold_id and chosen is None:
        raise InvalidInput.single(
            "threshold", f"must be one of {', '.join(t.id for t in usable) or '(none)'}"
        )
    if chosen is None:
        # The clinically meaningful change is the responder threshold by default.
        for kind in ("clinically_meaningful", "reliable_change"):
            chosen = next((t for t in usable if t.kind == kind and t.default), None)
            if chosen:
                break
    remission = next((r for r in instrument.remission_definitions if r.default), None)
    return Definitions(chosen, usable, remission)


def _num(value: float | None, digits: int = 1) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.{digits}f}".replace("-", "−")


def _pct(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{100 * value:.0f}%"


def _ci(low: float | None, high: float | None, digits: int = 1, percent: bool = False) -> str:
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return "—"
    if percent:
        return f"{_pct(low)} to {_pct(high)}"
    return f"{_num(low, digits)} to {_num(high, digits)}"


def _p(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _charts(report: OutcomeReport, data: OutcomeData, defs: Definitions) -> dict[str, Any]:
    arms = list(report.arms)
    out: dict[str, Any] = {"trajectory": None, "waterfall": None}
    if report.means:
        low, high = data.instrument.total_range or (0, 80)
        out["trajectory"] = trajectory_chart(
            list(report.visits),
            {},  # visit ids are short enough for the axis; tables show the full labels
            arms,
            [(m.arm, m.visit, m.mean, m.ci_low, m.ci_high) for m in report.means],
            [(t.arm, list(t.points)) for t in report.trajectories],
            y_range=(float(low), float(high)),
        )
    if report.waterfall:
        threshold = None
        if defs.threshold is not None and defs.threshold.points is not None:
            sign = -1 if defs.threshold.direction == "decrease" else 1
            threshold = (
                sign * defs.threshold.points,
                f"responder: {sign * defs.threshold.points:g}",
            )
        out["waterfall"] = waterfall_chart(
            [(b.arm, b.change) for b in report.waterfall], arms, threshold=threshold
        )
    return out


def _analyse(
    request: Request, db: Db, principal: Principal
) -> tuple[dict[str, Any], OutcomeFilter | None, OutcomeData | None, Any]:
    """The page's context; the filter, data and long frame when the filters were valid."""
    actor = principal.actor
    choices: FilterChoices = filter_choices(db, actor)
    raw = {name: request.query_params.get(name) for name in PARAMS}
    context: dict[str, Any] = {
        "choices": choices,
        "instruments": INSTRUMENTS,
        "raw": raw,
        "errors": {},
        "num": _num,
        "pct": _pct,
        "ci": _ci,
        "pval": _p,
        "colours": ARM_COLOURS,
        "dashes": ARM_DASHES,
    }
    try:
        f = filter_from_params(raw, choices)
        instrument = get_instrument(f.instrument)
        defs = _definitions(instrument, raw.get("threshold") or None)
    except InvalidInput as exc:
        context["errors"] = errors_by_field(exc.errors)
        return context, None, None, None
    today = action_context(request, db, principal).now.date()
    data = outcome_data(db, actor, f, today)
    frame = build_long_dataset(data.records, baseline_visit=data.baseline_visit)
    remission = None
    if defs.remission is not None:
        remission = RemissionDefinition(
            require_loss_of_diagnosis=defs.remission.loss_of_diagnosis,
            max_total=defs.remission.max_total,
        )
    settings = ReportSettings(
        instrument=instrument.id,
        responder_points=defs.threshold.points if defs.threshold and defs.threshold.points else 0.0,
        direction=defs.threshold.direction if defs.threshold else "decrease",
        remission=remission,
        reference_arm=f.reference_arm,
    )
    report = outcome_report(frame, settings, due=data.due)
    context.update(
        f=f,
        data=data,
        report=report,
        defs=defs,
        instrument=instrument,
        query=urlencode({k: v.strip() for k, v in raw.items() if v and v.strip()}),
        charts=_charts(report, data, defs),
        labels=data.visit_labels,
    )
    return context, f, data, frame


def _filters(f: OutcomeFilter) -> dict[str, Any]:
    return {k: v for k, v in f.__dict__.items() if v not in (None, "")} | {
        k: v.isoformat() for k, v in (("since", f.since), ("until", f.until)) if v
    }


@router.get("/outcomes")
def outcomes_page(request: Request, db: Db, principal: Analyst) -> Response:
    context, f, data, _ = _analyse(request, db, principal)
    if f is not None and data is not None:
        outcome_actions.record_access(
            action_context(request, db, principal), _filters(f), data.n_courses
        )
    return render(
        request,
        "outcomes/page.html",
        context,
        status_code=422 if context["errors"] else 200,
    )


@router.get("/outcomes/report.html")
def outcomes_report(request: Request, db: Db, principal: Analyst) -> Response:
    context, f, data, _ = _analyse(request, db, principal)
    if f is None or data is None:
        return render(request, "outcomes/page.html", context, status_code=422)
    ctx = action_context(request, db, principal)
    outcome_actions.record_access(ctx, _filters(f), data.n_courses, export="html")
    context.update(
        css=REPORT_CSS.read_text(encoding="utf-8"),
        standalone=True,
        generated=ctx.now.strftime("%Y-%m-%d %H:%M UTC"),
    )
    html = templates.get_template("outcomes/report.html").render(context)
    stamp = ctx.now.strftime("%Y%m%dT%H%M%SZ")
    return HTMLResponse(
        html,
        headers={"content-disposition": f'attachment; filename="mendwell-outcomes-{stamp}.html"'},
    )


@router.get("/outcomes/data.csv")
def outcomes_csv(request: Request, db: Db, principal: Analyst) -> Response:
    context, f, data, frame = _analyse(request, db, principal)
    if f is None or data is None:
        return render(request, "outcomes/page.html", context, status_code=422)
    ctx = action_context(request, db, principal)
    outcome_actions.record_access(ctx, _filters(f), data.n_courses, export="csv")
    name = f"mendwell-outcomes-{f.instrument}-{ctx.now.strftime('%Y%m%dT%H%M%SZ')}.csv"
    return Response(
        dataset_csv(frame),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


nav_item(NavItem("Outcomes", "/outcomes", Permission.ANALYTICS_VIEW, order=60))
