"""`mendwell audit`: verify the audit trail's integrity."""

from __future__ import annotations

import typer

from mendwell.commands.common import database_or_exit, fail
from mendwell.store.audit_chain import verify_chain

app = typer.Typer(help="Check the audit trail.", no_args_is_help=True)


@app.command("verify")
def verify() -> None:
    """Recompute the HMAC chain over every audit event; name the first one that was altered."""
    database = database_or_exit()
    with database.sessionmaker() as db:
        report = verify_chain(db, database.audit_key)
    if not report.ok:
        raise fail(
            f"audit trail altered at event {report.first_bad_seq}: {report.problem} "
            f"({report.checked} events verified before it)"
        )
    typer.echo(
        f"OK: {report.checked} audit events verified; head {report.head_seq} "
        f"{(report.head_hash or '')[:16]}…"
    )
