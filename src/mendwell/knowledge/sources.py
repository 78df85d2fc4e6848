"""The provenance vocabulary shared by every knowledge file.

A knowledge file states facts (a cut-point, a half-life, an exclusion). Each fact names where it
comes from. A fact nobody could confirm in a primary source is marked ``unconfirmed: true``; such a
fact is shown as UNCONFIRMED wherever it is displayed and must be overridable by configuration.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

KNOWLEDGE_DIR = Path(__file__).parent


class KnowledgeModel(BaseModel):
    """Base for knowledge-file schemas: unknown keys are errors, so typos never pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(KnowledgeModel):
    """One reference for a fact."""

    citation: str = Field(min_length=3, description="Author, title, year or regulation number.")
    url: str | None = None
    locator: str | None = Field(default=None, description="Page, section, table or item.")
    kind: Literal["primary", "secondary"] = "primary"


class Sourced(KnowledgeModel):
    """Mixin for a fact: at least one source, and an explicit flag when it is unconfirmed."""

    sources: tuple[Source, ...] = Field(min_length=1)
    unconfirmed: bool = False
    note: str | None = None

    @model_validator(mode="after")
    def _unconfirmed_needs_note(self) -> Sourced:
        if self.unconfirmed and not self.note:
            raise ValueError("an unconfirmed fact needs a note saying what is not confirmed")
        return self


class KnowledgeFileError(ValueError):
    """A knowledge file that cannot be read or does not match its schema."""

    def __init__(self, path: Path | str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = str(path)
        self.message = message


def read_yaml(path: Path) -> Any:
    """Read one YAML file, turning syntax errors into a KnowledgeFileError naming the file."""
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except (OSError, yaml.YAMLError) as exc:
        raise KnowledgeFileError(path, f"cannot read YAML: {exc}") from exc
