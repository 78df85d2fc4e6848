"""What treatment courses need to know from safety screening and safety alerts.

Courses rely on two neighbouring records, read only through this module:

* ``screening_facts(db, client_id)``: the client's screening decision in force (the latest signed
  screening), with its signing time, the substance and protocol it was evaluated for, and the
  earliest safe dosing date of every medication being washed out (named by generic name). It
  reads :func:`mendwell.queries.screening.latest_signed_screening`, the screening module's
  contract.
* ``open_alert_counts(db, client_ids)``: how many of the measures module's safety alerts are
  open (not yet acknowledged) per client.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mendwell.queries.screening import latest_signed_screening
from mendwell.store.models import SafetyAlert


@dataclass(frozen=True)
class WashoutFact:
    medication: str
    earliest_dosing_date: date


@dataclass(frozen=True)
class ScreeningFacts:
    """The screening decision a course relies on."""

    screening_id: int
    decision: str  # "eligible" | "ineligible" | "deferred"
    signed_at: datetime
    signed_by: str
    substance: str | None
    protocol_id: str | None
    earliest_dosing_date: date | None
    washout: tuple[WashoutFact, ...] = ()

    def as_record(self) -> dict[str, Any]:
        """What a course stores about the screening it was enrolled on."""
        return {
            "screening_id": self.screening_id,
            "decision": self.decision,
            "signed_at": self.signed_at.isoformat(),
            "signed_by": self.signed_by,
            "substance": self.substance,
            "protocol_id": self.protocol_id,
        }


def screening_facts(db: Session, client_id: int) -> ScreeningFacts | None:
    """The latest signed screening of the client, or None when none is signed."""
    signed = latest_signed_screening(db, client_id)
    if signed is None:
        return None
    return ScreeningFacts(
        screening_id=signed.screening_id,
        decision=str(signed.decision),
        signed_at=signed.signed_at,
        signed_by=signed.signed_by,
        substance=str(signed.substance),
        protocol_id=signed.protocol_id,
        earliest_dosing_date=signed.earliest_dosing_date,
        # Named by generic name: stable across brands, and the code of its gate condition.
        washout=tuple(
            WashoutFact(w.generic_name or w.medication, w.earliest_dosing_date)
            for w in signed.washout
        ),
    )


def open_alert_counts(db: Session, client_ids: Iterable[int]) -> dict[int, int]:
    """Open safety alerts per client (clients without any are left out)."""
    ids = list(client_ids)
    if not ids:
        return {}
    rows = db.execute(
        select(SafetyAlert.client_id, func.count())
        .where(SafetyAlert.client_id.in_(ids), SafetyAlert.acknowledged_at.is_(None))
        .group_by(SafetyAlert.client_id)
    ).all()
    return {client_id: int(n) for client_id, n in rows}
