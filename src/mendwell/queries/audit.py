"""Reading the audit trail: filters, sorting by every column, and CSV export."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from mendwell.actions.context import Actor
from mendwell.permissions import Permission
from mendwell.store.models import AuditEvent, Client

SORTABLE = {
    "occurred_at": AuditEvent.seq,
    "username": AuditEvent.username,
    "role": AuditEvent.role,
    "site_id": AuditEvent.site_id,
    "client_id": AuditEvent.client_id,
    "entity_type": AuditEvent.entity_type,
    "entity_id": AuditEvent.entity_id,
    "action": AuditEvent.action,
    "outcome": AuditEvent.outcome,
}
CSV_COLUMNS = (
    "seq",
    "occurred_at",
    "username",
    "user_id",
    "role",
    "site_id",
    "client_id",
    "client_code",
    "entity_type",
    "entity_id",
    "action",
    "outcome",
    "changes",
    "reason",
    "detail",
    "ip",
    "hash",
)


@dataclass
class AuditFilter:
    username: str | None = None
    client: str | None = None
    entity_type: str | None = None
    action: str | None = None
    outcome: str | None = None
    since: date | None = None
    until: date | None = None
    sort: str = "occurred_at"
    descending: bool = True
    page: int = 1
    per_page: int = 100

    def public_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {
            k: (v.isoformat() if isinstance(v, date) else v)
            for k, v in data.items()
            if v not in (None, "") and k not in ("page", "per_page")
        }


def _scope(actor: Actor) -> ColumnElement[bool]:
    if actor.system:
        return AuditEvent.id.is_not(None)
    sites = actor.sites_with(Permission.AUDIT_VIEW)
    return or_(AuditEvent.site_id.in_(sites), AuditEvent.site_id.is_(None))


def _conditions(db: Session, actor: Actor, f: AuditFilter) -> ColumnElement[bool]:
    conds = [_scope(actor)]
    if f.username:
        conds.append(AuditEvent.username == f.username.strip().lower())
    if f.client:
        term = f.client.strip()
        ids = list(db.scalars(select(Client.id).where(Client.code == term.upper())))
        if term.isdigit():
            ids.append(int(term))
        conds.append(AuditEvent.client_id.in_(ids or [-1]))
    if f.entity_type:
        conds.append(AuditEvent.entity_type == f.entity_type)
    if f.action:
        conds.append(AuditEvent.action == f.action)
    if f.outcome:
        conds.append(AuditEvent.outcome == f.outcome)
    if f.since:
        conds.append(AuditEvent.occurred_at >= datetime.combine(f.since, time(), UTC))
    if f.until:
        end = datetime.combine(f.until, time(), UTC) + timedelta(days=1)
        conds.append(AuditEvent.occurred_at < end)
    return and_(*conds)


def search_audit(db: Session, actor: Actor, f: AuditFilter) -> tuple[list[AuditEvent], int]:
    where = _conditions(db, actor, f)
    column = SORTABLE.get(f.sort, AuditEvent.seq)
    order = [column.desc() if f.descending else column.asc(), AuditEvent.seq.desc()]
    total = db.scalar(select(func.count()).select_from(AuditEvent).where(where)) or 0
    rows = db.scalars(
        select(AuditEvent)
        .where(where)
        .order_by(*order)
        .limit(f.per_page)
        .offset((max(f.page, 1) - 1) * f.per_page)
    ).all()
    return list(rows), int(total)


def client_codes(db: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return dict(db.execute(select(Client.id, Client.code).where(Client.id.in_(wanted))).all())


def audit_csv(db: Session, actor: Actor, f: AuditFilter, limit: int = 1_000_000) -> tuple[str, int]:
    """All events matching the filter as CSV text (UTC ISO times), and how many rows."""
    where = _conditions(db, actor, f)
    column = SORTABLE.get(f.sort, AuditEvent.seq)
    rows = db.scalars(
        select(AuditEvent)
        .where(where)
        .order_by(column.desc() if f.descending else column.asc(), AuditEvent.seq)
        .limit(limit)
    ).all()
    codes = client_codes(db, {r.client_id for r in rows})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow(
            [
                r.seq,
                r.occurred_at.isoformat(),
                r.username,
                r.user_id,
                r.role,
                r.site_id,
                r.client_id,
                codes.get(r.client_id or -1, ""),
                r.entity_type,
                r.entity_id,
                r.action,
                r.outcome,
                json.dumps(r.changes) if r.changes else "",
                r.reason or "",
                json.dumps(r.detail) if r.detail else "",
                r.ip or "",
                r.hash,
            ]
        )
    return out.getvalue(), len(rows)
