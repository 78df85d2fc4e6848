"""The instruments shipped with Mendwell, and checking an instrument file an admin uploads.

Shipped instruments live in ``knowledge/instruments/<id>.yaml`` and are loaded once. A site that
holds a licence for another instrument (BDI-II, MEQ-30, EBI...) writes a file of the same schema;
:func:`validate_instrument_text` checks it and the storage layer keeps it as a custom instrument.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from mendwell.clinical.instruments.schema import Instrument
from mendwell.clinical.validation import problems_from
from mendwell.knowledge.registry import KnowledgeKind, knowledge_kind
from mendwell.knowledge.sources import KNOWLEDGE_DIR, KnowledgeFileError, read_yaml

INSTRUMENT_DIR = KNOWLEDGE_DIR / "instruments"
_PATH = r"[a-z_][a-z0-9_]*(?:\.[A-Za-z0-9_]+)*"
_FIELD_PREFIX = re.compile(rf"^{_PATH}: ", re.S)
_NESTED = re.compile(rf"^({_PATH}): ({_PATH}): (.*)$", re.S)


class UnknownInstrument(KeyError):
    """No instrument has this id."""

    def __init__(self, instrument_id: str, known: Iterable[str]) -> None:
        self.instrument_id = instrument_id
        self.message = (
            f"unknown instrument {instrument_id!r}; known instruments: {', '.join(known)}"
        )
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


def instrument_problems(exc: ValidationError) -> list[str]:
    """One line per problem, each starting with the full path of its field.

    A nested validator's message may start with its own field ('items.3: options: ...'); the two
    paths are joined ('items.3.options: ...'). A file-level message without a field gets '(file)'.
    """
    lines = []
    for line in problems_from(exc):
        nested = _NESTED.match(line)
        if nested:
            lines.append(f"{nested.group(1)}.{nested.group(2)}: {nested.group(3)}")
        elif _FIELD_PREFIX.match(line):
            lines.append(line)
        else:
            lines.append(f"(file): {line}")
    return lines


def validate_instrument_text(text: str) -> tuple[Instrument | None, list[str]]:
    """Check an instrument file's YAML: the instrument, or the problems, each naming its field."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return None, [f"(file): not valid YAML: {exc}"]
    if not isinstance(data, dict):
        return None, ["(file): an instrument file must be a mapping of fields"]
    try:
        instrument = Instrument.model_validate(data)
    except ValidationError as exc:
        return None, instrument_problems(exc)
    if instrument.id in shipped_instruments():
        return None, [
            f"id: {instrument.id!r} is an instrument shipped with Mendwell; "
            "give the file its own id"
        ]
    return instrument, []


def load_instrument_file(path: Path) -> Instrument:
    """Load one shipped instrument file; KnowledgeFileError names the file and each field."""
    try:
        instrument = Instrument.model_validate(read_yaml(path))
    except ValidationError as exc:
        raise KnowledgeFileError(path, "; ".join(instrument_problems(exc))) from exc
    if instrument.id != path.stem:
        raise KnowledgeFileError(path, f"id: {instrument.id!r} must match the file name")
    return instrument


@cache
def shipped_instruments() -> dict[str, Instrument]:
    """The instruments shipped with Mendwell, by id, in id order."""
    return {p.stem: load_instrument_file(p) for p in sorted(INSTRUMENT_DIR.glob("*.yaml"))}


def list_instruments(include_custom: Iterable[Instrument] = ()) -> list[Instrument]:
    """Shipped instruments, then the given custom ones (which may not reuse a shipped id)."""
    shipped = shipped_instruments()
    out = list(shipped.values())
    seen = set(shipped)
    for instrument in include_custom:
        if instrument.id in seen:
            raise ValueError(f"custom instrument {instrument.id!r} reuses an existing id")
        seen.add(instrument.id)
        out.append(instrument)
    return out


def get_instrument(instrument_id: str, *, include_custom: Iterable[Instrument] = ()) -> Instrument:
    """An instrument by id (UnknownInstrument when there is none)."""
    for instrument in list_instruments(include_custom):
        if instrument.id == instrument_id:
            return instrument
    raise UnknownInstrument(instrument_id, [i.id for i in list_instruments(include_custom)])


def _check_instrument_set(loaded: list[object]) -> list[str]:
    """Cross-file check: each short title names one instrument."""
    titles: dict[str, str] = {}
    problems = []
    for instrument in loaded:
        if isinstance(instrument, Instrument):
            other = titles.setdefault(instrument.short_title, instrument.id)
            if other != instrument.id:
                problems.append(
                    f"instruments/{instrument.id}.yaml: short_title: {instrument.short_title!r} "
                    f"is also used by {other!r}"
                )
    return problems


knowledge_kind(
    KnowledgeKind(
        name="instruments",
        directory="instruments",
        description="Outcome instruments: items, licence, scoring, cut-points, change, flags.",
        validate_file=load_instrument_file,
        check_set=_check_instrument_set,
    )
)
