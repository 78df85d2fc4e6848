"""Jurisdiction files: the profile (regulator, record retention) and the session rules.

``knowledge/jurisdictions/<id>/profile.yaml`` and ``sessions.yaml``. Session rules are combined
with a protocol's own ``dosing`` section by :func:`resolve_session_rules`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from pydantic import Field

from mendwell.clinical.protocols.schema import Protocol
from mendwell.clinical.sessions.rules import (
    SLUG,
    DischargeRules,
    DoseLimit,
    DurationTable,
    InitialDose,
    MinimumDuration,
    OvernightStay,
    PreDoseItem,
    StaffingRequirement,
    SupplementalDoseRule,
    VitalSignRules,
    WitnessRule,
)
from mendwell.clinical.validation import load_model
from mendwell.knowledge.registry import KnowledgeKind, knowledge_kind
from mendwell.knowledge.sources import (
    KNOWLEDGE_DIR,
    KnowledgeFileError,
    KnowledgeModel,
    Source,
    Sourced,
)

JURISDICTION_DIR = KNOWLEDGE_DIR / "jurisdictions"


class Regulator(Sourced):
    name: str
    scope: str
    url: str | None = None


class RecordRetention(Sourced):
    """How long client records are kept; None where no source gives it."""

    years: int | None = Field(default=None, gt=0)
    security_video_days: int | None = Field(default=None, gt=0)


class RuleVersion(Sourced):
    """A rule text this profile relies on, and the date the version took effect."""

    rule: str
    title: str
    effective_from: date | None = None


class JurisdictionProfile(KnowledgeModel):
    """Who regulates, how long records are kept, and which rule texts are in force."""

    id: str = Field(pattern=SLUG)
    version: str
    name: str
    country: str
    regulators: tuple[Regulator, ...] = Field(min_length=1)
    record_retention: RecordRetention
    rule_versions: tuple[RuleVersion, ...] = ()
    sources: tuple[Source, ...] = Field(min_length=1)


class AdverseReactionCategory(Sourced):
    """A category of adverse reaction that the jurisdiction defines (e.g. for quarterly data)."""

    id: str = Field(pattern=SLUG)
    label: str
    definition: str


class JurisdictionSessions(KnowledgeModel):
    """Rules for administration sessions in one jurisdiction."""

    id: str = Field(pattern=SLUG)
    jurisdiction: str = Field(pattern=SLUG)
    version: str
    title: str
    effective_from: date | None = None
    staffing: tuple[StaffingRequirement, ...] = ()
    dose_limits: tuple[DoseLimit, ...] = ()
    minimum_duration: DurationTable | None = None
    witness: WitnessRule | None = None
    adverse_reaction_categories: tuple[AdverseReactionCategory, ...] = ()
    sources: tuple[Source, ...] = Field(min_length=1)


def _in_its_folder(path: Path, jurisdiction: str) -> None:
    if jurisdiction != path.parent.name:
        raise KnowledgeFileError(
            path, f"the file is for {jurisdiction!r} but sits in {path.parent.name!r}"
        )


def load_profile_file(path: Path) -> JurisdictionProfile:
    profile = load_model(path, JurisdictionProfile)
    _in_its_folder(path, profile.id)
    return profile


def load_sessions_file(path: Path) -> JurisdictionSessions:
    sessions = load_model(path, JurisdictionSessions)
    _in_its_folder(path, sessions.jurisdiction)
    return sessions


def _shipped(jurisdiction_id: str, name: str) -> Path:
    path = JURISDICTION_DIR / jurisdiction_id / name
    if not path.exists():
        raise KeyError(f"no {name} for jurisdiction {jurisdiction_id!r}")
    return path


@cache
def load_jurisdiction_profile(jurisdiction_id: str) -> JurisdictionProfile:
    """The shipped profile of a jurisdiction (`us-or`, `us-co`)."""
    return load_profile_file(_shipped(jurisdiction_id, "profile.yaml"))


@cache
def load_jurisdiction_sessions(jurisdiction_id: str) -> JurisdictionSessions:
    """The shipped session rules of a jurisdiction (`us-or`, `us-co`)."""
    return load_sessions_file(_shipped(jurisdiction_id, "sessions.yaml"))


@dataclass(frozen=True)
class SessionRules:
    """Everything that governs one dosing session: the protocol's rules plus the jurisdiction's."""

    protocol_id: str
    protocol_version: str
    jurisdiction: JurisdictionSessions | None
    staffing: tuple[StaffingRequirement, ...]
    dose_limits: tuple[DoseLimit, ...]
    supplemental: SupplementalDoseRule | None
    witness: WitnessRule | None
    minimum_duration: MinimumDuration | None
    duration_table: DurationTable | None
    vital_signs: VitalSignRules | None
    discharge: DischargeRules
    overnight_stay: OvernightStay | None
    pre_dose_checklist: tuple[PreDoseItem, ...] = ()
    substance: str | None = None
    basis: str | None = None
    initial_dose: InitialDose | None = None


def resolve_session_rules(
    protocol: Protocol, jurisdiction: JurisdictionSessions | None = None
) -> SessionRules:
    """Combine a protocol's dosing rules with its jurisdiction's (both apply; nothing is dropped).

    With no `jurisdiction` given, the protocol's own jurisdiction (if any) is loaded.
    """
    if jurisdiction is None and protocol.jurisdiction is not None:
        jurisdiction = load_jurisdiction_sessions(protocol.jurisdiction)
    dosing = protocol.dosing
    j_staff = jurisdiction.staffing if jurisdiction else ()
    j_limits = jurisdiction.dose_limits if jurisdiction else ()
    return SessionRules(
        protocol_id=protocol.id,
        protocol_version=protocol.version,
        jurisdiction=jurisdiction,
        staffing=tuple(protocol.staffing) + tuple(j_staff),
        dose_limits=tuple(dosing.limits) + tuple(j_limits),
        supplemental=dosing.supplemental,
        witness=dosing.witness or (jurisdiction.witness if jurisdiction else None),
        minimum_duration=dosing.minimum_duration,
        duration_table=jurisdiction.minimum_duration if jurisdiction else None,
        vital_signs=dosing.vital_signs,
        discharge=dosing.discharge,
        overnight_stay=dosing.overnight_stay,
        pre_dose_checklist=dosing.pre_dose_checklist,
        substance=dosing.substance,
        basis=dosing.basis,
        initial_dose=dosing.initial_dose,
    )


knowledge_kind(
    KnowledgeKind(
        name="jurisdiction-sessions",
        directory="jurisdictions",
        description="Per-jurisdiction session rules: staffing, dose limits, duration, reactions.",
        validate_file=load_sessions_file,
        pattern="sessions.yaml",
    )
)
knowledge_kind(
    KnowledgeKind(
        name="jurisdiction-profile",
        directory="jurisdictions",
        description="Per-jurisdiction profile: regulators, record retention, rule versions.",
        validate_file=load_profile_file,
        pattern="profile.yaml",
    )
)
