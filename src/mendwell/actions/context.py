"""Who is acting, when, and the transaction they act in."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from mendwell.actions.errors import PermissionDenied
from mendwell.permissions import Permission, Role, permissions_for, sites_with

_DEPTH = "mendwell_write_depth"


@dataclass(frozen=True)
class Actor:
    """The user (or system process) on whose behalf an action runs."""

    user_id: int | None
    username: str | None
    roles_by_site: Mapping[int, Role] = field(default_factory=dict)
    ip: str | None = None
    system: bool = False

    def roles_at(self, site_id: int) -> set[Role]:
        role = self.roles_by_site.get(site_id)
        return {role} if role else set()

    def can(self, permission: Permission, site_id: int) -> bool:
        return self.system or permission in permissions_for(self.roles_at(site_id))

    def sites_with(self, permission: Permission) -> set[int]:
        return sites_with({s: {r} for s, r in self.roles_by_site.items()}, permission)

    def can_anywhere(self, permission: Permission) -> bool:
        return self.system or bool(self.sites_with(permission))

    def role_label(self, site_id: int | None) -> str | None:
        if self.system:
            return "system"
        if site_id is not None and site_id in self.roles_by_site:
            return str(self.roles_by_site[site_id])
        return ",".join(sorted({str(r) for r in self.roles_by_site.values()})) or None


SYSTEM = Actor(user_id=None, username="system", system=True)


@dataclass
class ActionContext:
    db: Session
    actor: Actor
    now: datetime
    audit_key: bytes

    def require(self, permission: Permission, site_id: int) -> None:
        if not self.actor.can(permission, site_id):
            raise PermissionDenied(str(permission), site_id)

    def require_anywhere(self, permission: Permission) -> None:
        if not self.actor.can_anywhere(permission):
            raise PermissionDenied(str(permission))


@contextmanager
def writes_allowed(db: Session) -> Iterator[Session]:
    """Mark a block as an action, the only place where flushing changes is allowed."""
    db.info[_DEPTH] = db.info.get(_DEPTH, 0) + 1
    try:
        yield db
        db.flush()
    finally:
        db.info[_DEPTH] -= 1


def _in_action(db: Session) -> bool:
    return db.info.get(_DEPTH, 0) > 0


class WriteOutsideAction(RuntimeError):
    """A write that did not go through ``mendwell.actions``."""


def install_write_guard(factory: sessionmaker[Session]) -> None:
    """Refuse any flush or ORM bulk write that happens outside an action."""

    @event.listens_for(factory, "before_flush")
    def _before_flush(session: Session, _ctx: Any, _instances: Any) -> None:
        if (session.new or session.dirty or session.deleted) and not _in_action(session):
            raise WriteOutsideAction("writes must go through mendwell.actions")

    @event.listens_for(factory, "do_orm_execute")
    def _on_execute(state: ORMExecuteState) -> None:
        if (state.is_insert or state.is_update or state.is_delete) and not _in_action(
            state.session
        ):
            raise WriteOutsideAction("writes must go through mendwell.actions")
