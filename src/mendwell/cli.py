"""The `mendwell` command."""

from __future__ import annotations

import typer

from mendwell.commands import (
    analyze,
    audit,
    backup,
    instruments,
    knowledge,
    protocols,
    server,
    users,
)

app = typer.Typer(
    help="Mendwell: clinical records for psychedelic-assisted therapy programs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command()(server.init)
app.command()(server.serve)
app.command()(server.demo)
app.command()(backup.backup)
app.command()(backup.restore)
app.add_typer(users.app, name="user")
app.add_typer(audit.app, name="audit")
app.add_typer(knowledge.app, name="knowledge")
app.add_typer(protocols.app, name="protocols")
app.add_typer(analyze.app, name="analyze")
app.add_typer(instruments.app, name="instruments")


def main() -> None:
    app()
