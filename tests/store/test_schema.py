"""The migrations produce exactly the models' schema; SQLite connections are configured."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from mendwell.store import migrate
from mendwell.store.base import Base
from mendwell.store.db import make_engine


def test_migrations_produce_the_models_schema(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
        assert differences == []
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)
    finally:
        engine.dispose()


def test_upgrade_twice_is_a_no_op(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    try:
        migrate.upgrade(engine)
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_sqlite_connection_has_wal_full_sync_and_foreign_keys(test_db) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(test_db.url, pool_size=3)
    try:
        # Raw pooled connections: configured on connect, with no transaction holding a lock.
        connections = [engine.raw_connection() for _ in range(3)]
        for conn in connections:
            cursor = conn.cursor()
            assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert cursor.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
            assert cursor.execute("PRAGMA foreign_keys").fetchone()[0] == 1
            cursor.close()
        for conn in connections:
            conn.close()
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_postgresql_commits_are_durable(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        assert conn.execute(text("SHOW fsync")).scalar() == "on"
        assert conn.execute(text("SHOW synchronous_commit")).scalar() == "on"
