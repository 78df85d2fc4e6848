"""The audit trail over JSON (read only: nothing can change it)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from mendwell.permissions import Permission
from mendwell.queries.audit import SORTABLE, AuditFilter, search_audit
from mendwell.web.access import Db, Principal, requires

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


class AuditEventOut(BaseModel):
    seq: int
    occurred_at: datetime
    user_id: int | None
    username: str | None
    role: str | None
    site_id: int | None
    client_id: int | None
    entity_type: str
    entity_id: str | None
    action: str
    outcome: str
    changes: dict[str, Any] | None
    reason: str | None
    detail: dict[str, Any] | None
    ip: str | None
    hash: str


class AuditPage(BaseModel):
    total: int
    page: int
    items: list[AuditEventOut]


@router.get("", response_model=AuditPage)
def list_events(
    db: Db,
    principal: Annotated[Principal, requires(Permission.AUDIT_VIEW)],
    username: str | None = None,
    client: str | None = None,
    entity_type: str | None = None,
    action: str | None = None,
    outcome: str | None = None,
    since: date | None = None,
    until: date | None = None,
    sort: Annotated[str, Query(pattern="|".join(SORTABLE))] = "occurred_at",
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "desc",
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditPage:
    """Audit events (UTC), filtered by user, client (code or id), entity, action, outcome and
    date range, sortable by any column."""
    f = AuditFilter(
        username=username,
        client=client,
        entity_type=entity_type,
        action=action,
        outcome=outcome,
        since=since,
        until=until,
        sort=sort,
        descending=order == "desc",
        page=page,
        per_page=per_page,
    )
    rows, total = search_audit(db, principal.actor, f)
    return AuditPage(
        total=total,
        page=page,
        items=[AuditEventOut.model_validate(r, from_attributes=True) for r in rows],
    )
