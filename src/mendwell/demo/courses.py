"""Demo treatment courses: every enrolled client has a course played forward to today.

Northside clients follow the MDMA phase 3 protocol or the single-dose psilocybin protocol, Cascade
(Oregon) clients the Oregon service-centre protocol. Visits before today were held (a few missed
or rescheduled, with reasons), preparation and integration sessions have signed notes (the most
recent ones still drafts), consents and pregnancy tests precede each dosing session, and the next
visits are booked. Withdrawn clients' courses end on their withdrawal date with its reason.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from mendwell.actions import courses as course_actions
from mendwell.actions import notes as note_actions
from mendwell.actions.context import ActionContext
from mendwell.actions.errors import Refused
from mendwell.clinical.courses import OPEN, MissedReason, VisitStatus
from mendwell.clinical.protocols.schema import Protocol, load_protocol
from mendwell.clinical.registry import ClientStatus
from mendwell.demo.builder import DemoClient, DemoContext, demo_step
from mendwell.demo.screening import sign_eligible
from mendwell.demo.session_script import hold_session
from mendwell.queries import course_facts
from mendwell.schemas.common import parse
from mendwell.schemas.courses import (
    ConsentInput,
    EnrolInput,
    MissedVisit,
    NoteInput,
    PregnancyTestInput,
    VisitBooking,
    VisitCompletion,
    Withdrawal,
)
from mendwell.store.models import Client, Course, CourseVisit

MEDICAL = "mara"
STAGES = (
    ClientStatus.ENROLLED,
    ClientStatus.IN_TREATMENT,
    ClientStatus.FOLLOW_UP,
    ClientStatus.COMPLETED,
    ClientStatus.WITHDRAWN,
    ClientStatus.LOST_TO_FOLLOW_UP,
)
INTENTIONS = (
    "Feel safe enough to stay with difficult memories",
    "Understand the nightmares; sleep through the night",
    "Reconnect with family; let people close again",
    "Less anger at work; notice the triggers",
)
TOPICS = (
    "Images from the session; the sense of being held",
    "Grief that came up; writing a letter to a lost friend",
    "Sleep improving; plans to return to the gym",
    "Anxiety on the drive home; what helped",
)
RESCHEDULE_REASONS = (
    "Client asked to move it: childcare fell through",
    "Facilitator ill; moved to the next free slot",
    "Client travelling for work",
)
MISSED = (
    (MissedReason.CLIENT_UNWELL, "Called in with flu"),
    (MissedReason.CLIENT_UNAVAILABLE, "Work shift changed at short notice"),
    (MissedReason.STAFF_UNAVAILABLE, "Room unavailable; no slot within the window"),
)


def _protocol_for(demo: DemoClient, n: int) -> Protocol:
    if demo.site_key == "B":
        return load_protocol("oregon-service-centre")
    # Completed courses need a protocol that ends within the demo's timeline.
    if demo.stage == ClientStatus.COMPLETED or n % 5 == 2:
        return load_protocol("psilocybin-single-25mg")
    return load_protocol("mdma-at-phase3")


def _status_day(client: Client, status: ClientStatus) -> date | None:
    for change in client.status_history:
        if change.to_status == status:
            return change.effective_date
    return None


class _Player:
    """Plays one course forward, visit by visit, as the people who would have done it."""

    def __init__(
        self,
        ctx: DemoContext,
        demo: DemoClient,
        course: Course,
        protocol: Protocol,
        safe_from: date | None,
    ):
        self.ctx, self.demo, self.course, self.protocol = ctx, demo, course, protocol
        self.client = ctx.client(demo)
        self.site = ctx.sites[demo.site_key]
        self.rng = ctx.rng
        self.safe_from = safe_from

    def as_(self, username: str, day: date, hour: int = 16, minute: int = 0) -> ActionContext:
        """Acting as ``username`` at a local time of the client's site."""
        local = datetime.combine(day, time(hour, minute), ZoneInfo(self.site.timezone))
        return self.ctx.as_user(username, local.astimezone(UTC))

    def visit(self, visit_id: str) -> CourseVisit:
        return next(v for v in self.course.visits if v.visit_id == visit_id)

    def day_for(self, visit: CourseVisit) -> date:
        """A plausible day inside the window, near the target."""
        if visit.status == VisitStatus.SCHEDULED and visit.scheduled_date:
            return visit.scheduled_date
        day = visit.target_date + timedelta(days=self.rng.choice((0, 0, 0, 0, 0, 0, 0, 1, -1, 2)))
        return min(max(day, visit.earliest_date), visit.latest_date)

    def consents(self, day: date) -> None:
        who = self.as_(self.demo.facilitator, day, 11)
        for n, rule in enumerate(self.protocol.gating.consents):
            data = {
                "consent_type": rule.id,
                "given_on": day.isoformat(),
                "document_ref": f"DOC-{self.client.code[-4:]}-{n + 1}",
            }
            course_actions.record_consent(who, self.course.id, parse(ConsentInput, data))

    def pregnancy_test(self, day: date) -> None:
        if self.protocol.gating.pregnancy_test is None:
            return
        female = self.client.sex_at_birth in ("female", "intersex")
        data = {
            "taken_on": day.isoformat(),
            "taken_time": "07:30",
            "result": "negative" if female else "not_applicable",
            "note": None if female else "Not of childbearing potential (male at birth)",
        }
        who = self.as_(MEDICAL, day, 7, 45)
        course_actions.record_pregnancy_test(who, self.course.id, parse(PregnancyTestInput, data))

    def note(self, visit: CourseVisit, day: date, *, sign: bool) -> None:
        items = getattr(self.protocol.fidelity, visit.kind)
        ticked = [i.id for i in items if self.rng.random() < 0.85]
        data = {
            "held_on": day.isoformat(),
            "held_time": "10:00",
            "attendance": self.rng.choice(("attended", "attended", "attended", "remote")),
            "duration_minutes": self.protocol.visit(visit.visit_id).duration.total_minutes,
            "topics": self.rng.choice(INTENTIONS if visit.kind == "preparation" else TOPICS),
            "fidelity": ticked,
            "risk_level": "none",
            "free_text": "Session as planned. Client engaged throughout; no concerns raised.",
        }
        who = self.as_(self.demo.facilitator, day, 12)
        note_actions.save_note(who, self.course.id, visit.visit_id, parse(NoteInput, data))
        if sign:
            note_actions.sign_note(who, self.course.id, visit.visit_id)

    def dose(self, visit: CourseVisit, day: date) -> bool:
        """Hold the dosing session through the gate (a full record); False if it may not start."""
        first = not any(
            v.kind == "dosing" and v.status == VisitStatus.COMPLETED for v in self.course.visits
        )
        if first:
            self.consents(max(self.course.anchor_date, day - timedelta(days=10)))
        self.pregnancy_test(day)
        held = hold_session(
            self.ctx,
            self.course,
            visit,
            day,
            self.demo.facilitator,
            serial=self.ctx.counts.get("dosing sessions", 0),
        )
        if held is None:
            return False
        self.ctx.counts["dosing sessions"] = self.ctx.counts.get("dosing sessions", 0) + 1
        return True

    def book(
        self, visit: CourseVisit, day: date, booked_on: date, reason: str | None = None
    ) -> None:
        if reason is None and day != visit.target_date:
            reason = "Client's preferred day"
        data = VisitBooking(scheduled_on=day, scheduled_time=time(10, 0), reason=reason)
        course_actions.book_visit(
            self.as_(self.demo.facilitator, booked_on, 14), self.course.id, visit.visit_id, data
        )

    def play(self, until: date, today: date, n: int, stop_after: CourseVisit | None = None) -> None:
        """Hold every visit planned before ``until`` (and not after ``stop_after``)."""
        for visit in list(self.course.visits):
            if stop_after is not None and visit.sequence > stop_after.sequence:
                break
            if visit.status not in OPEN:
                continue
            day = self.day_for(visit)
            if day >= until:
                break
            if (
                visit.kind in ("preparation", "integration")
                and n % 4 == 1
                and not (visit.sequence % 5)
            ):
                # Booked, then moved with a reason.
                booked_on = max(self.course.anchor_date, day - timedelta(days=6))
                self.book(visit, day, booked_on)
                moved = min(visit.latest_date, day + timedelta(days=1))
                if moved < until and moved != day:
                    data = VisitBooking(
                        scheduled_on=moved,
                        scheduled_time=time(11, 0),
                        reason=self.rng.choice(RESCHEDULE_REASONS),
                    )
                    course_actions.book_visit(
                        self.as_(self.demo.facilitator, booked_on, 15),
                        self.course.id,
                        visit.visit_id,
                        data,
                    )
                    day = moved
            if visit.kind == "integration" and n % 5 == 3 and visit.sequence % 3 == 1:
                reason, note = self.rng.choice(MISSED)
                course_actions.record_missed(
                    self.as_(self.demo.facilitator, day, 17),
                    self.course.id,
                    visit.visit_id,
                    MissedVisit(reason=reason, note=note),
                )
                continue
            if visit.kind == "dosing":
                day = max(day, self.safe_from or day)
                if day >= until or not self.dose(visit, day):
                    break
            elif visit.kind in ("preparation", "integration"):
                recent = (today - day).days < 6
                self.note(visit, day, sign=not (recent and n % 2))
            else:
                course_actions.complete_visit(
                    self.as_(self.demo.facilitator, day, 13),
                    self.course.id,
                    visit.visit_id,
                    VisitCompletion(held_on=day, held_time=time(9, 30)),
                )
            if self.course.status != "active":
                return

    def lose_contact(self, today: date) -> None:
        """Visits whose window closed after contact was lost are missed, saying so."""
        for visit in self.course.visits:
            if visit.status in OPEN and visit.latest_date < today:
                course_actions.record_missed(
                    self.as_(self.demo.facilitator, visit.latest_date + timedelta(days=1), 12),
                    self.course.id,
                    visit.visit_id,
                    MissedVisit(
                        reason=MissedReason.LOST_CONTACT,
                        note="No answer to three calls and two letters",
                    ),
                )

    def book_upcoming(self, today: date) -> None:
        """Book the visits of the coming week (and rebook any whose window has closed)."""
        for visit in self.course.visits:
            if visit.status != VisitStatus.PLANNED:
                continue
            if visit.latest_date < today:
                late = "The window closed before a session could be arranged; booked now"
                self.book(visit, today + timedelta(days=2), today, late)
            elif visit.target_date <= today + timedelta(days=7):
                self.book(visit, max(visit.target_date, today), today)


