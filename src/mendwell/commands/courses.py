"""`mendwell courses`: print a client's course schedule; create the self-report links now due."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select

from mendwell.actions import courses as course_actions
from mendwell.actions import measure_links
from mendwell.actions.context import SYSTEM, ActionContext
from mendwell.clinical.courses import VISIT_STATUS_LABELS, VisitStatus
from mendwell.clinical.protocols.schedule import measure_text, text_table
from mendwell.clock import Clock
from mendwell.commands.common import database_or_exit, fail, reported_errors
from mendwell.mail import mail_enabled
from mendwell.queries.caseload import due_measure_entries
from mendwell.queries.courses import client_courses, in_window, protocol_of, visit_measures
from mendwell.store.db import transaction
from mendwell.store.models import Client, Course

app = typer.Typer(
    help="Treatment courses: schedules and due self-report links.", no_args_is_help=True
)


def course_table(course: Course) -> str:
    """A course's stored schedule: targets, windows, what happened, measures."""
    protocol = protocol_of(course.definition)
    rows = []
    for v in course.visits:
        status = VISIT_STATUS_LABELS[VisitStatus(v.status)]
        day = v.actual_date or v.scheduled_date
        if day is not None and v.status in (VisitStatus.COMPLETED, VisitStatus.SCHEDULED):
            status += f" {day.isoformat()}"
        if in_window(v) is False:
            status += " (outside window)"
        if v.missed_reason:
            status += f" ({v.missed_reason.replace('_', ' ')})"
        rows.append(
            (
                v.visit_id + (" (optional)" if v.optional else ""),
                v.kind,
                v.target_date.isoformat(),
                f"{v.earliest_date.isoformat()} .. {v.latest_date.isoformat()}",
                status,
                ", ".join(measure_text(m) for m in visit_measures(protocol, v.visit_id)),
            )
        )
    header = ("Visit", "Kind", "Target", "Window", "Status", "Measures")
    return text_table(header, rows)


@app.command("show")
def show(code: Annotated[str, typer.Argument(help="The client's code (MW-XXXX-XXXX).")]) -> None:
    """Print a client's courses with every visit's target, window and status."""
    database = database_or_exit()
    with reported_errors(), transaction(database.sessionmaker) as db:
        client = db.scalar(select(Client).where(Client.code == code.upper()))
        if client is None:
            raise fail(f"no client with code {code.upper()}")
        ctx = ActionContext(db=db, actor=SYSTEM, now=Clock().now(), audit_key=database.audit_key)
        courses = client_courses(db, client.id)
        if not courses:
            typer.echo(f"{client.code}: no treatment course")
        for course in courses:
            course_actions.view_course(ctx, course.id)
            protocol = protocol_of(course.definition)
            typer.echo(
                f"{client.code}: {protocol.title} ({course.protocol_id} {course.protocol_version}),"
                f" enrolled {course.anchor_date.isoformat()}, {course.status}"
            )
            typer.echo(course_table(course))


@app.command("due-links")
def due_links() -> None:
    """Email a self-report link for every visit whose measures fell due and have none yet."""
    database = database_or_exit()
    settings = database.settings
    if not mail_enabled(settings):
        raise fail("email is not configured (MENDWELL_SMTP_HOST and MENDWELL_SMTP_FROM)")
    with database.sessionmaker() as db:
        due = [
            (e.course.id, e.visit.visit_id, e.client.code, e.visit.label, bool(e.client.email))
            for e in due_measure_entries(db, SYSTEM, Clock().now(), mine=False)
            if e.link is None
        ]
    sent = 0
    for course_id, visit_id, code, label, has_email in due:
        if not has_email:
            typer.echo(f"{code} {label}: no email address; give the client the link in person")
            continue
        # One transaction per link: an email that went out is never rolled back with others.
        with reported_errors(), transaction(database.sessionmaker) as db:
            ctx = ActionContext(
                db=db, actor=SYSTEM, now=Clock().now(), audit_key=database.audit_key
            )
            measure_links.create_visit_link(ctx, settings, course_id, visit_id, email=True)
        sent += 1
    typer.echo(f"{sent} self-report link(s) emailed")
