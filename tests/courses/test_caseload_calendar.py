"""What is due: my week, overdue visits, unsigned notes, the site calendar and the iCal feed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from mendwell.actions import courses as course_actions
from mendwell.actions import notes as note_actions
from mendwell.exports.ical import escape_text, fold
from mendwell.schemas.common import parse
from mendwell.schemas.courses import NoteInput, VisitBooking
from support.courses import TODAY, acting, enrol, events
from support.web import Browser


def _browser(app, username: str) -> Browser:  # type: ignore[no-untyped-def]
    browser = Browser(app)
    assert browser.login(username).status_code == 303
    return browser


@pytest.fixture
def busy_week(database, world, screenings) -> int:  # type: ignore[no-untyped-def]
    """Alice's client, enrolled 30 days ago: preparation 1 is overdue, preparation 2 booked."""
    client_id = world.clients["alice"]
    screenings.sign(client_id, signed_on=TODAY - timedelta(days=31))
    course_id = enrol(database, world.users["alice"], client_id, anchor=TODAY - timedelta(30))
    with acting(database, world.users["alice"]) as ctx:
        course_actions.book_visit(
            ctx,
            course_id,
            "preparation-2",
            VisitBooking(
                scheduled_on=TODAY + timedelta(days=2),
                scheduled_time="14:30",  # type: ignore[arg-type]
                reason="first session overdue; starting with the second",
            ),
        )
    return course_id


def test_my_week_shows_visits_by_day_overdue_visits_and_unsigned_notes(
    app, database, world, busy_week
) -> None:  # type: ignore[no-untyped-def]
    alice = _browser(app, "alice")
    page = alice.get("/caseload").text
    week = page[page.index('id="week-h"') : page.index('id="overdue-h"')]
    thursday = week[week.index("Thursday 08 January") : week.index("Friday 09 January")]
    assert "14:30" in thursday
    assert "Preparation session 2" in thursday
    overdue = page[page.index('id="overdue-h"') : page.index('id="due-h"')]
    assert "Preparation session 1" in overdue
    assert "window closed 2025-12-21" in overdue
    assert "All your notes are signed." in page

    note = {
        "held_on": TODAY.isoformat(),
        "attendance": "attended",
        "duration_minutes": 90,
        "risk_level": "none",
    }
    with acting(database, world.users["alice"]) as ctx:
        note_actions.save_note(ctx, busy_week, "preparation-1", parse(NoteInput, note))
    page = alice.get("/caseload").text
    drafts = page[page.index('id="drafts-h"') : page.index('id="alerts-h"')]
    assert "Preparation session 1" in drafts
    assert "Open safety alerts" in page
    # Next week holds preparation 3 (planned from the booked date of preparation 2).
    later = alice.get(f"/caseload?week={(TODAY + timedelta(days=7)).isoformat()}").text
    assert "Preparation session 3" in later


def test_the_dashboard_panel_lists_overdue_visits(app, world, busy_week) -> None:  # type: ignore[no-untyped-def]
    page = _browser(app, "alice").get("/").text
    panel = page[page.index('id="panel-visits-due"') :]
    assert "Overdue" in panel
    assert "Preparation session 1" in panel


def test_the_site_calendar_lists_the_sites_visits(app, world, busy_week) -> None:  # type: ignore[no-untyped-def]
    mara = _browser(app, "mara")
    page = mara.get(f"/calendar?site={world.sites['A']}&view=week").text
    assert "Preparation session 2" in page
    month = mara.get(
        f"/calendar?site={world.sites['A']}&view=month&start={(TODAY + timedelta(30)).isoformat()}"
    ).text
    assert "2026-02-01 to 2026-02-28" in month
    assert "Dosing session 2" in month


def test_an_oregon_facilitator_calendar_shows_only_their_clients(
    app, database, world, screenings
) -> None:  # type: ignore[no-untyped-def]
    screenings.sign(world.clients["carol"], substance="psilocybin")
    enrol(database, world.users["carol"], world.clients["carol"], "oregon-service-centre")
    code = re.compile(r"MW-[A-Z0-9]{4}-[A-Z0-9]{4}")
    carol_page = _browser(app, "carol").get("/calendar").text
    assert code.search(carol_page)
    dave_page = _browser(app, "dave").get("/calendar").text
    assert not code.search(dave_page)


def test_the_calendar_feed_shows_codes_never_names_and_stops_when_revoked(
    app, database, world, busy_week
) -> None:  # type: ignore[no-untyped-def]
    alice = _browser(app, "alice")
    created = alice.post("/caseload/calendar-feed", {})
    assert created.status_code == 200
    url = re.search(r'<code class="token" id="feed-url">([^<]+)</code>', created.text)
    assert url is not None
    path = url.group(1).split("8000", 1)[1]
    assert path.startswith("/calendar/cal_")
    anonymous = Browser(app)
    feed = anonymous.get(path)
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    body = feed.text
    assert body.startswith("BEGIN:VCALENDAR\r\n")
    assert "\r\nBEGIN:VEVENT\r\n" in body
    unfolded = body.replace("\r\n ", "")
    with database.sessionmaker() as db:
        from mendwell.store.models import Client

        client = db.get(Client, world.clients["alice"])
        assert client is not None
    assert f"SUMMARY:{client.code} · Preparation session 2" in unfolded
    assert "DTSTART:20260108T143000Z" in unfolded
    for name in ("Avery", "Example", "rowan@example.org"):
        assert name not in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    [read] = events(database, action="view", entity_type="calendar_feed")
    assert read.username == "alice"

    token_id = re.search(r'action="/caseload/calendar-feed/(\d+)/revoke"', created.text)
    assert token_id is not None
    revoked = alice.post(f"/caseload/calendar-feed/{token_id.group(1)}/revoke", {})
    assert revoked.status_code == 303
    assert anonymous.get(path).status_code == 404
    assert anonymous.get("/calendar/cal_not-a-real-token.ics").status_code == 404


def test_one_user_cannot_revoke_anothers_feed(app, world, busy_week) -> None:  # type: ignore[no-untyped-def]
    alice = _browser(app, "alice")
    created = alice.post("/caseload/calendar-feed", {}).text
    token_id = re.search(r'action="/caseload/calendar-feed/(\d+)/revoke"', created)
    assert token_id is not None
    bob = _browser(app, "bob")
    assert bob.post(f"/caseload/calendar-feed/{token_id.group(1)}/revoke", {}).status_code == 404


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [("a,b;c", "a\\,b\\;c"), ("line1\nline2", "line1\\nline2"), ("back\\slash", "back\\\\slash")],
)
def test_ical_text_is_escaped(raw: str, escaped: str) -> None:
    """RFC 5545 section 3.3.11."""
    assert escape_text(raw) == escaped


def test_ical_lines_fold_at_75_octets_without_splitting_characters() -> None:
    """RFC 5545 section 3.1: fold with CRLF and one space; octets, not characters."""
    line = "SUMMARY:" + "é" * 60
    parts = fold(line)
    assert all(len(p.encode()) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == line
