"""Demo dosing sessions: the held ones come from the courses step (a full record each, see
:mod:`mendwell.demo.session_script`); this step starts one session this morning for Alice's
client, still running, so the live session page can be opened.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from mendwell.actions import courses as course_actions
from mendwell.clinical.courses import OPEN
from mendwell.demo.builder import DemoContext, demo_step
from mendwell.demo.session_script import MEDICAL, hold_session, local_time
from mendwell.queries.courses import course_consents, protocol_of
from mendwell.schemas.common import parse
from mendwell.schemas.courses import ConsentInput, PregnancyTestInput
from mendwell.store.models import Client, Course


def _ready_today(ctx: DemoContext, course: Course, day: date) -> None:
    """Consents (if none yet) and today's pregnancy test, as before any dosing session."""
    protocol = protocol_of(course.definition)
    client = ctx.db.get(Client, course.client_id)
    assert client is not None
    site = next(s for s in ctx.sites.values() if s.id == course.site_id)
    morning = local_time(site.timezone, day, 7 * 60 + 45)
    if not course_consents(ctx.db, course):
        for rule in protocol.gating.consents:
            data = {"consent_type": rule.id, "given_on": (day - timedelta(days=7)).isoformat()}
            course_actions.record_consent(
                ctx.as_user("alice", morning), course.id, parse(ConsentInput, data)
            )
    if protocol.gating.pregnancy_test is not None:
        female = client.sex_at_birth in ("female", "intersex")
        data = {
            "taken_on": day.isoformat(),
            "taken_time": "07:30",
            "result": "negative" if female else "not_applicable",
        }
        course_actions.record_pregnancy_test(
            ctx.as_user(MEDICAL, morning), course.id, parse(PregnancyTestInput, data)
        )


@demo_step
def session_in_progress(ctx: DemoContext) -> None:
    """One of Alice's clients is in a dosing session this morning: the live page has data."""
    held = ctx.counts.get("dosing sessions", 0)
    for demo in ctx.clients:
        if demo.facilitator != "alice" or demo.stage != "in_treatment":
            continue
        course = ctx.db.scalar(
            select(Course).where(Course.client_id == demo.client_id, Course.status == "active")
        )
        if course is None:
            continue
        visit = next((v for v in course.visits if v.kind == "dosing" and v.status in OPEN), None)
        if visit is None:
            continue
        _ready_today(ctx, course, ctx.today)
        started = hold_session(
            ctx, course, visit, ctx.today, "alice", serial=held, until_minute=130
        )
        if started is not None:
            ctx.counts["dosing sessions"] = held + 1
            return
