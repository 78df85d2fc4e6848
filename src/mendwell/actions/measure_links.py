"""Self-report links for the measures due at a visit, and emailing them to the client.

The link belongs to the measures module (:func:`mendwell.actions.measures.create_link`), which
keeps only a hash of its token: the address is shown once, when the link is created, and can be
emailed then. This module decides what is due (the visit's self-report measures in the protocol,
once its window has opened), remembers which link was made for which visit, and sends the email
through the configured SMTP server.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from mendwell.actions import audit
from mendwell.actions import measures as measure_actions
from mendwell.actions.context import ActionContext, writes_allowed
from mendwell.actions.courses import course_for, course_visit
from mendwell.actions.errors import InvalidInput, Refused
from mendwell.clinical.courses import OPEN
from mendwell.mail import MailError, compose, send
from mendwell.permissions import Permission
from mendwell.queries.courses import protocol_of, self_report_instruments
from mendwell.settings import Settings
from mendwell.store.models import Client, Course, CourseVisit, MeasureLink, Site

ENTITY = "measure_link"


@dataclass
class CreatedLink:
    """A new link: its address (shown this once) and whether it was emailed."""

    url: str
    row: MeasureLink

    @property
    def emailed(self) -> bool:
        return self.row.emailed_at is not None


def first_name(client: Client) -> str | None:
    """The name a message may greet the client by: the first word of their preferred name."""
    name = (client.preferred_name or client.legal_name or "").strip()
    return name.split()[0] if name else None


def link_message(site: Site, url: str, greeting: str | None, due_by: date) -> tuple[str, str]:
    """Subject and body of the email: no surname, protocol, substance or clinical detail."""
    hello = f"Hello {greeting}," if greeting else "Hello,"
    body = (
        f"{hello}\n\n"
        f"Your care team at {site.name} asks you to fill in a few short questionnaires "
        f"before {due_by.strftime('%d %B %Y').lstrip('0')}. Open this private link on your "
        f"phone or computer:\n\n{url}\n\n"
        "The link is for you alone; please do not forward this message. If you did not expect "
        "it, reply to let us know.\n"
    )
    return f"Questionnaires from {site.name}", body


def _create(
    ctx: ActionContext,
    settings: Settings,
    course: Course,
    visit: CourseVisit,
    *,
    email: bool,
    greet_by_name: bool,
) -> CreatedLink:
    instruments = self_report_instruments(protocol_of(course.definition), visit.visit_id)
    if not instruments:
        raise Refused(f"{visit.label} has no self-report measures")
    if visit.status not in OPEN:
        raise Refused(f"{visit.label} is {visit.status}; no measures are due")
    client = ctx.db.get(Client, course.client_id)
    site = ctx.db.get(Site, course.site_id)
    assert client is not None
    assert site is not None
    if email and not client.email:
        raise InvalidInput.single("email", "the client has no email address on record")
    greeting = first_name(client) if greet_by_name else None
    url, link = measure_actions.create_link(
        ctx, client.id, instruments, first_name=greeting, base_url=settings.base_url
    )
    if email:
        assert client.email is not None
        subject, body = link_message(site, url, greeting, visit.latest_date)
        try:
            send(settings, compose(settings, client.email, subject, body))
        except MailError as exc:
            raise Refused(str(exc)) from exc
    with writes_allowed(ctx.db):
        row = MeasureLink(
            course_id=course.id,
            course_visit_id=visit.id,
            self_report_link_id=link.id,
            site_id=course.site_id,
            client_id=course.client_id,
            instruments=instruments,
            created_by_id=ctx.actor.user_id,
            created_at=ctx.now,
            emailed_at=ctx.now if email else None,
        )
        ctx.db.add(row)
    audit.record_for(
        ctx,
        row,
        action="create",
        entity_type=ENTITY,
        entity_id=row.id,
        changes={"instruments": [None, instruments]},
        detail={
            "course_id": course.id,
            "visit_id": visit.visit_id,
            "self_report_link_id": link.id,
            "emailed": email,
            "greeted_by_name": greeting is not None,
        },
    )
    return CreatedLink(url, row)


def create_visit_link(
    ctx: ActionContext,
    settings: Settings,
    course_id: int,
    visit_id: str,
    *,
    email: bool = False,
    greet_by_name: bool = True,
) -> CreatedLink:
    """A self-report link for the visit's due measures, optionally emailed to the client."""
    course = course_for(ctx, course_id, Permission.MEASURE_ENTER)
    visit = course_visit(course, visit_id)
    return _create(ctx, settings, course, visit, email=email, greet_by_name=greet_by_name)
