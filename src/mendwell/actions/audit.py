"""Recording audit events, in the same transaction as the change they describe."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from mendwell.actions.context import ActionContext, Actor, writes_allowed
from mendwell.store.audit_chain import GENESIS, event_digest
from mendwell.store.models import AuditEvent

_PG_CHAIN_LOCK = 0x4D454E44  # any constant; serialises appends so the chain never forks


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, list[Any]]:
    """Changed fields as ``{field: [old, new]}`` (old is None for a create, new for a delete)."""
    before = before or {}
    after = after or {}
    out: dict[str, list[Any]] = {}
    for name in sorted(set(before) | set(after)):
        old, new = jsonable(before.get(name)), jsonable(after.get(name))
        if old != new:
            out[name] = [old, new]
    return out


def append_event(
    db: Session,
    key: bytes,
    *,
    actor: Actor,
    occurred_at: datetime,
    action: str,
    entity_type: str,
    entity_id: object = None,
    site_id: int | None = None,
    client_id: int | None = None,
    changes: dict[str, Any] | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
    outcome: str = "success",
    role: str | None = None,
) -> AuditEvent:
    """Append one event to the chain."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_CHAIN_LOCK})
    last = db.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    )
    head = last.first()
    seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS)
    fields: dict[str, Any] = {
        "seq": seq,
        "occurred_at": occurred_at,
        "user_id": actor.user_id,
        "username": actor.username,
        "role": role if role is not None else actor.role_label(site_id),
        "site_id": site_id,
        "client_id": client_id,
        "entity_type": entity_type,
        "entity_id": None if entity_id is None else str(entity_id),
        "action": action,
        "outcome": outcome,
        "changes": jsonable(changes) if changes else None,
        "reason": reason,
        "detail": jsonable(detail) if detail else None,
        "ip": actor.ip,
    }
    event = AuditEvent(**fields, prev_hash=prev_hash, hash=event_digest(key, prev_hash, fields))
    with writes_allowed(db):
        db.add(event)
    return event


def record(ctx: ActionContext, *, action: str, entity_type: str, **fields: Any) -> AuditEvent:
    """Record an event for the acting user at the context's time (fields as in append_event)."""
    return append_event(
        ctx.db,
        ctx.audit_key,
        actor=ctx.actor,
        occurred_at=ctx.now,
        action=action,
        entity_type=entity_type,
        **fields,
    )


def record_for(
    ctx: ActionContext, row: Any, *, action: str, entity_type: str, **fields: Any
) -> None:
    """Audit an event about a client's record; the site and client are the row's."""
    record(
        ctx,
        action=action,
        entity_type=entity_type,
        site_id=row.site_id,
        client_id=row.client_id,
        **fields,
    )
