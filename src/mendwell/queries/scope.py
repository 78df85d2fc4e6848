"""Which clients a user may see: the one place that scopes client queries.

A user sees the clients of the sites where they hold a role with ``client.list``. At a site whose
setting says facilitators see only their own clients (Oregon's rule), a facilitator sees only the
clients assigned to them.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select
from sqlalchemy.orm import Session

from mendwell.actions.context import Actor
from mendwell.actions.errors import NotFound
from mendwell.permissions import Permission, Role
from mendwell.store.models import Client, ClientAssignment, Site


def client_visibility(db: Session, actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause selecting the clients ``actor`` may see."""
    if actor.system:
        return Client.id.is_not(None)
    site_ids = actor.sites_with(Permission.CLIENT_LIST)
    if not site_ids:
        return false()
    restricted = set(
        db.scalars(
            select(Site.id).where(Site.id.in_(site_ids), Site.facilitators_see_assigned_only)
        )
    )
    open_sites = [
        s for s in site_ids if not (s in restricted and actor.roles_by_site[s] == Role.FACILITATOR)
    ]
    own_only = [s for s in site_ids if s not in open_sites]
    clauses: list[ColumnElement[bool]] = []
    if open_sites:
        clauses.append(Client.site_id.in_(open_sites))
    if own_only:
        assigned = exists().where(
            ClientAssignment.client_id == Client.id, ClientAssignment.user_id == actor.user_id
        )
        clauses.append(and_(Client.site_id.in_(own_only), assigned))
    return or_(*clauses)


def visible_clients(db: Session, actor: Actor) -> Select[tuple[Client]]:
    return select(Client).where(client_visibility(db, actor))


def get_visible_client(db: Session, actor: Actor, client_id: int) -> Client:
    """The client, or NotFound if it does not exist or the actor may not see it."""
    client = db.scalar(visible_clients(db, actor).where(Client.id == client_id))
    if client is None:
        raise NotFound("client", client_id)
    return client
