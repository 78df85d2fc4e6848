"""iCalendar (RFC 5545) text for a list of events: pure, no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

FOLD_AT = 75  # octets per content line, RFC 5545 section 3.1


@dataclass(frozen=True)
class CalendarEvent:
    """One event: timed (UTC start and end) or all-day (``start`` is a date)."""

    uid: str
    summary: str
    start: date | datetime
    end: date | datetime | None = None
    description: str | None = None
    status: str | None = None  # TENTATIVE, CONFIRMED or CANCELLED
    url: str | None = None


def escape_text(value: str) -> str:
    """TEXT value escaping (RFC 5545 section 3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> list[str]:
    """Split a content line into lines of at most 75 octets, never inside a character."""
    out: list[str] = []
    current, size, limit = "", 0, FOLD_AT
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size, limit = " ", 1, FOLD_AT
        current += ch
        size += width
    out.append(current)
    return out


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _when(name: str, value: date | datetime) -> str:
    if isinstance(value, datetime):
        return f"{name}:{_utc(value)}"
    return f"{name};VALUE=DATE:{value.strftime('%Y%m%d')}"


def render_calendar(name: str, events: Iterable[CalendarEvent], now: datetime) -> str:
    """A VCALENDAR with one VEVENT per event, CRLF line endings."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Mendwell//Course visits//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for event in events:
        end = event.end
        if end is None:
            end = (
                event.start + timedelta(hours=1)
                if isinstance(event.start, datetime)
                else event.start + timedelta(days=1)
            )
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event.uid}",
            f"DTSTAMP:{_utc(now)}",
            _when("DTSTART", event.start),
            _when("DTEND", end),
            f"SUMMARY:{escape_text(event.summary)}",
        ]
        if event.description:
            lines.append(f"DESCRIPTION:{escape_text(event.description)}")
        if event.status:
            lines.append(f"STATUS:{event.status}")
        if event.url:
            lines.append(f"URL:{event.url}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(part + "\r\n" for line in lines for part in fold(line))