def _enrol(ctx: DemoContext, demo: DemoClient, n: int) -> _Player | None:
    client = ctx.client(demo)
    protocol = _protocol_for(demo, n)
    screening = course_facts.screening_facts(ctx.db, client.id)
    if screening is None or screening.decision != "eligible":
        return None
    if screening.substance != protocol.substance:
        # Screened for the site's MDMA trial; screened again for the psilocybin programme.
        again = screening.signed_at.date() + timedelta(days=1)
        sign_eligible(ctx, demo, again, substance=protocol.substance, protocol_id=protocol.id)
        screening = course_facts.screening_facts(ctx.db, client.id)
        assert screening is not None
    signed = screening.signed_at.date()
    anchor = max(signed, _status_day(client, ClientStatus.ENROLLED) or signed)
    anchor = min(anchor, ctx.today)
    who = ctx.as_user(demo.facilitator, ctx.at(anchor, 15))
    try:
        course = course_actions.enrol(
            who, client.id, parse(EnrolInput, {"protocol": protocol.id, "anchor_date": anchor})
        )
    except Refused:
        return None
    return _Player(ctx, demo, course, protocol, screening.earliest_dosing_date)


@demo_step
def courses(ctx: DemoContext) -> None:
    """A course for every client who was enrolled, consistent with their stage."""
    count = 0
    for n, demo in enumerate(d for d in ctx.clients if d.stage in STAGES):
        player = _enrol(ctx, demo, n)
        if player is None:
            continue
        count += 1
        client = player.client
        if demo.stage == ClientStatus.WITHDRAWN:
            left = _status_day(client, ClientStatus.WITHDRAWN) or ctx.today
            if player.course.visits[-1].target_date < left:
                # A short course would be over by then: the client left before dosing.
                first_dose = next(v for v in player.course.visits if v.kind == "dosing")
                left = max(player.course.anchor_date, first_dose.target_date - timedelta(days=2))
            player.play(left, ctx.today, n)
            reason = next(
                (c.reason for c in client.status_history if c.to_status == "withdrawn"), None
            )
            course_actions.withdraw(
                ctx.as_user(demo.facilitator, ctx.at(left, 20)),
                player.course.id,
                Withdrawal(withdrawn_on=left, reason=reason or "Client chose to stop"),
            )
            continue
        until = ctx.today
        if demo.stage == ClientStatus.LOST_TO_FOLLOW_UP:
            # Contact was lost after the last dosing session.
            last_dose = [v for v in player.course.visits if v.kind == "dosing"][-1]
            player.play(
                last_dose.latest_date + timedelta(days=1), ctx.today, n, stop_after=last_dose
            )
            player.lose_contact(ctx.today)
            continue
        if demo.stage == ClientStatus.ENROLLED:
            first_dose = next(v for v in player.course.visits if v.kind == "dosing")
            until = min(until, player.day_for(first_dose))
        player.play(until, ctx.today, n)
        if player.course.status == "active":
            player.book_upcoming(ctx.today)
    ctx.counts["treatment courses"] = count
