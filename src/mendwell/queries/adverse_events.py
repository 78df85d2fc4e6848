"""Adverse events as a user may see them: visibility, listings and filters, clocks, CSV.

A user sees an event when their role at its site allows ``adverse_event.view`` and they may see
its client (so at an Oregon site a facilitator sees only the events of their own clients).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Text, and_, cast, false, func, or_, select, true
from sqlalchemy.orm import Session, selectinload

from mendwell.actions.context import Actor
from mendwell.actions.errors import NotFound
from mendwell.clinical.sessions.adverse_events import (
    AdverseEventVocabulary,
    ClockDue,
    ClockStatus,
    clock_statuses,
)
from mendwell.permissions import Permission
from mendwell.queries.params import ParamReader
from mendwell.queries.scope import client_visibility
from mendwell.queries.site_calendar import site_today
from mendwell.schemas.adverse_events import (
    STATUSES,
    SUBSTANCES,
    AdverseEventOut,
    ClockOut,
    FollowUpOut,
    ReportOut,
)
from mendwell.store.models import AdverseEvent, AdverseEventAlert, Client, Site

RUNNING = ("pending", "due-today", "overdue")
M = TypeVar("M", bound=BaseModel)


def event_visibility(db: Session, actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause selecting the adverse events ``actor`` may see."""
    if actor.system:
        return true()
    sites = actor.sites_with(Permission.ADVERSE_EVENT_VIEW)
    if not sites:
        return false()
    clients = select(Client.id).where(client_visibility(db, actor), Client.site_id.in_(sites))
    return and_(AdverseEvent.site_id.in_(sites), AdverseEvent.client_id.in_(clients))


def _loaded() -> list[Any]:
    return [
        selectinload(AdverseEvent.client),
        selectinload(AdverseEvent.site),
        selectinload(AdverseEvent.reports),
        selectinload(AdverseEvent.follow_ups),
    ]


def get_visible_event(db: Session, actor: Actor, event_id: int) -> AdverseEvent:
    """The event, or NotFound if it does not exist or the actor may not see it."""
    event = db.scalar(
        select(AdverseEvent)
        .where(AdverseEvent.id == event_id, event_visibility(db, actor))
        .options(*_loaded())
    )
    if event is None:
        raise NotFound("adverse_event", event_id)
    return event


# --- listings --------------------------------------------------------------------------------


@dataclass
class EventFilter:
    client_id: int | None = None
    substance: str | None = None
    grade: int | None = None
    serious: bool | None = None
    special_interest: str | None = None
    site_id: int | None = None
    since: date | None = None
    until: date | None = None
    status: str | None = None
    page: int = 1
    per_page: int = 100

    def public_dict(self) -> dict[str, Any]:
        """The filters that are set, as plain values (for the audit trail and links)."""
        return {
            k: (v.isoformat() if isinstance(v, date) else v)
            for k, v in asdict(self).items()
            if v not in (None, "") and k not in ("page", "per_page")
        }


FILTER_PARAMS = (
    "substance",
    "grade",
    "serious",
    "special_interest",
    "site_id",
    "since",
    "until",
    "status",
)


def filter_from_params(
    params: Mapping[str, str | None], vocabulary: AdverseEventVocabulary, *, page: int = 1
) -> EventFilter:
    """Listing filters from query parameters; a bad value raises InvalidInput naming it."""
    read = ParamReader(params)
    serious = read.choice("serious", {"yes", "no"})
    substance = read.choice("substance", set(SUBSTANCES))
    grade = read.whole("grade", 1, 5)
    special_interest = read.choice("special_interest", {s.id for s in vocabulary.special_interest})
    site_id = read.whole("site_id", 1, 2**31 - 1)
    since, until = read.date_range("since", "until")
    status = read.choice("status", set(STATUSES))
    read.done()
    return EventFilter(
        substance=substance,
        grade=grade,
        serious=None if serious is None else serious == "yes",
        special_interest=special_interest,
        site_id=site_id,
        since=since,
        until=until,
        status=status,
        page=page,
    )


