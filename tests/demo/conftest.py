"""The demo organisation built on a fresh database, as of a fixed day."""

from __future__ import annotations

from datetime import date

import pytest

from mendwell.bootstrap import open_database
from mendwell.demo import build_demo
from mendwell.store import migrate
from mendwell.store.db import make_engine
from support import world as test_world

TODAY = date(2026, 3, 2)


@pytest.fixture
def demo_db(fresh_url, tmp_path):  # type: ignore[no-untyped-def]
    engine = make_engine(fresh_url)
    migrate.upgrade(engine)
    database = open_database(test_world.test_settings(fresh_url, str(tmp_path)), engine=engine)
    build_demo(database, today=TODAY)
    yield database
    engine.dispose()
