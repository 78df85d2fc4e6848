"""The `mendwell` command."""

from __future__ import annotations

import typer

from mendwell.commands import knowledge, protocols

app = typer.Typer(
    help="Mendwell: clinical records for psychedelic-assisted therapy programs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(knowledge.app, name="knowledge")
app.add_typer(protocols.app, name="protocols")


def main() -> None:
    app()
