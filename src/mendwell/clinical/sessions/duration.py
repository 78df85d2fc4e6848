"""Minimum administration-session duration by total amount consumed (Oregon OAR 333-333-5250).

The table lives in the jurisdiction's ``sessions.yaml``. Where the rule text's ranges overlap
(exactly 35 mg falls in both "25 up to 35 mg" and "35 up to 50 mg"), the stricter (longer)
minimum applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from mendwell.clinical.sessions.doses import Quantity
from mendwell.clinical.sessions.rules import DurationBand, DurationTable
from mendwell.clinical.spans import add_months, ceil_minutes
from mendwell.clinical.validation import citations


@dataclass(frozen=True)
class DurationRequirement:
    """The minimum session length for an amount, and which rows of the table gave it."""

    minutes: int
    total: Quantity
    bands: tuple[str, ...]
    reason: str
    sources: tuple[str, ...]


class OutsideDurationTable(ValueError):
    """The amount is not covered by the table (above its top row, or not positive)."""


def _is_later_session(
    table: DurationTable, initial_session_on: date | None, session_on: date
) -> bool:
    if initial_session_on is None or session_on <= initial_session_on:
        return False
    return session_on <= add_months(initial_session_on, table.later_session_period_months)


def minimum_session_duration(
    table: DurationTable,
    total: Quantity,
    *,
    session_on: date,
    initial_session_on: date | None = None,
    whole_fungi: bool = False,
) -> DurationRequirement:
    """The minimum duration for a session in which `total` (all doses together) was consumed.

    `initial_session_on` is the date of the client's first administration session at this
    service centre (None if this is it). The lowest band's shorter minimum applies only to a
    later session at the same centre within the table's period, and never to whole fungi.
    """
    if total.basis != table.basis:
        raise ValueError(f"total: the table is in {table.basis}, not {total.basis}")
    mg = total.mg
    matches: list[DurationBand] = [b for b in table.bands if b.contains(mg)]
    if mg <= 0 or not matches:
        top = max(b.max_mg for b in table.bands)
        raise OutsideDurationTable(
            f"total: {mg.normalize():f} mg is outside the duration table (up to {top} mg)"
        )
    cites = citations(table)
    later = _is_later_session(table, initial_session_on, session_on)
    best_minutes, reason = -1, ""
    for band in matches:
        minutes, why = band.minutes, f"{band.describe()}: {band.minutes} min"
        if band.later_session_minutes is not None and later:
            if whole_fungi and table.whole_fungi_minutes is not None:
                minutes = table.whole_fungi_minutes
                why = f"{band.describe()}, whole fungi: {minutes} min"
            else:
                minutes = band.later_session_minutes
                why = f"{band.describe()}, later session at the same centre: {minutes} min"
        if minutes > best_minutes:
            best_minutes, reason = minutes, why
    if len(matches) > 1:
        reason += " (the amount is in overlapping rows; the stricter minimum applies)"
    return DurationRequirement(
        minutes=best_minutes,
        total=total,
        bands=tuple(b.describe() for b in matches),
        reason=reason,
        sources=cites,
    )


@dataclass(frozen=True)
class DurationCheck:
    required_minutes: int
    actual_minutes: int
    shortfall_minutes: int
    reason: str
    sources: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.shortfall_minutes == 0


def check_session_duration(
    start: datetime, end: datetime, required_minutes: int, reason: str, sources: tuple[str, ...]
) -> DurationCheck:
    """Compare a session's actual length with a required minimum."""
    if end < start:
        raise ValueError("end: the session cannot end before it starts")
    seconds = (end - start).total_seconds()
    short = required_minutes * 60 - seconds
    shortfall = ceil_minutes(timedelta(seconds=short)) if short > 0 else 0
    return DurationCheck(required_minutes, int(seconds // 60), shortfall, reason, sources)
