"""`mendwell knowledge`: validate the clinical knowledge files."""

from __future__ import annotations

import typer

from mendwell.knowledge.registry import check_all, kinds

app = typer.Typer(help="Validate and list the clinical knowledge files.", no_args_is_help=True)


@app.command("check")
def check() -> None:
    """Validate every knowledge file; exit 1 if any problem is found."""
    report = check_all()
    for problem in report.problems:
        typer.echo(problem, err=True)
    names = ", ".join(k.name for k in kinds()) or "none"
    if not report.ok:
        summary = f"{len(report.problems)} problem(s) in {report.files_checked} file(s)."
        typer.echo(summary, err=True)
        raise typer.Exit(1)
    typer.echo(f"OK: {report.files_checked} knowledge file(s) valid ({names}).")
