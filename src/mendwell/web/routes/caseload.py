"""What is due: "My week", the site calendar, the private iCalendar feed, and the course panels
on the client page and the dashboard."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from mendwell.actions import calendar as calendar_actions
from mendwell.actions.auth import actor_for
from mendwell.actions.context import ActionContext
from mendwell.actions.errors import NotFound
from mendwell.clinical.courses import OPEN, VisitStatus, is_overdue
from mendwell.exports.ical import CalendarEvent, render_calendar
from mendwell.permissions import Permission
from mendwell.queries import course_facts
from mendwell.queries.caseload import (
    VisitEntry,
    due_measure_entries,
    feed_owner,
    my_clients,
    overdue_entries,
    unsigned_notes,
    visit_entries,
)
from mendwell.queries.courses import (
    client_courses,
    protocol_choices,
    protocol_of,
    visible_visits,
)
from mendwell.queries.site_calendar import site_today
from mendwell.store.models import CalendarFeedToken, Site
from mendwell.web.access import Db, Principal, action_context, public, requires
from mendwell.web.extensions import (
    NavItem,
    Panel,
    PanelRequest,
    client_panel,
    dashboard_panel,
    nav_item,
)
from mendwell.web.templating import render

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, requires(Permission.COURSE_VIEW)]
FEED_DAYS_BACK = 31
FEED_DAYS_AHEAD = 366


def _zone(db: Db, site_ids: set[int]) -> str:
    """The time zone "today" is read in: the user's first site's."""
    site = db.scalar(select(Site).where(Site.id.in_(site_ids)).order_by(Site.id))
    return site.timezone if site else "UTC"


def _today(db: Db, sites: set[int], now: datetime) -> date:
    return now.astimezone(ZoneInfo(_zone(db, sites))).date()


def _by_day(entries: list[VisitEntry], days: list[date]) -> list[tuple[date, list[VisitEntry]]]:
    grouped: dict[date, list[VisitEntry]] = defaultdict(list)
    for e in entries:
        grouped[e.day].append(e)
    return [(d, grouped.get(d, [])) for d in days]


def _parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _caseload_page(
    request: Request, db: Db, principal: Principal, week: str | None, new_feed: str | None = None
) -> Response:
    actor = principal.actor
    now = action_context(request, db, principal).now
    sites = actor.sites_with(Permission.COURSE_VIEW)
    today = _today(db, sites, now)
    anchor = _parse_day(week) or today
    start = anchor - timedelta(days=anchor.weekday())
    days = [start + timedelta(days=n) for n in range(7)]
    entries = visit_entries(db, actor, start=days[0], end=days[-1], mine=True)
    clients = my_clients(db, actor)
    alerts = course_facts.open_alert_counts(db, [c.id for c in clients])
    feeds = db.scalars(
        select(CalendarFeedToken)
        .where(CalendarFeedToken.user_id == principal.info.id)
        .order_by(CalendarFeedToken.created_at.desc())
    ).all()
    base = str(request.app.state.settings.base_url).rstrip("/")
    return render(
        request,
        "courses/caseload.html",
        {
            "today": today,
            "now": now,
            "week": _by_day(entries, days),
            "prev_week": (start - timedelta(days=7)).isoformat(),
            "next_week": (start + timedelta(days=7)).isoformat(),
            "overdue": overdue_entries(db, actor, now, mine=True),
            "due": due_measure_entries(db, actor, now),
            "drafts": unsigned_notes(db, actor),
            "alert_clients": clients,
            "alerts": alerts,
            "feeds": feeds,
            "new_feed_url": f"{base}/calendar/{new_feed}.ics" if new_feed else None,
        },
    )


@router.get("/caseload")
def caseload(
    request: Request,
    db: Db,
    principal: Viewer,
    week: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    return _caseload_page(request, db, principal, week)


@router.post("/caseload/calendar-feed")
def create_feed(request: Request, db: Db, principal: Viewer) -> Response:
    plain, _ = calendar_actions.create_feed_token(action_context(request, db, principal))
    return _caseload_page(request, db, principal, None, new_feed=plain)


@router.post("/caseload/calendar-feed/{token_id}/revoke")
def revoke_feed(request: Request, db: Db, principal: Viewer, token_id: int) -> Response:
    calendar_actions.revoke_feed_token(action_context(request, db, principal), token_id)
    return RedirectResponse("/caseload#feed", status_code=303)


@router.get("/calendar")
def site_calendar(
    request: Request,
    db: Db,
    principal: Viewer,
    site: Annotated[str | None, Query(max_length=12)] = None,
    view: Literal["week", "month"] = "week",
    start: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    actor = principal.actor
    now = action_context(request, db, principal).now
    site_ids = actor.sites_with(Permission.COURSE_VIEW)
    sites = list(db.scalars(select(Site).where(Site.id.in_(site_ids)).order_by(Site.name)))
    chosen = next((s for s in sites if site and str(s.id) == site), sites[0] if sites else None)
    if chosen is None:
        raise NotFound("site", site)
    today = site_today(chosen, now)
    anchor = _parse_day(start) or today
    if view == "month":
        first = anchor.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        days = [first + timedelta(days=n) for n in range((following - first).days)]
        prev, nxt = (first - timedelta(days=1)).replace(day=1), following
    else:
        first = anchor - timedelta(days=anchor.weekday())
        days = [first + timedelta(days=n) for n in range(7)]
        prev, nxt = first - timedelta(days=7), first + timedelta(days=7)
    entries = visit_entries(db, actor, start=days[0], end=days[-1], site_id=chosen.id)
    return render(
        request,
        "courses/calendar.html",
        {
            "sites": sites,
            "site": chosen,
            "view": view,
            "today": today,
            "days": [(d, es) for d, es in _by_day(entries, days) if es or view == "week"],
            "first": days[0],
            "last": days[-1],
            "prev": prev.isoformat(),
            "next": nxt.isoformat(),
            "count": len(entries),
        },
    )


def _event(entry: VisitEntry, base_url: str) -> CalendarEvent:
    visit = entry.visit
    start: date | datetime
    if visit.status == VisitStatus.SCHEDULED and visit.scheduled_at is not None:
        start = visit.scheduled_at
        end: date | datetime = start + timedelta(minutes=entry.duration_minutes)
    elif visit.status == VisitStatus.COMPLETED and visit.actual_at is not None:
        start = visit.actual_at
        end = start + timedelta(minutes=entry.duration_minutes)
    else:
        start, end = entry.day, entry.day + timedelta(days=1)
    status = {
        VisitStatus.PLANNED: "TENTATIVE",
        VisitStatus.SCHEDULED: "CONFIRMED",
        VisitStatus.COMPLETED: "CONFIRMED",
        VisitStatus.MISSED: "CANCELLED",
    }.get(VisitStatus(visit.status))
    what = "planned (not booked yet)" if visit.status == VisitStatus.PLANNED else visit.status
    return CalendarEvent(
        uid=f"mendwell-visit-{visit.id}",
        # Client codes only: a calendar is often shown on shared screens and synced elsewhere.
        summary=f"{entry.client.code} · {visit.label}",
        start=start,
        end=end,
        description=(
            f"{visit.kind.replace('_', ' ')} visit, {what}. Window "
            f"{visit.earliest_date.isoformat()} to {visit.latest_date.isoformat()}."
        ),
        status=status,
        url=f"{base_url}/courses/{entry.course.id}/visits/{visit.visit_id}",
    )


@router.get("/calendar/{token}.ics", dependencies=[public])
def calendar_feed(request: Request, db: Db, token: str) -> Response:
    """A user's visits as an iCalendar feed; the token in the address is the credential."""
    found = feed_owner(db, token)
    if found is None:
        raise NotFound("calendar feed", "for this address")
    feed, user = found
    state = request.app.state
    now = state.clock.now()
    actor = actor_for(user)
    today = _today(db, actor.sites_with(Permission.COURSE_VIEW), now)
    entries = visit_entries(
        db,
        actor,
        start=today - timedelta(days=FEED_DAYS_BACK),
        end=today + timedelta(days=FEED_DAYS_AHEAD),
        mine=True,
    )
    base_url = str(state.settings.base_url).rstrip("/")
    calendar_actions.record_feed_read(
        ActionContext(db=db, actor=actor, now=now, audit_key=state.audit_key), feed, len(entries)
    )
    text = render_calendar(
        f"Mendwell visits ({user.username})", [_event(e, base_url) for e in entries], now
    )
    return Response(text, media_type="text/calendar; charset=utf-8")


