"""Washout planning: the earliest date a client may be dosed after stopping a medication.

earliest dosing date = last dose + max(ceil(multiple × longest half-life / 24 h) + margin days,
label minimum interval, rule look-back + 1 day)

The multiple and the margin are settings (the exact protocol rule is UNCONFIRMED). The longest
half-life is taken over the parent drug and its active metabolites. Where no last dose is recorded,
the plan starts from a proposed stop date and says so. The result is plain data for the scheduler.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from mendwell.clinical.screening.medications import HalfLife, Medication
from mendwell.clinical.screening.record import MedicationEntry
from mendwell.clinical.screening.settings import HalfLifeBasis, ScreeningSettings

WASHOUT_NOTE = (
    "The washout formula (multiple of the half-life plus a margin) is a setting: the exact "
    "washout rule of the protocols is UNCONFIRMED."
)


class WashoutEntry(BaseModel):
    """The washout for one medication, with every input shown."""

    model_config = ConfigDict(frozen=True)

    medication: str
    medication_id: str
    generic_name: str
    rule_ids: tuple[str, ...]
    basis: Literal["last_dose_date", "proposed_stop_date"]
    from_date: date
    half_life_entity: str | None
    half_life_hours: float | None
    half_life_basis: HalfLifeBasis
    half_life_unconfirmed: bool
    multiple: float
    half_life_days: int
    margin_days: int
    minimum_washout_days: int | None
    minimum_washout_reason: str | None
    lookback_days: int | None
    washout_days: int
    earliest_dosing_date: date
    unconfirmed: bool = True
    note: str = WASHOUT_NOTE
    explanation: str


def half_life_days(half_life_hours: float, multiple: float) -> int:
    """Whole days covering ``multiple`` half-lives, rounded up (decimal, so 5 × 24 h is 5 days)."""
    hours = Decimal(str(multiple)) * Decimal(str(half_life_hours))
    return math.ceil(hours / Decimal(24))


def washout_days(
    half_life_hours: float | None,
    *,
    multiple: float,
    margin_days: int,
    minimum_days: int | None = None,
    lookback_days: int | None = None,
) -> int:
    """Days from the last dose to the earliest dosing date (no half-life: the minimum governs)."""
    days = 0 if half_life_hours is None else half_life_days(half_life_hours, multiple) + margin_days
    if minimum_days is not None:
        days = max(days, minimum_days)
    if lookback_days is not None:
        # "taken in the last N days" is still true N days after the last dose.
        days = max(days, lookback_days + 1)
    return days


def plan_washout(
    entry: MedicationEntry,
    medication: Medication,
    *,
    today: date,
    settings: ScreeningSettings,
    proposed_stop_date: date | None = None,
    lookback_days: int | None = None,
    rule_ids: Iterable[str] = (),
) -> WashoutEntry:
    """The washout for one recorded medication."""
    if entry.last_dose_date is not None:
        basis: Literal["last_dose_date", "proposed_stop_date"] = "last_dose_date"
        start = entry.last_dose_date
    else:
        basis = "proposed_stop_date"
        start = proposed_stop_date or today
    half_life = medication.longest_half_life(settings.half_life_basis)
    hours = half_life.hours(settings.half_life_basis) if half_life else None
    hl_days = half_life_days(hours, settings.washout_half_life_multiple) if hours else 0
    minimum = medication.minimum_washout
    days = washout_days(
        hours,
        multiple=settings.washout_half_life_multiple,
        margin_days=settings.washout_margin_days,
        minimum_days=minimum.days if minimum else None,
        lookback_days=lookback_days,
    )
    earliest = start + timedelta(days=days)
    return WashoutEntry(
        medication=entry.name,
        medication_id=medication.id,
        generic_name=medication.name,
        rule_ids=tuple(rule_ids),
        basis=basis,
        from_date=start,
        half_life_entity=half_life.entity if half_life else None,
        half_life_hours=hours,
        half_life_basis=settings.half_life_basis,
        half_life_unconfirmed=medication.half_life_unconfirmed,
        multiple=settings.washout_half_life_multiple,
        half_life_days=hl_days,
        margin_days=settings.washout_margin_days,
        minimum_washout_days=minimum.days if minimum else None,
        minimum_washout_reason=minimum.reason if minimum else None,
        lookback_days=lookback_days,
        washout_days=days,
        earliest_dosing_date=earliest,
        explanation=_explain(
            entry.name,
            basis,
            start,
            _describe(half_life, settings.half_life_basis),
            hours,
            settings,
            hl_days,
            days,
            earliest,
            minimum.days if minimum else None,
            lookback_days,
        ),
    )


def _describe(half_life: HalfLife | None, basis: HalfLifeBasis) -> str | None:
    if half_life is None:
        return None
    if basis == "upper" and half_life.high_hours is not None:
        which = "upper end of its range"
    elif basis == "typical" and half_life.typical_hours is not None:
        which = "typical value"
    else:
        which = "the only value given"
    return f"{half_life.entity} half-life, {which}"


def _explain(
    name: str,
    basis: str,
    start: date,
    entity: str | None,
    hours: float | None,
    settings: ScreeningSettings,
    hl_days: int,
    days: int,
    earliest: date,
    minimum: int | None,
    lookback: int | None,
) -> str:
    if basis == "last_dose_date":
        opening = f"{name}: last dose {start.isoformat()}"
    else:
        opening = (
            f"{name}: no last dose recorded; planned from the proposed stop date "
            f"{start.isoformat()}"
        )
    parts = [opening]
    if hours is None:
        parts.append("no half-life applies (the effect outlasts the drug)")
    else:
        multiple = f"{settings.washout_half_life_multiple:g}"
        product = Decimal(multiple) * Decimal(str(hours))
        parts.append(
            f"{multiple} × {hours:g} h ({entity}) = {product.normalize():f} h → {hl_days} days"
        )
        margin = settings.washout_margin_days
        parts.append(f"+ {margin} days margin = {hl_days + margin} days")
    if minimum is not None:
        parts.append(f"label minimum {minimum} days")
    if lookback is not None:
        parts.append(f"rule look-back {lookback} days (so day {lookback + 1} at the earliest)")
    parts.append(f"washout {days} days; earliest dosing {earliest.isoformat()}")
    return "; ".join(parts) + "."


def merge_plan(entries: Iterable[WashoutEntry]) -> tuple[WashoutEntry, ...]:
    """One entry per recorded medication: the latest date, with every rule that asked for it."""
    merged: dict[tuple[str, str, date], WashoutEntry] = {}
    for entry in entries:
        key = (entry.medication, entry.medication_id, entry.from_date)
        current = merged.get(key)
        if current is None:
            merged[key] = entry
            continue
        rule_ids = tuple(dict.fromkeys((*current.rule_ids, *entry.rule_ids)))
        later = entry if entry.earliest_dosing_date > current.earliest_dosing_date else current
        merged[key] = later.model_copy(update={"rule_ids": rule_ids})
    return tuple(sorted(merged.values(), key=lambda e: (e.earliest_dosing_date, e.medication)))
