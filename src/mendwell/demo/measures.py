"""Demo measures: PCL-5, PHQ-9 and GAD-7 (self-report) and CAPS-5 (rated by Rita) for every
client past referral, at baseline, during treatment, at the endpoint and at follow-up. Clients
whose course lists measures at its visits are measured at those visits as they were held, so the
program outcomes page has visit-by-visit data.

Most clients improve (as in the published MDMA- and psilocybin-assisted therapy trials), with
visit-to-visit noise; a few do not respond. Answers are generated item by item, so every total is
the instrument's own score of its answers. One client has an open PHQ-9 item-9 alert, another an
acknowledged one, and one has a self-report link waiting, partly filled in.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import object_session

from mendwell.actions import measures
from mendwell.actions.context import ActionContext
from mendwell.clinical.instruments import Instrument, get_instrument
from mendwell.clinical.registry import ClientStatus
from mendwell.demo.builder import DemoClient, DemoContext, demo_step
from mendwell.queries.courses import protocol_of, visit_measures
from mendwell.schemas.measures import AlertAcknowledge, MeasureEntry
from mendwell.store.models import Client, Course

SELF_REPORT = ("pcl5", "phq9", "gad7")
RATED = "caps5-past-month"
# Baseline mean and spread, and visit-to-visit noise, per instrument (plausible for a
# treatment-resistant PTSD population; CAPS-5 near the published trial baselines).
PROFILE = {
    "pcl5": (52.0, 8.0, 4.0),
    "phq9": (15.0, 4.0, 2.0),
    "gad7": (12.0, 3.5, 2.0),
    RATED: (42.0, 6.0, 3.0),
}
NON_RESPONDER_SHARE = 0.1
ACK_NOTE = (
    "Phoned the client the same afternoon: passive thoughts, no plan or intent. Safety plan "
    "reviewed; discussed at the team meeting."
)


@dataclass
class Visit:
    day: date
    fraction: float  # how far through the expected improvement (0 at baseline)
    rated: bool  # a CAPS-5 interview too


def _dates(client: Client) -> dict[str, date]:
    return {str(h.to_status): h.effective_date for h in client.status_history}


def _visits(client: Client, today: date, rng: random.Random) -> list[Visit]:
    """The measurement visits a client at this stage has had.

    A course whose protocol lists the PCL-5 or CAPS-5 at its visits is measured at those
    visits as they were held (improvement follows the dosing sessions held before); between
    them, and for courses without measure visits, the client fills questionnaires during
    treatment and at follow-up as a measurement-based-care program would.
    """
    course_visits = _course_visits(client, today)
    when = _dates(client)
    if ClientStatus.SCREENING not in when:
        return []
    visits = [Visit(when[ClientStatus.SCREENING] + timedelta(days=3), 0.0, True)]
    start = when.get(ClientStatus.IN_TREATMENT)
    if start is not None:
        end = when.get(ClientStatus.FOLLOW_UP) or start + timedelta(days=90)
        stop = min(end, when.get(ClientStatus.WITHDRAWN) or end)
        for offset, fraction in ((20, 0.35), (45, 0.7), (70, 0.9)):
            day = start + timedelta(days=offset + rng.randint(-2, 2))
            if day < stop:
                visits.append(Visit(day, fraction, False))
        follow_up = when.get(ClientStatus.FOLLOW_UP)
        if follow_up is not None:
            visits.append(Visit(follow_up + timedelta(days=3), 1.0, True))
            done = when.get(ClientStatus.COMPLETED) or follow_up + timedelta(days=75)
            visits.append(Visit(done - timedelta(days=5), 1.1, True))
    if course_visits:
        # Between course visits only; the course's own measure visits replace the rest.
        first = course_visits[0].day
        visits = [
            v
            for v in visits
            if v.day > first and all(abs((v.day - c.day).days) > 10 for c in course_visits)
        ]
        visits = sorted(course_visits + visits, key=lambda v: v.day)
    return [v for v in visits if v.day <= today]


def _course_visits(client: Client, today: date) -> list[Visit]:
    """Held visits of the client's latest course that list the PCL-5 or CAPS-5."""
    db = object_session(client)
    assert db is not None
    course = db.scalars(
        select(Course).where(Course.client_id == client.id).order_by(Course.id.desc())
    ).first()
    if course is None:
        return []
    protocol = protocol_of(course.definition)
    doses = [v for v in course.visits if v.kind == "dosing"]
    out = []
    for visit in course.visits:
        listed = {m.instrument for m in visit_measures(protocol, visit.visit_id)}
        if visit.actual_date is None or visit.actual_date > today or not listed & {"pcl5", RATED}:
            continue
        held_before = sum(1 for d in doses if d.actual_date and d.actual_date < visit.actual_date)
        fraction = held_before / len(doses) if doses else 0.0
        out.append(Visit(visit.actual_date, fraction, RATED in listed))
    return out


