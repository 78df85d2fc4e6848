"""`mendwell instruments`: list the instruments, show one in full, validate a custom file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from mendwell.clinical.instruments import (
    Instrument,
    UnknownInstrument,
    get_instrument,
    list_instruments,
    validate_instrument_text,
)
from mendwell.knowledge.sources import Sourced

app = typer.Typer(help="Outcome instruments: list, show, validate.", no_args_is_help=True)


@app.command("list")
def list_command() -> None:
    """List the shipped instruments with their version, respondent and item-text policy."""
    for instrument in list_instruments():
        text = "item text" if instrument.licence.text_distribution == "full" else "ids only"
        typer.echo(
            f"{instrument.id} {instrument.version}  {instrument.short_title}: {instrument.title} "
            f"[{instrument.respondent}, {text}]"
        )


@app.command("show")
def show(
    instrument_id: Annotated[
        str, typer.Argument(help="An instrument id (pcl5), or the id inside --file.")
    ],
    file: Annotated[
        Path | None, typer.Option("--file", help="Show a custom instrument file instead.")
    ] = None,
) -> None:
    """Show an instrument: licence, items, scoring, cut-points, change thresholds, sources."""
    if file is not None:
        instrument = _load_or_exit(file)
    else:
        try:
            instrument = get_instrument(instrument_id)
        except UnknownInstrument as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from None
    for line in describe(instrument):
        typer.echo(line)


@app.command("validate")
def validate(file: Annotated[Path, typer.Argument(help="An instrument YAML file.")]) -> None:
    """Validate a custom instrument file; each problem names its field."""
    instrument = _load_or_exit(file)
    unconfirmed = len(instrument.unconfirmed_facts)
    typer.echo(
        f"OK: {instrument.id} {instrument.version} ({len(instrument.items)} items, "
        f"{unconfirmed} unconfirmed fact(s))"
    )


def _load_or_exit(file: Path) -> Instrument:
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        typer.echo(f"{file}: cannot read: {exc.strerror}", err=True)
        raise typer.Exit(2) from None
    instrument, problems = validate_instrument_text(text)
    if instrument is None:
        for problem in problems:
            typer.echo(f"{file}: {problem}", err=True)
        raise typer.Exit(1)
    return instrument


def _mark(fact: Sourced) -> str:
    sources = "; ".join(s.citation for s in fact.sources)
    flag = " UNCONFIRMED" if fact.unconfirmed else ""
    return f"{flag} [{sources}]"


def describe(instrument: Instrument) -> Iterator[str]:
    """The instrument as readable lines, marking every UNCONFIRMED fact."""
    yield (
        f"{instrument.short_title}: {instrument.title} "
        f"({instrument.id}, version {instrument.version})"
    )
    if instrument.form_version:
        yield f"Form: {instrument.form_version}"
    yield f"Respondent: {instrument.respondent}; recall period: {instrument.recall_period}"
    yield f"Citation: {instrument.citation}"
    licence = instrument.licence
    yield f"Licence: {licence.status}; item text: {licence.text_distribution}{_mark(licence)}"
    yield f"  {licence.attribution}"
    scoring = instrument.scoring
    if scoring.total is not None and instrument.total_range is not None:
        low, high = instrument.total_range
        times = f" × {scoring.total.multiplier}" if scoring.total.multiplier > 1 else ""
        better = "higher is better" if instrument.higher_is_better else "higher is worse"
        yield (
            f"Total: sum of {len(instrument.total_items)} items{times}, {low}–{high} "
            f"({better}){_mark(scoring.total)}"
        )
    else:
        yield "Total: none (categorical result)"
    for sub in scoring.subscales:
        yield f"  Subscale {sub.id}: {sub.label} = {' + '.join(sub.items)}{_mark(sub)}"
    missing = scoring.missing
    rule = (
        "not scored with any item missing"
        if missing.rule == "none"
        else f"prorated with up to {missing.max_missing} missing"
    )
    yield f"Missing items: {rule}{_mark(missing)}"
    yield "Bands:" if instrument.bands else "Bands: none defined by the manual"
    for band in instrument.bands:
        yield f"  {band.range[0]}–{band.range[1]} {band.label}{_mark(band)}"
    for cut in instrument.cut_points:
        side = "or more" if cut.direction == "at_or_above" else "or less"
        extra = f", {cut.sex_at_birth}" if cut.sex_at_birth else ""
        if cut.configurable_range and cut.option:
            lo, hi = cut.configurable_range
            extra += f", configurable {lo}–{hi} with {cut.option}"
        yield f"Cut-point {cut.id}: {cut.value} {side} — {cut.label}{extra}{_mark(cut)}"
    for spec in instrument.algorithms:
        yield f"Algorithm {spec.name}: {spec.params}{_mark(spec)}"
    for t in instrument.change_thresholds:
        parts = [f"{t.points:g} points" if t.points else "", f"{t.percent:g}%" if t.percent else ""]
        if t.endpoint is not None:
            parts.append(f"ending at {t.endpoint:g}")
        what = ", ".join(p for p in parts if p)
        default = ", default" if t.default else ""
        yield f"Change {t.kind} ({t.population}{default}): {what}{_mark(t)}"
    for flag in instrument.safety_flags:
        when = f"{flag.item} ≥ {flag.at_least}" if flag.item else f"{flag.output} = {flag.equals}"
        yield f"Safety flag {flag.code} ({flag.severity}) when {when}{_mark(flag)}"
    if instrument.loinc is not None:
        codes = ", ".join(
            f"{name} {code}"
            for name, code in (("panel", instrument.loinc.panel), ("total", instrument.loinc.total))
            if code
        )
        yield f"LOINC: {codes}{_mark(instrument.loinc)}"
    yield "Items:"
    for item in instrument.items:
        tags = [t for t in (item.cluster, item.kind if item.kind != "score" else None) if t]
        if item.optional:
            tags.append("optional")
        if not item.in_total and item.kind == "score":
            tags.append("not in total")
        tag = f" [{', '.join(tags)}]" if tags else ""
        yield f"  {item.id}{tag}: {item.label}"
        if item.text:
            yield f"      {item.text}"
        yield "      " + " | ".join(f"{o.value} {o.label}" for o in item.options)
    if instrument.unconfirmed_facts:
        yield "UNCONFIRMED:"
        for fact in instrument.unconfirmed_facts:
            yield f"  - {fact}"
