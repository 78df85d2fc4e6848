"""The live dosing-session page: one panel per part of the record, each posting and swapping itself
with htmx, and each form also working as a plain POST and redirect. The printed record, the start
from the course visit page, and the client-page and dashboard panels."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from mendwell.actions import dosing_sessions as session_actions
from mendwell.actions.context import ActionContext
from mendwell.actions.errors import Conflict, FieldError, InvalidInput, Refused
from mendwell.permissions import Permission
from mendwell.queries.dosing_session_log import session_record
from mendwell.queries.dosing_sessions import (
    RELEASE_LABELS,
    SUPPLEMENTAL_LABELS,
    TIMING_LABELS,
    VITAL_LABELS,
    SessionView,
    client_session_list,
    hours_minutes,
    session_view,
    sessions_in_progress,
)
from mendwell.queries.session_records import get_visible_session
from mendwell.schemas.common import parse
from mendwell.schemas.dosing_sessions import (
    AddendumInput,
    AdministrationInput,
    ArrivalInput,
    ChecklistAnswerInput,
    DischargeInput,
    EndSessionInput,
    FacilitatorsInput,
    LeavingInput,
    SignInput,
    StartSession,
    SupplementalInput,
    TimelineInput,
    VitalAlertAcknowledgement,
    VitalsInput,
)
from mendwell.store.models import Site
from mendwell.web.access import Db, Principal, action_context, requires
from mendwell.web.extensions import Panel, PanelRequest, client_panel, dashboard_panel
from mendwell.web.forms import errors_by_field, form_data, posted_form
from mendwell.web.templating import render

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, requires(Permission.SESSION_VIEW)]
Recorder = Annotated[Principal, requires(Permission.SESSION_RECORD)]
Acknowledger = Annotated[Principal, requires(Permission.ALERT_ACKNOWLEDGE)]

# The panel template that holds each form, when it is not the form's own name.
PANEL_TEMPLATE: dict[str, str] = {"supplemental": "doses"}
# Panels whose content follows from another panel's change, refreshed with it (out of band).
DEPENDENTS: dict[str, tuple[str, ...]] = {
    "checklist": ("doses",),
    "doses": ("checklist", "vitals", "discharge"),
}
LABELS = {
    "vital": VITAL_LABELS,
    "release": RELEASE_LABELS,
    "supplemental": SUPPLEMENTAL_LABELS,
    "timing": TIMING_LABELS,
}


@dataclass
class Feedback:
    """What went wrong with one panel's form, shown next to its fields."""

    panel: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    conflict: Conflict | None = None
    refusal: Refused | None = None
    status_code: int = 200
    saved: str | None = None

    def for_panel(self, name: str) -> dict[str, Any]:
        mine = self.panel == name
        return {
            "errors": self.errors if mine else {},
            "values": self.values if mine else {},
            "conflict": self.conflict if mine else None,
            "refusal": self.refusal if mine else None,
            "saved": self.saved if mine else None,
        }


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _view(request: Request, db: Session, principal: Principal, session_id: int) -> SessionView:
    now = action_context(request, db, principal).now
    return session_view(db, principal.actor, session_id, now)


def _context(v: SessionView, feedback: Feedback, **extra: Any) -> dict[str, Any]:
    return {
        "v": v,
        "fb": feedback,
        "labels": LABELS,
        "hm": hours_minutes,
        **extra,
    }


def _page(
    request: Request, db: Session, principal: Principal, session_id: int, feedback: Feedback
) -> Response:
    v = _view(request, db, principal, session_id)
    recorded = request.query_params.get("recorded")
    return render(
        request,
        "dosing_sessions/page.html",
        _context(v, feedback, recorded=recorded),
        status_code=feedback.status_code,
    )


def _fragment(
    request: Request, db: Session, principal: Principal, session_id: int, feedback: Feedback
) -> Response:
    """The panel that posted, with the status bar and dependent panels swapped out of band."""
    assert feedback.panel is not None
    v = _view(request, db, principal, session_id)
    template = PANEL_TEMPLATE.get(feedback.panel, feedback.panel)
    oob = DEPENDENTS.get(template, ()) if feedback.status_code < 400 else ()
    return render(
        request,
        "dosing_sessions/fragment.html",
        _context(v, feedback, panel_template=template, oob=oob),
        status_code=feedback.status_code,
    )


