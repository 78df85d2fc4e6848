"""Treatment courses over JSON: courses and schedules, enrolment, the dosing gate."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request
from sqlalchemy.orm import Session, selectinload

from mendwell.actions import courses as course_actions
from mendwell.actions.context import Actor
from mendwell.clinical.protocols.gating import GateCondition, GateResult
from mendwell.clinical.protocols.schedule import measure_text
from mendwell.permissions import Permission
from mendwell.queries.courses import (
    course_query,
    in_window,
    protocol_of,
    visible_visits,
    visit_measures,
)
from mendwell.queries.scope import get_visible_client
from mendwell.queries.site_calendar import site_today
from mendwell.schemas.common import parse
from mendwell.schemas.courses import (
    ApiEnrolInput,
    CourseOut,
    GateConditionOut,
    GateOut,
    GateOverrideOut,
    VisitOut,
)
from mendwell.store.models import Client, Course, Site
from mendwell.web.access import Db, Principal, action_context, requires

router = APIRouter(prefix="/api/v1/courses", tags=["courses"])


def course_out(db: Session, actor: Actor, course: Course) -> CourseOut:
    """A course and the visits this actor may see (raters: rated assessments, no arm)."""
    protocol = protocol_of(course.definition)
    client = db.get(Client, course.client_id)
    assert client is not None
    visits = visible_visits(actor, course, protocol)
    clinical = actor.can(Permission.CLIENT_VIEW_CLINICAL, course.site_id)
    return CourseOut(
        id=course.id,
        client_id=course.client_id,
        client_code=client.code,
        site_id=course.site_id,
        protocol_id=course.protocol_id,
        protocol_version=course.protocol_version,
        protocol_title=protocol.title,
        anchor_date=course.anchor_date,
        status=course.status,
        arm=course.arm if clinical else None,
        enrolled_at=course.enrolled_at,
        completed_on=course.completed_on,
        withdrawn_on=course.withdrawn_on,
        withdrawal_reason=course.withdrawal_reason if clinical else None,
        version=course.version,
        visits=[
            VisitOut(
                visit_id=v.visit_id,
                kind=v.kind,
                label=v.label,
                phase_id=v.phase_id,
                optional=v.optional,
                anchor=v.anchor,
                anchor_basis=v.anchor_basis,
                target_date=v.target_date,
                earliest_date=v.earliest_date,
                latest_date=v.latest_date,
                status=v.status,
                scheduled_date=v.scheduled_date,
                scheduled_at=v.scheduled_at,
                actual_date=v.actual_date,
                actual_at=v.actual_at,
                missed_reason=v.missed_reason,
                missed_note=v.missed_note if clinical else None,
                in_window=in_window(v),
                measures=[measure_text(m) for m in visit_measures(protocol, v.visit_id)],
                version=v.version,
            )
            for v in visits
        ],
    )


def _condition(c: GateCondition) -> GateConditionOut:
    return GateConditionOut(
        code=c.code,
        message=c.message,
        needed=c.needed,
        overridable=c.overridable,
        sources=list(c.sources),
        unconfirmed=c.unconfirmed,
    )


def gate_out(
    db: Session, course: Course, visit_id: str, result: GateResult, now: datetime
) -> GateOut:
    site = db.get(Site, course.site_id)
    assert site is not None
    return GateOut(
        course_id=course.id,
        visit_id=visit_id,
        protocol_id=result.protocol_id,
        protocol_version=result.protocol_version,
        on_date=site_today(site, now),
        ready=result.ready,
        met=list(result.met),
        unmet=[_condition(c) for c in result.unmet],
        overridden=[
            GateOverrideOut(
                condition=_condition(a.condition),
                reason=a.override.reason,
                authorised_by=a.override.authorised_by,
            )
            for a in result.overridden
        ],
    )


@router.get("", response_model=list[CourseOut])
def list_courses(
    request: Request,
    db: Db,
    principal: Annotated[Principal, requires(Permission.COURSE_VIEW)],
    client_id: Annotated[int | None, Query()] = None,
) -> list[CourseOut]:
    """Courses you may see, newest first; with ``client_id``, that client's (404 if hidden)."""
    query = course_query(db, principal.actor).options(
        selectinload(Course.visits), selectinload(Course.definition)
    )
    if client_id is not None:
        get_visible_client(db, principal.actor, client_id)
        query = query.where(Course.client_id == client_id)
    courses = db.scalars(query.order_by(Course.enrolled_at.desc()).limit(500)).all()
    return [course_out(db, principal.actor, c) for c in courses]


@router.post("", response_model=CourseOut, status_code=201)
def enrol(
    request: Request,
    db: Db,
    principal: Annotated[Principal, requires(Permission.COURSE_MANAGE)],
    payload: Annotated[
        dict,  # type: ignore[type-arg]
        Body(
            examples=[{"client_id": 1, "protocol": "mdma-at-phase3", "anchor_date": "2026-01-05"}]
        ),
    ],
) -> CourseOut:
    """Enrol a client (eligible, signed, recent screening required): 409 lists every reason."""
    ctx = action_context(request, db, principal)
    data = parse(ApiEnrolInput, payload)
    course = course_actions.enrol(ctx, data.client_id, data)
    return course_out(db, principal.actor, course)


@router.get("/{course_id}", response_model=CourseOut)
def get_course(
    request: Request,
    db: Db,
    course_id: int,
    principal: Annotated[Principal, requires(Permission.COURSE_VIEW)],
) -> CourseOut:
    """One course with its schedule (404 if its client is not visible to you)."""
    course = course_actions.view_course(action_context(request, db, principal), course_id)
    return course_out(db, principal.actor, course)


@router.get("/{course_id}/visits/{visit_id}/gate", response_model=GateOut)
def dosing_gate(
    request: Request,
    db: Db,
    course_id: int,
    visit_id: str,
    principal: Annotated[Principal, requires(Permission.SESSION_VIEW)],
) -> GateOut:
    """May this dosing session start now? Every unmet condition, what is met, what is overridden."""
    ctx = action_context(request, db, principal)
    course, result = course_actions.view_gate(ctx, course_id, visit_id)
    return gate_out(db, course, visit_id, result, ctx.now)
