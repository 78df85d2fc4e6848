"""Discharge at the end of a dosing session: criteria, where the client goes, and duration."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from mendwell.clinical.sessions.doses import Administration, Quantity, express
from mendwell.clinical.sessions.duration import (
    DurationCheck,
    OutsideDurationTable,
    check_session_duration,
    minimum_session_duration,
)
from mendwell.clinical.sessions.jurisdiction import SessionRules
from mendwell.clinical.sessions.rules import BASIS_SUBSTANCE, ReleaseMode
from mendwell.clinical.validation import citations


@dataclass(frozen=True)
class DischargeRecord:
    """How the session ended: when, which criteria were confirmed, and to whom the client went."""

    discharged_at: datetime
    criteria_met: Mapping[str, bool]
    release_to: ReleaseMode
    released_to_name: str | None = None


@dataclass(frozen=True)
class DischargeReview:
    problems: tuple[str, ...]
    unmet_criteria: tuple[str, ...]
    duration: DurationCheck | None

    @property
    def ok(self) -> bool:
        return not self.problems


def required_duration(
    rules: SessionRules,
    administrations: Sequence[Administration],
    *,
    session_on: date,
    initial_session_on: date | None = None,
    whole_fungi: bool = False,
) -> tuple[int, str, tuple[str, ...]] | None:
    """The longest minimum that applies: the protocol's own and the jurisdiction's table.

    Returns (minutes, reason, sources), or None when no minimum applies. Raises
    OutsideDurationTable when the total is beyond the jurisdiction's table.
    """
    options: list[tuple[int, str, tuple[str, ...]]] = []
    if rules.minimum_duration is not None:
        span = rules.minimum_duration.span
        options.append(
            (
                span.total_minutes,
                f"protocol minimum {span.describe()}",
                citations(rules.minimum_duration),
            )
        )
    table = rules.duration_table
    if table is not None:
        substance = BASIS_SUBSTANCE[table.basis]
        doses = [a for a in administrations if a.substance == substance]
        if doses:
            mg = sum((express(a.quantity, table.basis, "mg")[0].amount for a in doses), Decimal(0))
            req = minimum_session_duration(
                table,
                Quantity(mg, "mg", table.basis),
                session_on=session_on,
                initial_session_on=initial_session_on,
                whole_fungi=whole_fungi,
            )
            options.append((req.minutes, req.reason, req.sources))
    return max(options, key=lambda o: o[0]) if options else None


def review_discharge(
    rules: SessionRules,
    record: DischargeRecord,
    *,
    session_start: datetime,
    administrations: Sequence[Administration] = (),
    initial_session_on: date | None = None,
    whole_fungi: bool = False,
) -> DischargeReview:
    """Every problem with a discharge: unconfirmed criteria, release, and session length."""
    problems: list[str] = []
    discharge = rules.discharge
    known = {c.id for c in discharge.criteria}
    unknown = sorted(set(record.criteria_met) - known)
    if unknown:
        raise ValueError(f"criteria_met: unknown criterion id(s) {', '.join(unknown)}")
    unmet = tuple(c.id for c in discharge.criteria if not record.criteria_met.get(c.id, False))
    for cid in unmet:
        label = next(c.label for c in discharge.criteria if c.id == cid)
        problems.append(f"criteria_met.{cid}: not confirmed ({label})")
    if record.release_to not in discharge.release_to:
        allowed = ", ".join(discharge.release_to)
        problems.append(f"release_to: {record.release_to!r} is not allowed here ({allowed})")
    if record.release_to == "named-adult" and not (record.released_to_name or "").strip():
        problems.append("released_to_name: name the adult the client was released to")
    overnight = rules.overnight_stay
    if overnight is not None and overnight.required and record.release_to != "overnight-stay":
        problems.append("release_to: this protocol requires an overnight stay after dosing")
    duration = None
    try:
        need = required_duration(
            rules,
            administrations,
            session_on=session_start.date(),
            initial_session_on=initial_session_on,
            whole_fungi=whole_fungi,
        )
    except OutsideDurationTable as exc:
        problems.append(f"administrations: {exc}")
        need = None
    if need is not None:
        duration = check_session_duration(session_start, record.discharged_at, *need)
        if not duration.ok:
            problems.append(
                f"discharged_at: session lasted {duration.actual_minutes} min, "
                f"{duration.shortfall_minutes} min short of the {duration.required_minutes} min "
                f"minimum ({duration.reason})"
            )
    return DischargeReview(tuple(problems), unmet, duration)