def _form_context(db: Session, session_id: int, ctx: ActionContext) -> dict[str, Any]:
    session = get_visible_session(db, ctx.actor, session_id)
    site = db.get(Site, session.site_id)
    return {"naive_local": True, "timezone": site.timezone if site else "UTC", "now": ctx.now}


def _failed(exc: Exception, panel: str, values: dict[str, Any]) -> Feedback:
    if isinstance(exc, InvalidInput):
        return Feedback(panel, errors_by_field(exc.errors), values, status_code=422)
    if isinstance(exc, Conflict):
        return Feedback(panel, {}, values, conflict=exc, status_code=409)
    assert isinstance(exc, Refused)
    return Feedback(panel, {}, values, refusal=exc, status_code=409)


def _submit(
    request: Request,
    db: Session,
    principal: Principal,
    session_id: int,
    panel: str,
    model: type[BaseModel] | None,
    act: Callable[[ActionContext, Any], object],
    *,
    values: dict[str, Any] | None = None,
    saved: str = "Saved.",
    anchor: str | None = None,
) -> Response:
    """Parse a panel's form, run its action; answer the panel (htmx) or redirect (plain POST).

    Without a model the action gets the raw values. Keys starting with "_" are shown, not parsed.
    """
    if values is None:
        assert model is not None
        values = form_data(posted_form(request), model)
    ctx = action_context(request, db, principal)
    try:
        given = {k: v for k, v in values.items() if not k.startswith("_")}
        if model is None:
            act(ctx, given)
        else:
            act(ctx, parse(model, given, context=_form_context(db, session_id, ctx)))
    except (InvalidInput, Conflict, Refused) as exc:
        db.rollback()
        feedback = _failed(exc, panel, values)
        if _is_htmx(request):
            return _fragment(request, db, principal, session_id, feedback)
        return _page(request, db, principal, session_id, feedback)
    if _is_htmx(request):
        # Show the record as written, not collections loaded before the action.
        db.flush()
        db.expire_all()
        return _fragment(request, db, principal, session_id, Feedback(panel, saved=saved))
    return RedirectResponse(f"/sessions/{session_id}#{anchor or 'panel-' + panel}", status_code=303)


# --- starting a session ------------------------------------------------------------------------


@router.post("/courses/{course_id}/visits/{visit_id}/session")
def start(request: Request, db: Db, principal: Recorder, course_id: int, visit_id: str) -> Response:
    """Start the session from the course visit page; the dosing gate is checked first."""
    values = form_data(posted_form(request), StartSession, skip={"overrides"})
    values["visit_id"] = visit_id
    ctx = action_context(request, db, principal)
    try:
        data = parse(StartSession, values, context={"naive_local": True, "now": ctx.now})
        session = session_actions.start_session(ctx, course_id, data)
    except (InvalidInput, Refused, Conflict) as exc:
        db.rollback()
        reasons = exc.reasons if isinstance(exc, Refused) else []
        message = str(exc)
        if isinstance(exc, InvalidInput):
            message = "; ".join(f"{e.field}: {e.msg}" for e in exc.errors)
        return render(
            request,
            "dosing_sessions/not_started.html",
            {"course_id": course_id, "visit_id": visit_id, "message": message, "reasons": reasons},
            status_code=422 if isinstance(exc, InvalidInput) else 409,
        )
    return RedirectResponse(f"/sessions/{session.id}", status_code=303)


# --- the page, its status bar and the printed record -------------------------------------------


@router.get("/sessions/{session_id}")
def page(request: Request, db: Db, principal: Viewer, session_id: int) -> Response:
    # Opening the record is audited; the status bar's polling is not.
    session_actions.view_session(action_context(request, db, principal), session_id)
    return _page(request, db, principal, session_id, Feedback())


@router.get("/sessions/{session_id}/status")
def status(request: Request, db: Db, principal: Viewer, session_id: int) -> Response:
    """The status bar alone: elapsed time, due and overdue readings, gaps, open alerts."""
    v = _view(request, db, principal, session_id)
    return render(request, "dosing_sessions/_status.html", _context(v, Feedback()))