def _answers(instrument: Instrument, target: int, rng: random.Random) -> dict[str, int | None]:
    """Item answers whose total is ``target``: spread evenly, then shuffled between items."""
    items = [i for i in instrument.total_items if i.id != "phq9_09"]
    top = items[0].max_value
    target = max(0, min(target, top * len(items)))
    values = [target // len(items)] * len(items)
    for index in rng.sample(range(len(items)), target % len(items)):
        values[index] += 1
    for _ in range(len(items) * 2):
        give, take = rng.randrange(len(items)), rng.randrange(len(items))
        if values[give] > 0 and values[take] < top and give != take:
            values[give] -= 1
            values[take] += 1
    answers: dict[str, int | None] = {i.id: v for i, v in zip(items, values, strict=True)}
    if instrument.id == "phq9":
        answers["phq9_09"] = 0
        answers["phq9_10"] = min(3, target // 7)
    if instrument.id == RATED:
        answers.update(caps5_a=1, caps5_f=1, caps5_g=int(target >= 20))
    return answers


def _target(instrument_id: str, baseline: float, fraction: float, rng: random.Random) -> int:
    low, high = get_instrument(instrument_id).total_range or (0, 0)
    noise = PROFILE[instrument_id][2]
    return round(min(high, max(low, baseline * (1 - fraction) + rng.gauss(0, noise))))


def _baselines(rng: random.Random) -> dict[str, float]:
    return {key: max(mean - 2 * sd, rng.gauss(mean, sd)) for key, (mean, sd, _) in PROFILE.items()}


def _enter_self_report(
    ctx: DemoContext,
    demo: DemoClient,
    visit: Visit,
    answers: dict[str, dict[str, int | None]],
    by_link: bool,
) -> None:
    when = ctx.at(visit.day, 14)
    facilitator = ctx.as_user(demo.facilitator, when)
    if not by_link:
        for instrument_id, given in answers.items():
            data = MeasureEntry(instrument_id=instrument_id, answers=given)
            measures.enter_measure(facilitator, demo.client_id, data)
        return
    sent = ctx.as_user(demo.facilitator, ctx.at(visit.day - timedelta(days=1), 16))
    _, link = measures.create_link(
        sent, demo.client_id, list(answers), base_url=ctx.database.settings.base_url
    )
    measures.submit_link(_as_client(ctx, when), link, answers)


def _as_client(ctx: DemoContext, when: datetime) -> ActionContext:
    """The client acting through their private link."""
    return ActionContext(ctx.db, measures.self_report_actor(None), when, ctx.audit_key)


def _pick(
    plans: list[tuple[DemoClient, list[Visit]]],
    stages: tuple[str, ...],
    visits: int,
    exclude: set[int],
) -> int:
    """One of Alice's clients, in the first of ``stages`` that has one with enough visits."""
    for stage in stages:
        for demo, planned in plans:
            if (
                demo.facilitator == "alice"
                and demo.stage == stage
                and len(planned) >= visits
                and demo.client_id not in exclude
            ):
                return demo.client_id
    raise LookupError(f"no demo client in {stages} with {visits} visits")


@demo_step
def measures_over_time(ctx: DemoContext) -> None:
    rng = random.Random(ctx.rng.random())
    treated = [d for d in ctx.clients if d.stage in ("follow_up", "completed")]
    non_responders = {d.client_id for d in rng.sample(treated, 2)}
    instruments = {i: get_instrument(i) for i in (*SELF_REPORT, RATED)}
    plans = [(d, _visits(ctx.client(d), ctx.today, rng)) for d in ctx.clients]
    # Alice's clients, so the demo's first facilitator login shows the alerts.
    open_alert = _pick(plans, ("in_treatment", "follow_up"), 1, set())
    acknowledged_alert = _pick(plans, ("in_treatment", "follow_up", "completed"), 2, {open_alert})
    waiting = _pick(plans, ("in_treatment", "enrolled"), 0, {open_alert, acknowledged_alert})
    entered = 0
    for demo, visits in plans:
        if not visits:
            continue
        baseline = _baselines(rng)
        responds = demo.client_id not in non_responders and rng.random() > NON_RESPONDER_SHARE
        gain = rng.uniform(0.45, 0.75) if responds else rng.uniform(-0.05, 0.15)
        for number, visit in enumerate(visits):
            fraction = gain * visit.fraction
            answers = {
                i: _answers(instruments[i], _target(i, baseline[i], fraction, rng), rng)
                for i in SELF_REPORT
            }
            last = number == len(visits) - 1
            if (demo.client_id == open_alert and last) or (
                demo.client_id == acknowledged_alert and number == 1
            ):
                answers["phq9"]["phq9_09"] = 1
            _enter_self_report(ctx, demo, visit, answers, by_link=number > 0 and rng.random() < 0.7)
            entered += len(answers)
            if visit.rated:
                target = _target(RATED, baseline[RATED], fraction, rng)
                rita = ctx.as_user("rita", ctx.at(visit.day, 16))
                data = MeasureEntry(
                    instrument_id=RATED, answers=_answers(instruments[RATED], target, rng)
                )
                measures.enter_measure(rita, demo.client_id, data, as_rater=True)
                entered += 1
    _acknowledge(ctx, acknowledged_alert)
    _pending_link(ctx, next(d for d in ctx.clients if d.client_id == waiting))
    ctx.counts["measures"] = entered


def _acknowledge(ctx: DemoContext, client_id: int) -> None:
    from mendwell.queries.measures import client_alerts

    demo = next(d for d in ctx.clients if d.client_id == client_id)
    for alert in client_alerts(ctx.db, client_id, open_only=True):
        when = alert.raised_at + timedelta(hours=3)
        measures.acknowledge_alert(
            ctx.as_user(demo.facilitator, when),
            client_id,
            alert.id,
            AlertAcknowledge(note=ACK_NOTE),
        )


def _pending_link(ctx: DemoContext, demo: DemoClient) -> None:
    """A link sent yesterday that the client has started and saved."""
    sent = ctx.as_user(demo.facilitator, ctx.at(ctx.today - timedelta(days=1), 15))
    client = ctx.client(demo)
    first = client.preferred_name or client.legal_name.split()[0]
    _, link = measures.create_link(
        sent,
        demo.client_id,
        ["pcl5", "phq9"],
        first_name=first,
        base_url=ctx.database.settings.base_url,
    )
    saving = _as_client(ctx, ctx.at(ctx.today - timedelta(days=1), 20))
    measures.save_link_answers(saving, link, {"pcl5": {f"pcl5_{n:02d}": 2 for n in range(1, 8)}})
