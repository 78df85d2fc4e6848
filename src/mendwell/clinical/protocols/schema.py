"""The protocol-template file format: phases, visits, measures, gating, staffing, fidelity, dosing.

A protocol file is YAML under ``knowledge/protocols/``; a program may write its own and check it
with :func:`validate_protocol_text`. Visit timing is an offset and a window from an anchor: the
protocol's anchor event (enrolment) or an earlier visit, whose actual date is used once known.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from mendwell.clinical.sessions.rules import (
    SLUG,
    DosingRules,
    StaffingRequirement,
    Substance,
    VisitKind,
)
from mendwell.clinical.spans import Span
from mendwell.clinical.validation import load_model, problems_from
from mendwell.knowledge.registry import KnowledgeKind, knowledge_kind
from mendwell.knowledge.sources import (
    KNOWLEDGE_DIR,
    KnowledgeFileError,
    KnowledgeModel,
    Source,
    Sourced,
)

PROTOCOL_DIR = KNOWLEDGE_DIR / "protocols"

CompletedBy = Literal["self_report", "blinded_rater", "clinician"]
MeasureTiming = Literal["any", "before-dose", "after-dose"]


class Measure(KnowledgeModel):
    """An instrument due at a visit and who completes it."""

    instrument: str = Field(pattern=SLUG)
    completed_by: CompletedBy
    timing: MeasureTiming = "any"


class Window(KnowledgeModel):
    """Allowed dates for a visit.

    Either relative to the target (`before`/`after`; a missing side is zero), or relative to the
    anchor (`not_before`/`not_after`; a missing side is the target itself).
    """

    before: Span | None = None
    after: Span | None = None
    not_before: Span | None = None
    not_after: Span | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Window:
        relative = self.before is not None or self.after is not None
        absolute = self.not_before is not None or self.not_after is not None
        if relative and absolute:
            raise ValueError("use either before/after or not_before/not_after, not both")
        for name in ("before", "after"):
            span = getattr(self, name)
            if span is not None and span.negative:
                raise ValueError(f"{name} must not be negative")
        return self


class Visit(KnowledgeModel):
    """One planned visit."""

    id: str = Field(pattern=SLUG)
    kind: VisitKind
    label: str
    duration: Span
    anchor: str = Field(pattern=SLUG, description="The anchor event or an earlier visit id.")
    offset: Span
    window: Window = Window()
    measures: tuple[Measure, ...] = ()
    optional: bool = False
    sources: tuple[Source, ...] = ()
    unconfirmed: bool = False
    note: str | None = None

    @model_validator(mode="after")
    def _unconfirmed_needs_note(self) -> Visit:
        if self.unconfirmed and not self.note:
            raise ValueError("an unconfirmed fact needs a note saying what is not confirmed")
        return self


class Phase(Sourced):
    """A phase (preparation, treatment, follow-up) and its visits, in order."""

    id: str = Field(pattern=SLUG)
    label: str
    visits: tuple[Visit, ...] = Field(min_length=1)


class AnchorEvent(Sourced):
    """The event every schedule starts from (e.g. enrolment); its date is given when planning."""

    id: str = Field(pattern=SLUG)
    label: str


class PreparationRule(Sourced):
    """Signed preparation sessions needed before the first dosing session, and their timing."""

    minimum_signed: int = Field(ge=0)
    at_least_before_dosing: Span | None = None
    at_most_before_dosing: Span | None = None
    overridable: bool = False


class ScreeningRule(Sourced):
    """Screening must be signed as eligible and not older than `max_age_days` at first dosing."""

    max_age_days: int = Field(gt=0)
    overridable: bool = True


class WashoutRule(Sourced):
    """Every medication being washed out must have reached its earliest safe date."""

    overridable: bool = True


class ConsentRule(Sourced):
    """A consent or signed form required before dosing."""

    id: str = Field(pattern=SLUG)
    label: str
    overridable: bool = False


class PregnancyTestRule(Sourced):
    """A negative pregnancy test, where applicable, before each dosing session."""

    same_day: bool = True
    overridable: bool = False


class Gating(KnowledgeModel):
    """Everything that must be true before a dosing session may start."""

    preparation: PreparationRule
    screening: ScreeningRule | None = None
    washout: WashoutRule | None = None
    consents: tuple[ConsentRule, ...] = ()
    pregnancy_test: PregnancyTestRule | None = None


class FidelityItem(Sourced):
    id: str = Field(pattern=SLUG)
    label: str


class Fidelity(KnowledgeModel):
    """Checklists a facilitator completes in preparation and integration notes."""

    preparation: tuple[FidelityItem, ...] = ()
    integration: tuple[FidelityItem, ...] = ()


class Protocol(KnowledgeModel):
    """A versioned protocol template."""

    id: str = Field(pattern=SLUG)
    version: str = Field(min_length=1)
    title: str
    description: str
    substance: Substance
    jurisdiction: str | None = Field(default=None, pattern=SLUG)
    effective_from: date | None = None
    sources: tuple[Source, ...] = Field(min_length=1)
    anchor_event: AnchorEvent
    phases: tuple[Phase, ...] = Field(min_length=1)
    gating: Gating
    staffing: tuple[StaffingRequirement, ...] = ()
    fidelity: Fidelity = Fidelity()
    dosing: DosingRules

    @model_validator(mode="after")
    def _cross_references(self) -> Protocol:
        problems = list(_cross_problems(self))
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def visits(self) -> tuple[Visit, ...]:
        return tuple(v for phase in self.phases for v in phase.visits)

    def visit(self, visit_id: str) -> Visit:
        for v in self.visits:
            if v.id == visit_id:
                return v
        raise KeyError(f"protocol {self.id!r} has no visit {visit_id!r}")

    def phase_of(self, visit_id: str) -> Phase:
        for phase in self.phases:
            if any(v.id == visit_id for v in phase.visits):
                return phase
        raise KeyError(f"protocol {self.id!r} has no visit {visit_id!r}")

    @property
    def dosing_visit_ids(self) -> tuple[str, ...]:
        return tuple(v.id for v in self.visits if v.kind == "dosing")


def _cross_problems(protocol: Protocol) -> Iterable[str]:
    """Problems that span fields, each prefixed with the field path."""
    seen: set[str] = {protocol.anchor_event.id}
    for p, phase in enumerate(protocol.phases):
        for v, visit in enumerate(phase.visits):
            where = f"phases.{p}.visits.{v}"
            if visit.id in seen:
                yield f"{where}.id: {visit.id!r} is used twice"
            if visit.anchor not in seen:
                yield (
                    f"{where}.anchor: {visit.anchor!r} is neither the anchor event "
                    f"({protocol.anchor_event.id!r}) nor a visit declared before this one"
                )
            if visit.duration.negative or visit.duration.months:
                yield f"{where}.duration: must be a positive length without months"
            if not visit.sources and not phase.sources:
                yield f"{where}.sources: a visit needs sources (its own or its phase's)"
            seen.add(visit.id)
    if not protocol.dosing_visit_ids:
        yield "phases: a protocol needs at least one visit of kind 'dosing'"
    if protocol.dosing.substance != protocol.substance:
        yield f"dosing.substance: {protocol.dosing.substance!r} differs from {protocol.substance!r}"
    consent_ids = [c.id for c in protocol.gating.consents]
    for i, cid in enumerate(consent_ids):
        if consent_ids.index(cid) != i:
            yield f"gating.consents.{i}.id: {cid!r} is used twice"
    for i, req in enumerate(protocol.staffing):
        if req.breaks and req.role in req.breaks.covered_by:
            yield f"staffing.{i}.breaks.covered_by: a role cannot cover its own break"


@dataclass(frozen=True)
class ProtocolCheck:
    """The result of validating a protocol file: the protocol, or the problems found."""

    protocol: Protocol | None
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.protocol is not None and not self.problems


def validate_protocol_text(text: str) -> ProtocolCheck:
    """Validate a protocol file's YAML; problems name their field (`phases.0.visits.2.anchor`)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return ProtocolCheck(None, (f"(file): not valid YAML: {exc}",))
    if not isinstance(data, dict):
        return ProtocolCheck(None, ("(file): a protocol file must be a mapping of fields",))
    try:
        return ProtocolCheck(Protocol.model_validate(data), ())
    except ValidationError as exc:
        return ProtocolCheck(None, tuple(problems_from(exc)))


