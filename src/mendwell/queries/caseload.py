"""What is due: visits by day, overdue visits, due measures and unsigned notes, per user or site.

"Mine" means the clients assigned to the user; for a blinded rater, the rated assessments at the
sites where they rate. Everything is scoped through :mod:`mendwell.queries.scope`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.orm import Session, selectinload

from mendwell.actions.context import Actor
from mendwell.clinical.courses import OPEN, CourseStatus, VisitStatus
from mendwell.permissions import Permission
from mendwell.queries.courses import (
    assessments_only,
    protocol_of,
    rated_visit,
    self_report_instruments,
)
from mendwell.queries.scope import client_visibility
from mendwell.queries.site_calendar import site_today
from mendwell.security.tokens import token_hash
from mendwell.store.models import (
    CalendarFeedToken,
    Client,
    ClientAssignment,
    Course,
    CourseVisit,
    MeasureLink,
    SessionNote,
    Site,
    User,
)

PLANNED_ON = func.coalesce(
    CourseVisit.actual_date, CourseVisit.scheduled_date, CourseVisit.target_date
)


@dataclass(frozen=True)
class VisitEntry:
    """A visit with what a list or calendar shows about it."""

    visit: CourseVisit
    course: Course
    client: Client
    site: Site
    day: date
    duration_minutes: int
    link: MeasureLink | None = None


def _mine(actor: Actor) -> ColumnElement[bool]:
    """Clients assigned to the actor, or every client where they rate assessments."""
    assigned = Client.assignments.any(ClientAssignment.user_id == actor.user_id)
    rater_sites = [
        s for s in actor.sites_with(Permission.COURSE_VIEW) if assessments_only(actor, s)
    ]
    return or_(assigned, Course.site_id.in_(rater_sites)) if rater_sites else assigned


def visit_entries(
    db: Session,
    actor: Actor,
    *,
    start: date,
    end: date,
    mine: bool = False,
    site_id: int | None = None,
    statuses: frozenset[str] | None = None,
    active_only: bool = False,
) -> list[VisitEntry]:
    """Visits expected between ``start`` and ``end`` (held, booked or target day), by day."""
    sites = actor.sites_with(Permission.COURSE_VIEW)
    if not sites and not actor.system:
        return []
    query = (
        select(CourseVisit, Course, Client)
        .join(Course, Course.id == CourseVisit.course_id)
        .join(Client, Client.id == Course.client_id)
        .where(
            client_visibility(db, actor),
            Course.site_id.in_(sites) if not actor.system else Course.id.is_not(None),
            CourseVisit.status != VisitStatus.CANCELLED,
            PLANNED_ON.between(start, end),
        )
        .options(selectinload(Course.definition))
        .order_by(PLANNED_ON, CourseVisit.scheduled_at, Client.code, CourseVisit.sequence)
    )
    if mine:
        query = query.where(_mine(actor) if actor.user_id else false())
    if site_id is not None:
        query = query.where(Course.site_id == site_id)
    if statuses is not None:
        query = query.where(CourseVisit.status.in_(list(statuses)))
    if active_only:
        query = query.where(Course.status == CourseStatus.ACTIVE)
    rows = db.execute(query).all()
    site_map = {s.id: s for s in db.scalars(select(Site))}
    out = []
    for visit, course, client in rows:
        protocol = protocol_of(course.definition)
        if assessments_only(actor, course.site_id) and not rated_visit(protocol, visit.visit_id):
            continue
        try:
            minutes = protocol.visit(visit.visit_id).duration.total_minutes
        except KeyError:
            minutes = 60
        day = visit.actual_date or visit.scheduled_date or visit.target_date
        out.append(VisitEntry(visit, course, client, site_map[course.site_id], day, minutes))
    return out


def overdue_entries(db: Session, actor: Actor, now: datetime, *, mine: bool) -> list[VisitEntry]:
    """Open visits of active courses whose window has closed (at each site's date)."""
    horizon = now.date() + timedelta(days=1)
    entries = visit_entries(
        db,
        actor,
        start=date(1900, 1, 1),
        end=horizon + timedelta(days=3650),
        mine=mine,
        statuses=OPEN,
        active_only=True,
    )
    return [e for e in entries if e.visit.latest_date < site_today(e.site, now)]


def due_measure_entries(
    db: Session, actor: Actor, now: datetime, *, mine: bool = True
) -> list[VisitEntry]:
    """Open visits (mine by default) whose window is open today and that have self-report (for
    raters: rated) measures, with the latest link made for each."""
    horizon = now.date() + timedelta(days=400)
    entries = visit_entries(
        db,
        actor,
        start=date(1900, 1, 1),
        end=horizon,
        mine=mine,
        statuses=OPEN,
        active_only=True,
    )
    out = []
    for e in entries:
        today = site_today(e.site, now)
        if not e.visit.earliest_date <= today <= e.visit.latest_date:
            continue
        protocol = protocol_of(e.course.definition)
        if assessments_only(actor, e.course.site_id):
            if not rated_visit(protocol, e.visit.visit_id):
                continue
        elif not self_report_instruments(protocol, e.visit.visit_id):
            continue
        out.append(e)
    links = {
        link.course_visit_id: link
        for link in db.scalars(
            select(MeasureLink)
            .where(MeasureLink.course_visit_id.in_([e.visit.id for e in out]))
            .order_by(MeasureLink.id)
        )
    }
    return [replace(e, link=links.get(e.visit.id)) for e in out]


@dataclass(frozen=True)
class DraftNote:
    note: SessionNote
    visit: CourseVisit
    client: Client


def unsigned_notes(db: Session, actor: Actor) -> list[DraftNote]:
    """Notes the actor wrote and has not signed yet, oldest first."""
    if actor.user_id is None or not actor.can_anywhere(Permission.NOTE_WRITE):
        return []
    rows = db.execute(
        select(SessionNote, CourseVisit, Client)
        .join(CourseVisit, CourseVisit.id == SessionNote.course_visit_id)
        .join(Client, Client.id == SessionNote.client_id)
        .where(
            SessionNote.author_id == actor.user_id,
            SessionNote.signed_at.is_(None),
            client_visibility(db, actor),
        )
        .order_by(SessionNote.created_at)
    ).all()
    return [DraftNote(n, v, c) for n, v, c in rows]


def my_clients(db: Session, actor: Actor) -> list[Client]:
    """Clients assigned to the actor that they may see."""
    if actor.user_id is None:
        return []
    return list(
        db.scalars(
            select(Client)
            .where(
                client_visibility(db, actor),
                Client.assignments.any(ClientAssignment.user_id == actor.user_id),
            )
            .order_by(Client.code)
        )
    )


def feed_owner(db: Session, token: str) -> tuple[CalendarFeedToken, User] | None:
    """The feed token and its active owner, or None if unknown, revoked or disabled."""
    if not token.startswith("cal_") or len(token) > 100:
        return None
    row = db.scalar(
        select(CalendarFeedToken).where(
            CalendarFeedToken.token_hash == token_hash(token),
            CalendarFeedToken.revoked_at.is_(None),
        )
    )
    if row is None:
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return row, user
