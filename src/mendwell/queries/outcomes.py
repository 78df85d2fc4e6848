"""Program outcomes: the de-identified records behind the outcomes page, from stored data.

One subject is one treatment course. A stored, scored measure (the current version of each
submission) belongs to a course visit that lists its instrument: the visit its self-report link
was created for, otherwise the visit whose window (or held date) contains the day it was
administered, the nearest one when several do; at most one total per course, visit and
instrument (the one nearest the visit day). Visit labels follow the schedule: visits are ordered
by their planned distance from the protocol's baseline visit. Subjects get labels numbered in
enrolment order (``S001``...), valid within one report only; no name, client code, date of
birth or calendar date leaves this module.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mendwell.actions.context import Actor
from mendwell.analytics.dataset import COLUMNS, OutcomeRecord
from mendwell.analytics.outcome_report import SINGLE_GROUP
from mendwell.analytics.summaries import wilson_interval
from mendwell.clinical.courses import VisitStatus
from mendwell.clinical.instruments import Instrument, get_instrument
from mendwell.clinical.protocols.schema import Protocol
from mendwell.clinical.sessions.adverse_events import GRADES
from mendwell.permissions import Permission
from mendwell.queries.courses import protocol_of, visit_measures
from mendwell.queries.measures import is_current
from mendwell.queries.params import ParamReader
from mendwell.store.models import (
    AdverseEvent,
    Course,
    CourseVisit,
    MeasureLink,
    MeasureSubmission,
    Site,
)

# The instruments the page offers: (id, name shown).
INSTRUMENTS: dict[str, str] = {"pcl5": "PCL-5", "caps5-past-month": "CAPS-5 (past month)"}
NO_ARM = "no arm"
# A visit in one of these states was due, whatever its window.
CLOSED = (VisitStatus.COMPLETED, VisitStatus.MISSED, VisitStatus.CANCELLED)


@dataclass(frozen=True)
class OutcomeFilter:
    instrument: str = "pcl5"
    site_id: int | None = None
    protocol: str | None = None
    substance: str | None = None
    since: date | None = None
    until: date | None = None
    reference_arm: str | None = None


@dataclass(frozen=True)
class FilterChoices:
    sites: list[tuple[int, str]]
    protocols: list[tuple[str, str]]
    substances: list[str]


def filter_choices(db: Session, actor: Actor) -> FilterChoices:
    """The sites, protocols and substances of the courses this actor may analyse."""
    site_ids = actor.sites_with(Permission.ANALYTICS_VIEW)
    sites = [
        (s.id, s.name)
        for s in db.scalars(select(Site).where(Site.id.in_(site_ids)).order_by(Site.name))
    ]
    protocols: dict[str, str] = {}
    substances: set[str] = set()
    for course in db.scalars(
        select(Course).where(Course.site_id.in_(site_ids)).options(selectinload(Course.definition))
    ):
        protocol = protocol_of(course.definition)
        protocols.setdefault(protocol.id, protocol.title)
        substances.add(protocol.substance)
    return FilterChoices(sites, sorted(protocols.items()), sorted(substances))


def filter_from_params(params: Mapping[str, str | None], choices: FilterChoices) -> OutcomeFilter:
    """The page's filters from query parameters; a bad value raises InvalidInput naming it."""
    read = ParamReader(params)
    instrument = read.choice("instrument", list(INSTRUMENTS)) or "pcl5"
    site = read.text("site")
    site_id = None
    if site is not None:
        allowed = {str(i): i for i, _ in choices.sites}
        if site not in allowed:
            read.problem("site", "must be one of the sites you may analyse")
        else:
            site_id = allowed[site]
    protocol = read.choice("protocol", [p for p, _ in choices.protocols])
    substance = read.choice("substance", list(choices.substances))
    since, until = read.date_range("from", "to")
    reference_arm = read.text("reference")
    read.done()
    return OutcomeFilter(
        instrument=instrument,
        site_id=site_id,
        protocol=protocol,
        substance=substance,
        since=since,
        until=until,
        reference_arm=reference_arm,
    )


@dataclass(frozen=True)
class AERateRow:
    """Adverse events of one kind: events, and the share of clients and courses with one."""

    label: str
    events: int
    clients: int
    clients_n: int
    client_ci: tuple[float, float]
    courses: int
    courses_n: int
    course_ci: tuple[float, float]

    @property
    def client_rate(self) -> float:
        return self.clients / self.clients_n if self.clients_n else float("nan")

    @property
    def course_rate(self) -> float:
        return self.courses / self.courses_n if self.courses_n else float("nan")

    @property
    def events_per_course(self) -> float:
        return self.events / self.courses_n if self.courses_n else float("nan")


