"""Treatment-course pages: enrolment, the schedule, visits, consents, pregnancy tests, withdrawal,
the dosing gate and self-report links."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from mendwell.actions import courses as course_actions
from mendwell.actions import measure_links
from mendwell.actions.context import ActionContext
from mendwell.actions.errors import Conflict, InvalidInput, NotFound, Refused
from mendwell.actions.measure_links import CreatedLink
from mendwell.clinical import courses as course_vocab
from mendwell.clinical.courses import OPEN
from mendwell.clinical.protocols.gating import GateResult
from mendwell.clinical.protocols.schema import Protocol
from mendwell.mail import mail_enabled
from mendwell.permissions import Permission
from mendwell.queries import course_facts
from mendwell.queries.clients import client_view
from mendwell.queries.courses import (
    assessments_only,
    course_consents,
    course_pregnancy_tests,
    gate_checks,
    gate_overrides,
    get_visible_course,
    protocol_choices,
    protocol_of,
    schedule_rows,
    users_by_id,
    visible_visits,
    visit_history,
)
from mendwell.queries.dosing_gate import dosing_visit
from mendwell.queries.dosing_sessions import visit_session_context
from mendwell.queries.scope import get_visible_client
from mendwell.queries.site_calendar import site_today
from mendwell.schemas.common import parse
from mendwell.schemas.courses import (
    ConsentInput,
    ConsentWithdrawalInput,
    EnrolInput,
    LinkRequest,
    MissedVisit,
    OverrideInput,
    PregnancyTestInput,
    VisitBooking,
    VisitCompletion,
    Withdrawal,
)
from mendwell.store.models import Client, Course, Site
from mendwell.web.access import Db, Principal, action_context, requires
from mendwell.web.forms import errors_by_field, form_data, posted_form
from mendwell.web.templating import render, templates

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, requires(Permission.COURSE_VIEW)]
Manager = Annotated[Principal, requires(Permission.COURSE_MANAGE)]
SessionViewer = Annotated[Principal, requires(Permission.SESSION_VIEW)]
SessionRecorder = Annotated[Principal, requires(Permission.SESSION_RECORD)]
Overrider = Annotated[Principal, requires(Permission.GATE_OVERRIDE)]
LinkSender = Annotated[Principal, requires(Permission.MEASURE_ENTER)]

MET_LABELS = {
    "preparation-sessions": "Required preparation sessions signed",
    "preparation-timing": "A signed preparation session within the allowed time before dosing",
    "screening-missing": "A signed screening on record",
    "screening-not-eligible": "Screening outcome: eligible",
    "screening-expired": "Screening recent enough",
    "pregnancy-test": "Pregnancy test on record for this session (or not applicable)",
    "pregnancy-test-positive": "Pregnancy test not positive",
}


def condition_label(code: str, protocol: Protocol) -> str:
    """A dosing condition in words, for the list of conditions that are met."""
    kind, _, name = code.partition(":")
    if kind == "washout":
        return f"{name} washout has passed"
    if kind == "consent":
        rule = next((c for c in protocol.gating.consents if c.id == name), None)
        return f"{rule.label if rule else name}: signed"
    return MET_LABELS.get(code, code)


templates.env.globals["cv"] = course_vocab
templates.env.globals["condition_label"] = condition_label


# --- shared rendering ------------------------------------------------------------------------


@dataclass(frozen=True)
class Feedback:
    """What went wrong with a submitted form, for the page that shows it again."""

    errors: dict[str, dict[str, str]] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    refusal: Refused | None = None
    conflict: Conflict | None = None
    status_code: int = 200

    def context(self) -> dict[str, Any]:
        return {
            "errors": self.errors,
            "values": self.values,
            "refusal": self.refusal,
            "conflict": self.conflict,
        }


OK = Feedback()


def course_context(db: Session, principal: Principal, course: Course, now: Any) -> dict[str, Any]:
    """What every course page shows: the client, site, protocol and the actor's abilities."""
    actor = principal.actor
    site = db.get(Site, course.site_id)
    client = db.get(Client, course.client_id)
    assert site is not None
    assert client is not None
    protocol = protocol_of(course.definition)

    def may(permission: Permission) -> bool:
        return actor.can(permission, course.site_id)

    return {
        "course": course,
        "client": client,
        "view": client_view(client, actor, now.date()),
        "site": site,
        "protocol": protocol,
        "today": site_today(site, now),
        "now": now,
        "rater_view": assessments_only(actor, course.site_id),
        "clinical": may(Permission.CLIENT_VIEW_CLINICAL),
        "identifying": may(Permission.CLIENT_VIEW_IDENTIFYING),
        "may_manage": may(Permission.COURSE_MANAGE),
        "may_notes": may(Permission.NOTE_VIEW),
        "may_write_notes": may(Permission.NOTE_WRITE),
        "may_sessions": may(Permission.SESSION_VIEW),
        "may_record": may(Permission.SESSION_RECORD),
        "may_override": may(Permission.GATE_OVERRIDE),
        "may_links": may(Permission.MEASURE_ENTER),
        "active": course.status == "active",
    }


