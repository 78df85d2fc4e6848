"""Dosing-session records over JSON: read a session whole, and one POST per action.

Every POST returns the whole session as it now stands (with its new ``version``). Bad input is
a 422 naming each field; a stale ``version`` is a 409 Conflict; a step the record's state does not
allow (a signed session, a dose before the checklist) is a 409 with the reasons.
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response
from pydantic import BaseModel

from mendwell.actions import dosing_sessions as actions
from mendwell.actions.context import ActionContext
from mendwell.permissions import Permission
from mendwell.queries.courses import get_visible_course
from mendwell.queries.scope import get_visible_client
from mendwell.queries.session_records import client_sessions, get_visible_session, session_out
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
from mendwell.store.models import DosingSession, Site
from mendwell.web.access import Db, Principal, action_context, requires

# No postponed annotations here: each registered endpoint's access rule is a value.
router = APIRouter(prefix="/api/v1", tags=["dosing sessions"])

Viewer = Annotated[Principal, requires(Permission.SESSION_VIEW)]
Recorder = Annotated[Principal, requires(Permission.SESSION_RECORD)]
Acknowledger = Annotated[Principal, requires(Permission.ALERT_ACKNOWLEDGE)]
Payload = Annotated[dict, Body()]  # type: ignore[type-arg]


def _out(db: Db, response: Response, session: DosingSession, ctx: ActionContext) -> Any:
    db.flush()
    db.refresh(session)
    response.headers["etag"] = f'"{session.version}"'
    return session_out(db, session, ctx.now)


def _parse(
    db: Db, principal: Principal, session_id: int, model: type[BaseModel], payload: Any
) -> Any:
    """Parse ``payload``; times without an offset are refused (the API is not a form)."""
    session = get_visible_session(db, principal.actor, session_id)
    return parse(model, payload, context={"timezone": session.site.timezone})


@router.get("/dosing-sessions/{session_id}")
def get_session(
    request: Request, db: Db, response: Response, principal: Viewer, session_id: int
) -> dict[str, Any]:
    """One session with every part: presence and staffing gaps, checklist, doses and their
    checks, supplemental decisions, vitals with the schedule and alerts, timeline, discharge,
    signatures and addenda."""
    ctx = action_context(request, db, principal)
    session = actions.view_session(ctx, session_id)
    return _out(db, response, session, ctx)


@router.get("/clients/{client_id}/dosing-sessions")
def list_client_sessions(
    request: Request, db: Db, principal: Viewer, client_id: int
) -> list[dict[str, Any]]:
    """A client's dosing sessions, oldest first (summary: id, visit, status, times)."""
    client = get_visible_client(db, principal.actor, client_id)
    action_context(request, db, principal).require(Permission.SESSION_VIEW, client.site_id)
    return [
        {
            "id": s.id,
            "visit_id": s.visit_id,
            "status": s.status,
            "started_at": s.started_at.isoformat(),
            "ended_at": None if s.ended_at is None else s.ended_at.isoformat(),
            "version": s.version,
        }
        for s in client_sessions(db, client.id)
    ]


@router.post("/courses/{course_id}/dosing-sessions", status_code=201)
def start(
    request: Request,
    db: Db,
    response: Response,
    principal: Recorder,
    course_id: int,
    payload: Annotated[dict, Body(examples=[{"visit_id": "dosing-1", "second_facilitator_id": 3}])],  # type: ignore[type-arg]
) -> dict[str, Any]:
    """Start the session of a dosing visit (the dosing gate is checked first; `overrides` as in
    the course gate). The caller is the lead facilitator."""
    ctx = action_context(request, db, principal)
    course = get_visible_course(db, principal.actor, course_id)
    site = db.get(Site, course.site_id)
    data = parse(StartSession, payload, context={"timezone": site.timezone if site else "UTC"})
    session = actions.start_session(ctx, course_id, data)
    response.headers["location"] = f"/api/v1/dosing-sessions/{session.id}"
    return _out(db, response, session, ctx)


