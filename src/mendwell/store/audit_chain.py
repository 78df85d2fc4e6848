"""The audit trail's HMAC-SHA-256 chain: each event commits to the one before it.

The database refuses UPDATE and DELETE on audit_event; the chain makes any change made around
that protection (by someone with direct database access) detectable, as long as they do not hold
the key, which is kept outside the database.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mendwell.store.models import AuditEvent

GENESIS = "0" * 64
CHAINED_FIELDS = (
    "seq",
    "occurred_at",
    "user_id",
    "username",
    "role",
    "site_id",
    "client_id",
    "entity_type",
    "entity_id",
    "action",
    "outcome",
    "changes",
    "reason",
    "detail",
    "ip",
)


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def event_digest(key: bytes, prev_hash: str, fields: dict[str, Any]) -> str:
    payload = json.dumps(
        {name: _canonical(fields.get(name)) for name in CHAINED_FIELDS},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hmac.new(key, (prev_hash + payload).encode(), hashlib.sha256).hexdigest()


def fields_of(event: AuditEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in CHAINED_FIELDS}


@dataclass
class ChainReport:
    checked: int
    ok: bool
    first_bad_seq: int | None = None
    problem: str | None = None
    head_seq: int | None = None
    head_hash: str | None = None


def verify_chain(db: Session, key: bytes, *, batch: int = 2000) -> ChainReport:
    """Walk the whole chain in order; report the first event that does not verify."""
    prev_hash = GENESIS
    expected_seq = 1
    checked = 0
    while True:
        rows = db.scalars(
            select(AuditEvent)
            .where(AuditEvent.seq >= expected_seq)
            .order_by(AuditEvent.seq)
            .limit(batch)
        ).all()
        if not rows:
            break
        for event in rows:
            if event.seq != expected_seq:
                return ChainReport(checked, False, expected_seq, f"event {expected_seq} is missing")
            if event.prev_hash != prev_hash:
                return ChainReport(checked, False, event.seq, "link to previous event is broken")
            if event_digest(key, prev_hash, fields_of(event)) != event.hash:
                return ChainReport(checked, False, event.seq, "event content does not match")
            prev_hash = event.hash
            expected_seq += 1
            checked += 1
        db.expunge_all()
    return ChainReport(
        checked, True, head_seq=expected_seq - 1 if checked else None, head_hash=prev_hash
    )
