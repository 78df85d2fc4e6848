"""`mendwell user`: manage accounts from the command line."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select

from mendwell.actions import accounts
from mendwell.commands.common import database_or_exit, fail, reported_errors
from mendwell.permissions import Role
from mendwell.schemas.accounts import UserCreate
from mendwell.schemas.common import parse
from mendwell.store.db import transaction
from mendwell.store.models import Organisation, Site, User

app = typer.Typer(
    help="Create, list and disable users; set their roles; reset two-factor sign-in.",
    no_args_is_help=True,
)


def _site_id(db: object, code: str) -> int:
    site = db.scalar(select(Site).where(Site.code == code.upper()))  # type: ignore[attr-defined]
    if site is None:
        raise fail(f"no site with code {code.upper()}")
    return site.id


def _user(db: object, username: str) -> User:
    user = db.scalar(select(User).where(User.username == username.lower()))  # type: ignore[attr-defined]
    if user is None:
        raise fail(f"no user named {username}")
    return user


@app.command("create")
def create(
    username: str,
    full_name: Annotated[str, typer.Option("--name", help="Full name.")],
    role: Annotated[Role, typer.Option(help="Role at the site.")],
    site: Annotated[str, typer.Option(help="Site code.")],
    email: Annotated[str | None, typer.Option(help="Email address.")] = None,
    password: Annotated[
        str | None,
        typer.Option(
            help="Password (prompted for when omitted).", envvar="MENDWELL_NEW_USER_PASSWORD"
        ),
    ] = None,
) -> None:
    """Create a user with a role at one site."""
    database = database_or_exit()
    password = password or typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with reported_errors(), transaction(database.sessionmaker) as db:
        org = db.scalar(select(Organisation))
        if org is None:
            raise fail("no organisation yet; run `mendwell init` first")
        data = parse(
            UserCreate,
            {
                "username": username,
                "full_name": full_name,
                "email": email,
                "password": password,
                "roles": {_site_id(db, site): role},
            },
        )
        user = accounts.create_user(database.context(db), database.settings, org.id, data)
    typer.echo(f"Created {user.username} ({role} at {site.upper()}).")


@app.command("list")
def list_users() -> None:
    """List users with their roles and status."""
    database = database_or_exit()
    with database.sessionmaker() as db:
        sites = {s.id: s.code for s in db.scalars(select(Site))}
        for user in db.scalars(select(User).order_by(User.username)):
            roles = ", ".join(f"{r.role}@{sites[r.site_id]}" for r in user.roles) or "no roles"
            state = "active" if user.is_active else "disabled"
            typer.echo(f"{user.username:<20} {user.full_name:<28} {state:<9} {roles}")


@app.command("disable")
def disable(
    username: str, reason: Annotated[str | None, typer.Option(help="Why (recorded).")] = None
) -> None:
    """Disable an account; its sessions end at once."""
    database = database_or_exit()
    with reported_errors(), transaction(database.sessionmaker) as db:
        accounts.set_active(database.context(db), _user(db, username).id, False, reason)
    typer.echo(f"Disabled {username}; its sessions have ended.")


@app.command("set-role")
def set_role(
    username: str,
    role: Annotated[
        str,
        typer.Argument(
            help="admin, facilitator, medical, rater, analyst, or none to remove access"
        ),
    ],
    site: Annotated[str, typer.Option(help="Site code.")],
) -> None:
    """Set (or remove, with `none`) a user's role at a site."""
    if role != "none" and role not in set(Role):
        raise fail(f"role must be one of {', '.join(Role)} or none")
    database = database_or_exit()
    with reported_errors(), transaction(database.sessionmaker) as db:
        accounts.set_role(
            database.context(db),
            _user(db, username).id,
            _site_id(db, site),
            None if role == "none" else Role(role),
        )
    typer.echo(f"{username}: {role} at {site.upper()}.")


@app.command("reset-two-factor")
def reset_two_factor(
    username: str, reason: Annotated[str | None, typer.Option(help="Why (recorded).")] = None
) -> None:
    """Remove a user's authenticator app and recovery codes (e.g. a lost phone).

    Their sessions end; with two-factor sign-in required they set up a new app at next sign-in.
    """
    database = database_or_exit()
    with reported_errors(), transaction(database.sessionmaker) as db:
        accounts.reset_two_factor(database.context(db), _user(db, username).id, reason)
    typer.echo(f"Reset two-factor sign-in of {username}; its sessions have ended.")
