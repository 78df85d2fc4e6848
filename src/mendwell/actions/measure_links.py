"""Self-report links for the measures due at a visit, and emailing a link to the client.

The link itself comes from the measures module: ``mendwell.actions.measures.create_link(ctx,
client_id, instrument_ids)`` returns its address. This module decides what is due (the visit's
self-report measures in the protocol, once the visit's window has opened), keeps one link per
visit, and sends it by email through the configured SMTP server.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from mendwell.actions.context import ActionContext, writes_allowed
from mendwell.actions.courses import course_for, course_visit, record_for
from mendwell.actions.errors import InvalidInput, NotFound, Refused
from mendwell.clinical.courses import OPEN, CourseStatus
from mendwell.mail import MailError, compose, send
from mendwell.permissions import Permission
from mendwell.queries.course_facts import optional_feature
from mendwell.queries.courses import course_query, protocol_of, self_report_instruments, site_today
from mendwell.settings import Settings
from mendwell.store.models import Client, Course, CourseVisit, MeasureLink, Site

ENTITY = "measure_link"


def link_creator() -> Callable[..., Any] | None:
    """The measures module's link factory, or None when it is not installed."""
    return optional_feature("mendwell.actions.measures", "create_link")


def links_available() -> bool:
    return link_creator() is not None


def visit_link(ctx: ActionContext, visit: CourseVisit) -> MeasureLink | None:
    return ctx.db.scalar(
        select(MeasureLink)
        .where(MeasureLink.course_visit_id == visit.id)
        .order_by(MeasureLink.id.desc())
    )


def _create(ctx: ActionContext, course: Course, visit: CourseVisit) -> MeasureLink:
    instruments = self_report_instruments(protocol_of(course.definition), visit.visit_id)
    if not instruments:
        raise Refused(f"{visit.label} has no self-report measures")
    if visit.status not in OPEN:
        raise Refused(f"{visit.label} is {visit.status}; no measures are due")
    existing = visit_link(ctx, visit)
    if existing is not None:
        return existing
    create = link_creator()
    if create is None:
        raise Refused("Self-report links are not available in this installation")
    made = create(ctx, course.client_id, instruments)
    url = str(getattr(made, "url", made))
    with writes_allowed(ctx.db):
        link = MeasureLink(
            course_id=course.id,
            course_visit_id=visit.id,
            site_id=course.site_id,
            client_id=course.client_id,
            instruments=instruments,
            url=url,
            created_by_id=ctx.actor.user_id,
            created_at=ctx.now,
        )
        ctx.db.add(link)
    record_for(
        ctx,
        course,
        action="create",
        entity_type=ENTITY,
        entity_id=link.id,
        changes={"instruments": [None, instruments]},
        detail={"course_id": course.id, "visit_id": visit.visit_id},
    )
    return link


def create_visit_link(ctx: ActionContext, course_id: int, visit_id: str) -> MeasureLink:
    """The self-report link for a visit's due measures (created once, then reused)."""
    course = course_for(ctx, course_id, Permission.MEASURE_ENTER)
    return _create(ctx, course, course_visit(course, visit_id))


def create_due_links(ctx: ActionContext) -> list[MeasureLink]:
    """Links for every visible open visit whose window has opened and which has none yet."""
    if not links_available():
        raise Refused("Self-report links are not available in this installation")
    courses = ctx.db.scalars(
        course_query(ctx.db, ctx.actor)
        .where(Course.status == CourseStatus.ACTIVE)
        .options(selectinload(Course.visits), selectinload(Course.definition))
    ).all()
    sites = {s.id: s for s in ctx.db.scalars(select(Site))}
    linked = set(ctx.db.scalars(select(MeasureLink.course_visit_id)))
    made = []
    for course in courses:
        if not ctx.actor.can(Permission.MEASURE_ENTER, course.site_id):
            continue
        today = site_today(sites[course.site_id], ctx.now)
        protocol = protocol_of(course.definition)
        for visit in course.visits:
            due = visit.status in OPEN and visit.earliest_date <= today
            if due and visit.id not in linked and self_report_instruments(protocol, visit.visit_id):
                made.append(_create(ctx, course, visit))
    return made


def first_name(client: Client) -> str | None:
    """The name a message may greet the client by: the first word of their preferred name."""
    name = (client.preferred_name or client.legal_name or "").strip()
    return name.split()[0] if name else None


def link_message(site: Site, url: str, greeting: str | None, due_on: date) -> tuple[str, str]:
    """Subject and body of the email: no surname, protocol, substance or clinical detail."""
    hello = f"Hello {greeting}," if greeting else "Hello,"
    body = (
        f"{hello}\n\n"
        f"Your care team at {site.name} asks you to fill in a few short questionnaires "
        f"before {due_on.strftime('%d %B %Y').lstrip('0')}. Open this private link on your "
        f"phone or computer:\n\n{url}\n\n"
        "The link is for you alone; please do not forward this message. If you did not expect "
        "it, reply to let us know.\n"
    )
    return f"Questionnaires from {site.name}", body


def email_link(
    ctx: ActionContext,
    settings: Settings,
    course_id: int,
    link_id: int,
    *,
    greet_by_name: bool = True,
) -> MeasureLink:
    """Email a visit's self-report link to the client's address."""
    course = course_for(ctx, course_id, Permission.MEASURE_ENTER)
    link = ctx.db.get(MeasureLink, link_id)
    if link is None or link.course_id != course.id:
        raise NotFound("link", link_id)
    client = ctx.db.get(Client, course.client_id)
    assert client is not None
    if not client.email:
        raise InvalidInput.single("email", "the client has no email address on record")
    site = ctx.db.get(Site, course.site_id)
    assert site is not None
    visit = next(v for v in course.visits if v.id == link.course_visit_id)
    subject, body = link_message(
        site, link.url, first_name(client) if greet_by_name else None, visit.latest_date
    )
    try:
        send(settings, compose(settings, client.email, subject, body))
    except MailError as exc:
        raise Refused(str(exc)) from exc
    with writes_allowed(ctx.db):
        link.last_emailed_at = ctx.now
    record_for(
        ctx,
        course,
        action="email",
        entity_type=ENTITY,
        entity_id=link.id,
        detail={"to": "client email on record", "greeted_by_name": greet_by_name},
    )
    return link
