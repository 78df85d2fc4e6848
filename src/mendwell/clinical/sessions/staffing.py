"""Staffing during a session: who had to be present, and every interval when they were not.

Presence is a list of intervals (person, role, arrived, left). A requirement says at least
`minimum` people of a role are present throughout; it may allow short breaks when someone of a
covering role is present (Oregon: a facilitator's restroom break of about five minutes while a
licensee representative monitors). Gaps are intervals, found exactly, never by sampling.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Literal

from mendwell.clinical.sessions.rules import StaffingRequirement, VisitKind
from mendwell.clinical.validation import citations

GapReason = Literal["shortfall", "break-too-long", "break-not-covered"]


@dataclass(frozen=True)
class Presence:
    """One stretch of time a person spent in the session; `left` None means still there."""

    person: str
    role: str
    arrived: datetime
    left: datetime | None = None


@dataclass(frozen=True)
class StaffingGap:
    requirement_id: str
    start: datetime
    end: datetime
    role: str
    required: int
    present: int
    reason: GapReason
    sources: tuple[str, ...]
    unconfirmed: bool

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60

    @property
    def missing(self) -> str:
        """What was missing, in words."""
        short = self.required - self.present
        text = f"{short} {self.role}{'' if short == 1 else 's'} short ({self.present} of "
        text += f"{self.required} present)"
        if self.reason == "break-too-long":
            text += "; longer than the allowed break"
        elif self.reason == "break-not-covered":
            text += "; break without cover"
        return text


@dataclass(frozen=True)
class CoveredBreak:
    """A short absence that the requirement allows, and who covered it."""

    requirement_id: str
    start: datetime
    end: datetime
    covered_by: tuple[str, ...]


@dataclass(frozen=True)
class StaffingReport:
    gaps: tuple[StaffingGap, ...]
    covered_breaks: tuple[CoveredBreak, ...]

    @property
    def ok(self) -> bool:
        return not self.gaps


@dataclass(frozen=True)
class _Segment:
    start: datetime
    end: datetime
    count: int
    cover: frozenset[str]


def _check_times(presence: Sequence[Presence], start: datetime, end: datetime) -> None:
    for name, value in (("start", start), ("end", end)):
        if value.tzinfo is None:
            raise ValueError(f"{name}: must be timezone-aware")
    if end <= start:
        raise ValueError("end: the session must end after it starts")
    for i, p in enumerate(presence):
        for name in ("arrived", "left"):
            value = getattr(p, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"presence.{i}.{name}: must be timezone-aware")
        if p.left is not None and p.left < p.arrived:
            raise ValueError(f"presence.{i}.left: before arrived")


def _present(
    presence: Iterable[Presence], roles: set[str], a: datetime, b: datetime, end: datetime
) -> frozenset[str]:
    """Distinct people of `roles` present for the whole of [a, b)."""
    return frozenset(
        p.person
        for p in presence
        if p.role in roles and p.arrived <= a and (p.left if p.left is not None else end) >= b
    )


def _segments(
    presence: Sequence[Presence], req: StaffingRequirement, start: datetime, end: datetime
) -> list[_Segment]:
    cuts = {start, end}
    for p in presence:
        for t in (p.arrived, p.left):
            if t is not None and start < t < end:
                cuts.add(t)
    times = sorted(cuts)
    cover_roles = set(req.breaks.covered_by) if req.breaks else set()
    out: list[_Segment] = []
    for a, b in pairwise(times):
        count = len(_present(presence, {req.role}, a, b, end))
        cover = _present(presence, cover_roles, a, b, end)
        out.append(_Segment(a, b, count, cover))
    return out


def _runs(segments: list[_Segment], minimum: int) -> list[list[_Segment]]:
    """Maximal runs of consecutive segments below the minimum."""
    runs: list[list[_Segment]] = []
    for seg in segments:
        if seg.count >= minimum:
            continue
        if runs and runs[-1][-1].end == seg.start:
            runs[-1].append(seg)
        else:
            runs.append([seg])
    return runs


def _split_by_count(run: list[_Segment]) -> list[tuple[datetime, datetime, int]]:
    parts: list[tuple[datetime, datetime, int]] = []
    for seg in run:
        if parts and parts[-1][2] == seg.count:
            parts[-1] = (parts[-1][0], seg.end, seg.count)
        else:
            parts.append((seg.start, seg.end, seg.count))
    return parts


def check_requirement(
    presence: Sequence[Presence], start: datetime, end: datetime, req: StaffingRequirement
) -> StaffingReport:
    """Gaps and covered breaks for one requirement over [start, end]."""
    _check_times(presence, start, end)
    gaps: list[StaffingGap] = []
    breaks: list[CoveredBreak] = []
    cites = citations(req)
    for run in _runs(_segments(presence, req, start, end), req.minimum):
        run_start, run_end = run[0].start, run[-1].end
        reason: GapReason = "shortfall"
        allowance = req.breaks
        if allowance is not None and all(s.count >= req.minimum - 1 for s in run):
            short_enough = run_end - run_start <= timedelta(minutes=allowance.max_minutes)
            covered = not allowance.covered_by or all(s.cover for s in run)
            if short_enough and covered:
                who = sorted(set().union(*(s.cover for s in run)))
                breaks.append(CoveredBreak(req.id, run_start, run_end, tuple(who)))
                continue
            reason = "break-too-long" if not short_enough else "break-not-covered"
        for a, b, count in _split_by_count(run):
            gaps.append(
                StaffingGap(
                    req.id, a, b, req.role, req.minimum, count, reason, cites, req.unconfirmed
                )
            )
    return StaffingReport(tuple(gaps), tuple(breaks))


def check_staffing(
    presence: Sequence[Presence],
    start: datetime,
    end: datetime,
    requirements: Sequence[StaffingRequirement],
    *,
    visit_kind: VisitKind = "dosing",
) -> StaffingReport:
    """Every gap (and every allowed, covered break) for all requirements that apply to the visit."""
    gaps: list[StaffingGap] = []
    breaks: list[CoveredBreak] = []
    for req in requirements:
        if visit_kind not in req.applies_to:
            continue
        report = check_requirement(presence, start, end, req)
        gaps.extend(report.gaps)
        breaks.extend(report.covered_breaks)
    gaps.sort(key=lambda g: (g.start, g.requirement_id))
    breaks.sort(key=lambda b: (b.start, b.requirement_id))
    return StaffingReport(tuple(gaps), tuple(breaks))
