"""Calendar dates and local times at a site: stored instants are UTC, a site lives in its zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from mendwell.store.models import Site


def site_today(site: Site, now: datetime) -> date:
    """The calendar date at the site at ``now`` (visit windows and reporting clocks count these)."""
    return now.astimezone(ZoneInfo(site.timezone)).date()


def site_instant(site: Site, day: date, at: time) -> datetime:
    """The UTC instant of a local date and time at the site."""
    return datetime.combine(day, at, ZoneInfo(site.timezone)).astimezone(UTC)