def _onset_between(
    db: Session, actor: Actor, since: date | None, until: date | None
) -> ColumnElement[bool]:
    """Onset within [since, until] as calendar days in each event's own site time zone."""
    sites = db.execute(
        select(Site.id, Site.timezone).where(
            Site.id.in_(actor.sites_with(Permission.ADVERSE_EVENT_VIEW))
        )
    ).all()
    clauses = []
    for site_id, tz in sites:
        zone = ZoneInfo(tz)
        conditions = [AdverseEvent.site_id == site_id]
        if since:
            conditions.append(AdverseEvent.onset_at >= datetime.combine(since, time(), zone))
        if until:
            end = datetime.combine(until + timedelta(days=1), time(), zone)
            conditions.append(AdverseEvent.onset_at < end)
        clauses.append(and_(*conditions))
    return or_(*clauses) if clauses else false()


def _conditions(db: Session, actor: Actor, f: EventFilter) -> ColumnElement[bool]:
    conds = [event_visibility(db, actor)]
    if f.client_id is not None:
        conds.append(AdverseEvent.client_id == f.client_id)
    if f.substance:
        conds.append(AdverseEvent.substance == f.substance)
    if f.grade is not None:
        conds.append(AdverseEvent.grade == f.grade)
    if f.serious is not None:
        conds.append(AdverseEvent.serious.is_(f.serious))
    if f.special_interest:
        # The JSON list holds vocabulary slugs ([a-z0-9-]), so a quoted match is exact.
        text = cast(AdverseEvent.special_interest, Text)
        conds.append(text.like(f'%"{f.special_interest}"%'))
    if f.site_id is not None:
        conds.append(AdverseEvent.site_id == f.site_id)
    if f.since or f.until:
        conds.append(_onset_between(db, actor, f.since, f.until))
    if f.status:
        conds.append(AdverseEvent.status == f.status)
    return and_(*conds)


def search_events(
    db: Session, actor: Actor, f: EventFilter, *, everything: bool = False
) -> tuple[list[AdverseEvent], int]:
    """Visible events matching the filter, newest onset first (one page unless ``everything``)."""
    where = _conditions(db, actor, f)
    total = db.scalar(select(func.count()).select_from(AdverseEvent).where(where)) or 0
    query = (
        select(AdverseEvent)
        .where(where)
        .options(*_loaded())
        .order_by(AdverseEvent.onset_at.desc(), AdverseEvent.id.desc())
    )
    if not everything:
        query = query.limit(f.per_page).offset((max(f.page, 1) - 1) * f.per_page)
    return list(db.scalars(query)), int(total)


def events_for_session(db: Session, actor: Actor, dosing_session_id: int) -> list[AdverseEvent]:
    """The visible events linked to one dosing session, in order of onset."""
    return list(
        db.scalars(
            select(AdverseEvent)
            .where(event_visibility(db, actor), AdverseEvent.dosing_session_id == dosing_session_id)
            .options(*_loaded())
            .order_by(AdverseEvent.onset_at, AdverseEvent.id)
        )
    )


# --- clocks and alerts -----------------------------------------------------------------------


def clock_dues(event: AdverseEvent) -> list[ClockDue]:
    """The clocks stored with the event's assessment."""
    return [
        ClockDue(
            c["id"],
            c["label"],
            int(c["days"]),
            date.fromisoformat(c["due_on"]),
            bool(c["provisional"]),
            tuple(c.get("sources", ())),
        )
        for c in event.clocks
    ]


def clock_view(event: AdverseEvent, today: date) -> list[ClockStatus]:
    """Each clock on ``today``; the earliest report submitted for a clock is the one that counts.

    A report recorded against a clock that a later reassessment removed is kept in the event's
    history but no longer counts for any clock.
    """
    dues = clock_dues(event)
    ids = {c.id for c in dues}
    sent: dict[str, date] = {}
    for report in event.reports:
        if report.clock_id in ids:
            earlier = sent.get(report.clock_id)
            sent[report.clock_id] = (
                min(earlier, report.submitted_on) if earlier else report.submitted_on
            )
    return clock_statuses(dues, today, sent)


