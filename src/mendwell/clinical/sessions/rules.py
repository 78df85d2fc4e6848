"""Schemas for dosing-session rules, shared by protocol files and jurisdiction session files.

A protocol's ``dosing`` section and a jurisdiction's ``sessions.yaml`` are made of these parts;
:func:`mendwell.clinical.sessions.jurisdiction.resolve_session_rules` combines them for one session.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field, model_validator

from mendwell.clinical.spans import Span
from mendwell.knowledge.sources import KnowledgeModel, Sourced

Substance = Literal["mdma", "psilocybin"]
# The basis an amount is expressed on: MDMA as its hydrochloride salt; psilocybin as the
# psilocybin analyte (Oregon, trials) or as total psilocin (Colorado).
Basis = Literal["mdma-hcl", "psilocybin-analyte", "total-psilocin"]
MassUnit = Literal["g", "mg", "µg"]
VisitKind = Literal[
    "screening", "baseline", "preparation", "dosing", "integration", "assessment", "follow_up"
]
VitalName = Literal[
    "systolic_bp", "diastolic_bp", "heart_rate", "temperature", "respiratory_rate", "spo2"
]
ReleaseMode = Literal["named-adult", "overnight-stay", "transport-plan"]

SLUG = r"^[a-z0-9][a-z0-9-]*$"

BASIS_SUBSTANCE: dict[str, str] = {
    "mdma-hcl": "mdma",
    "psilocybin-analyte": "psilocybin",
    "total-psilocin": "psilocybin",
}


class DoseAmount(KnowledgeModel):
    """An amount with its unit and basis, as a rule states it."""

    amount: Decimal = Field(gt=0)
    unit: MassUnit = "mg"
    basis: Basis

    def describe(self) -> str:
        return f"{self.amount} {self.unit} ({self.basis})"


class DoseLimit(Sourced):
    """A maximum amount, per session, per serving, per container or per administration."""

    id: str = Field(pattern=SLUG)
    scope: Literal["per-session", "per-serving", "per-container", "per-administration"]
    maximum: DoseAmount
    description: str


class InitialDose(Sourced):
    """The initial-dose amounts a protocol allows."""

    amounts: tuple[Decimal, ...] = Field(min_length=1)
    unit: MassUnit = "mg"


class SupplementalDoseRule(Sourced):
    """A supplemental (secondary) dose is allowed; its window from the initial dose, if stated."""

    window_start: Span | None = None
    window_end: Span | None = None
    fraction_of_initial: Decimal | None = Field(default=None, gt=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> SupplementalDoseRule:
        if (self.window_start is None) != (self.window_end is None):
            raise ValueError("give both window_start and window_end, or neither")
        if self.window_start is None or self.window_end is None:
            return self
        if self.window_start.months or self.window_end.months:
            raise ValueError("window_start and window_end must be hours or minutes, not months")
        if self.window_end.timedelta() < self.window_start.timedelta():
            raise ValueError("window_end must not be before window_start")
        return self


class BreakAllowance(Sourced):
    """A short break below the required staffing that is allowed when covered."""

    max_minutes: int = Field(gt=0)
    covered_by: tuple[str, ...] = Field(
        default=(), description="Roles of which one must be present during the break; empty: none."
    )


class StaffingRequirement(Sourced):
    """At least `minimum` people of `role` present throughout a session of the listed kinds."""

    id: str = Field(pattern=SLUG)
    role: str = Field(pattern=SLUG)
    minimum: int = Field(ge=1)
    description: str
    applies_to: tuple[VisitKind, ...] = ("dosing",)
    breaks: BreakAllowance | None = None


class WitnessRule(Sourced):
    """Every administration must name a witness (someone who saw the dose taken)."""

    required: bool = True


class VitalScheduleBlock(KnowledgeModel):
    """Readings every `every_minutes` from `from_minute` up to (not including) `to_minute`."""

    from_minute: int = Field(ge=0)
    to_minute: int = Field(gt=0)
    every_minutes: int = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> VitalScheduleBlock:
        if self.to_minute <= self.from_minute:
            raise ValueError("to_minute must be after from_minute")
        return self


class VitalThreshold(Sourced):
    """An alert threshold for one vital sign: a reading above `above` or below `below` alerts."""

    vital: VitalName
    unit: str
    above: float | None = None
    below: float | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> VitalThreshold:
        if self.above is None and self.below is None:
            raise ValueError("a threshold needs `above` or `below`")
        return self


class VitalSignRules(Sourced):
    """When readings are due (minutes after the initial dose) and when a reading alerts."""

    schedule: tuple[VitalScheduleBlock, ...] = Field(min_length=1)
    grace_minutes: int = Field(ge=0, description="A reading this close to its due time counts.")
    pre_dose_reading: bool = True
    thresholds: tuple[VitalThreshold, ...] = ()


class PreDoseItem(Sourced):
    """One item of the pre-dose checklist, completed before the first dose is given.

    A ``confirm`` item is answered yes, no or (where allowed) not applicable; a ``text`` item is
    answered in words (the client's intention, medications taken today).
    """

    id: str = Field(pattern=SLUG)
    label: str
    kind: Literal["confirm", "text"] = "confirm"
    required: bool = True
    not_applicable_allowed: bool = False


class DischargeCriterion(Sourced):
    id: str = Field(pattern=SLUG)
    label: str


class DischargeRules(Sourced):
    """What must be true before a client leaves, and to whom or where they may be released."""

    criteria: tuple[DischargeCriterion, ...] = Field(min_length=1)
    release_to: tuple[ReleaseMode, ...] = Field(min_length=1)


class MinimumDuration(Sourced):
    """A fixed minimum session length (monitoring time) set by a protocol."""

    span: Span


class OvernightStay(Sourced):
    required: bool


class DosingRules(KnowledgeModel):
    """The `dosing` section of a protocol: what is given, when, and how the session is run."""

    substance: Substance
    basis: Basis
    route: Literal["oral"] = "oral"
    initial_dose: InitialDose | None = None
    supplemental: SupplementalDoseRule | None = None
    limits: tuple[DoseLimit, ...] = ()
    witness: WitnessRule | None = None
    overnight_stay: OvernightStay | None = None
    minimum_duration: MinimumDuration | None = None
    vital_signs: VitalSignRules | None = None
    pre_dose_checklist: tuple[PreDoseItem, ...] = ()
    discharge: DischargeRules

    @model_validator(mode="after")
    def _basis_matches(self) -> DosingRules:
        ids = [item.id for item in self.pre_dose_checklist]
        for i, item_id in enumerate(ids):
            if ids.index(item_id) != i:
                raise ValueError(f"pre_dose_checklist.{i}.id: {item_id!r} is used twice")
        if BASIS_SUBSTANCE[self.basis] != self.substance:
            raise ValueError(f"basis {self.basis!r} is not a basis for {self.substance!r}")
        for i, limit in enumerate(self.limits):
            if BASIS_SUBSTANCE[limit.maximum.basis] != self.substance:
                raise ValueError(f"limits.{i}.maximum.basis: not a basis for {self.substance!r}")
        return self


class DurationBand(KnowledgeModel):
    """One row of a minimum-duration table: an amount range and its minimum session length."""

    min_mg: Decimal = Field(ge=0)
    min_inclusive: bool = True
    max_mg: Decimal = Field(gt=0)
    max_inclusive: bool = False
    minutes: int = Field(gt=0)
    later_session_minutes: int | None = Field(
        default=None, gt=0, description="For a later session at the same centre within the period."
    )

    def contains(self, mg: Decimal) -> bool:
        above = mg >= self.min_mg if self.min_inclusive else mg > self.min_mg
        below = mg <= self.max_mg if self.max_inclusive else mg < self.max_mg
        return above and below

    def describe(self) -> str:
        low = "≥" if self.min_inclusive else ">"
        high = "≤" if self.max_inclusive else "<"
        if self.min_mg == 0 and not self.min_inclusive:
            return f"{high} {self.max_mg} mg"
        return f"{low} {self.min_mg} mg and {high} {self.max_mg} mg"


class DurationTable(Sourced):
    """Minimum session duration by total amount consumed (initial plus any secondary dose)."""

    basis: Basis
    bands: tuple[DurationBand, ...] = Field(min_length=1)
    overlap: Literal["stricter"] = "stricter"
    later_session_period_months: int = Field(default=12, gt=0)
    whole_fungi_minutes: int | None = Field(
        default=None, gt=0, description="Minimum for whole fungi in the lowest band."
    )