# --- panels on shared pages ------------------------------------------------------------------


def _client_panel(req: PanelRequest) -> dict[str, Any] | None:
    client = req.client
    assert client is not None
    site = req.db.get(Site, client.site_id)
    assert site is not None
    today = site_today(site, req.now)
    items = []
    for course in client_courses(req.db, client.id):
        protocol = protocol_of(course.definition)
        visits = visible_visits(req.actor, course, protocol)
        upcoming = sorted(
            (v for v in visits if v.status in OPEN),
            key=lambda v: (v.scheduled_date or v.target_date, v.sequence),
        )
        items.append(
            {
                "course": course,
                "title": protocol.title,
                "held": sum(1 for v in visits if v.status == VisitStatus.COMPLETED),
                "missed": sum(1 for v in visits if v.status == VisitStatus.MISSED),
                "overdue": sum(1 for v in visits if is_overdue(v, today)),
                "total": sum(1 for v in visits if v.status != VisitStatus.CANCELLED),
                "next": upcoming[0] if upcoming else None,
            }
        )
    may_enrol = req.actor.can(Permission.COURSE_MANAGE, client.site_id) and not any(
        i["course"].status == "active" for i in items
    )
    return {
        "client": client,
        "site": site,
        "today": today,
        "courses": items,
        "may_enrol": may_enrol,
        "choices": protocol_choices(req.db, client.organisation_id, site) if may_enrol else [],
        "screening": course_facts.screening_facts(req.db, client.id) if may_enrol else None,
    }


def _dashboard_panel(req: PanelRequest) -> dict[str, Any] | None:
    sites = req.actor.sites_with(Permission.COURSE_VIEW)
    today = _today(req.db, sites, req.now)
    todays = [
        e
        for e in visit_entries(req.db, req.actor, start=today, end=today, mine=True)
        if e.visit.status != VisitStatus.MISSED
    ]
    overdue = overdue_entries(req.db, req.actor, req.now, mine=True)
    return {"today_visits": todays, "overdue": overdue}


client_panel(
    Panel(
        "course",
        "Treatment course",
        "courses/panel_client.html",
        Permission.COURSE_VIEW,
        _client_panel,
        order=20,
    )
)
dashboard_panel(
    Panel(
        "visits-due",
        "Visits today and overdue",
        "courses/panel_dashboard.html",
        Permission.COURSE_VIEW,
        _dashboard_panel,
        order=20,
    )
)
nav_item(NavItem("My week", "/caseload", Permission.COURSE_VIEW, order=20))
nav_item(NavItem("Calendar", "/calendar", Permission.COURSE_VIEW, order=25))