def _course_page(
    request: Request,
    db: Db,
    principal: Principal,
    course_id: int,
    feedback: Feedback = OK,
) -> Response:
    ctx = action_context(request, db, principal)
    course = course_actions.view_course(ctx, course_id)
    base = course_context(db, principal, course, ctx.now)
    rows = schedule_rows(db, principal.actor, course, base["protocol"], base["today"])
    consents = course_consents(db, course) if base["clinical"] else []
    tests = course_pregnancy_tests(db, course) if base["may_sessions"] else []
    return render(
        request,
        "courses/course.html",
        {
            **base,
            "rows": rows,
            "consents": consents,
            "consent_rules": base["protocol"].gating.consents,
            "tests": tests,
            "people": users_by_id(
                db, {c.recorded_by_id for c in consents} | {t.recorded_by_id for t in tests}
            ),
            **feedback.context(),
        },
        status_code=feedback.status_code,
    )


def _visit_page(
    request: Request,
    db: Db,
    principal: Principal,
    course_id: int,
    visit_id: str,
    feedback: Feedback = OK,
    *,
    new_link: CreatedLink | None = None,
) -> Response:
    ctx = action_context(request, db, principal)
    course = course_actions.view_course(ctx, course_id)
    base = course_context(db, principal, course, ctx.now)
    visible = {v.visit_id for v in visible_visits(principal.actor, course, base["protocol"])}
    if visit_id not in visible:
        raise NotFound("visit", visit_id)
    row = next(
        r
        for r in schedule_rows(db, principal.actor, course, base["protocol"], base["today"])
        if r.visit.visit_id == visit_id
    )
    history = visit_history(db, row.visit)
    return render(
        request,
        "courses/visit.html",
        {
            **base,
            "row": row,
            "visit": row.visit,
            "history": history,
            "people": users_by_id(db, {h.changed_by_id for h in history}),
            "mail_on": mail_enabled(request.app.state.settings),
            "new_link": new_link,
            **visit_session_context(db, row.visit),
            **feedback.context(),
        },
        status_code=feedback.status_code,
    )


PageRenderer = Callable[[Feedback], Response]


def _submit(
    request: Request,
    db: Db,
    model: type[BaseModel],
    key: str,
    page: PageRenderer,
    work: Callable[[Any], Any],
    done: str | Callable[[Any], str],
) -> Response:
    """Parse a form into ``model`` and run ``work``, as :func:`submit_values`."""
    values = form_data(posted_form(request), model)
    return submit_values(db, model, values, key, page, work, done)


def submit_values(
    db: Session,
    model: type[BaseModel],
    values: dict[str, Any],
    key: str,
    page: PageRenderer,
    work: Callable[[Any], Any],
    done: str | Callable[[Any], str],
) -> Response:
    """Run ``work`` on the parsed values and go to ``done`` (or ``done(result)``); or re-render
    ``page`` with the problems next to form ``key`` (422), or the refusal or conflict (409),
    writing nothing."""
    try:
        result = work(parse(model, values))
    except (InvalidInput, Refused, Conflict) as exc:
        db.rollback()
        return page(feedback_for(exc, key, values))
    return RedirectResponse(done(result) if callable(done) else done, status_code=303)


def feedback_for(
    exc: InvalidInput | Refused | Conflict, key: str, values: dict[str, Any]
) -> Feedback:
    """The problems next to form ``key`` (422), or the refusal or conflict (409)."""
    if isinstance(exc, InvalidInput):
        errors = {key: errors_by_field(exc.errors)}
        return Feedback(errors=errors, values={key: values}, status_code=422)
    if isinstance(exc, Refused):
        return Feedback(refusal=exc, values={key: values}, status_code=409)
    return Feedback(conflict=exc, values={key: values}, status_code=409)


# --- enrolment -------------------------------------------------------------------------------


