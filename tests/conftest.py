"""Fixtures: every storage test runs on SQLite and on PostgreSQL, each in a throwaway database.

Per backend, one template database is migrated and given the standard world once per test
process; each test then gets its own copy (a file copy on SQLite, CREATE DATABASE ... TEMPLATE on
PostgreSQL). With CI=true a missing PostgreSQL fails the run instead of being skipped.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine

from mendwell.bootstrap import Database, open_database
from mendwell.clock import FrozenClock
from mendwell.settings import Settings
from mendwell.store import migrate
from mendwell.store.db import make_engine
from support.world import AUDIT_KEY, TEST_START, World, build_world, test_settings

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_HOST = os.environ.get("MENDWELL_TEST_PG_HOST", "127.0.0.1")
PG_USER = os.environ.get("MENDWELL_TEST_PG_USER", "postgres")
BACKENDS = ("sqlite", "postgresql")


def pg_url(database: str) -> str:
    return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:5432/{database}"


def pg_admin() -> psycopg.Connection:
    return psycopg.connect(
        host=PG_HOST, user=PG_USER, dbname="postgres", autocommit=True, connect_timeout=5
    )


@pytest.fixture(scope="session")
def postgres_available() -> bool:
    try:
        pg_admin().close()
    except psycopg.OperationalError as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI and is not reachable: {exc}")
        return False
    return True


@dataclass
class Template:
    url: str
    world: World
    name: str | None = None  # PostgreSQL database name
    path: Path | None = None  # SQLite file


def _checkpoint(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def _make_template(url: str, data_dir: Path) -> World:
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        return build_world(engine, test_settings(url, str(data_dir)))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "template.sqlite3"
    world = _make_template(f"sqlite:///{path}", folder)
    _checkpoint(path)
    return Template(url=f"sqlite:///{path}", world=world, path=path)


@pytest.fixture(scope="session")
def postgres_template(
    postgres_available: bool, tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Iterator[Template | None]:
    if not postgres_available:
        yield None
        return
    name = f"mw_tpl_{worker_id}_{uuid.uuid4().hex[:8]}"
    with pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        world = _make_template(pg_url(name), tmp_path_factory.mktemp("pg-template"))
        yield Template(url=pg_url(name), world=world, name=name)
    finally:
        with pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def fresh_url(backend: str, tmp_path: Path, postgres_available: bool) -> Iterator[str]:
    """An empty database (no schema) on the current backend."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    if not postgres_available:
        pytest.skip("PostgreSQL is not available")
    name = f"mw_empty_{uuid.uuid4().hex[:12]}"
    with pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield pg_url(name)
    with pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class TestDb:
    url: str
    world: World
    backend: str


@pytest.fixture
def test_db(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[TestDb]:
    """A migrated database holding the standard world, private to this test."""
    if backend == "sqlite":
        template: Template = request.getfixturevalue("sqlite_template")
        assert template.path is not None
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(template.path, path)
        yield TestDb(f"sqlite:///{path}", template.world, backend)
        return
    pg_template: Template | None = request.getfixturevalue("postgres_template")
    if pg_template is None:
        pytest.skip("PostgreSQL is not available")
    name = f"mw_test_{uuid.uuid4().hex[:12]}"
    with pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template.name}"')
    try:
        yield TestDb(pg_url(name), pg_template.world, backend)
    finally:
        with pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def world(test_db: TestDb) -> World:
    return test_db.world


@pytest.fixture
def settings(test_db: TestDb, tmp_path: Path) -> Settings:
    return test_settings(test_db.url, str(tmp_path / "data"))


@pytest.fixture
def engine(test_db: TestDb) -> Iterator[Engine]:
    engine = make_engine(test_db.url)
    yield engine
    engine.dispose()


@pytest.fixture
def database(settings: Settings, engine: Engine) -> Database:
    return open_database(settings, engine=engine)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(TEST_START)


@pytest.fixture
def app(settings: Settings, engine: Engine, clock: FrozenClock):  # type: ignore[no-untyped-def]
    from mendwell.web.app import create_app

    return create_app(settings, engine=engine, clock=clock, audit_key=AUDIT_KEY)


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    """The xdist worker name ("master" when not distributed)."""
    return getattr(request.config, "workerinput", {}).get("workerid", "master")
