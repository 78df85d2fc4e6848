"""Helpers shared by CLI commands: settings, database, one-line errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from mendwell.actions.errors import ActionError, InvalidInput
from mendwell.bootstrap import Database, NotInitialised, open_database, require_current_schema
from mendwell.settings import Settings, SettingsError, load_settings


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise fail(str(exc), 2) from None


def database_or_exit(*, require_schema: bool = True) -> Database:
    database = open_database(settings_or_exit())
    if require_schema:
        try:
            require_current_schema(database)
        except NotInitialised as exc:
            raise fail(str(exc)) from None
    return database


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn action errors into one clear line and exit code 1."""
    try:
        yield
    except InvalidInput as exc:
        raise fail("; ".join(f"{e.field}: {e.msg}" for e in exc.errors)) from None
    except ActionError as exc:
        raise fail(str(exc)) from None
