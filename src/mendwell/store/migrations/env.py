"""Alembic environment: uses the connection handed over by mendwell.store.migrate."""

from __future__ import annotations

from alembic import context

from mendwell.store import models  # noqa: F401  (populates the metadata)
from mendwell.store.base import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from mendwell.settings import get_settings
        from mendwell.store.db import make_engine

        engine = make_engine(get_settings().effective_database_url)
        with engine.connect() as connection:
            _run(connection)
        return
    _run(connection)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
