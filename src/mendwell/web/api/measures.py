"""Instruments and measures over JSON: the stateless scoring API, a client's submissions,
corrections, safety alerts and self-report links."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from pydantic import ValidationError

from mendwell.actions import measures as actions
from mendwell.actions.errors import FieldError, InvalidInput
from mendwell.clinical.instruments import ScoreResult, ScoringOptions
from mendwell.permissions import Permission
from mendwell.queries import measures as q
from mendwell.queries.scope import get_visible_client
from mendwell.queries.site_calendar import site_today
from mendwell.schemas.common import field_errors, parse
from mendwell.schemas.measures import (
    AlertAcknowledge,
    AlertOut,
    Correction,
    InstrumentSummary,
    LinkCreate,
    LinkOut,
    MeasureEntry,
    ScoreRequest,
    SubmissionOut,
)
from mendwell.store.models import MeasureSubmission, SafetyAlert, SelfReportLink
from mendwell.web.access import Db, Principal, SignedIn, action_context, requires

router = APIRouter(prefix="/api/v1", tags=["measures"])

Viewer = Annotated[Principal, requires(Permission.MEASURE_VIEW)]
Enterer = Annotated[Principal, requires(Permission.MEASURE_ENTER)]
Rater = Annotated[Principal, requires(Permission.MEASURE_RATE)]
Acknowledger = Annotated[Principal, requires(Permission.ALERT_ACKNOWLEDGE)]

ENTRY_EXAMPLE = {
    "instrument_id": "phq9",
    "administered_on": "2026-01-06",
    "answers": {f"phq9_{n:02d}": 1 for n in range(1, 10)},
}


def submission_out(sub: MeasureSubmission, superseded: set[int]) -> SubmissionOut:
    return SubmissionOut.model_validate(
        {
            **{
                name: getattr(sub, name)
                for name in SubmissionOut.model_fields
                if name not in ("current",)
            },
            "current": sub.id not in superseded,
        }
    )


def alert_out(alert: SafetyAlert) -> AlertOut:
    return AlertOut.model_validate(alert, from_attributes=True)


def link_out(link: SelfReportLink, now: Any, url: str | None = None) -> LinkOut:
    return LinkOut.model_validate(
        {
            **{n: getattr(link, n) for n in LinkOut.model_fields if n not in ("state", "url")},
            "state": link.state(now),
            "url": url,
        }
    )


# --- instruments (stateless) ------------------------------------------------------------------


@router.get("/instruments", response_model=list[InstrumentSummary])
def list_instruments(request: Request, db: Db, principal: SignedIn) -> list[InstrumentSummary]:
    """Instruments available here: the shipped ones and your organisation's licensed uploads."""
    return [
        InstrumentSummary(
            id=r.instrument.id,
            version=r.instrument.version,
            title=r.instrument.title,
            short_title=r.instrument.short_title,
            respondent=r.instrument.respondent,
            recall_period=r.instrument.recall_period,
            item_count=len(r.instrument.items),
            total_range=r.instrument.total_range,
            licence_status=str(r.instrument.licence.status),
            custom=r.custom,
        )
        for r in q.instrument_catalogue(db, principal.info.organisation_id)
    ]


@router.get("/instruments/{instrument_id}")
def get_instrument(
    request: Request, db: Db, principal: SignedIn, instrument_id: str
) -> dict[str, Any]:
    """The whole instrument definition: items, options, scoring ranges, cut-points, sources.
    Licensed instruments shipped as data-collection shells have no item text."""
    resolved = q.resolve_instrument(db, principal.info.organisation_id, instrument_id)
    return {**resolved.instrument.model_dump(mode="json"), "custom": resolved.custom}


@router.post("/instruments/{instrument_id}/score", response_model=ScoreResult)
def score_answers(
    request: Request,
    db: Db,
    principal: SignedIn,
    instrument_id: str,
    payload: Annotated[
        dict,  # type: ignore[type-arg]
        Body(examples=[{"answers": {f"phq9_{n:02d}": 2 for n in range(1, 10)}, "options": {}}]),
    ],
) -> ScoreResult:
    """Score item answers as the instrument's manual says. Nothing is stored. A value that is
    not one of an item's options, or an unknown item, is a 422 naming the item."""
    resolved = q.resolve_instrument(db, principal.info.organisation_id, instrument_id)
    data = parse(ScoreRequest, payload)
    try:
        options = ScoringOptions.model_validate(data.options)
    except ValidationError as exc:
        raise InvalidInput(
            [FieldError(("options", *e.loc), e.msg, e.type) for e in field_errors(exc)]
        ) from exc
    _, result = actions.check_answers(resolved.instrument, data.answers, options)
    return result


# --- a client's measures ----------------------------------------------------------------------