@router.get("/sessions/{session_id}/record")
def record(request: Request, db: Db, principal: Viewer, session_id: int) -> Response:
    """The complete record, minute by minute, for reading and printing."""
    session_actions.view_session(action_context(request, db, principal), session_id)
    v = _view(request, db, principal, session_id)
    return render(
        request, "dosing_sessions/record.html", _context(v, Feedback(), lines=session_record(v))
    )


# --- presence ----------------------------------------------------------------------------------


@router.post("/sessions/{session_id}/presence")
def arrive(request: Request, db: Db, principal: Recorder, session_id: int) -> Response:
    return _submit(
        request,
        db,
        principal,
        session_id,
        "presence",
        ArrivalInput,
        lambda ctx, data: session_actions.record_arrival(ctx, session_id, data),
        saved="Arrival recorded.",
    )


@router.post("/sessions/{session_id}/presence/{presence_id}/leave")
def leave(
    request: Request, db: Db, principal: Recorder, session_id: int, presence_id: int
) -> Response:
    return _submit(
        request,
        db,
        principal,
        session_id,
        "presence",
        LeavingInput,
        lambda ctx, data: session_actions.record_leaving(ctx, session_id, presence_id, data),
        saved="Leaving recorded.",
    )


@router.post("/sessions/{session_id}/facilitators")
def facilitators(request: Request, db: Db, principal: Recorder, session_id: int) -> Response:
    return _submit(
        request,
        db,
        principal,
        session_id,
        "presence",
        FacilitatorsInput,
        lambda ctx, data: session_actions.set_facilitators(ctx, session_id, data),
        saved="Facilitators saved.",
    )


# --- the pre-dose checklist --------------------------------------------------------------------


@router.post("/sessions/{session_id}/checklist")
def checklist(request: Request, db: Db, principal: Recorder, session_id: int) -> Response:
    """Every answered item of the checklist form, saved together (or none of them)."""
    form = posted_form(request)
    v = _view(request, db, principal, session_id)
    values: dict[str, Any] = {}
    answers: list[tuple[str, dict[str, Any]]] = []
    for status in v.checklist:
        item = status.item.id
        answer = str(form.get(f"answer.{item}") or "").strip() or None
        text = str(form.get(f"text.{item}") or "").strip() or None
        values[f"answer.{item}"], values[f"text.{item}"] = answer, text
        last = status.answer
        if (answer, text) == ((last.answer, last.text) if last else (None, None)):
            continue
        if answer is not None or text is not None:
            answers.append((item, {"item_id": item, "answer": answer, "text": text}))

    def act(ctx: ActionContext, _values: object) -> None:
        if not answers:
            raise InvalidInput.single("items", "answer at least one item")
        errors: list[FieldError] = []
        context = _form_context(db, session_id, ctx)
        for item, raw in answers:
            try:
                data = parse(ChecklistAnswerInput, raw, context=context)
                session_actions.answer_checklist(ctx, session_id, data)
            except InvalidInput as exc:
                errors.extend(FieldError((item,), e.msg) for e in exc.errors)
        if errors:
            raise InvalidInput(errors)

    return _submit(
        request,
        db,
        principal,
        session_id,
        "checklist",
        None,
        act,
        values=values,
        saved="Checklist saved.",
    )


# --- doses and the supplemental decision -------------------------------------------------------


@router.post("/sessions/{session_id}/doses")
def dose(request: Request, db: Db, principal: Recorder, session_id: int) -> Response:
    return _submit(
        request,
        db,
        principal,
        session_id,
        "doses",
        AdministrationInput,
        lambda ctx, data: session_actions.record_administration(ctx, session_id, data),
        saved="Dose recorded.",
    )


@router.post("/sessions/{session_id}/supplemental")
def supplemental(request: Request, db: Db, principal: Recorder, session_id: int) -> Response:
    return _submit(
        request,
        db,
        principal,
        session_id,
        "supplemental",
        SupplementalInput,
        lambda ctx, data: session_actions.record_supplemental(ctx, session_id, data),
        saved="Supplemental-dose decision recorded.",
        anchor="panel-doses",
    )


# --- vital signs -------------------------------------------------------------------------------


@router.post("/sessions/{session_id}/vitals")
def vitals(request: Request, db: Db, principal: Recorder, session_id: int) -> Response:
    return _submit(
        request,
        db,
        principal,
        session_id,
        "vitals",
        VitalsInput,
        lambda ctx, data: session_actions.record_vitals(ctx, session_id, data),
        saved="Reading recorded.",
    )


