"""The HMAC chain detects changes made around the database's own protection."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from mendwell.store.append_only import protect_statements, unprotect_statements
from mendwell.store.audit_chain import verify_chain


def _verify(database):  # type: ignore[no-untyped-def]
    with database.sessionmaker() as db:
        return verify_chain(db, database.audit_key)


def _bypass(engine, statement: str) -> None:  # type: ignore[no-untyped-def]
    """Simulate someone with direct database access who drops the triggers first."""
    dialect = engine.dialect.name
    with engine.begin() as conn:
        for s in unprotect_statements(dialect, "audit_event"):
            conn.execute(text(s))
        conn.execute(text(statement))
        for s in protect_statements(dialect, "audit_event"):
            conn.execute(text(s))


def test_untouched_chain_verifies(database, world) -> None:  # type: ignore[no-untyped-def]
    report = _verify(database)
    assert report.ok, report.problem
    assert report.checked > 10
    assert report.head_seq == report.checked


@pytest.mark.parametrize(
    ("statement", "bad_seq"),
    [
        ("UPDATE audit_event SET reason = 'rewritten' WHERE seq = 5", 5),
        ("DELETE FROM audit_event WHERE seq = 7", 7),
        (
            "UPDATE audit_event SET occurred_at = occurred_at WHERE seq = 3; "
            "UPDATE audit_event SET username = 'mallory' WHERE seq = 3",
            3,
        ),
    ],
)
def test_tampering_is_detected_at_the_first_bad_event(
    database, world, statement: str, bad_seq: int
) -> None:  # type: ignore[no-untyped-def]
    for part in statement.split("; "):
        _bypass(database.engine, part)
    report = _verify(database)
    assert not report.ok
    assert report.first_bad_seq == bad_seq


def test_a_rehashed_row_without_the_key_is_detected(database, world) -> None:  # type: ignore[no-untyped-def]
    import hashlib

    with database.engine.connect() as conn:
        prev = conn.execute(text("SELECT hash FROM audit_event WHERE seq = 4")).scalar_one()
    forged = hashlib.sha256((prev + "forged").encode()).hexdigest()
    _bypass(
        database.engine, f"UPDATE audit_event SET hash = '{forged}', action = 'x' WHERE seq = 5"
    )
    report = _verify(database)
    assert report.first_bad_seq == 5


def test_a_different_key_does_not_verify(database, world) -> None:  # type: ignore[no-untyped-def]
    with database.sessionmaker() as db:
        report = verify_chain(db, b"another key")
    assert not report.ok
    assert report.first_bad_seq == 1