@dataclass
class OutcomeData:
    """Everything the page needs from storage, already de-identified."""

    instrument: Instrument
    records: list[OutcomeRecord] = field(default_factory=list)
    baseline_visit: dict[str, str] = field(default_factory=dict)
    visit_labels: dict[str, str] = field(default_factory=dict)
    n_courses: int = 0
    n_clients: int = 0
    course_status: dict[str, dict[str, int]] = field(default_factory=dict)  # arm -> status -> n
    unmatched: int = 0  # totals outside every visit window
    without_arm: int = 0  # courses left out because others have arms and they have none
    due: dict[str, set[str]] = field(default_factory=dict)  # subject -> visits due by today
    adverse_events: list[AERateRow] = field(default_factory=list)
    arms: list[str] = field(default_factory=list)


@dataclass
class _Course:
    course: Course
    protocol: Protocol
    subject: str
    arm: str
    baseline_visit: str | None
    visits: list[CourseVisit]  # visits that list the instrument


def _selected_courses(db: Session, actor: Actor, f: OutcomeFilter) -> list[tuple[Course, Protocol]]:
    sites = actor.sites_with(Permission.ANALYTICS_VIEW)
    if f.site_id is not None:
        sites = sites & {f.site_id}
    query = (
        select(Course)
        .where(Course.site_id.in_(sites))
        .options(selectinload(Course.visits), selectinload(Course.definition))
        .order_by(Course.anchor_date, Course.id)
    )
    if f.protocol:
        query = query.where(Course.protocol_id == f.protocol)
    if f.since:
        query = query.where(Course.anchor_date >= f.since)
    if f.until:
        query = query.where(Course.anchor_date <= f.until)
    out = []
    for course in db.scalars(query):
        protocol = protocol_of(course.definition)
        if f.substance and protocol.substance != f.substance:
            continue
        out.append((course, protocol))
    return out


def _arm_labels(courses: list[tuple[Course, Protocol]]) -> dict[int, str | None]:
    """Each course's arm; one group when fewer than two arms are named, None for a course
    without an arm among courses with arms (it is left out of the comparison)."""
    named = {c.arm for c, _ in courses if c.arm}
    if len(named) < 2:
        return {c.id: SINGLE_GROUP for c, _ in courses}
    return {c.id: c.arm for c, _ in courses}


def _visit_order(selected: list[_Course]) -> dict[str, int]:
    """Visit ids ordered by their median planned distance (days) from the baseline visit."""
    offsets: dict[str, list[int]] = defaultdict(list)
    for item in selected:
        by_id = {v.visit_id: v for v in item.course.visits}
        base = by_id.get(item.baseline_visit or "")
        origin = base.target_date if base else item.course.anchor_date
        for visit in item.visits:
            offsets[visit.visit_id].append((visit.target_date - origin).days)
    ranked = sorted(offsets, key=lambda v: (statistics.median(offsets[v]), v))
    return {v: i for i, v in enumerate(ranked)}


def _visit_day(visit: CourseVisit) -> date:
    return visit.actual_date or visit.scheduled_date or visit.target_date


def _diagnosis(sub: MeasureSubmission, output: str | None) -> bool | None:
    if output is None:
        return None
    value = (sub.score.get("algorithms") or {}).get(output)
    return value if isinstance(value, bool) else None


def outcome_data(db: Session, actor: Actor, f: OutcomeFilter, today: date) -> OutcomeData:
    """The records, visit labels, course statuses and adverse-event rates for ``f``."""
    instrument = get_instrument(f.instrument)
    data = OutcomeData(instrument=instrument)
    courses = _selected_courses(db, actor, f)
    if not courses:
        return data
    arms = _arm_labels(courses)
    data.without_arm = sum(1 for arm in arms.values() if arm is None)
    courses = [(c, p) for c, p in courses if arms[c.id] is not None]
    selected = []
    for n, (course, protocol) in enumerate(courses, start=1):
        baseline = next((v.id for v in protocol.visits if v.kind == "baseline"), None)
        visits = [
            v
            for v in course.visits
            if any(m.instrument == f.instrument for m in visit_measures(protocol, v.visit_id))
        ]
        arm = arms[course.id] or NO_ARM
        selected.append(_Course(course, protocol, f"S{n:03d}", arm, baseline, visits))
    data.n_courses = len(selected)
    data.n_clients = len({c.course.client_id for c in selected})
    data.arms = sorted({c.arm for c in selected})
    for item in selected:
        counts = data.course_status.setdefault(item.arm, {})
        counts[item.course.status] = counts.get(item.course.status, 0) + 1
    order = _visit_order(selected)
    for item in selected:
        for visit in item.visits:
            data.visit_labels.setdefault(visit.visit_id, visit.label)
        if item.baseline_visit:
            data.baseline_visit[item.subject] = item.baseline_visit
        data.due[item.subject] = {
            v.visit_id for v in item.visits if v.status in CLOSED or v.latest_date < today
        }
    data.records, data.unmatched = _records(db, selected, instrument, order)
    data.adverse_events = _adverse_events(db, selected, today)
    return data


