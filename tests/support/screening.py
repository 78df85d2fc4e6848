"""Screening records and helpers for the storage, page and API tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clinical.screening.screening_builders import DELETE, noor_data
from mendwell.actions.auth import actor_for
from mendwell.actions.context import ActionContext
from mendwell.bootstrap import Database
from mendwell.store.db import transaction
from mendwell.store.models import AuditEvent, User
from support.world import TEST_START


def record(**changes: Any) -> dict[str, Any]:
    """A complete record with nothing of note (the clinical tests' Noor, without an age: the
    client's registered date of birth gives it) with ``changes`` (``__`` nests)."""
    return noor_data(**{"age_years": DELETE, **changes})


def draft(
    substance: str = "mdma", protocol_id: str | None = "mdma-at-phase3", **extra: Any
) -> dict[str, Any]:
    """A draft payload (for the actions and the API)."""
    return {"substance": substance, "protocol_id": protocol_id, "record": record(), **extra}


@contextmanager
def acting(
    database: Database, user_id: int, now: datetime = TEST_START, ip: str = "testclient"
) -> Iterator[ActionContext]:
    """An action context for a user, committed at the end."""
    with transaction(database.sessionmaker) as db:
        user = db.get(User, user_id)
        assert user is not None
        yield ActionContext(db=db, actor=actor_for(user, ip), now=now, audit_key=database.audit_key)


def events(db: Session, **where: Any) -> list[AuditEvent]:
    """Audit events matching ``where`` (column=value), oldest first."""
    query = select(AuditEvent).order_by(AuditEvent.seq)
    for key, value in where.items():
        query = query.where(getattr(AuditEvent, key) == value)
    return list(db.scalars(query))


def stored_events(database: Database, **where: Any) -> list[AuditEvent]:
    with database.sessionmaker() as db:
        return events(db, **where)


def count(database: Database, model: type[Any]) -> int:
    """How many rows ``model`` has."""
    with database.sessionmaker() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)
