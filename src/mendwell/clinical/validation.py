"""Turning schema validation errors into one readable line per problem, naming the field."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from mendwell.knowledge.sources import KnowledgeFileError, Source, read_yaml

M = TypeVar("M", bound=BaseModel)


def problems_from(exc: ValidationError) -> list[str]:
    """One line per problem, `field.path: message`; cross-field problems carry their own path."""
    lines: list[str] = []
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        for line in msg.splitlines():
            lines.append(line if not loc else f"{loc}: {line}")
    return lines


def load_model(path: Path, model: type[M]) -> M:
    """Read a YAML knowledge file into `model`; problems raise KnowledgeFileError naming fields."""
    try:
        return model.model_validate(read_yaml(path))
    except ValidationError as exc:
        raise KnowledgeFileError(path, "; ".join(problems_from(exc))) from exc


def citations(fact: object) -> tuple[str, ...]:
    """A sourced fact's references as short strings ('OAR 333-333-5200, (5)')."""
    sources: tuple[Source, ...] = getattr(fact, "sources", ())
    return tuple(s.citation + (f", {s.locator}" if s.locator else "") for s in sources)
