"""Calendar spans (months, weeks, days, hours, minutes) used by schedules and session rules."""

from __future__ import annotations

import calendar
import math
from datetime import date, datetime, time, timedelta
from typing import TypeVar

from pydantic import model_validator

from mendwell.knowledge.sources import KnowledgeModel

When = TypeVar("When", date, datetime)


def add_months(when: When, months: int) -> When:
    """Calendar months; the day is clamped to the month's length (31 Jan + 1 month = 28 Feb)."""
    if months == 0:
        return when
    index = when.year * 12 + (when.month - 1) + months
    year, month = divmod(index, 12)
    day = min(when.day, calendar.monthrange(year, month + 1)[1])
    return when.replace(year=year, month=month + 1, day=day)


class Span(KnowledgeModel):
    """A signed length of time. Months are calendar months; the rest is exact."""

    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0

    @model_validator(mode="after")
    def _one_sign(self) -> Span:
        parts = (self.months, self.weeks, self.days, self.hours, self.minutes)
        if any(p > 0 for p in parts) and any(p < 0 for p in parts):
            raise ValueError("all parts of a span must have the same sign")
        return self

    @property
    def negative(self) -> bool:
        return any(p < 0 for p in (self.months, self.weeks, self.days, self.hours, self.minutes))

    def exact(self) -> timedelta:
        """The part of the span without months."""
        return timedelta(weeks=self.weeks, days=self.days, hours=self.hours, minutes=self.minutes)

    def timedelta(self) -> timedelta:
        """The span as a timedelta; only for spans without months."""
        if self.months:
            raise ValueError("a span with months has no fixed length")
        return self.exact()

    @property
    def total_minutes(self) -> int:
        return int(self.timedelta().total_seconds() // 60)

    def add_to(self, when: datetime) -> datetime:
        """`when` moved forward (or back, for a negative span) by this span."""
        return add_months(when, self.months) + self.exact()

    def subtract_from(self, when: datetime) -> datetime:
        """`when` moved back (or forward, for a negative span) by this span."""
        return add_months(when, -self.months) - self.exact()

    def describe(self) -> str:
        """Human wording, e.g. '4 weeks', '1 day 12 hours', '0 days'."""
        names = [("month", self.months), ("week", self.weeks), ("day", self.days)]
        names += [("hour", self.hours), ("minute", self.minutes)]
        words = [f"{abs(n)} {unit}{'' if abs(n) == 1 else 's'}" for unit, n in names if n]
        text = " ".join(words) or "0 days"
        return f"minus {text}" if self.negative else text


def midnight(day: date) -> datetime:
    """The start of a calendar day, as a naive datetime used only for date arithmetic."""
    return datetime.combine(day, time.min)


def day_after_minus_epsilon(moment: datetime) -> date:
    """The date of the last instant before `moment` (for inclusive upper bounds at midnight)."""
    return (moment - timedelta(microseconds=1)).date()


def ceil_minutes(delta: timedelta) -> int:
    """Whole minutes in a timedelta, rounded up."""
    return math.ceil(delta.total_seconds() / 60)