def _records(
    db: Session, selected: list[_Course], instrument: Instrument, order: dict[str, int]
) -> tuple[list[OutcomeRecord], int]:
    by_client: dict[int, list[_Course]] = defaultdict(list)
    for item in selected:
        by_client[item.course.client_id].append(item)
    course_ids = [item.course.id for item in selected]
    link_visit = dict(
        db.execute(
            select(MeasureLink.self_report_link_id, MeasureLink.course_visit_id).where(
                MeasureLink.course_id.in_(course_ids)
            )
        ).all()
    )
    subs = db.scalars(
        select(MeasureSubmission)
        .where(
            MeasureSubmission.client_id.in_(list(by_client)),
            MeasureSubmission.instrument_id == instrument.id,
            MeasureSubmission.total.is_not(None),
            is_current(),
        )
        .order_by(MeasureSubmission.administered_on, MeasureSubmission.id)
    )
    # (course id, visit id) -> (distance in days, submission, course)
    chosen: dict[tuple[int, str], tuple[int, MeasureSubmission, _Course]] = {}
    unmatched = 0
    for sub in subs:
        candidates: list[tuple[int, CourseVisit, _Course]] = []
        for item in by_client[sub.client_id]:
            for visit in item.visits:
                linked = sub.link_id is not None and link_visit.get(sub.link_id) == visit.id
                inside = visit.earliest_date <= sub.administered_on <= visit.latest_date
                if linked or inside or visit.actual_date == sub.administered_on:
                    distance = -1 if linked else abs((sub.administered_on - _visit_day(visit)).days)
                    candidates.append((distance, visit, item))
        if not candidates:
            unmatched += 1
            continue
        distance, visit, item = min(candidates, key=lambda c: (c[0], c[1].sequence))
        key = (item.course.id, visit.visit_id)
        if key not in chosen or distance <= chosen[key][0]:
            chosen[key] = (distance, sub, item)
    output = instrument.diagnosis_output
    records = []
    for (_, visit_id), (_, sub, item) in sorted(
        chosen.items(), key=lambda kv: (kv[1][2].subject, order[kv[0][1]])
    ):
        records.append(
            OutcomeRecord(
                client=item.subject,
                site=_site_code(db, item.course.site_id),
                protocol=item.protocol.id,
                substance=item.protocol.substance,
                arm=item.arm,
                visit=visit_id,
                visit_order=order[visit_id],
                instrument=instrument.id,
                total=float(sub.total or 0.0),
                assessed=sub.administered_on,
                diagnosis=_diagnosis(sub, output),
            )
        )
    return records, unmatched


def _site_code(db: Session, site_id: int) -> str:
    site = db.get(Site, site_id)
    return site.code if site else str(site_id)


def _adverse_events(db: Session, selected: list[_Course], today: date) -> list[AERateRow]:
    """Events whose onset falls within a selected course, by grade and seriousness."""
    clients = {item.course.client_id for item in selected}
    events = db.scalars(select(AdverseEvent).where(AdverseEvent.client_id.in_(clients)))
    spans = defaultdict(list)
    for item in selected:
        c = item.course
        spans[c.client_id].append((c.id, c.anchor_date, c.completed_on or c.withdrawn_on or today))
    # kind -> (events, clients with one, courses with one)
    found: dict[str, tuple[int, set[int], set[int]]] = {}

    def add(kind: str, client_id: int, course_id: int) -> None:
        n, who, which = found.get(kind, (0, set(), set()))
        who.add(client_id)
        which.add(course_id)
        found[kind] = (n + 1, who, which)

    for event in events:
        onset = event.onset_at.date()
        for course_id, start, end in spans[event.client_id]:
            if not start <= onset <= end:
                continue
            add("any", event.client_id, course_id)
            add(
                f"grade {event.grade}" if event.grade else "grade not assessed",
                event.client_id,
                course_id,
            )
            if event.serious:
                add("serious", event.client_id, course_id)
    labels = ["any", *(f"grade {g}" for g in GRADES), "grade not assessed", "serious"]
    n_clients, n_courses = len(clients), len(selected)
    rows = []
    for label in labels:
        events_n, who, which = found.get(label, (0, set(), set()))
        if label == "grade not assessed" and not events_n:
            continue
        rows.append(
            AERateRow(
                label=label,
                events=events_n,
                clients=len(who),
                clients_n=n_clients,
                client_ci=wilson_interval(len(who), n_clients),
                courses=len(which),
                courses_n=n_courses,
                course_ci=wilson_interval(len(which), n_courses),
            )
        )
    return rows


# --- the de-identified CSV -------------------------------------------------------------------

# The analysis dataset's columns, with the course's pseudonym for the client and no calendar date.
CSV_COLUMNS = ("subject", *(c for c in COLUMNS if c not in {"client", "assessed"}))


def safe_cell(value: object) -> str:
    """A CSV cell; text a spreadsheet would run as a formula gets a leading apostrophe.

    Numbers are written as numbers (a negative change stays a number).
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return "" if value != value else f"{value:g}"  # NaN is empty
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def dataset_csv(frame: pd.DataFrame) -> str:
    """The long dataset (from ``build_long_dataset``) as CSV, without calendar dates."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in frame.to_dict("records"):
        cells = {**row, "subject": row["client"], "visit": str(row["visit"])}
        writer.writerow([safe_cell(cells[c]) for c in CSV_COLUMNS])
    return out.getvalue()