def running_clocks(
    db: Session, actor: Actor, now: datetime
) -> list[tuple[AdverseEvent, list[ClockStatus]]]:
    """Serious events with a report still to send, most urgent first."""
    events = db.scalars(
        select(AdverseEvent)
        .where(event_visibility(db, actor), AdverseEvent.serious.is_(True))
        .options(*_loaded())
    )
    out = []
    for event in events:
        statuses = [s for s in clock_view(event, site_today(event.site, now)) if s.state in RUNNING]
        if statuses:
            out.append((event, statuses))
    return sorted(out, key=lambda pair: (min(s.days_left for s in pair[1]), pair[0].id))


def open_alerts(
    db: Session, actor: Actor, *, client_id: int | None = None
) -> list[AdverseEventAlert]:
    """Serious-event alerts not yet acknowledged, oldest first."""
    query = (
        select(AdverseEventAlert)
        .join(AdverseEvent, AdverseEvent.id == AdverseEventAlert.adverse_event_id)
        .where(event_visibility(db, actor), AdverseEventAlert.acknowledged_at.is_(None))
        .options(selectinload(AdverseEventAlert.event).selectinload(AdverseEvent.client))
        .order_by(AdverseEventAlert.raised_at, AdverseEventAlert.id)
    )
    if client_id is not None:
        query = query.where(AdverseEventAlert.client_id == client_id)
    return list(db.scalars(query))


# --- output ----------------------------------------------------------------------------------


def event_out(event: AdverseEvent, today: date) -> AdverseEventOut:
    """The API shape of an event, with its clocks as they stand on ``today``."""
    return _shape(
        AdverseEventOut,
        event,
        client_code=event.client.code,
        clocks=[
            ClockOut(
                **asdict(s.clock), state=s.state, days_left=s.days_left, submitted_on=s.submitted_on
            )
            for s in clock_view(event, today)
        ],
        follow_ups=[
            _shape(FollowUpOut, f, author=f.author.username if f.author else None)
            for f in event.follow_ups
        ],
        reports=[
            _shape(ReportOut, r, recorded_by=r.recorded_by.username if r.recorded_by else None)
            for r in event.reports
        ],
    )


def _shape(model: type[M], row: object, **extra: Any) -> M:
    """An output model from a row's same-named attributes, plus ``extra``."""
    fields = {name: getattr(row, name) for name in model.model_fields if name not in extra}
    return model(**fields, **extra)


CSV_COLUMNS = (
    "event_id",
    "client_code",
    "site_code",
    "term",
    "category",
    "checklist_item",
    "substance",
    "context",
    "dosing_session_id",
    "onset_at",
    "resolved_at",
    "aware_on",
    "grade",
    "grade_ncit",
    "serious",
    "seriousness_criteria",
    "fatal_or_life_threatening",
    "relatedness",
    "expectedness",
    "expedited",
    "action_taken",
    "outcome",
    "special_interest",
    "meddra_code",
    "meddra_version",
    "jurisdiction_categories",
    "status",
    "clocks",
    "vocabulary_version",
    "description",
)


def _cell(value: Any) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is prefixed with '."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def events_csv(events: list[AdverseEvent], now: datetime) -> str:
    """The events as CSV text (times in UTC, ISO 8601; clocks as id:due:state)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for e in events:
        clocks = [
            f"{s.clock.id}:{s.clock.due_on.isoformat()}:{s.state}"
            for s in clock_view(e, site_today(e.site, now))
        ]
        row = {
            **{name: getattr(e, name, None) for name in CSV_COLUMNS},
            "event_id": e.id,
            "client_code": e.client.code,
            "site_code": e.site.code,
            "clocks": clocks,
        }
        writer.writerow([_cell(row[name]) for name in CSV_COLUMNS])
    return out.getvalue()
