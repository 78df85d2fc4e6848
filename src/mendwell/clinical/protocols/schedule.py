"""Visit schedules: target dates and windows from an anchor date and the actual dates known so far.

A visit anchored on an earlier visit is planned from that visit's actual date once it is known,
and from its planned target date until then. Dates are calendar dates; a window stated in hours
(e.g. "at least 24 hours after") is checked to the minute by :func:`is_within_window_at`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from mendwell.clinical.protocols.schema import Measure, Protocol, Visit
from mendwell.clinical.sessions.rules import VisitKind
from mendwell.clinical.spans import day_after_minus_epsilon, midnight

AnchorBasis = Literal["anchor-event", "actual", "planned"]


@dataclass(frozen=True)
class PlannedVisit:
    """One visit of a schedule, with its target date and window."""

    protocol_id: str
    protocol_version: str
    visit_id: str
    kind: VisitKind
    label: str
    phase_id: str
    anchor: str
    anchor_date: date
    anchor_basis: AnchorBasis
    target: date
    earliest: date
    latest: date
    duration_minutes: int
    optional: bool
    measures: tuple[Measure, ...]
    actual: date | None = None

    @property
    def in_window(self) -> bool | None:
        """Whether the actual date fell within the window; None while the visit has not happened."""
        return None if self.actual is None else is_within_window(self, self.actual)


def window_bounds(visit: Visit, anchor_at: datetime) -> tuple[datetime, datetime, datetime]:
    """(earliest, target, latest) instants for a visit whose anchor happened at `anchor_at`."""
    target = visit.offset.add_to(anchor_at)
    w = visit.window
    if w.not_before is not None or w.not_after is not None:
        earliest = w.not_before.add_to(anchor_at) if w.not_before is not None else target
        latest = w.not_after.add_to(anchor_at) if w.not_after is not None else target
    else:
        earliest = w.before.subtract_from(target) if w.before is not None else target
        latest = w.after.add_to(target) if w.after is not None else target
    return earliest, target, latest


def _dates_for(visit: Visit, anchor_day: date) -> tuple[date, date, date]:
    """(earliest, target, latest) dates when only the anchor's date is known.

    The anchor may have happened at any time that day, so the earliest date assumes it was at the
    start of the day and the latest date assumes it was at the end.
    """
    start = midnight(anchor_day)
    early, target, _ = window_bounds(visit, start)
    _, _, late_end = window_bounds(visit, start + timedelta(days=1))
    return early.date(), target.date(), day_after_minus_epsilon(late_end)


def plan_schedule(
    protocol: Protocol, anchor_date: date, actual: Mapping[str, date] | None = None
) -> list[PlannedVisit]:
    """Every visit of `protocol` with its target date and window, in protocol order."""
    actual = dict(actual or {})
    unknown = sorted(set(actual) - {v.id for v in protocol.visits})
    if unknown:
        raise ValueError(f"actual: unknown visit id(s) for {protocol.id}: {', '.join(unknown)}")
    planned: dict[str, date] = {}
    result: list[PlannedVisit] = []
    for phase in protocol.phases:
        for visit in phase.visits:
            basis: AnchorBasis
            if visit.anchor == protocol.anchor_event.id:
                anchor_day, basis = anchor_date, "anchor-event"
            elif visit.anchor in actual:
                anchor_day, basis = actual[visit.anchor], "actual"
            else:
                anchor_day, basis = planned[visit.anchor], "planned"
            earliest, target, latest = _dates_for(visit, anchor_day)
            planned[visit.id] = target
            result.append(
                PlannedVisit(
                    protocol_id=protocol.id,
                    protocol_version=protocol.version,
                    visit_id=visit.id,
                    kind=visit.kind,
                    label=visit.label,
                    phase_id=phase.id,
                    anchor=visit.anchor,
                    anchor_date=anchor_day,
                    anchor_basis=basis,
                    target=target,
                    earliest=earliest,
                    latest=latest,
                    duration_minutes=visit.duration.total_minutes,
                    optional=visit.optional,
                    measures=visit.measures,
                    actual=actual.get(visit.id),
                )
            )
    return result


def is_within_window(visit: PlannedVisit, on: date) -> bool:
    """Whether a visit held on `on` is within its (date-level) window."""
    return visit.earliest <= on <= visit.latest


def is_within_window_at(
    protocol: Protocol, visit_id: str, anchor_at: datetime, at: datetime
) -> bool:
    """Whether a visit held at `at` is within its window, to the minute, given its anchor's time."""
    earliest, _, latest = window_bounds(protocol.visit(visit_id), anchor_at)
    return earliest <= at <= latest


def dependent_visits(protocol: Protocol, visit_id: str) -> tuple[str, ...]:
    """Visits whose dates follow from `visit_id`, directly or through other visits, in order."""
    protocol.visit(visit_id)
    moved = {visit_id}
    out: list[str] = []
    for visit in protocol.visits:
        if visit.anchor in moved:
            moved.add(visit.id)
            out.append(visit.id)
    return tuple(out)


@dataclass(frozen=True)
class VisitShift:
    """A visit whose target or window changes when an earlier visit's actual date changes."""

    visit_id: str
    before: PlannedVisit
    after: PlannedVisit

    @property
    def days(self) -> int:
        return (self.after.target - self.before.target).days

    @property
    def held(self) -> bool:
        """The visit already happened: its date stays, only its window (and in_window) changes."""
        return self.after.actual is not None


def shifted_visits(
    protocol: Protocol,
    anchor_date: date,
    actual: Mapping[str, date],
    visit_id: str,
    new_date: date | None,
) -> list[VisitShift]:
    """What moves when `visit_id`'s actual date becomes `new_date` (None: the date is cleared).

    A visit that already happened keeps its date but is listed (``held``) because its window,
    and so whether it was in window, changes; visits anchored on it do not move.
    """
    changed = dict(actual)
    if new_date is None:
        changed.pop(visit_id, None)
    else:
        changed[visit_id] = new_date
    old = {p.visit_id: p for p in plan_schedule(protocol, anchor_date, actual)}
    new = plan_schedule(protocol, anchor_date, changed)
    return [
        VisitShift(p.visit_id, old[p.visit_id], p)
        for p in new
        if p.visit_id != visit_id
        and (p.target, p.earliest, p.latest)
        != (
            old[p.visit_id].target,
            old[p.visit_id].earliest,
            old[p.visit_id].latest,
        )
    ]


def measure_text(m: Measure) -> str:
    """An instrument with who completes it (raters) and when (before or after the dose)."""
    return (
        m.instrument
        + (" (rater)" if m.completed_by == "blinded_rater" else "")
        + ("" if m.timing == "any" else f" ({m.timing.replace('-', ' ')})")
    )


def render_schedule(visits: list[PlannedVisit]) -> str:
    """A plain-text table of a schedule (for the CLI, reports and documentation)."""
    header = ("Visit", "Kind", "Anchor", "Target", "Window", "Measures")
    rows = [header]
    for v in visits:
        measures = ", ".join(measure_text(m) for m in v.measures)
        window = f"{v.earliest.isoformat()} .. {v.latest.isoformat()}"
        opt = " (optional)" if v.optional else ""
        rows.append((v.visit_id + opt, v.kind, v.anchor, v.target.isoformat(), window, measures))
    return text_table(rows[0], rows[1:])


def text_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """Rows under a header, columns padded and separated by " | "."""
    rows = [header, *rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)
