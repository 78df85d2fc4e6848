"""Client list, search and the shapes in which a client is shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from mendwell.actions.context import Actor
from mendwell.permissions import Permission
from mendwell.queries.scope import client_visibility
from mendwell.schemas.clients import ClientDeidentified, ClientFull, ClientScheduling
from mendwell.store.models import AuditEvent, Client, ClientAssignment, User

SAFE_HARBOR_AGE_CAP = 90  # HIPAA 164.514(b)(2)(i)(C): ages over 89 are reported as "90+"


@dataclass
class ClientFilter:
    q: str | None = None
    status: str | None = None
    site_id: int | None = None
    facilitator_id: int | None = None
    page: int = 1
    per_page: int = 50

    def as_dict(self) -> dict[str, Any]:
        return {
            "q": self.q,
            "status": self.status,
            "site_id": self.site_id,
            "facilitator_id": self.facilitator_id,
        }


def search_clients(db: Session, actor: Actor, f: ClientFilter) -> tuple[list[Client], int]:
    """Visible clients matching the filter; names are searched only where the actor may see them."""
    conditions = [client_visibility(db, actor)]
    if f.q:
        term = f.q.strip()
        by_code = Client.code.ilike(f"%{term}%")
        named_sites = actor.sites_with(Permission.CLIENT_VIEW_IDENTIFYING)
        by_name = and_(
            Client.site_id.in_(named_sites),
            or_(Client.legal_name.ilike(f"%{term}%"), Client.preferred_name.ilike(f"%{term}%")),
        )
        conditions.append(or_(by_code, by_name) if named_sites or actor.system else by_code)
    if f.status:
        conditions.append(Client.status == f.status)
    if f.site_id:
        conditions.append(Client.site_id == f.site_id)
    if f.facilitator_id:
        conditions.append(
            exists().where(
                ClientAssignment.client_id == Client.id,
                ClientAssignment.user_id == f.facilitator_id,
            )
        )
    where = and_(*conditions)
    total = db.scalar(select(func.count()).select_from(Client).where(where)) or 0
    rows = db.scalars(
        select(Client)
        .where(where)
        .options(selectinload(Client.assignments))
        .order_by(Client.status_changed_at.desc(), Client.id.desc())
        .limit(f.per_page)
        .offset((max(f.page, 1) - 1) * f.per_page)
    ).all()
    return list(rows), int(total)


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def client_view(
    client: Client, actor: Actor, today: date
) -> ClientFull | ClientScheduling | (ClientDeidentified):
    """The client as this actor may see it (minimum necessary)."""
    if actor.can(Permission.CLIENT_VIEW_CLINICAL, client.site_id):
        return ClientFull.model_validate(
            {
                **{
                    c: getattr(client, c) for c in ClientFull.model_fields if c != "facilitator_ids"
                },
                "facilitator_ids": sorted(a.user_id for a in client.assignments),
            }
        )
    if actor.can(Permission.CLIENT_VIEW_IDENTIFYING, client.site_id):
        return ClientScheduling.model_validate(client, from_attributes=True)
    age = age_on(client.date_of_birth, today)
    return ClientDeidentified.model_validate(
        {
            **{c: getattr(client, c) for c in ClientDeidentified.model_fields if c != "age_years"},
            "age_years": f"{SAFE_HARBOR_AGE_CAP}+" if age >= SAFE_HARBOR_AGE_CAP else age,
        }
    )


def facilitators_by_id(db: Session, ids: set[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {u.id: u for u in db.scalars(select(User).where(User.id.in_(ids)))}


TIMELINE_EXCLUDED_ACTIONS = ("view", "search", "access_failed")


def client_timeline(db: Session, client_id: int, limit: int = 200) -> list[AuditEvent]:
    """What happened to the client, newest first, from the audit trail (reads excluded)."""
    return list(
        db.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.client_id == client_id,
                AuditEvent.action.not_in(TIMELINE_EXCLUDED_ACTIONS),
                AuditEvent.outcome == "success",
            )
            .order_by(AuditEvent.seq.desc())
            .limit(limit)
        )
    )
