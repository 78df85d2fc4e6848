"""`mendwell protocols`: list protocol templates, print a schedule, check a custom protocol file."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from mendwell.actions.auth import actor_for
from mendwell.actions.context import ActionContext
from mendwell.actions.protocols import upload_protocol
from mendwell.clinical.protocols.schedule import plan_schedule, render_schedule
from mendwell.clinical.protocols.schema import (
    load_protocol,
    shipped_protocols,
    validate_protocol_text,
)
from mendwell.clock import Clock
from mendwell.commands.common import database_or_exit, fail, reported_errors
from mendwell.schemas.common import parse
from mendwell.schemas.courses import ProtocolUpload
from mendwell.store.db import transaction
from mendwell.store.models import User

app = typer.Typer(
    help="Protocol templates: list, schedule, check, load a custom one.", no_args_is_help=True
)


@app.command("list")
def list_protocols() -> None:
    """List the shipped protocol templates with their versions."""
    for pid, protocol in shipped_protocols().items():
        where = f" [{protocol.jurisdiction}]" if protocol.jurisdiction else ""
        typer.echo(f"{pid} {protocol.version}{where}: {protocol.title}")


@app.command("schedule")
def schedule(
    protocol_id: Annotated[str, typer.Argument(help="A shipped protocol id (mdma-at-phase3).")],
    anchor: Annotated[str, typer.Option("--anchor", help="Anchor event date (YYYY-MM-DD).")],
    file: Annotated[Path | None, typer.Option("--file", help="Use this protocol file.")] = None,
) -> None:
    """Print every visit's target date and window from an anchor date."""
    try:
        anchor_date = date.fromisoformat(anchor)
    except ValueError:
        typer.echo(f"--anchor: {anchor!r} is not a date (YYYY-MM-DD)", err=True)
        raise typer.Exit(2) from None
    if file is not None:
        check = validate_protocol_text(file.read_text(encoding="utf-8"))
        if check.protocol is None:
            for problem in check.problems:
                typer.echo(f"{file}: {problem}", err=True)
            raise typer.Exit(1)
        protocol = check.protocol
    else:
        try:
            protocol = load_protocol(protocol_id)
        except KeyError as exc:
            typer.echo(str(exc.args[0]), err=True)
            raise typer.Exit(2) from None
    typer.echo(f"{protocol.id} {protocol.version}, {protocol.anchor_event.label}: {anchor_date}")
    typer.echo(render_schedule(plan_schedule(protocol, anchor_date)))


@app.command("check")
def check(file: Annotated[Path, typer.Argument(help="A protocol YAML file.")]) -> None:
    """Validate a custom protocol file; each problem names its field."""
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        typer.echo(f"{file}: cannot read: {exc.strerror}", err=True)
        raise typer.Exit(2) from None
    result = validate_protocol_text(text)
    if not result.ok:
        for problem in result.problems:
            typer.echo(f"{file}: {problem}", err=True)
        raise typer.Exit(1)
    assert result.protocol is not None
    visits = len(result.protocol.visits)
    typer.echo(f"OK: {result.protocol.id} {result.protocol.version} ({visits} visits)")


@app.command("load")
def load(
    file: Annotated[Path, typer.Argument(help="A protocol YAML file.")],
    user: Annotated[str, typer.Option("--user", help="The admin storing it (username).")],
) -> None:
    """Store a custom protocol for enrolment, after checking it; a version is never replaced."""
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        typer.echo(f"{file}: cannot read: {exc.strerror}", err=True)
        raise typer.Exit(2) from None
    database = database_or_exit()
    with reported_errors(), transaction(database.sessionmaker) as db:
        admin = db.scalar(select(User).where(User.username == user.lower()))
        if admin is None:
            raise fail(f"no user named {user}")
        ctx = ActionContext(
            db=db, actor=actor_for(admin), now=Clock().now(), audit_key=database.audit_key
        )
        row = upload_protocol(ctx, admin.organisation_id, parse(ProtocolUpload, {"text": text}))
        typer.echo(f"Stored {row.protocol_id} {row.version}: {row.title}")
