"""Opening the database and creating the first organisation, site and admin."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from mendwell.actions import accounts
from mendwell.actions.context import SYSTEM, ActionContext, install_write_guard
from mendwell.clock import Clock
from mendwell.permissions import Role
from mendwell.schemas.accounts import SiteCreate, UserCreate
from mendwell.schemas.common import parse
from mendwell.security.keys import load_audit_key
from mendwell.settings import Settings
from mendwell.store import migrate
from mendwell.store.db import make_engine, make_sessionmaker, transaction
from mendwell.store.models import Organisation, User


class NotInitialised(RuntimeError):
    """The database has no schema yet, or an older one."""


@dataclass
class Database:
    engine: Engine
    sessionmaker: sessionmaker[Session]
    audit_key: bytes
    settings: Settings

    def context(self, db: Session, clock: Clock | None = None) -> ActionContext:
        return ActionContext(
            db=db, actor=SYSTEM, now=(clock or Clock()).now(), audit_key=self.audit_key
        )


def open_database(settings: Settings, *, engine: Engine | None = None) -> Database:
    engine = engine or make_engine(settings.effective_database_url)
    factory = make_sessionmaker(engine)
    install_write_guard(factory)
    return Database(engine, factory, load_audit_key(settings), settings)


def require_current_schema(database: Database) -> None:
    current, head = migrate.current_revision(database.engine), migrate.head_revision()
    if current != head:
        state = "has no Mendwell schema" if current is None else f"is at revision {current}"
        raise NotInitialised(
            f"the database {state}; run `mendwell init` to create or upgrade it "
            f"(latest revision: {head})"
        )


def is_empty(database: Database) -> bool:
    with database.sessionmaker() as db:
        return not db.scalar(select(func.count()).select_from(User))


@dataclass
class FirstAdmin:
    username: str
    full_name: str
    password: str
    organisation: str
    site_name: str
    site_code: str
    timezone: str = "UTC"


def create_first_admin(database: Database, spec: FirstAdmin, clock: Clock | None = None) -> User:
    """Create the organisation, its first site, and an admin of that site."""
    site_data = parse(
        SiteCreate, {"name": spec.site_name, "code": spec.site_code, "timezone": spec.timezone}
    )
    with transaction(database.sessionmaker) as db:
        ctx = database.context(db, clock)
        org = db.scalar(select(Organisation)) or accounts.create_organisation(
            ctx, spec.organisation
        )
        site = accounts.create_site(ctx, org.id, site_data)
        user_data = parse(
            UserCreate,
            {
                "username": spec.username,
                "full_name": spec.full_name,
                "password": spec.password,
                "roles": {site.id: Role.ADMIN},
            },
        )
        return accounts.create_user(ctx, database.settings, org.id, user_data)
