"""Measure pages: entry and ratings, submissions and corrections, self-report links, safety
alerts, the client-page and dashboard panels, and the licensed-instrument admin page."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from mendwell.actions import measures as actions
from mendwell.actions.context import ActionContext
from mendwell.actions.errors import Conflict, FieldError, InvalidInput, NotFound
from mendwell.clinical.instruments import ChangeResult, Instrument
from mendwell.permissions import Permission
from mendwell.queries import measures as q
from mendwell.queries.clients import facilitators_by_id
from mendwell.queries.scope import get_visible_client
from mendwell.queries.site_calendar import site_today
from mendwell.schemas.common import parse
from mendwell.schemas.measures import (
    MAX_INSTRUMENT_FILE_CHARS,
    AlertAcknowledge,
    Correction,
    InstrumentUpload,
    LinkCreate,
    MeasureEntry,
)
from mendwell.store.models import Client, MeasureSubmission, Site
from mendwell.web.access import Db, Principal, action_context, requires
from mendwell.web.charts import LineChart, line_chart
from mendwell.web.extensions import (
    NavItem,
    Panel,
    PanelRequest,
    client_panel,
    dashboard_panel,
    nav_item,
)
from mendwell.web.forms import form_data, posted_form
from mendwell.web.measure_forms import answers_from_form, item_groups, messages, problem_list
from mendwell.web.templating import render, templates

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, requires(Permission.MEASURE_VIEW)]
Enterer = Annotated[Principal, requires(Permission.MEASURE_ENTER)]
Rater = Annotated[Principal, requires(Permission.MEASURE_RATE)]
Acknowledger = Annotated[Principal, requires(Permission.ALERT_ACKNOWLEDGE)]
KnowledgeManager = Annotated[Principal, requires(Permission.KNOWLEDGE_MANAGE)]

templates.env.globals["item_groups"] = item_groups


def _site(db: Db, client: Client) -> Site:
    site = db.get(Site, client.site_id)
    assert site is not None
    return site


def _catalogue(db: Db, client: Client) -> list[q.ResolvedInstrument]:
    return q.instrument_catalogue(db, client.organisation_id)


def _user_names(db: Db, *ids: int | None) -> dict[int, str]:
    return {uid: u.full_name for uid, u in facilitators_by_id(db, {i for i in ids if i}).items()}


def _charts(progress: list[q.InstrumentProgress], dosing: list[date]) -> list[LineChart | None]:
    """A chart per instrument with a total, with the cut-point its latest score was read
    against and the dosing sessions marked."""
    out: list[LineChart | None] = []
    for entry in progress:
        scored = entry.scored
        if not scored or entry.instrument.total_range is None:
            out.append(None)
            continue
        cut = scored[-1].result.cut_point
        out.append(
            line_chart(
                [(p.submission.administered_on, float(p.result.total or 0)) for p in scored],
                y_range=entry.instrument.total_range,
                cut_point=(cut.value, f"cut-point {cut.value}") if cut else None,
                marked_dates=[(d, "dosing") for d in dosing],
            )
        )
    return out


def signed(value: float | None) -> str:
    """A change with its sign (no sign for no change)."""
    return "—" if value is None else ("0" if value == 0 else f"{value:+g}")


def yes_no(value: bool | None) -> str:
    return "no threshold" if value is None else ("yes" if value else "no")


def threshold_notes(instrument: Instrument, change: ChangeResult) -> list[str]:
    """Each change threshold used, in words, with its source."""
    notes = []
    for t in change.thresholds_used:
        kind = "Reliable change" if t.kind == "reliable_change" else "Clinically meaningful"
        parts = []
        if t.points is not None:
            parts.append(f"{t.points:g} points or more")
        if t.percent is not None:
            parts.append(f"{t.percent:g}% of the baseline or more")
        if t.endpoint is not None:
            side = "or below" if t.direction == "decrease" else "or above"
            parts.append(f"ending at {side} {t.endpoint:g}")
        source = t.sources[0].citation if t.sources else "no source"
        flag = " (UNCONFIRMED)" if t.unconfirmed else ""
        notes.append(
            f"{instrument.short_title} — {kind}: {', '.join(parts)} "
            f"({t.population}; {source}){flag}"
        )
    return notes


templates.env.globals.update(yes_no=yes_no, signed=signed, threshold_notes=threshold_notes)


# --- panels -----------------------------------------------------------------------------------


def _measures_panel(req: PanelRequest) -> dict[str, Any] | None:
    client = req.client
    assert client is not None
    db, actor = req.db, req.actor
    ctx = ActionContext(db, actor, req.now, req.request.app.state.audit_key)
    actions.record_measures_view(ctx, client, "client page")
    catalogue = _catalogue(db, client)
    progress = q.progress(q.client_submissions(db, client.id, current_only=True), catalogue)
    links = q.client_links(db, client.id)
    alerts = q.client_alerts(db, client.id, open_only=True)
    dosing = q.dosing_dates_for(db, client.id)
    return {
        "client": client,
        "site": _site(db, client),
        "now": req.now,
        "alerts": alerts,
        "progress": list(zip(progress, _charts(progress, dosing), strict=True)),
        "links": [(link, link.state(req.now)) for link in links[:10]],
        "catalogue": catalogue,
        "titles": {r.instrument.id: r.instrument.short_title for r in catalogue},
        "self_report": [r.instrument for r in catalogue if r.instrument.respondent == "self"],
        "may_enter": actor.can(Permission.MEASURE_ENTER, client.site_id),
        "may_acknowledge": actor.can(Permission.ALERT_ACKNOWLEDGE, client.site_id),
        "link_values": {"instrument_ids": [], "expires_in_days": 7},
        "link_errors": {},
    }


def _ratings_panel(req: PanelRequest) -> dict[str, Any] | None:
    client = req.client
    assert client is not None
    if req.actor.can(Permission.MEASURE_VIEW, client.site_id):
        return None  # they see the whole Measures panel instead
    mine = [
        s
        for s in q.client_submissions(req.db, client.id)
        if s.entered_by_id == req.actor.user_id and s.independent_rater
    ]
    catalogue = _catalogue(req.db, client)
    return {
        "client": client,
        "rated": [r.instrument for r in catalogue if _clinician_rated(r)],
        "titles": {r.instrument.id: r.instrument.short_title for r in catalogue},
        "mine": mine,
    }


def _alerts_panel(req: PanelRequest) -> dict[str, Any] | None:
    return {"alerts": q.dashboard_alerts(req.db, req.actor), "actor": req.actor}


client_panel(
    Panel(
        "measures", "Measures", "measures/panel.html", Permission.MEASURE_VIEW, _measures_panel, 30
    )
)
client_panel(
    Panel(
        "ratings",
        "Ratings",
        "measures/ratings_panel.html",
        Permission.MEASURE_RATE,
        _ratings_panel,
        31,
    )
)
dashboard_panel(
    Panel(
        "safety-alerts",
        "Safety alerts",
        "measures/dashboard_alerts.html",
        Permission.ALERT_ACKNOWLEDGE,
        _alerts_panel,
        10,
    )
)
nav_item(NavItem("Instruments", "/admin/instruments", Permission.KNOWLEDGE_MANAGE, order=930))


def _clinician_rated(resolved: q.ResolvedInstrument) -> bool:
    return resolved.instrument.respondent == "clinician"


# --- entry ------------------------------------------------------------------------------------


def _entry_page(
    request: Request,
    db: Db,
    principal: Principal,
    client: Client,
    *,
    as_rater: bool,
    instrument: Instrument | None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    catalogue = _catalogue(db, client)
    choices = [r.instrument for r in catalogue if _clinician_rated(r) or not as_rater]
    errors = errors or {}
    return render(
        request,
        "measures/entry.html",
        {
            "client": client,
            "identifying": principal.actor.can(Permission.CLIENT_VIEW_IDENTIFYING, client.site_id),
            "as_rater": as_rater,
            "base": f"/clients/{client.id}/{'ratings' if as_rater else 'measures'}",
            "choices": choices,
            "instrument": instrument,
            "values": values or {},
            "errors": errors,
            "problems": problem_list([instrument], errors, {}) if instrument else [],
            "today": site_today(_site(db, client), action_context(request, db, principal).now),
        },
        status_code=status_code,
    )


def _entry_form(
    request: Request,
    db: Db,
    principal: Principal,
    client_id: int,
    instrument_id: str | None,
    as_rater: bool,
) -> Response:
    client = get_visible_client(db, principal.actor, client_id)
    ctx = action_context(request, db, principal)
    ctx.require(Permission.MEASURE_RATE if as_rater else Permission.MEASURE_ENTER, client.site_id)
    instrument = None
    if instrument_id:
        instrument = q.resolve_instrument(db, client.organisation_id, instrument_id).instrument
        if as_rater and instrument.respondent != "clinician":
            raise NotFound("clinician-rated instrument", instrument_id)
    return _entry_page(request, db, principal, client, as_rater=as_rater, instrument=instrument)


def _enter(
    request: Request, db: Db, principal: Principal, client_id: int, as_rater: bool
) -> Response:
    form = posted_form(request)
    client = get_visible_client(db, principal.actor, client_id)
    instrument_id = str(form.get("instrument_id") or "")
    resolved = q.resolve_instrument(db, client.organisation_id, instrument_id)
    answers, problems = answers_from_form(form, resolved.instrument)
    ctx = action_context(request, db, principal)
    values: dict[str, Any] = {**answers, "administered_on": form.get("administered_on") or ""}
    try:
        if problems:
            raise InvalidInput(problems)
        data = parse(
            MeasureEntry,
            {
                "instrument_id": instrument_id,
                "answers": answers,
                "administered_on": form.get("administered_on") or None,
            },
            context={"today": site_today(_site(db, client), ctx.now)},
        )
        sub = actions.enter_measure(ctx, client_id, data, as_rater=as_rater)
    except InvalidInput as exc:
        db.rollback()
        return _entry_page(
            request,
            db,
            principal,
            client,
            as_rater=as_rater,
            instrument=resolved.instrument,
            values=values,
            errors=messages(exc.errors),
            status_code=422,
        )
    kind = "ratings" if as_rater else "measures"
    return RedirectResponse(f"/clients/{client_id}/{kind}/{sub.id}?saved=1", status_code=303)


@router.get("/clients/{client_id}/measures/new")
def new_measure(
    request: Request,
    db: Db,
    principal: Enterer,
    client_id: int,
    instrument_id: Annotated[str | None, Query(max_length=60)] = None,
) -> Response:
    return _entry_form(request, db, principal, client_id, instrument_id, as_rater=False)


@router.post("/clients/{client_id}/measures")
def enter_measure(request: Request, db: Db, principal: Enterer, client_id: int) -> Response:
    return _enter(request, db, principal, client_id, as_rater=False)


@router.get("/clients/{client_id}/ratings/new")
def new_rating(
    request: Request,
    db: Db,
    principal: Rater,
    client_id: int,
    instrument_id: Annotated[str | None, Query(max_length=60)] = None,
) -> Response:
    return _entry_form(request, db, principal, client_id, instrument_id, as_rater=True)


@router.post("/clients/{client_id}/ratings")
def enter_rating(request: Request, db: Db, principal: Rater, client_id: int) -> Response:
    return _enter(request, db, principal, client_id, as_rater=True)


# --- submissions and corrections --------------------------------------------------------------


def _submission_page(
    request: Request,
    db: Db,
    principal: Principal,
    client: Client,
    sub: MeasureSubmission,
    *,
    as_rater: bool,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    chain = q.submission_chain(db, sub)
    resolved = q.resolve_instrument(
        db,
        client.organisation_id,
        sub.instrument_id,
        None,
        custom_id=sub.custom_instrument_id,
    )
    instrument = resolved.instrument
    latest = chain[-1]
    may_correct = (
        principal.actor.can(Permission.MEASURE_RATE, client.site_id)
        and sub.independent_rater
        and sub.entered_by_id == principal.actor.user_id
        if as_rater
        else principal.actor.can(Permission.MEASURE_ENTER, client.site_id)
    )
    errors = errors or {}
    return render(
        request,
        "measures/submission.html",
        {
            "client": client,
            "site": _site(db, client),
            "sub": sub,
            "result": q.stored_score(sub),
            "instrument": instrument,
            "chain": chain,
            "latest": latest,
            "names": _user_names(db, *(s.entered_by_id for s in chain), sub.rater_id),
            "base": f"/clients/{client.id}/{'ratings' if as_rater else 'measures'}",
            "as_rater": as_rater,
            "may_correct": may_correct and latest.id == sub.id,
            "values": values if values is not None else dict(sub.answers),
            "errors": errors,
            "problems": problem_list([instrument], errors, {}),
            "saved": request.query_params.get("saved") == "1",
        },
        status_code=status_code,
    )


def _visible_submission(
    request: Request, db: Db, principal: Principal, client_id: int, submission_id: int, rater: bool
) -> tuple[Client, MeasureSubmission]:
    client = get_visible_client(db, principal.actor, client_id)
    ctx = action_context(request, db, principal)
    ctx.require(Permission.MEASURE_RATE if rater else Permission.MEASURE_VIEW, client.site_id)
    sub = q.get_client_submission(db, client, submission_id)
    if rater and (sub.entered_by_id != principal.actor.user_id or not sub.independent_rater):
        raise NotFound("measure submission", submission_id)
    actions.record_measures_view(ctx, client, f"submission {sub.id}")
    return client, sub


@router.get("/clients/{client_id}/measures")
def measure_history(request: Request, db: Db, principal: Viewer, client_id: int) -> Response:
    client = get_visible_client(db, principal.actor, client_id)
    ctx = action_context(request, db, principal)
    ctx.require(Permission.MEASURE_VIEW, client.site_id)
    actions.record_measures_view(ctx, client, "history")
    subs = q.client_submissions(db, client.id)
    titles = {r.instrument.id: r.instrument.short_title for r in _catalogue(db, client)}
    return render(
        request,
        "measures/history.html",
        {
            "client": client,
            "site": _site(db, client),
            "subs": list(reversed(subs)),
            "superseded": q.superseded_ids(db, client.id),
            "titles": titles,
            "names": _user_names(db, *(s.entered_by_id for s in subs)),
            "alerts": q.client_alerts(db, client.id),
        },
    )


@router.get("/clients/{client_id}/measures/{submission_id}")
def submission_page(
    request: Request, db: Db, principal: Viewer, client_id: int, submission_id: int
) -> Response:
    client, sub = _visible_submission(request, db, principal, client_id, submission_id, False)
    return _submission_page(request, db, principal, client, sub, as_rater=False)


@router.get("/clients/{client_id}/ratings/{submission_id}")
def rating_page(
    request: Request, db: Db, principal: Rater, client_id: int, submission_id: int
) -> Response:
    client, sub = _visible_submission(request, db, principal, client_id, submission_id, True)
    return _submission_page(request, db, principal, client, sub, as_rater=True)


def _correct(
    request: Request,
    db: Db,
    principal: Principal,
    client_id: int,
    submission_id: int,
    as_rater: bool,
) -> Response:
    form = posted_form(request)
    client = get_visible_client(db, principal.actor, client_id)
    sub = q.get_client_submission(db, client, submission_id)
    instrument = q.resolve_instrument(
        db, client.organisation_id, sub.instrument_id, None, custom_id=sub.custom_instrument_id
    ).instrument
    answers, problems = answers_from_form(form, instrument)
    ctx = action_context(request, db, principal)
    reason = str(form.get("reason") or "")
    try:
        if problems:
            raise InvalidInput(problems)
        data = parse(
            Correction,
            {
                "answers": answers,
                "reason": reason,
                "administered_on": form.get("administered_on") or None,
            },
            context={"today": site_today(_site(db, client), ctx.now)},
        )
        new = actions.correct_submission(ctx, client_id, submission_id, data, as_rater=as_rater)
    except (InvalidInput, Conflict) as exc:
        db.rollback()
        errors = (
            messages(exc.errors)
            if isinstance(exc, InvalidInput)
            else {"reason": "this version has been corrected meanwhile; open the latest version"}
        )
        client, sub = _visible_submission(
            request, db, principal, client_id, submission_id, as_rater
        )
        return _submission_page(
            request,
            db,
            principal,
            client,
            sub,
            as_rater=as_rater,
            values={**answers, "reason": reason},
            errors=errors,
            status_code=409 if isinstance(exc, Conflict) else 422,
        )
    kind = "ratings" if as_rater else "measures"
    return RedirectResponse(f"/clients/{client_id}/{kind}/{new.id}?saved=1", status_code=303)


@router.post("/clients/{client_id}/measures/{submission_id}/corrections")
def correct_measure(
    request: Request, db: Db, principal: Enterer, client_id: int, submission_id: int
) -> Response:
    return _correct(request, db, principal, client_id, submission_id, as_rater=False)


@router.post("/clients/{client_id}/ratings/{submission_id}/corrections")
def correct_rating(
    request: Request, db: Db, principal: Rater, client_id: int, submission_id: int
) -> Response:
    return _correct(request, db, principal, client_id, submission_id, as_rater=True)


# --- self-report links ------------------------------------------------------------------------


@router.post("/clients/{client_id}/links")
def create_link(request: Request, db: Db, principal: Enterer, client_id: int) -> Response:
    form = posted_form(request)
    values = form_data(form, LinkCreate)
    ctx = action_context(request, db, principal)
    try:
        data = parse(LinkCreate, values)
        url, link = actions.create_link_from(
            ctx, client_id, data, base_url=request.app.state.settings.base_url
        )
    except InvalidInput as exc:
        db.rollback()
        client = get_visible_client(db, principal.actor, client_id)
        catalogue = _catalogue(db, client)
        return render(
            request,
            "measures/link_form.html",
            {
                "client": client,
                "self_report": [
                    r.instrument for r in catalogue if r.instrument.respondent == "self"
                ],
                "link_values": values,
                "link_errors": {e.field.split(".")[0]: e.msg for e in exc.errors},
            },
            status_code=422,
        )
    client = get_visible_client(db, principal.actor, client_id)
    titles = {r.instrument.id: r.instrument.short_title for r in _catalogue(db, client)}
    return render(
        request,
        "measures/link_created.html",
        {
            "client": client,
            "site": _site(db, client),
            "url": url,
            "link": link,
            "titles": titles,
        },
        status_code=201,
    )


@router.post("/clients/{client_id}/links/{link_id}/revoke")
def revoke_link(
    request: Request, db: Db, principal: Enterer, client_id: int, link_id: int
) -> Response:
    actions.revoke_link(action_context(request, db, principal), client_id, link_id)
    return RedirectResponse(f"/clients/{client_id}#panel-measures", status_code=303)


# --- safety alerts ----------------------------------------------------------------------------


def _alert_page(
    request: Request,
    db: Db,
    principal: Principal,
    client_id: int,
    alert_id: int,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    client = get_visible_client(db, principal.actor, client_id)
    ctx = action_context(request, db, principal)
    ctx.require(Permission.MEASURE_VIEW, client.site_id)
    alert = q.get_client_alert(db, client, alert_id)
    actions.record_measures_view(ctx, client, f"safety alert {alert.id}")
    sub = db.get(MeasureSubmission, alert.submission_id)
    return render(
        request,
        "measures/alert.html",
        {
            "client": client,
            "site": _site(db, client),
            "alert": alert,
            "sub": sub,
            "names": _user_names(db, alert.acknowledged_by_id),
            "may_acknowledge": principal.actor.can(Permission.ALERT_ACKNOWLEDGE, client.site_id),
            "values": values or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/clients/{client_id}/alerts/{alert_id}")
def alert_page(
    request: Request, db: Db, principal: Viewer, client_id: int, alert_id: int
) -> Response:
    return _alert_page(request, db, principal, client_id, alert_id)


@router.post("/clients/{client_id}/alerts/{alert_id}/acknowledge")
def acknowledge_alert(
    request: Request, db: Db, principal: Acknowledger, client_id: int, alert_id: int
) -> Response:
    values = form_data(posted_form(request), AlertAcknowledge)
    ctx = action_context(request, db, principal)
    try:
        actions.acknowledge_alert(ctx, client_id, alert_id, parse(AlertAcknowledge, values))
    except InvalidInput as exc:
        db.rollback()
        return _alert_page(
            request,
            db,
            principal,
            client_id,
            alert_id,
            values=values,
            errors=messages(exc.errors),
            status_code=422,
        )
    return RedirectResponse(f"/clients/{client_id}#panel-measures", status_code=303)


# --- licensed instruments ---------------------------------------------------------------------


def _instruments_page(
    request: Request,
    db: Db,
    principal: Principal,
    *,
    problems: list[str] | None = None,
    text: str = "",
    status_code: int = 200,
) -> Response:
    org = principal.info.organisation_id
    custom = q.custom_instruments(db, org)
    return render(
        request,
        "measures/admin_instruments.html",
        {
            "catalogue": q.instrument_catalogue(db, org),
            "custom": custom,
            "names": _user_names(db, *(c.uploaded_by_id for c in custom)),
            "problems": problems or [],
            "text": text,
            "notice": request.query_params.get("uploaded"),
        },
        status_code=status_code,
    )


@router.get("/admin/instruments")
def instruments(request: Request, db: Db, principal: KnowledgeManager) -> Response:
    return _instruments_page(request, db, principal)


def _uploaded_text(request: Request) -> str:
    form = posted_form(request)
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        raw = upload.file.read(MAX_INSTRUMENT_FILE_CHARS + 1)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput.single("file", "must be a UTF-8 text (YAML) file") from None
    pasted = form.get("text")
    return pasted if isinstance(pasted, str) else ""


@router.post("/admin/instruments")
def upload_instrument(request: Request, db: Db, principal: KnowledgeManager) -> Response:
    ctx = action_context(request, db, principal)
    text = ""
    try:
        text = _uploaded_text(request)
        data = parse(InstrumentUpload, {"text": text})
        row = actions.upload_instrument(ctx, principal.info.organisation_id, data.text)
    except InvalidInput as exc:
        db.rollback()
        return _instruments_page(
            request,
            db,
            principal,
            problems=[_problem_text(e) for e in exc.errors],
            text=text[:MAX_INSTRUMENT_FILE_CHARS],
            status_code=422,
        )
    return RedirectResponse(f"/admin/instruments?uploaded={row.instrument_id}", status_code=303)


def _problem_text(err: FieldError) -> str:
    return err.msg if err.field in ("file", "text") else f"{err.field}: {err.msg}"


@router.post("/admin/instruments/{custom_id}/active")
def set_instrument_active(
    request: Request, db: Db, principal: KnowledgeManager, custom_id: int
) -> Response:
    form = posted_form(request)
    actions.set_instrument_active(
        action_context(request, db, principal),
        principal.info.organisation_id,
        custom_id,
        form.get("active") == "1",
    )
    return RedirectResponse("/admin/instruments", status_code=303)