def load_protocol_file(path: Path) -> Protocol:
    """Load and validate one protocol file; raise KnowledgeFileError naming the file and fields."""
    protocol = load_model(path, Protocol)
    if protocol.id != path.stem:
        raise KnowledgeFileError(path, f"id: {protocol.id!r} must match the file name")
    return protocol


@cache
def shipped_protocols() -> dict[str, Protocol]:
    """The protocols shipped with Mendwell, by id."""
    return {p.stem: load_protocol_file(p) for p in sorted(PROTOCOL_DIR.glob("*.yaml"))}


def load_protocol(protocol_id: str) -> Protocol:
    """A shipped protocol by id."""
    protocols = shipped_protocols()
    if protocol_id not in protocols:
        known = ", ".join(sorted(protocols))
        raise KeyError(f"unknown protocol {protocol_id!r}; shipped protocols: {known}")
    return protocols[protocol_id]


def _check_protocol_set(loaded: list[object]) -> list[str]:
    """Cross-file checks: a protocol's jurisdiction has a session-rules file."""
    problems = []
    for protocol in loaded:
        if isinstance(protocol, Protocol) and protocol.jurisdiction is not None:
            path = KNOWLEDGE_DIR / "jurisdictions" / protocol.jurisdiction / "sessions.yaml"
            if not path.exists():
                problems.append(
                    f"protocols/{protocol.id}.yaml: jurisdiction: no session rules for "
                    f"{protocol.jurisdiction!r}"
                )
    return problems


knowledge_kind(
    KnowledgeKind(
        name="protocols",
        directory="protocols",
        description="Protocol templates: visits, windows, measures, gating, staffing, dosing.",
        validate_file=load_protocol_file,
        check_set=_check_protocol_set,
    )
)
