"""Structured observations for the dosing-session timeline (``knowledge/dosing/``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field, model_validator

from mendwell.clinical.sessions.rules import SLUG
from mendwell.clinical.validation import load_model
from mendwell.knowledge.registry import KnowledgeKind, knowledge_kind
from mendwell.knowledge.sources import KNOWLEDGE_DIR, KnowledgeModel, Sourced

OBSERVATIONS_FILE = KNOWLEDGE_DIR / "dosing" / "observations.yaml"


class Observation(Sourced):
    id: str = Field(pattern=SLUG)
    label: str


class ObservationList(KnowledgeModel):
    id: str = Field(pattern=SLUG)
    version: str
    observations: tuple[Observation, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> ObservationList:
        ids = [o.id for o in self.observations]
        for i, oid in enumerate(ids):
            if ids.index(oid) != i:
                raise ValueError(f"observations.{i}.id: {oid!r} is used twice")
        return self

    def get(self, code: str) -> Observation | None:
        return next((o for o in self.observations if o.id == code), None)


def load_observations_file(path: Path) -> ObservationList:
    return load_model(path, ObservationList)


@cache
def shipped_observations() -> ObservationList:
    return load_observations_file(OBSERVATIONS_FILE)


knowledge_kind(
    KnowledgeKind(
        name="session-observations",
        directory="dosing",
        description="Structured observations for the dosing-session timeline.",
        validate_file=load_observations_file,
        pattern="observations.yaml",
    )
)
