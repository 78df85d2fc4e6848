"""The printed record of a dosing session: everything that happened, minute by minute, in time
order with who did it and, for anything entered after the fact, when it was written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mendwell.queries.dosing_sessions import (
    RELEASE_LABELS,
    SUPPLEMENTAL_LABELS,
    TIMING_LABELS,
    VITAL_LABELS,
    DoseRow,
    SessionView,
)
from mendwell.store.models import DoseAdministration, VitalReading


@dataclass(frozen=True)
class RecordLine:
    """One thing that happened, at its time, with who did it and when it was written down."""

    at: datetime
    what: str
    detail: str
    by: str
    recorded_at: datetime | None = None
    order: int = 0


def _num(value: object) -> str:
    return "" if value is None else str(value)


def _reading_text(r: VitalReading) -> str:
    parts = []
    if r.systolic_bp is not None:
        parts.append(f"BP {r.systolic_bp}/{_num(r.diastolic_bp)} mmHg")
    if r.heart_rate is not None:
        parts.append(f"HR {r.heart_rate} bpm")
    if r.temperature_c is not None:
        parts.append(f"temperature {r.temperature_c} °C")
    if r.spo2 is not None:
        parts.append(f"SpO2 {r.spo2}%")
    if r.note:
        parts.append(f"note: {r.note}")
    return ", ".join(parts)


def dose_text(a: DoseAdministration, rows: tuple[DoseRow, ...] = ()) -> str:
    text = (
        f"{a.amount} {a.unit} {a.basis} ({a.substance}), {a.product}, lot {a.lot_or_unique_id}, "
        f"{a.route}"
    )
    if a.servings:
        text += f", {a.servings} serving(s)"
    row = next((r for r in rows if r.row.id == a.id), None)
    if row is not None:
        if row.in_mg is not None:
            text += f" = {row.in_mg.describe()}"
        for conversion in row.conversions:
            text += f"; {conversion}"
        if row.witnessed_by:
            text += f"; witnessed by {row.witnessed_by}"
    if a.deviation_reason:
        text += f"; reason: {a.deviation_reason}"
    return text


def session_record(view: SessionView) -> list[RecordLine]:
    """Everything in the session's record, in time order (ties in the order written)."""
    s, n = view.session, view.name
    lines = [
        RecordLine(s.started_at, "Session started", view.rules.protocol_id, n(s.started_by_id))
    ]
    for p in view.presence:
        row = next(x for x in s.presence if x.id == p.id)
        lines.append(
            RecordLine(
                p.arrived_at,
                "Arrived",
                f"{p.name} as {p.role}",
                n(row.recorded_by_id),
                row.recorded_at,
            )
        )
        if p.left_at is not None:
            lines.append(
                RecordLine(
                    p.left_at,
                    "Left",
                    f"{p.name} ({p.role})" + (f": {p.note}" if p.note else ""),
                    n(row.recorded_by_id),
                )
            )
    labels = {i.id: i.label for i in view.rules.pre_dose_checklist}
    for c in s.checklist:
        answer = ": ".join(x for x in (c.answer if c.answer != "text" else None, c.text) if x)
        lines.append(
            RecordLine(
                c.answered_at,
                "Pre-dose checklist",
                f"{labels.get(c.item_id, c.item_id)}: {answer}",
                n(c.recorded_by_id),
                c.recorded_at,
            )
        )
    for a in s.administrations:
        what = "Initial dose" if a.kind == "initial" else "Supplemental dose"
        lines.append(
            RecordLine(a.given_at, what, dose_text(a, view.doses), n(a.given_by_id), a.recorded_at)
        )
    for d in s.supplemental_decisions:
        if d.status == "given":
            continue
        detail = SUPPLEMENTAL_LABELS.get(d.status, d.status)
        if d.timing:
            detail += f" ({TIMING_LABELS.get(d.timing, d.timing)})"
        if d.reason:
            detail += f": {d.reason}"
        lines.append(
            RecordLine(
                d.at or d.recorded_at,
                "Supplemental dose",
                detail,
                n(d.recorded_by_id),
                d.recorded_at,
            )
        )
    for r in s.readings:
        lines.append(
            RecordLine(
                r.taken_at, "Vital signs", _reading_text(r), n(r.recorded_by_id), r.recorded_at
            )
        )
    for al in s.alerts:
        label = VITAL_LABELS.get(al.vital, al.vital)
        lines.append(
            RecordLine(
                al.raised_at,
                "Vital-sign alert",
                f"{label} {al.value} {al.unit} {al.direction} {al.threshold} {al.unit}",
                "system",
                order=1,
            )
        )
        if al.acknowledged_at is not None:
            lines.append(
                RecordLine(
                    al.acknowledged_at,
                    "Alert acknowledged",
                    al.action_note or "",
                    n(al.acknowledged_by_id),
                    order=2,
                )
            )
    for t in s.timeline:
        if t.kind == "observation":
            label = view.observations.get(t.code or "", t.code or "")
            what, detail = "Observation", ": ".join(x for x in (label, t.text) if x)
        else:
            what, detail = "Note", t.text or ""
        lines.append(RecordLine(t.at, what, detail, n(t.recorded_by_id), t.recorded_at))
    for e in view.adverse_events:
        lines.append(
            RecordLine(e.onset_at, "Adverse event", e.term, n(e.created_by_id), e.created_at, 2)
        )
    if s.ended_at is not None:
        lines.append(RecordLine(s.ended_at, "Session ended", "", "", order=3))
    d = s.discharge
    if d is not None:
        detail = f"to {RELEASE_LABELS.get(d.release_to, d.release_to)}"
        if d.released_to_name:
            detail += f" ({d.released_to_name})"
        if d.problems:
            detail += "; problems: " + "; ".join(d.problems)
        if d.reason:
            detail += f"; reason: {d.reason}"
        lines.append(
            RecordLine(d.discharged_at, "Discharged", detail, n(d.recorded_by_id), d.recorded_at, 4)
        )
    if s.signed_at is not None:
        lines.append(
            RecordLine(s.signed_at, "Signed", "lead facilitator", n(s.signed_by_id), order=5)
        )
    if s.cosigned_at is not None:
        lines.append(
            RecordLine(
                s.cosigned_at, "Co-signed", "second facilitator", n(s.cosigned_by_id), order=6
            )
        )
    for ad in s.addenda:
        lines.append(RecordLine(ad.recorded_at, "Addendum", ad.text, n(ad.recorded_by_id), order=7))
    return sorted(lines, key=lambda line: (line.at, line.order))