@router.post("/sessions/{session_id}/alerts/{alert_id}/acknowledge")
def acknowledge(
    request: Request, db: Db, principal: Acknowledger, session_id: int, alert_id: int
) -> Response:
    values = form_data(posted_form(request), VitalAlertAcknowledgement)
    values["_alert"] = alert_id
    return _submit(
        request,
        db,
        principal,
        session_id,
        "vitals",
        VitalAlertAcknowledgement,
        lambda ctx, data: session_actions.acknowledge_vital_alert(ctx, session_id, alert_id, data),
        values=values,
        saved="Alert acknowledged.",
    )


# --- timeline ----------------------------------------------------------------------------------


@router.post("/sessions/{session_id}/timeline")
def timeline(request: Request, db: Db, principal: Recorder, session_id: int) -> Response:
    return _submit(
        request,
        db,
        principal,
        session_id,
        "timeline",
        TimelineInput,
        lambda ctx, data: session_actions.add_timeline_entry(ctx, session_id, data),
        saved="Added to the timeline.",
    )


# --- end, discharge, signatures, addenda (whole-record changes: plain POST) -------------------


@router.post("/sessions/{session_id}/end")
def end(request: Request, db: Db, principal: Recorder, session_id: int) -> Response:
    return _submit(
        request,
        db,
        principal,
        session_id,
        "discharge",
        EndSessionInput,
        lambda ctx, data: session_actions.end_session(ctx, session_id, data),
        saved="Session ended.",
    )


@router.post("/sessions/{session_id}/discharge")
def discharge(request: Request, db: Db, principal: Recorder, session_id: int) -> Response:
    form = posted_form(request)
    values = form_data(form, DischargeInput, skip={"criteria"})
    v = _view(request, db, principal, session_id)
    values["criteria"] = {
        c.id: str(form.get(f"criteria.{c.id}", "")).lower() in {"1", "on", "yes", "true"}
        for c in v.rules.discharge.criteria
    }
    return _submit(
        request,
        db,
        principal,
        session_id,
        "discharge",
        DischargeInput,
        lambda ctx, data: session_actions.record_discharge(ctx, session_id, data),
        values=values,
        saved="Discharge recorded.",
    )


@router.post("/sessions/{session_id}/sign")
def sign(request: Request, db: Db, principal: Recorder, session_id: int) -> Response:
    return _submit(
        request,
        db,
        principal,
        session_id,
        "signatures",
        SignInput,
        lambda ctx, data: session_actions.sign_session(ctx, session_id, data),
        saved="Signed.",
    )


@router.post("/sessions/{session_id}/cosign")
def cosign(request: Request, db: Db, principal: Recorder, session_id: int) -> Response:
    return _submit(
        request,
        db,
        principal,
        session_id,
        "signatures",
        SignInput,
        lambda ctx, data: session_actions.cosign_session(ctx, session_id, data),
        saved="Co-signed.",
    )


@router.post("/sessions/{session_id}/addenda")
def addendum(request: Request, db: Db, principal: Recorder, session_id: int) -> Response:
    return _submit(
        request,
        db,
        principal,
        session_id,
        "addenda",
        AddendumInput,
        lambda ctx, data: session_actions.add_addendum(ctx, session_id, data),
        saved="Addendum added.",
    )


# --- panels on shared pages --------------------------------------------------------------------


def _client_panel(req: PanelRequest) -> dict[str, Any] | None:
    assert req.client is not None
    sessions = client_session_list(req.db, req.actor, req.client.id)
    if not sessions:
        return None
    return {"sessions": sessions, "site": req.client.site}


def _dashboard_panel(req: PanelRequest) -> dict[str, Any] | None:
    running = sessions_in_progress(req.db, req.actor)
    if not running:
        return None
    return {"running": running, "now": req.now, "hm": hours_minutes}


client_panel(
    Panel(
        "dosing-sessions",
        "Dosing sessions",
        "dosing_sessions/_client_panel.html",
        Permission.SESSION_VIEW,
        _client_panel,
        order=35,
    )
)
dashboard_panel(
    Panel(
        "sessions-in-progress",
        "Dosing sessions in progress",
        "dosing_sessions/_dashboard_panel.html",
        Permission.SESSION_VIEW,
        _dashboard_panel,
        order=5,
    )
)
