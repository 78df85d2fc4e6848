"""The standard test world: two sites and a user per role, named as people, not fixtures.

``alice`` and ``bob`` facilitate at site A; ``carol`` and ``dave`` at site B, an Oregon service
centre where facilitators see only their own clients; ``mara`` is the medical monitor and
``rita`` the blinded rater at site A; ``ana`` the analyst at site A; ``admin`` administers both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine

from mendwell.actions import accounts, clients
from mendwell.actions.auth import actor_for
from mendwell.actions.context import SYSTEM, ActionContext
from mendwell.bootstrap import Database, open_database
from mendwell.permissions import Role
from mendwell.schemas.accounts import SiteCreate, UserCreate
from mendwell.schemas.clients import ClientCreate
from mendwell.schemas.common import parse
from mendwell.settings import Settings, load_settings
from mendwell.store.db import transaction

PASSWORD = "correct horse battery staple"
AUDIT_KEY = b"test-audit-key-0123456789abcdef"
WORLD_TIME = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TEST_START = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)

PEOPLE: dict[str, tuple[str, dict[str, Role]]] = {
    "admin": ("Addie Admin", {"A": Role.ADMIN, "B": Role.ADMIN}),
    "alice": ("Alice Abbott", {"A": Role.FACILITATOR}),
    "bob": ("Bob Baker", {"A": Role.FACILITATOR}),
    "carol": ("Carol Cruz", {"B": Role.FACILITATOR}),
    "dave": ("Dave Diaz", {"B": Role.FACILITATOR}),
    "mara": ("Mara Medina", {"A": Role.MEDICAL}),
    "rita": ("Rita Rao", {"A": Role.RATER}),
    "ana": ("Ana Alvarez", {"A": Role.ANALYST}),
}


@dataclass
class World:
    organisation_id: int = 0
    sites: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    clients: dict[str, int] = field(default_factory=dict)


def client_payload(site_id: int, name: str = "Rowan Example", **extra: object) -> dict:  # type: ignore[type-arg]
    return {
        "site_id": site_id,
        "legal_name": name,
        "date_of_birth": "1985-04-12",
        "sex_at_birth": "female",
        "email": "rowan@example.org",
        "phone": "+1 503 555 0101",
        "trauma_types": ["combat"],
        "ptsd_diagnosis_status": "confirmed",
        "ptsd_diagnosis_source": "CAPS-5",
        **extra,
    }


def test_settings(url: str, data_dir: str) -> Settings:
    return load_settings(
        database_url=url,
        data_dir=data_dir,
        audit_key=AUDIT_KEY.decode(),
        cookie_secure=True,
        two_factor_required=False,
    )


def build_world(engine: Engine, settings: Settings) -> World:
    database: Database = open_database(settings, engine=engine)
    world = World()
    with transaction(database.sessionmaker) as db:
        system = ActionContext(db=db, actor=SYSTEM, now=WORLD_TIME, audit_key=database.audit_key)
        org = accounts.create_organisation(system, "Test Organisation")
        world.organisation_id = org.id
        for key, extra in (
            ("A", {}),
            ("B", {"jurisdiction": "us-or", "facilitators_see_assigned_only": True}),
        ):
            site = accounts.create_site(
                system,
                org.id,
                parse(SiteCreate, {"name": f"Site {key}", "code": f"SITE-{key}", **extra}),
            )
            world.sites[key] = site.id
        users = {}
        for username, (name, roles) in PEOPLE.items():
            data = parse(
                UserCreate,
                {
                    "username": username,
                    "full_name": name,
                    "password": PASSWORD,
                    "roles": {world.sites[k]: r for k, r in roles.items()},
                },
            )
            users[username] = accounts.create_user(system, settings, org.id, data)
            world.users[username] = users[username].id
        for owner, site_key, name in (
            ("alice", "A", "Avery Example"),
            ("carol", "B", "Casey Sample"),
        ):
            ctx = ActionContext(
                db=db, actor=actor_for(users[owner]), now=WORLD_TIME, audit_key=database.audit_key
            )
            data = parse(
                ClientCreate,
                client_payload(world.sites[site_key], name, facilitator_ids=[users[owner].id]),
                context={"today": WORLD_TIME.date()},
            )
            world.clients[owner] = clients.create_client(ctx, data).id
    return world
