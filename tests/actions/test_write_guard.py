"""Only actions write: a flush or bulk write outside an action is refused."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import insert, update

from mendwell.actions.context import WriteOutsideAction, writes_allowed
from mendwell.store.models import Client, Organisation
from support.world import TEST_START

SRC = Path(__file__).resolve().parents[2] / "src" / "mendwell"


def test_a_flush_outside_an_action_is_refused(database, world) -> None:  # type: ignore[no-untyped-def]
    with database.sessionmaker() as db:
        client = db.get(Client, world.clients["alice"])
        client.legal_name = "Changed Around The Door"  # type: ignore[union-attr]
        with pytest.raises(WriteOutsideAction):
            db.commit()
    with database.sessionmaker() as db:
        assert db.get(Client, world.clients["alice"]).legal_name == "Avery Example"  # type: ignore[union-attr]


def test_bulk_orm_writes_outside_an_action_are_refused(database, world) -> None:  # type: ignore[no-untyped-def]
    with database.sessionmaker() as db:
        with pytest.raises(WriteOutsideAction):
            db.execute(update(Client).values(legal_name="Bulk"))
        with pytest.raises(WriteOutsideAction):
            db.execute(insert(Organisation).values(name="Sneaky", created_at=TEST_START))


def test_inside_an_action_the_same_write_works(database, world) -> None:  # type: ignore[no-untyped-def]
    with database.sessionmaker() as db, db.begin(), writes_allowed(db):
        db.add(Organisation(name="Allowed", created_at=TEST_START))


def test_the_app_installs_the_guard(app, world) -> None:  # type: ignore[no-untyped-def]
    with app.state.sessionmaker() as db:
        db.add(Organisation(name="Through the app", created_at=TEST_START))
        with pytest.raises(WriteOutsideAction):
            db.flush()


def test_web_and_cli_code_never_opens_a_write_scope_itself() -> None:
    """Routes and commands call actions; only actions (and auth plumbing) open write scopes."""
    offenders = []
    for folder in ("web", "commands"):
        for path in (SRC / folder).rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if isinstance(node, ast.Name) and node.id == "writes_allowed":
                    offenders.append(str(path.relative_to(SRC)))
    assert offenders == []