def _enrol_page(
    request: Request,
    db: Db,
    principal: Principal,
    client_id: int,
    feedback: Feedback = OK,
) -> Response:
    ctx = action_context(request, db, principal)
    client = get_visible_client(db, principal.actor, client_id)
    ctx.require(Permission.COURSE_MANAGE, client.site_id)
    site = db.get(Site, client.site_id)
    return render(
        request,
        "courses/enrol.html",
        {
            "client": client,
            "view": client_view(client, principal.actor, ctx.now.date()),
            "choices": protocol_choices(db, client.organisation_id, site),
            "screening": course_facts.screening_facts(db, client.id),
            "today": site_today(site, ctx.now) if site else ctx.now.date(),
            "values": feedback.values.get("enrol", {}),
            "errors": feedback.errors.get("enrol", {}),
            "refusal": feedback.refusal,
        },
        status_code=feedback.status_code,
    )


@router.get("/clients/{client_id}/courses/new")
def enrol_form(request: Request, db: Db, principal: Manager, client_id: int) -> Response:
    return _enrol_page(request, db, principal, client_id)


@router.post("/clients/{client_id}/courses")
def enrol(request: Request, db: Db, principal: Manager, client_id: int) -> Response:
    ctx = action_context(request, db, principal)
    return _submit(
        request,
        db,
        EnrolInput,
        "enrol",
        lambda feedback: _enrol_page(request, db, principal, client_id, feedback),
        lambda data: course_actions.enrol(ctx, client_id, data),
        lambda course: f"/courses/{course.id}",
    )


# --- the course ------------------------------------------------------------------------------


@router.get("/courses/{course_id}")
def course_page(request: Request, db: Db, principal: Viewer, course_id: int) -> Response:
    return _course_page(request, db, principal, course_id)


def _course_form(
    request: Request,
    db: Db,
    principal: Principal,
    course_id: int,
    model: type[BaseModel],
    key: str,
    action: Callable[[ActionContext, int, Any], Any],
    anchor: str = "",
) -> Response:
    """Handle a form of the course page: run ``action``, or show the page again with why not."""
    ctx = action_context(request, db, principal)
    return _submit(
        request,
        db,
        model,
        key,
        lambda feedback: _course_page(request, db, principal, course_id, feedback),
        lambda data: action(ctx, course_id, data),
        f"/courses/{course_id}{anchor}",
    )


@router.post("/courses/{course_id}/consents")
def record_consent(request: Request, db: Db, principal: Manager, course_id: int) -> Response:
    return _course_form(
        request,
        db,
        principal,
        course_id,
        ConsentInput,
        "consent",
        course_actions.record_consent,
        "#consents",
    )


@router.post("/courses/{course_id}/consents/{consent_id}/withdraw")
def withdraw_consent(
    request: Request, db: Db, principal: Manager, course_id: int, consent_id: int
) -> Response:
    return _course_form(
        request,
        db,
        principal,
        course_id,
        ConsentWithdrawalInput,
        f"consent-{consent_id}",
        lambda ctx, course, data: course_actions.withdraw_consent(ctx, course, consent_id, data),
        "#consents",
    )


@router.post("/courses/{course_id}/pregnancy-tests")
def record_pregnancy_test(
    request: Request, db: Db, principal: SessionRecorder, course_id: int
) -> Response:
    return _course_form(
        request,
        db,
        principal,
        course_id,
        PregnancyTestInput,
        "pregnancy",
        course_actions.record_pregnancy_test,
        "#pregnancy",
    )


@router.post("/courses/{course_id}/withdraw")
def withdraw(request: Request, db: Db, principal: Manager, course_id: int) -> Response:
    return _course_form(
        request, db, principal, course_id, Withdrawal, "withdraw", course_actions.withdraw
    )


# --- visits ----------------------------------------------------------------------------------


@router.get("/courses/{course_id}/visits/{visit_id}")
def visit_page(
    request: Request, db: Db, principal: Viewer, course_id: int, visit_id: str
) -> Response:
    return _visit_page(request, db, principal, course_id, visit_id)


def _visit_renderer(
    request: Request, db: Db, principal: Principal, course_id: int, visit_id: str
) -> PageRenderer:
    return lambda feedback: _visit_page(request, db, principal, course_id, visit_id, feedback)


def _visit_form(
    request: Request,
    db: Db,
    principal: Principal,
    course_id: int,
    visit_id: str,
    model: type[BaseModel],
    key: str,
    action: Callable[[ActionContext, int, str, Any], Any],
) -> Response:
    """Handle a form of the visit page: run ``action``, or show the page again with why not."""
    ctx = action_context(request, db, principal)
    return _submit(
        request,
        db,
        model,
        key,
        _visit_renderer(request, db, principal, course_id, visit_id),
        lambda data: action(ctx, course_id, visit_id, data),
        f"/courses/{course_id}/visits/{visit_id}",
    )


