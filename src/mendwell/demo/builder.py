"""The demo context, the step registry and the build loop."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy.orm import Session

from mendwell.actions.auth import actor_for
from mendwell.actions.context import SYSTEM, ActionContext
from mendwell.bootstrap import Database
from mendwell.clock import Clock
from mendwell.store.db import transaction
from mendwell.store.models import Client, Organisation, Site, User

DEMO_PASSWORD = "mendwell-demo-2026"  # noqa: S105 (published on purpose: demo accounts only)
# Settings the demo runs with: its users have no authenticator app, so no two-factor sign-in.
DEMO_SETTINGS: dict[str, object] = {"two_factor_required": False}


@dataclass
class DemoClient:
    client_id: int
    site_key: str
    stage: str
    referred_on: date
    facilitator: str


@dataclass
class DemoContext:
    db: Session
    database: Database
    rng: random.Random
    today: date
    audit_key: bytes
    # The moment the demo is built, when it is built for the real today (not a given date): the
    # session left running ends its record here rather than in the future.
    built_at: datetime | None = None
    org: Organisation | None = None
    sites: dict[str, Site] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    clients: list[DemoClient] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def at(self, day: date, hour: int = 10, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), UTC)

    def as_user(self, username: str, when: datetime) -> ActionContext:
        return ActionContext(
            db=self.db, actor=actor_for(self.users[username]), now=when, audit_key=self.audit_key
        )

    def as_system(self, when: datetime) -> ActionContext:
        return ActionContext(db=self.db, actor=SYSTEM, now=when, audit_key=self.audit_key)

    def client(self, demo: DemoClient) -> Client:
        found = self.db.get(Client, demo.client_id)
        assert found is not None
        return found


DemoStep = Callable[[DemoContext], None]
DEMO_STEPS: list[DemoStep] = []


def demo_step(step: DemoStep) -> DemoStep:
    """Register a demo step; steps run in registration order."""
    DEMO_STEPS.append(step)
    return step


@dataclass
class DemoSummary:
    logins: list[tuple[str, str]]
    counts: dict[str, int]

    def describe(self) -> str:
        lines = ["Demo logins:"]
        lines += [f"  {username:<8} {what}" for username, what in self.logins]
        lines.append("Contents: " + ", ".join(f"{n} {what}" for what, n in self.counts.items()))
        return "\n".join(lines)


def build_demo(database: Database, *, seed: int = 2026, today: date | None = None) -> DemoSummary:
    """Fill an empty, migrated database with the demo organisation."""
    built_at = None if today else Clock().now()
    today = today or Clock().now().date()
    with transaction(database.sessionmaker) as db:
        ctx = DemoContext(
            db=db,
            database=database,
            rng=random.Random(seed),
            today=today,
            audit_key=database.audit_key,
            built_at=built_at,
        )
        for step in DEMO_STEPS:
            step(ctx)
    return DemoSummary(ctx.logins, ctx.counts)
