"""Demo adverse events for clients in treatment, in follow-up or completed, and a concern report.

Checklist events (including positive-mood ones) are recorded during the client's first dosing
session and linked to it; a grade-2 raised blood pressure is linked to the second session where
there is one, a serious event whose 15-day report was sent, a serious event whose
clock is still running, and an Oregon reaction at the Oregon site.
"""

from __future__ import annotations

from datetime import date, timedelta

from mendwell.actions import adverse_events as ae
from mendwell.actions import concerns
from mendwell.demo.builder import DemoClient, DemoContext, demo_step
from mendwell.queries.session_records import client_sessions
from mendwell.schemas.adverse_events import (
    AdverseEventFields,
    AdverseEventUpdate,
    AlertAcknowledgement,
    ChecklistRecord,
    FollowUpCreate,
    ReportSubmission,
)
from mendwell.schemas.common import parse
from mendwell.schemas.concerns import ConcernCreate, ConcernReview
from mendwell.store.models import AdverseEvent, DosingSession

TREATED = ("in_treatment", "follow_up", "completed")
# Days from referral to the start of treatment (screening 10, eligible 14, enrolled 7).
TREATMENT_STARTS_AFTER = 31
COMMON = ("nausea", "headache", "anxiety", "euphoria", "elevated-mood", "crying", "fatigue")
SUBSTANCE = {"A": "mdma", "B": "psilocybin"}
RECOVERED_NOTE = "Resolved the same day without treatment."


def _session_day(ctx: DemoContext, demo: DemoClient) -> date:
    day = demo.referred_on + timedelta(days=TREATMENT_STARTS_AFTER + ctx.rng.randint(1, 18))
    return min(day, ctx.today - timedelta(days=1))


def _held(ctx: DemoContext, demo: DemoClient, n: int) -> DosingSession | None:
    """The client's n-th dosing session (from 1) that was signed, if there is one."""
    held = [s for s in client_sessions(ctx.db, demo.client_id) if s.signed_at is not None]
    return held[n - 1] if len(held) >= n else None


def _grade_and_close(ctx: DemoContext, event: AdverseEvent, user: str, day: date) -> None:
    """Grade a checklist event as mild, expected, probably related; close it once resolved."""
    values = {
        **{name: getattr(event, name) for name in ae.CAPTURE_FIELDS},
        "grade": 1,
        "relatedness": ctx.rng.choice(("possibly", "probably")),
        "expectedness": "expected",
        "action_taken": "dose-not-changed",
        "outcome": "recovered",
        "resolved_at": event.onset_at + timedelta(hours=ctx.rng.randint(1, 6)),
        "version": event.version,
    }
    day = day + timedelta(days=1)
    when = ctx.at(day, 10)
    ae.update_adverse_event(
        ctx.as_user(user, when), event.id, parse(AdverseEventUpdate, values, context={"now": when})
    )
    follow_up = {
        "followed_up_on": day.isoformat(),
        "note": RECOVERED_NOTE,
        "status_change": "closed",
    }
    ae.add_follow_up(
        ctx.as_user(user, when + timedelta(minutes=5)),
        event.id,
        parse(FollowUpCreate, follow_up, context={"now": when + timedelta(minutes=5)}),
    )


@demo_step
def adverse_events(ctx: DemoContext) -> None:
    treated = [c for c in ctx.clients if c.stage in TREATED]
    count = 0
    for n, demo in enumerate(treated):
        session = _held(ctx, demo, 1)
        day = _session_day(ctx, demo)
        when = ctx.at(day, 13, 30)
        link: dict[str, object] = {}
        if session is not None:
            # Recorded during the session, two and a half hours after it started.
            onset = session.started_at + timedelta(minutes=150)
            day, when = onset.date(), onset + timedelta(minutes=5)
            link = {"dosing_session_id": session.id, "onset_at": onset.isoformat()}
        items = ctx.rng.sample(COMMON, k=ctx.rng.randint(1, 3))
        if n % 4 == 0 and "euphoria" not in items:
            items.append("euphoria")
        if n % 4 == 2 and "elevated-mood" not in items:
            items.append("elevated-mood")
        data = parse(
            ChecklistRecord,
            {
                "items": items,
                "substance": SUBSTANCE[demo.site_key],
                "context": "Dosing session 1",
                **link,
            },
            context={"now": when},
        )
        events = ae.record_checklist(ctx.as_user(demo.facilitator, when), demo.client_id, data)
        count += len(events)
        if demo.stage != "in_treatment":
            for event in events:
                _grade_and_close(ctx, event, demo.facilitator, day)
    site_a = [c for c in treated if c.site_key == "A"]
    site_b = [c for c in treated if c.site_key == "B"]
    count += _raised_blood_pressure(ctx, next(c for c in site_a if c.stage == "follow_up"))
    # Treated long ago, so its 15-day report has been sent.
    count += _serious_with_report(ctx, next(c for c in site_a if c.stage == "completed"))
    count += _serious_still_running(ctx, next(c for c in site_a if c.stage == "in_treatment"))
    count += _oregon_reaction(ctx, site_b[0])
    ctx.counts["adverse events"] = count


