"""Vital signs in a dosing session: when readings are due, which are overdue, and alerts.

The schedule and the thresholds are protocol settings (``dosing.vital_signs``). The shipped
thresholds are flagged UNCONFIRMED: no retrieved protocol text states in-session action limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from mendwell.clinical.sessions.rules import VitalName, VitalSignRules
from mendwell.clinical.validation import citations

DueStatus = Literal["taken", "due", "overdue", "upcoming"]


@dataclass(frozen=True)
class VitalReading:
    """One set of readings; any vital may be missing."""

    at: datetime
    systolic_bp: float | None = None
    diastolic_bp: float | None = None
    heart_rate: float | None = None
    temperature: float | None = None
    respiratory_rate: float | None = None
    spo2: float | None = None

    def value(self, vital: VitalName) -> float | None:
        return getattr(self, vital)


@dataclass(frozen=True)
class DueReading:
    due_at: datetime
    minute: int
    status: DueStatus
    reading_at: datetime | None


@dataclass(frozen=True)
class VitalAlert:
    """A reading beyond a threshold."""

    vital: VitalName
    value: float
    unit: str
    threshold: float
    direction: Literal["above", "below"]
    at: datetime
    sources: tuple[str, ...]
    unconfirmed: bool
    note: str | None

    def describe(self) -> str:
        flag = " (UNCONFIRMED threshold)" if self.unconfirmed else ""
        return (
            f"{self.vital} {self.value:g} {self.unit} is {self.direction} {self.threshold:g} "
            f"{self.unit}{flag} [{'; '.join(self.sources)}]"
        )


def due_minutes(rules: VitalSignRules) -> list[int]:
    """Minutes after the initial dose at which a reading is due (0 is the pre-dose reading)."""
    minutes = {0} if rules.pre_dose_reading else set()
    for block in rules.schedule:
        minutes.update(range(block.from_minute, block.to_minute, block.every_minutes))
    return sorted(minutes)


def reading_schedule(
    rules: VitalSignRules,
    initial_dose_at: datetime,
    readings: Sequence[VitalReading],
    now: datetime,
) -> list[DueReading]:
    """Each due time with its status at `now`.

    A reading counts for a due time if taken within `grace_minutes` of it; each reading counts
    once. A due time without a reading is `due` inside its grace period, `overdue` after it.
    """
    grace = timedelta(minutes=rules.grace_minutes)
    unused = sorted(readings, key=lambda r: r.at)
    out: list[DueReading] = []
    for minute in due_minutes(rules):
        due = initial_dose_at + timedelta(minutes=minute)
        match = next((r for r in unused if abs(r.at - due) <= grace), None)
        if match is not None:
            unused.remove(match)
            out.append(DueReading(due, minute, "taken", match.at))
        elif now > due + grace:
            out.append(DueReading(due, minute, "overdue", None))
        elif now >= due - grace:
            out.append(DueReading(due, minute, "due", None))
        else:
            out.append(DueReading(due, minute, "upcoming", None))
    return out


def check_reading(reading: VitalReading, rules: VitalSignRules) -> list[VitalAlert]:
    """Alerts for every value beyond a threshold (strictly above `above` or below `below`)."""
    alerts: list[VitalAlert] = []
    for t in rules.thresholds:
        value = reading.value(t.vital)
        if value is None:
            continue
        beyond: list[tuple[Literal["above", "below"], float]] = []
        if t.above is not None and value > t.above:
            beyond.append(("above", t.above))
        if t.below is not None and value < t.below:
            beyond.append(("below", t.below))
        for direction, bound in beyond:
            alerts.append(
                VitalAlert(
                    vital=t.vital,
                    value=value,
                    unit=t.unit,
                    threshold=bound,
                    direction=direction,
                    at=reading.at,
                    sources=citations(t),
                    unconfirmed=t.unconfirmed,
                    note=t.note,
                )
            )
    return alerts