@router.get("/clients/{client_id}/measures", response_model=list[SubmissionOut])
def client_measures(
    request: Request, db: Db, principal: Viewer, client_id: int
) -> list[SubmissionOut]:
    """Every stored version, oldest first; `current` is false for versions since corrected."""
    ctx = action_context(request, db, principal)
    client = get_visible_client(db, principal.actor, client_id)
    ctx.require(Permission.MEASURE_VIEW, client.site_id)
    actions.record_measures_view(ctx, client, "api list")
    superseded = q.superseded_ids(db, client.id)
    return [submission_out(s, superseded) for s in q.client_submissions(db, client.id)]


def _entered(
    request: Request, db: Db, principal: Principal, client_id: int, payload: dict, as_rater: bool
) -> SubmissionOut:  # type: ignore[type-arg]
    ctx = action_context(request, db, principal)
    client = get_visible_client(db, principal.actor, client_id)
    today = site_today(client.site, ctx.now)
    data = parse(MeasureEntry, payload, context={"today": today})
    sub = actions.enter_measure(ctx, client_id, data, as_rater=as_rater)
    return submission_out(sub, set())


@router.post("/clients/{client_id}/measures", response_model=SubmissionOut, status_code=201)
def enter_measure(
    request: Request,
    db: Db,
    principal: Enterer,
    client_id: int,
    payload: Annotated[dict, Body(examples=[ENTRY_EXAMPLE])],  # type: ignore[type-arg]
) -> SubmissionOut:
    """Enter any instrument; it is scored and stored with the instrument version, and any
    safety flag raises an alert. Answers are item id → option value (null when unanswered)."""
    return _entered(request, db, principal, client_id, payload, as_rater=False)


@router.post("/clients/{client_id}/ratings", response_model=SubmissionOut, status_code=201)
def enter_rating(
    request: Request,
    db: Db,
    principal: Rater,
    client_id: int,
    payload: Annotated[dict, Body()],  # type: ignore[type-arg]
) -> SubmissionOut:
    """An independent rater's entry of a clinician-rated instrument (e.g. CAPS-5)."""
    return _entered(request, db, principal, client_id, payload, as_rater=True)


@router.post(
    "/clients/{client_id}/measures/{submission_id}/corrections",
    response_model=SubmissionOut,
    status_code=201,
)
def correct_measure(
    request: Request,
    db: Db,
    principal: Enterer,
    client_id: int,
    submission_id: int,
    payload: Annotated[dict, Body(examples=[{"answers": {}, "reason": "typing error"}])],  # type: ignore[type-arg]
) -> SubmissionOut:
    """Store corrected answers as a new version with a reason; the corrected version stays.
    Correcting a version that is no longer the latest is a 409."""
    ctx = action_context(request, db, principal)
    client = get_visible_client(db, principal.actor, client_id)
    data = parse(Correction, payload, context={"today": site_today(client.site, ctx.now)})
    sub = actions.correct_submission(ctx, client_id, submission_id, data)
    return submission_out(sub, set())


# --- alerts and links -------------------------------------------------------------------------


@router.get("/clients/{client_id}/alerts", response_model=list[AlertOut])
def client_alerts(request: Request, db: Db, principal: Viewer, client_id: int) -> list[AlertOut]:
    """The client's safety alerts, newest first, open and acknowledged."""
    ctx = action_context(request, db, principal)
    client = get_visible_client(db, principal.actor, client_id)
    ctx.require(Permission.MEASURE_VIEW, client.site_id)
    actions.record_measures_view(ctx, client, "api alerts")
    return [alert_out(a) for a in q.client_alerts(db, client.id)]


@router.post("/clients/{client_id}/alerts/{alert_id}/acknowledge", response_model=AlertOut)
def acknowledge_alert(
    request: Request,
    db: Db,
    principal: Acknowledger,
    client_id: int,
    alert_id: int,
    payload: Annotated[dict, Body(examples=[{"note": "Called the client; safety plan reviewed."}])],  # type: ignore[type-arg]
) -> AlertOut:
    """Acknowledge an alert; a note saying what was done is required."""
    ctx = action_context(request, db, principal)
    alert = actions.acknowledge_alert(ctx, client_id, alert_id, parse(AlertAcknowledge, payload))
    return alert_out(alert)


@router.post("/clients/{client_id}/self-report-links", response_model=LinkOut, status_code=201)
def create_link(
    request: Request,
    db: Db,
    principal: Enterer,
    client_id: int,
    payload: Annotated[
        dict,  # type: ignore[type-arg]
        Body(examples=[{"instrument_ids": ["pcl5", "phq9"], "expires_in_days": 7}]),
    ],
) -> LinkOut:
    """Create a private self-report link; its address is in `url`, in this answer only."""
    ctx = action_context(request, db, principal)
    data = parse(LinkCreate, payload)
    url, link = actions.create_link_from(
        ctx, client_id, data, base_url=request.app.state.settings.base_url
    )
    return link_out(link, ctx.now, url)