def _record(
    ctx: DemoContext, demo: DemoClient, user: str, day: date, **values: object
) -> AdverseEvent:
    when = ctx.at(day, 15)
    payload = {
        "substance": SUBSTANCE[demo.site_key],
        "onset_at": ctx.at(day, 12).isoformat(),
        "aware_on": day.isoformat(),
        **values,
    }
    data = parse(AdverseEventFields, payload, context={"now": when, "timezone": "UTC"})
    return ae.create_adverse_event(ctx.as_user(user, when), demo.client_id, data)


def _raised_blood_pressure(ctx: DemoContext, demo: DemoClient) -> int:
    session = _held(ctx, demo, 2)
    day = _session_day(ctx, demo) if session is None else session.started_at.date()
    _record(
        ctx,
        demo,
        "mara",
        day,
        dosing_session_id=None if session is None else session.id,
        term="Raised blood pressure (172/96 mmHg two hours after the initial dose)",
        checklist_item="raised-blood-pressure",
        context="Dosing session 2",
        grade=2,
        relatedness="probably",
        expectedness="expected",
        action_taken="supplemental-dose-withheld",
        outcome="recovered",
    )
    return 1


def _serious_with_report(ctx: DemoContext, demo: DemoClient) -> int:
    day = _session_day(ctx, demo)
    event = _record(
        ctx,
        demo,
        "mara",
        day,
        term="Suicidal ideation with a plan; admitted to hospital",
        checklist_item="suicidal-ideation",
        category="psychiatric",
        context="Integration visit 1",
        grade=3,
        seriousness_criteria=["hospitalization"],
        relatedness="possibly",
        expectedness="unexpected",
        action_taken="dosing-postponed",
        outcome="recovering",
    )
    sent = day + timedelta(days=12)
    mara = ctx.as_user("mara", ctx.at(sent, 16))
    ae.record_report(
        mara,
        event.id,
        parse(
            ReportSubmission,
            {
                "clock_id": "susar-other",
                "submitted_on": sent.isoformat(),
                "submitted_to": "FDA (MedWatch 3500A) and IRB",
                "reference": "IND safety report 2026-001",
            },
            context={"now": mara.now},
        ),
    )
    for alert in event.alerts:
        ae.acknowledge_alert(
            ctx.as_user("mara", ctx.at(day, 16)),
            alert.id,
            AlertAcknowledgement(note="Reviewed with the site; client admitted for observation."),
        )
    return 1


def _serious_still_running(ctx: DemoContext, demo: DemoClient) -> int:
    day = ctx.today - timedelta(days=3)
    _record(
        ctx,
        demo,
        demo.facilitator,
        day,
        term="Chest pain during the session; assessed in the emergency department",
        category="cardiovascular",
        context="Dosing session 2",
        seriousness_criteria=["important-medical-event"],
        special_interest=["cardiovascular"],
    )
    return 1


def _oregon_reaction(ctx: DemoContext, demo: DemoClient) -> int:
    _record(
        ctx,
        demo,
        demo.facilitator,
        _session_day(ctx, demo),
        term="Panic with hyperventilation; seen by the on-call physician",
        checklist_item="anxiety",
        grade=2,
        relatedness="probably",
        expectedness="expected",
        outcome="recovered",
        oregon_during_session=True,
        oregon_nature="behavioral",
        oregon_medical_care=True,
    )
    return 1


@demo_step
def concern_report(ctx: DemoContext) -> None:
    when = ctx.at(ctx.today - timedelta(days=9), 18)
    report = concerns.file_concern(
        ctx.as_user("bob", when),
        parse(
            ConcernCreate,
            {
                "site_id": ctx.sites["A"].id,
                "category": "protocol-deviation",
                "description": "During a dosing session the second facilitator left the room for "
                "about twenty minutes while no one else was present.",
                "about_text": "The dosing team on that day",
            },
        ),
    )
    concerns.review_concern(
        ctx.as_user("mara", when + timedelta(days=1)),
        report.id,
        ConcernReview(
            note="Spoke with the team; staffing rota being reviewed.",
            status="under-review",
            version=report.version,
        ),
    )
    ctx.counts["concern report"] = 1
