"""`mendwell init`, `mendwell serve` and `mendwell demo`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from mendwell.bootstrap import FirstAdmin, create_first_admin, is_empty, open_database
from mendwell.commands.common import database_or_exit, fail, reported_errors, settings_or_exit
from mendwell.store import migrate


def init(
    admin_username: Annotated[str | None, typer.Option(help="Username of the first admin.")] = None,
    admin_name: Annotated[str | None, typer.Option(help="Full name of the first admin.")] = None,
    admin_password: Annotated[
        str | None,
        typer.Option(
            help="Password of the first admin (prompted for when omitted).",
            envvar="MENDWELL_ADMIN_PASSWORD",
        ),
    ] = None,
    organisation: Annotated[str, typer.Option(help="Organisation name.")] = "My organisation",
    site_name: Annotated[str, typer.Option(help="Name of the first site.")] = "Main site",
    site_code: Annotated[str, typer.Option(help="Short code of the first site.")] = "MAIN",
    timezone: Annotated[str, typer.Option(help="IANA time zone of the first site.")] = "UTC",
) -> None:
    """Create or upgrade the database; on a new database, create the first admin."""
    settings = settings_or_exit()
    database = open_database(settings)
    before = migrate.current_revision(database.engine)
    migrate.upgrade(database.engine)
    after = migrate.current_revision(database.engine)
    typer.echo(
        f"Database {database.engine.url.render_as_string(hide_password=True)}: "
        + (
            "created"
            if before is None
            else "up to date"
            if before == after
            else f"upgraded {before} -> {after}"
        )
        + f" (revision {after})."
    )
    if not is_empty(database):
        return
    username = admin_username or typer.prompt("First admin username")
    full_name = admin_name or typer.prompt("First admin full name")
    password = admin_password or typer.prompt(
        "First admin password", hide_input=True, confirmation_prompt=True
    )
    with reported_errors():
        user = create_first_admin(
            database,
            FirstAdmin(
                username=username,
                full_name=full_name,
                password=password,
                organisation=organisation,
                site_name=site_name,
                site_code=site_code,
                timezone=timezone,
            ),
        )
    typer.echo(f"Created admin '{user.username}' for site '{site_name}'.")


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve Mendwell over HTTP (put a TLS-terminating proxy in front for real use)."""
    import uvicorn

    from mendwell.web.app import create_app

    database = database_or_exit()
    app = create_app(database.settings, engine=database.engine, audit_key=database.audit_key)
    typer.echo(f"Mendwell is running at http://{host}:{port}/  (Ctrl+C to stop)")
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)


def demo(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic data.")] = 2026,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve after building.")
    ] = True,
) -> None:
    """Create (or refresh) a demo database of fictional clients in the data folder, then serve."""
    from mendwell.demo import DEMO_PASSWORD, DEMO_SETTINGS, build_demo
    from mendwell.settings import load_settings

    started = time.monotonic()
    base = settings_or_exit()
    demo_file = Path(base.data_dir) / "demo.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{demo_file}{suffix}").unlink(missing_ok=True)
    settings = load_settings(
        database_url=f"sqlite:///{demo_file}",
        data_dir=base.data_dir,
        cookie_secure=base.cookie_secure,
        **DEMO_SETTINGS,
    )
    database = open_database(settings)
    migrate.upgrade(database.engine)
    summary = build_demo(database, seed=seed)
    elapsed = time.monotonic() - started
    typer.echo(f"Demo database ready in {elapsed:.1f} s: {demo_file}")
    typer.echo(summary.describe())
    typer.echo(f"All demo users have the password: {DEMO_PASSWORD}")
    typer.echo("Two-factor sign-in is off in the demo (a real installation requires it).")
    if not serve_after:
        return
    import uvicorn

    from mendwell.web.app import create_app

    app = create_app(settings, engine=database.engine, audit_key=database.audit_key)
    typer.echo(f"\nOpen http://{host}:{port}/ and sign in with one of the logins above.")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    except OSError as exc:
        raise fail(f"cannot listen on {host}:{port}: {exc}") from None