def _route(path: str, model: type[BaseModel], act: Callable[..., Any], who: Any, doc: str) -> None:
    """Register POST ``path``: parse the body into ``model``, run ``act``, return the session.

    A path with ``{part_id}`` (a presence interval, an alert) passes that id to ``act`` too.
    """

    def run(
        request: Request,
        db: Db,
        response: Response,
        principal: Principal,
        ids: list[int],
        payload: Any,
    ) -> dict[str, Any]:
        ctx = action_context(request, db, principal)
        data = _parse(db, principal, ids[0], model, payload)
        act(ctx, *ids, data)
        return _out(db, response, get_visible_session(db, principal.actor, ids[0]), ctx)

    if "{part_id}" in path:

        def endpoint(
            request: Request,
            db: Db,
            response: Response,
            principal: who,  # type: ignore[valid-type]
            session_id: int,
            part_id: int,
            payload: Payload,
        ) -> dict[str, Any]:
            return run(request, db, response, principal, [session_id, part_id], payload)

    else:

        def endpoint(  # type: ignore[misc]
            request: Request,
            db: Db,
            response: Response,
            principal: who,  # type: ignore[valid-type]
            session_id: int,
            payload: Payload,
        ) -> dict[str, Any]:
            return run(request, db, response, principal, [session_id], payload)

    name = "dosing_session_" + path.strip("/").split("/")[0]
    if path.endswith(("leave", "acknowledge")):
        name += "_" + path.rsplit("/", 1)[1]
    endpoint.__doc__ = doc
    endpoint.__name__ = name
    router.add_api_route(
        "/dosing-sessions/{session_id}" + path,
        endpoint,
        methods=["POST"],
        name=name,
        description=doc,
    )


for _path, _model, _act, _who, _doc in (
    (
        "/facilitators",
        FacilitatorsInput,
        actions.set_facilitators,
        Recorder,
        "Name the lead and the second facilitator (`version` required).",
    ),
    (
        "/presence",
        ArrivalInput,
        actions.record_arrival,
        Recorder,
        "A staff member arrives: `user_id`, `role`, optional `at` (back-entry) and `note`.",
    ),
    (
        "/presence/{part_id}/leave",
        LeavingInput,
        actions.record_leaving,
        Recorder,
        "A staff member leaves: optional `at` and `note`.",
    ),
    (
        "/checklist",
        ChecklistAnswerInput,
        actions.answer_checklist,
        Recorder,
        "Answer a pre-dose checklist item: `item_id`, `answer` (yes/no/not-applicable), `text`.",
    ),
    (
        "/administrations",
        AdministrationInput,
        actions.record_administration,
        Recorder,
        "Record a dose (`kind` initial/supplemental, `product`, `lot_or_unique_id`, `amount`, "
        "`unit`, `basis`, `given_by_id`, `witnessed_by_id`, `given_at`); outside the limits, the "
        "plan or the window it needs a `reason`.",
    ),
    (
        "/supplemental",
        SupplementalInput,
        actions.record_supplemental,
        Recorder,
        "The supplemental dose `offered`, `declined` or `withheld` (with `reason`).",
    ),
    (
        "/vitals",
        VitalsInput,
        actions.record_vitals,
        Recorder,
        "Record vital signs; a value beyond a protocol threshold raises an alert.",
    ),
    (
        "/alerts/{part_id}/acknowledge",
        VitalAlertAcknowledgement,
        actions.acknowledge_vital_alert,
        Acknowledger,
        "Acknowledge a vital-sign alert with an `action_note`.",
    ),
    (
        "/timeline",
        TimelineInput,
        actions.add_timeline_entry,
        Recorder,
        "A timeline entry: an observation `code` and/or free `text`, at a minute.",
    ),
    (
        "/end",
        EndSessionInput,
        actions.end_session,
        Recorder,
        "End the session (`version` required); the staffing check is kept.",
    ),
    (
        "/discharge",
        DischargeInput,
        actions.record_discharge,
        Recorder,
        "Discharge: `criteria`, `release_to`, `released_to_name`, `discharged_at`; problems need "
        "a `reason`.",
    ),
    (
        "/sign",
        SignInput,
        actions.sign_session,
        Recorder,
        "The lead facilitator signs (`version` required).",
    ),
    (
        "/cosign",
        SignInput,
        actions.cosign_session,
        Recorder,
        "The second facilitator co-signs (`version` required); the record is then locked.",
    ),
    (
        "/addenda",
        AddendumInput,
        actions.add_addendum,
        Recorder,
        "An addendum to a signed session (`text`).",
    ),
):
    _route(_path, _model, _act, _who, _doc)