@router.post("/courses/{course_id}/visits/{visit_id}/book")
def book_visit(
    request: Request, db: Db, principal: Manager, course_id: int, visit_id: str
) -> Response:
    return _visit_form(
        request, db, principal, course_id, visit_id, VisitBooking, "book", course_actions.book_visit
    )


@router.post("/courses/{course_id}/visits/{visit_id}/complete")
def complete_visit(
    request: Request, db: Db, principal: Manager, course_id: int, visit_id: str
) -> Response:
    return _visit_form(
        request,
        db,
        principal,
        course_id,
        visit_id,
        VisitCompletion,
        "complete",
        course_actions.complete_visit,
    )


@router.post("/courses/{course_id}/visits/{visit_id}/missed")
def record_missed(
    request: Request, db: Db, principal: Manager, course_id: int, visit_id: str
) -> Response:
    return _visit_form(
        request,
        db,
        principal,
        course_id,
        visit_id,
        MissedVisit,
        "missed",
        course_actions.record_missed,
    )


@router.post("/courses/{course_id}/visits/{visit_id}/link")
def create_link(
    request: Request, db: Db, principal: LinkSender, course_id: int, visit_id: str
) -> Response:
    """Create (and optionally email) a link; its address is shown on the page this once."""
    values = form_data(posted_form(request), LinkRequest)
    ctx = action_context(request, db, principal)
    try:
        data = parse(LinkRequest, values)
        made = measure_links.create_visit_link(
            ctx,
            request.app.state.settings,
            course_id,
            visit_id,
            email=data.email,
            greet_by_name=data.greet_by_name,
        )
    except (InvalidInput, Refused, Conflict) as exc:
        db.rollback()
        feedback = feedback_for(exc, "link", values)
        return _visit_page(request, db, principal, course_id, visit_id, feedback)
    return _visit_page(request, db, principal, course_id, visit_id, new_link=made)


# --- the dosing gate -------------------------------------------------------------------------


def _gate_page(
    request: Request,
    db: Db,
    principal: Principal,
    course_id: int,
    visit_id: str,
    feedback: Feedback = OK,
    *,
    result: GateResult | None = None,
    attempted: bool = False,
) -> Response:
    ctx = action_context(request, db, principal)
    if result is None:
        course, result = course_actions.view_gate(ctx, course_id, visit_id)
    else:
        course = get_visible_course(db, principal.actor, course_id)
    base = course_context(db, principal, course, ctx.now)
    visit = dosing_visit(course, visit_id)
    checks = gate_checks(db, course, visit_id)
    overrides = gate_overrides(db, course, visit_id)
    return render(
        request,
        "courses/gate.html",
        {
            **base,
            "visit": visit,
            "result": result,
            "attempted": attempted,
            "checks": checks,
            "overrides": overrides,
            "people": users_by_id(db, {c.checked_by_id for c in checks}),
            "open": visit.status in OPEN,
            **visit_session_context(db, visit),
            **feedback.context(),
        },
        status_code=feedback.status_code,
    )


@router.get("/courses/{course_id}/visits/{visit_id}/gate")
def gate_page(
    request: Request, db: Db, principal: SessionViewer, course_id: int, visit_id: str
) -> Response:
    return _gate_page(request, db, principal, course_id, visit_id)


@router.post("/courses/{course_id}/visits/{visit_id}/start")
def start_dosing(
    request: Request, db: Db, principal: SessionRecorder, course_id: int, visit_id: str
) -> Response:
    ctx = action_context(request, db, principal)
    try:
        decision = course_actions.authorise_dosing(ctx, course_id, visit_id)
    except Refused as exc:
        db.rollback()
        return _gate_page(request, db, principal, course_id, visit_id, refusal=exc, status_code=409)
    return _gate_page(
        request,
        db,
        principal,
        course_id,
        visit_id,
        Feedback(status_code=200 if decision.authorised else 409),
        result=decision.result,
        attempted=True,
    )


@router.post("/courses/{course_id}/visits/{visit_id}/overrides")
def override_condition(
    request: Request, db: Db, principal: Overrider, course_id: int, visit_id: str
) -> Response:
    ctx = action_context(request, db, principal)

    def page(feedback: Feedback) -> Response:
        return _gate_page(request, db, principal, course_id, visit_id, feedback)

    values = form_data(posted_form(request), OverrideInput)
    key = f"override-{values.get('condition', '')}"
    return submit_values(
        db,
        OverrideInput,
        values,
        key,
        page,
        lambda data: course_actions.override_condition(ctx, course_id, visit_id, data),
        f"/courses/{course_id}/visits/{visit_id}/gate",
    )
