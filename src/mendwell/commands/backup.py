"""`mendwell backup` and `mendwell restore`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mendwell.clock import Clock
from mendwell.commands.common import database_or_exit, fail, settings_or_exit
from mendwell.store.audit_chain import verify_chain
from mendwell.store.backup import BackupError, default_backup_path
from mendwell.store.backup import backup as run_backup
from mendwell.store.backup import restore as run_restore


def backup(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Backup file (default: backups/ in the data folder)."),
    ] = None,
) -> None:
    """Write a consistent copy of the database, safe while Mendwell is running."""
    database = database_or_exit()
    url = database.settings.effective_database_url
    backend = database.engine.dialect.name
    target = output or default_backup_path(
        Path(database.settings.data_dir) / "backups", backend, Clock().now()
    )
    try:
        result = run_backup(url, target)
    except BackupError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"Backup written: {result.path} ({result.bytes:,} bytes, {result.backend}).")


def restore(
    source: Annotated[Path, typer.Argument(help="A file written by `mendwell backup`.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Replace the current database with a backup (stop Mendwell first), then verify it."""
    settings = settings_or_exit()
    url = settings.effective_database_url
    if not yes:
        typer.confirm(f"Replace the database at {url} with {source}?", abort=True)
    try:
        run_restore(url, source)
    except BackupError as exc:
        raise fail(str(exc)) from None
    database = database_or_exit()
    with database.sessionmaker() as db:
        report = verify_chain(db, database.audit_key)
    if not report.ok:
        raise fail(
            f"restored, but the audit trail does not verify at event "
            f"{report.first_bad_seq}: {report.problem}"
        )
    typer.echo(f"Restored from {source}; audit trail verified ({report.checked} events).")
