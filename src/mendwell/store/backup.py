"""Consistent backups of a running database, and restoring them.

SQLite: the online backup API copies a consistent snapshot without blocking the application.
PostgreSQL: ``pg_dump`` in custom format (a consistent snapshot), restored with ``pg_restore``.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import make_url


class BackupError(RuntimeError):
    pass


@dataclass
class BackupResult:
    path: Path
    bytes: int
    backend: str


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _check_sqlite(path: Path) -> None:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()
    if result != "ok":
        raise BackupError(f"{path} failed the SQLite integrity check: {result}")


def _sqlite_copy(source: Path, target: Path, *, read_only_source: bool = False) -> None:
    """Copy with SQLite's online backup API, then check the copy."""
    src = (
        sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        if read_only_source
        else (sqlite3.connect(source))
    )
    dest = sqlite3.connect(target)
    try:
        with dest:
            src.backup(dest)
    finally:
        dest.close()
        src.close()
    _check_sqlite(target)


def default_backup_path(folder: Path, backend: str, now: datetime) -> Path:
    suffix = ".sqlite3" if backend == "sqlite" else ".pgdump"
    return folder / f"mendwell-{now.strftime('%Y%m%dT%H%M%SZ')}{suffix}"


def backup(url: str, target: Path) -> BackupResult:
    """Write a consistent copy of the database at ``url`` to ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        raise BackupError(f"{target} already exists")
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        _sqlite_copy(_sqlite_path(url), target)
    elif backend == "postgresql":
        if shutil.which("pg_dump") is None:
            raise BackupError(
                "pg_dump is not installed (Debian: apt-get install postgresql-client)"
            )
        run = subprocess.run(
            ["pg_dump", "--format=custom", f"--file={target}", _libpq_url(url)],
            capture_output=True,
            text=True,
            check=False,
        )
        if run.returncode != 0:
            raise BackupError(f"pg_dump failed: {run.stderr.strip()}")
    else:
        raise BackupError(f"backups of {backend} databases are not supported")
    return BackupResult(target, target.stat().st_size, backend)


def restore(url: str, source: Path) -> None:
    """Replace the database at ``url`` with the backup in ``source``. Stop the app first."""
    if not source.exists():
        raise BackupError(f"{source} does not exist")
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        _check_sqlite(source)
        target = _sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(source, target, read_only_source=True)
    elif backend == "postgresql":
        if shutil.which("pg_restore") is None:
            raise BackupError("pg_restore is not installed")
        run = subprocess.run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={_libpq_url(url)}",
                str(source),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if run.returncode != 0:
            raise BackupError(f"pg_restore failed: {run.stderr.strip()}")
    else:
        raise BackupError(f"restoring {backend} databases is not supported")
