"""Demo dosing sessions: the held ones come from the courses step (a full record each, see
:mod:`mendwell.demo.session_script`); this step starts one session this morning for Alice's
client, still running, so the live session page can be opened.
"""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from mendwell.actions import courses as course_actions
from mendwell.clinical.courses import OPEN
from mendwell.demo.builder import DemoContext, demo_step
from mendwell.demo.session_script import MEDICAL, MORNING_START, hold_session, local_time
from mendwell.queries.courses import course_consents, protocol_of
from mendwell.schemas.common import parse
from mendwell.schemas.courses import ConsentInput, PregnancyTestInput
from mendwell.store.models import Client, Course


def _ready_today(ctx: DemoContext, course: Course, day: date, start_minute: int) -> None:
    """Consents (if none yet) and the day's pregnancy test, before a session at ``start_minute``."""
    protocol = protocol_of(course.definition)
    client = ctx.db.get(Client, course.client_id)
    assert client is not None
    site = next(s for s in ctx.sites.values() if s.id == course.site_id)
    before = max(start_minute - 45, 0)
    morning = local_time(site.timezone, day, before)
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
            "taken_time": f"{before // 60:02d}:{before % 60:02d}",
            "result": "negative" if female else "not_applicable",
        }
        course_actions.record_pregnancy_test(
            ctx.as_user(MEDICAL, morning), course.id, parse(PregnancyTestInput, data)
        )


RUNNING_MINUTES = 130


def _running_since(ctx: DemoContext, course: Course) -> tuple[date, int]:
    """The site day and minute the running session started: this morning at 08:30 for a demo of
    a given date, otherwise early enough that its record ends when the demo is built."""
    if ctx.built_at is None:
        return ctx.today, MORNING_START
    site = next(s for s in ctx.sites.values() if s.id == course.site_id)
    start = (ctx.built_at - timedelta(minutes=RUNNING_MINUTES)).astimezone(ZoneInfo(site.timezone))
    return start.date(), start.hour * 60 + start.minute - start.minute % 5


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
        day, start_minute = _running_since(ctx, course)
        _ready_today(ctx, course, day, start_minute)
        started = hold_session(
            ctx,
            course,
            visit,
            day,
            "alice",
            serial=held,
            until_minute=RUNNING_MINUTES,
            start_minute=start_minute,
        )
        if started is not None:
            ctx.counts["dosing sessions"] = held + 1
            return
