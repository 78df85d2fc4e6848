"""Issuing API tokens directly, for tests that exercise the JSON API."""

from __future__ import annotations

from mendwell.actions.auth import actor_for, create_api_token
from mendwell.actions.context import ActionContext
from mendwell.bootstrap import Database
from mendwell.store.db import transaction
from mendwell.store.models import User
from support.world import TEST_START


def issue_token(database: Database, user_id: int, name: str = "test") -> str:
    with transaction(database.sessionmaker) as db:
        user = db.get(User, user_id)
        assert user is not None
        ctx = ActionContext(
            db=db, actor=actor_for(user), now=TEST_START, audit_key=database.audit_key
        )
        plain, _ = create_api_token(ctx, name)
    return plain
