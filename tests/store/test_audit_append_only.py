"""The audit table refuses UPDATE, DELETE (and TRUNCATE) in the database itself."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DatabaseError

from mendwell.store.models import AuditEvent


def _count(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM audit_event")).scalar_one())


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET action = 'tampered' WHERE seq = 1",
        "UPDATE audit_event SET reason = 'x'",
        "DELETE FROM audit_event WHERE seq = 1",
        "DELETE FROM audit_event",
    ],
)
def test_raw_sql_cannot_change_audit_rows(engine, statement: str) -> None:  # type: ignore[no-untyped-def]
    before = _count(engine)
    assert before > 0
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    assert _count(engine) == before
    with engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM audit_event WHERE action = 'tampered'")
            ).scalar_one()
            == 0
        )


def test_core_update_and_delete_are_refused_too(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(update(AuditEvent).values(outcome="success"))
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(delete(AuditEvent).where(AuditEvent.seq > 0))


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_truncate_is_refused_on_postgresql(engine) -> None:  # type: ignore[no-untyped-def]
    before = _count(engine)
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(text("TRUNCATE audit_event"))
    assert _count(engine) == before


def test_inserting_is_still_allowed(database, world) -> None:  # type: ignore[no-untyped-def]
    from mendwell.actions.audit import append_event
    from mendwell.actions.context import SYSTEM
    from mendwell.store.db import transaction
    from support.world import TEST_START

    before = _count(database.engine)
    with transaction(database.sessionmaker) as db:
        append_event(
            db,
            database.audit_key,
            actor=SYSTEM,
            occurred_at=TEST_START,
            action="check",
            entity_type="test",
        )
    assert _count(database.engine) == before + 1
