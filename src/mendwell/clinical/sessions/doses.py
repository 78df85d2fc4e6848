"""Doses: explicit units and bases, conversions that show their working, limits, supplements.

An amount always says its substance basis (MDMA as the HCl salt; psilocybin as the psilocybin
analyte, or as total psilocin in Colorado) and its unit. Converting between psilocybin and psilocin
uses the molar masses in ``knowledge/dosing/analytes.yaml`` and always reports both values.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AwareDatetime, BeforeValidator, Field, model_validator

from mendwell.clinical.sessions.rules import (
    BASIS_SUBSTANCE,
    SLUG,
    Basis,
    DoseLimit,
    DosingRules,
    MassUnit,
    Substance,
    SupplementalDoseRule,
    WitnessRule,
)
from mendwell.clinical.spans import ceil_minutes
from mendwell.clinical.validation import citations, load_model
from mendwell.knowledge.registry import KnowledgeKind, knowledge_kind
from mendwell.knowledge.sources import (
    KNOWLEDGE_DIR,
    KnowledgeModel,
    Sourced,
)

ANALYTES_FILE = KNOWLEDGE_DIR / "dosing" / "analytes.yaml"

# SI prefixes (definitions, not clinical facts): milligrams per unit.
_MG_PER_UNIT: dict[str, Decimal] = {"g": Decimal(1000), "mg": Decimal(1), "µg": Decimal("0.001")}
_UNIT_SPELLINGS: dict[str, MassUnit] = {
    "g": "g",
    "mg": "mg",
    "µg": "µg",  # micro sign U+00B5
    "μg": "µg",  # Greek small mu U+03BC
    "ug": "µg",
    "mcg": "µg",
}


def normalise_unit(unit: object) -> MassUnit:
    """'mcg', 'ug' and both micro characters are µg; anything else but g/mg is an error."""
    if isinstance(unit, str) and unit.strip() in _UNIT_SPELLINGS:
        return _UNIT_SPELLINGS[unit.strip()]
    raise ValueError(f"{unit!r} is not a mass unit; use g, mg or µg")


UnitField = Annotated[MassUnit, BeforeValidator(normalise_unit)]


def convert_unit(amount: Decimal, from_unit: str, to_unit: str) -> Decimal:
    """Exact conversion between g, mg and µg."""
    src, dst = normalise_unit(from_unit), normalise_unit(to_unit)
    return amount * _MG_PER_UNIT[src] / _MG_PER_UNIT[dst]


@dataclass(frozen=True)
class Quantity:
    """An amount with its unit and basis."""

    amount: Decimal
    unit: MassUnit
    basis: Basis

    def to(self, unit: str) -> Quantity:
        """The same amount in another unit."""
        target = normalise_unit(unit)
        return Quantity(convert_unit(self.amount, self.unit, target), target, self.basis)

    @property
    def mg(self) -> Decimal:
        return convert_unit(self.amount, self.unit, "mg")

    def describe(self, places: int = 3) -> str:
        value = self.amount.quantize(Decimal(1).scaleb(-places)).normalize()
        return f"{value:f} {self.unit} {self.basis}"


# --- the analytes file -------------------------------------------------------------------------


class Compound(Sourced):
    id: str = Field(pattern=SLUG)
    name: str
    formula: str
    molar_mass: Decimal | None = Field(default=None, gt=0, description="g/mol")


class BasisDefinition(Sourced):
    id: Basis
    substance: Substance
    compound: str = Field(pattern=SLUG)
    description: str


class BasisConversionRule(Sourced):
    """A conversion between bases by molar mass; `molar_ratio` mol of target per mol of source."""

    from_basis: Basis
    to_basis: Basis
    molar_ratio: Decimal = Field(default=Decimal(1), gt=0)
    description: str


class AnalytesFile(KnowledgeModel):
    id: str = Field(pattern=SLUG)
    version: str
    compounds: tuple[Compound, ...] = Field(min_length=1)
    bases: tuple[BasisDefinition, ...] = Field(min_length=1)
    conversions: tuple[BasisConversionRule, ...] = ()

    @model_validator(mode="after")
    def _references(self) -> AnalytesFile:
        compounds = {c.id for c in self.compounds}
        for i, b in enumerate(self.bases):
            if b.compound not in compounds:
                raise ValueError(f"bases.{i}.compound: unknown compound {b.compound!r}")
        bases = {b.id: b.compound for b in self.bases}
        masses = {c.id: c.molar_mass for c in self.compounds}
        for i, c in enumerate(self.conversions):
            for name in ("from_basis", "to_basis"):
                basis = getattr(c, name)
                if basis not in bases:
                    raise ValueError(f"conversions.{i}.{name}: basis not defined in this file")
                if masses[bases[basis]] is None:
                    raise ValueError(f"conversions.{i}.{name}: its compound needs a molar_mass")
        return self

    def compound_of(self, basis: str) -> Compound:
        comp = next(b.compound for b in self.bases if b.id == basis)
        return next(c for c in self.compounds if c.id == comp)


def load_analytes_file(path: Path) -> AnalytesFile:
    return load_model(path, AnalytesFile)


@cache
def shipped_analytes() -> AnalytesFile:
    return load_analytes_file(ANALYTES_FILE)


@dataclass(frozen=True)
class BasisConversion:
    """A conversion between bases, with the factor, its derivation and both values."""

    original: Quantity
    converted: Quantity
    factor: Decimal
    derivation: str
    sources: tuple[str, ...]

    def describe(self) -> str:
        return (
            f"{self.original.describe()} = {self.converted.describe()} "
            f"(factor {self.factor:.4f}: {self.derivation})"
        )


def conversion_factor(
    from_basis: str, to_basis: str, analytes: AnalytesFile | None = None
) -> tuple[Decimal, str, tuple[str, ...]]:
    """(factor, derivation, sources) to multiply an amount on `from_basis` into `to_basis`."""
    data = analytes or shipped_analytes()
    for rule in data.conversions:
        for src, dst, forward in (
            (rule.from_basis, rule.to_basis, True),
            (rule.to_basis, rule.from_basis, False),
        ):
            if (src, dst) != (from_basis, to_basis):
                continue
            a, b = data.compound_of(src), data.compound_of(dst)
            # Both molar masses are checked on load.
            assert a.molar_mass is not None
            assert b.molar_mass is not None
            ratio = rule.molar_ratio if forward else 1 / rule.molar_ratio
            factor = b.molar_mass / a.molar_mass * ratio
            derivation = (
                f"{b.name} {b.molar_mass} g/mol ÷ {a.name} {a.molar_mass} g/mol"
                f" × {ratio.normalize():f} mol/mol"
            )
            cites = citations(a) + citations(b) + citations(rule)
            return factor, derivation, cites
    raise ValueError(f"basis: no conversion from {from_basis!r} to {to_basis!r}")


def convert_basis(
    quantity: Quantity, to_basis: Basis, analytes: AnalytesFile | None = None
) -> BasisConversion:
    """`quantity` on another basis (same unit), e.g. psilocybin analyte as total psilocin."""
    if quantity.basis == to_basis:
        return BasisConversion(quantity, quantity, Decimal(1), "same basis", ())
    factor, derivation, cites = conversion_factor(quantity.basis, to_basis, analytes)
    converted = Quantity(quantity.amount * factor, quantity.unit, to_basis)
    return BasisConversion(quantity, converted, factor, derivation, cites)


def express(quantity: Quantity, basis: Basis, unit: str) -> tuple[Quantity, BasisConversion | None]:
    """`quantity` on `basis` in `unit`, and the basis conversion used (None if none was needed)."""
    conversion = None if quantity.basis == basis else convert_basis(quantity, basis)
    on_basis = conversion.converted if conversion else quantity
    return on_basis.to(unit), conversion


# --- administrations ---------------------------------------------------------------------------


class Administration(KnowledgeModel):
    """One dose given in a session, as recorded."""

    substance: Substance
    product: str = Field(min_length=1)
    lot_or_unique_id: str = Field(min_length=1)
    basis: Basis
    amount: Decimal = Field(gt=0)
    unit: UnitField
    route: Literal["oral"] = "oral"
    given_at: AwareDatetime
    given_by: str = Field(min_length=1)
    witnessed_by: str | None = None
    kind: Literal["initial", "supplemental"] = "initial"
    servings: Decimal | None = Field(default=None, gt=0)
    container_amount: Decimal | None = Field(
        default=None, gt=0, description="Total in the product's container, same unit and basis."
    )

    @model_validator(mode="after")
    def _basis_matches(self) -> Administration:
        if BASIS_SUBSTANCE[self.basis] != self.substance:
            raise ValueError(f"basis: {self.basis!r} is not a basis for {self.substance!r}")
        return self

    @property
    def quantity(self) -> Quantity:
        return Quantity(self.amount, self.unit, self.basis)


@dataclass(frozen=True)
class LimitViolation:
    """A dose limit exceeded, with the rule's source."""

    limit_id: str
    scope: str
    description: str
    maximum: Quantity
    actual: Quantity
    conversion: BasisConversion | None
    administrations: tuple[int, ...]
    sources: tuple[str, ...]
    unconfirmed: bool

    def describe(self) -> str:
        text = (
            f"{self.description}: {self.actual.describe()} exceeds {self.maximum.describe()}"
            f" [{'; '.join(self.sources)}]"
        )
        if self.conversion is not None:
            text += f" (converted: {self.conversion.describe()})"
        return text + (" (UNCONFIRMED rule)" if self.unconfirmed else "")


def _limit_quantities(
    limit: DoseLimit, doses: Sequence[tuple[int, Administration]]
) -> Iterator[tuple[Quantity, BasisConversion | None, tuple[int, ...]]]:
    """(amount on the limit's basis and unit, conversion, administration indexes) per check."""
    m = limit.maximum
    if limit.scope == "per-session":
        bases = {a.basis for _, a in doses}
        if len(bases) == 1:
            total = Quantity(sum((a.quantity.mg for _, a in doses), Decimal(0)), "mg", bases.pop())
            q, conv = express(total, m.basis, m.unit)
        else:
            mg = sum((express(a.quantity, m.basis, "mg")[0].amount for _, a in doses), Decimal(0))
            q, conv = Quantity(mg, "mg", m.basis).to(m.unit), None
        yield q, conv, tuple(i for i, _ in doses)
        return
    for i, a in doses:
        if limit.scope == "per-administration":
            amount = a.amount
        elif limit.scope == "per-serving":
            # An administration with no serving count is taken as a single serving.
            amount = a.amount / (a.servings or Decimal(1))
        elif a.container_amount is not None:
            amount = a.container_amount
        else:
            continue
        q, conv = express(Quantity(amount, a.unit, a.basis), m.basis, m.unit)
        yield q, conv, (i,)


def check_dose_limits(
    administrations: Sequence[Administration], limits: Sequence[DoseLimit]
) -> list[LimitViolation]:
    """Every limit exceeded by the session's administrations (all limits are checked)."""
    violations: list[LimitViolation] = []
    for limit in limits:
        m = limit.maximum
        substance = BASIS_SUBSTANCE[m.basis]
        doses = [(i, a) for i, a in enumerate(administrations) if a.substance == substance]
        if not doses:
            continue
        maximum = Quantity(m.amount, m.unit, m.basis)
        for q, conv, idx in _limit_quantities(limit, doses):
            if q.amount > maximum.amount:
                violations.append(
                    LimitViolation(
                        limit_id=limit.id,
                        scope=limit.scope,
                        description=limit.description,
                        maximum=maximum,
                        actual=q,
                        conversion=conv,
                        administrations=idx,
                        sources=citations(limit),
                        unconfirmed=limit.unconfirmed,
                    )
                )
    return violations


def check_planned_amounts(
    administrations: Sequence[Administration],
    dosing: DosingRules,
    witness: WitnessRule | None = None,
) -> list[str]:
    """Differences from the protocol's dose plan: initial amount, supplemental fraction, witness."""
    problems: list[str] = []
    plan = dosing.initial_dose
    allowed = {convert_unit(a, plan.unit, "mg") for a in plan.amounts} if plan else None
    initial = [(i, a) for i, a in enumerate(administrations) if a.kind == "initial"]
    supplemental = [(i, a) for i, a in enumerate(administrations) if a.kind == "supplemental"]
    if len(initial) > 1:
        problems.append(f"administrations: {len(initial)} initial doses recorded; expected one")
    for i, a in initial:
        mg = express(a.quantity, dosing.basis, "mg")[0].amount
        if allowed is not None and mg not in allowed:
            options = ", ".join(f"{v.normalize():f}" for v in sorted(allowed))
            problems.append(
                f"administrations.{i}.amount: initial dose {mg.normalize():f} mg {dosing.basis} "
                f"is not one of the protocol's amounts ({options} mg)"
            )
    rule = dosing.supplemental
    for i, a in supplemental:
        if rule is None:
            problems.append(f"administrations.{i}.kind: this protocol has no supplemental dose")
        elif rule.fraction_of_initial is not None and initial:
            first = express(initial[0][1].quantity, dosing.basis, "mg")[0].amount
            expected = first * rule.fraction_of_initial
            got = express(a.quantity, dosing.basis, "mg")[0].amount
            if got != expected:
                problems.append(
                    f"administrations.{i}.amount: supplemental dose {got.normalize():f} mg is not "
                    f"{rule.fraction_of_initial.normalize():f} × the initial "
                    f"{first.normalize():f} mg = {expected.normalize():f} mg"
                )
    rule_w = witness or dosing.witness
    if rule_w is not None and rule_w.required:
        for i, a in enumerate(administrations):
            if not (a.witnessed_by or "").strip():
                problems.append(f"administrations.{i}.witnessed_by: a witness is required")
    return problems


# --- the supplemental dose ---------------------------------------------------------------------

SupplementalStatus = Literal["offered", "given", "declined", "withheld"]
Timing = Literal["before-window", "within-window", "after-window"]


@dataclass(frozen=True)
class SupplementalEvent:
    """What happened to the supplemental dose: offered, given, declined, or withheld."""

    status: SupplementalStatus
    at: datetime | None = None
    reason: str | None = None


@dataclass(frozen=True)
class SupplementalAssessment:
    status: SupplementalStatus
    elapsed_minutes: int | None
    timing: Timing | None
    window_minutes: tuple[int, int] | None
    reason_required: bool
    problems: tuple[str, ...]
    sources: tuple[str, ...]
    unconfirmed: bool


def _hm(minutes: int) -> str:
    h, m = divmod(minutes, 60)
    return f"{h} h {m:02d} min"


def assess_supplemental(
    initial_at: datetime, event: SupplementalEvent, rule: SupplementalDoseRule | None
) -> SupplementalAssessment:
    """Classify the supplemental dose's timing against the protocol's window.

    The window is inclusive at both ends. Giving or offering outside it, and withholding at any
    time, needs a reason; a client's decision to decline does not.
    """
    problems: list[str] = []
    if rule is None:
        if event.status in ("offered", "given"):
            problems.append("status: this protocol has no supplemental dose")
        return SupplementalAssessment(
            event.status, None, None, None, False, tuple(problems), (), False
        )
    window = None
    if rule.window_start is not None and rule.window_end is not None:
        window = (rule.window_start.total_minutes, rule.window_end.total_minutes)
    elapsed: int | None = None
    timing: Timing | None = None
    if event.at is not None:
        # Seconds count: 2 h 00 min 30 s after the initial dose is after a 2 h window.
        delta = event.at - initial_at
        elapsed = ceil_minutes(delta)
        seconds = delta.total_seconds()
        if window is None:
            timing = None
        elif seconds < window[0] * 60:
            timing = "before-window"
        elif seconds > window[1] * 60:
            timing = "after-window"
        else:
            timing = "within-window"
        if seconds < 0:
            problems.append("at: the supplemental dose is recorded before the initial dose")
    elif event.status in ("offered", "given", "declined"):
        problems.append(f"at: the time the supplemental dose was {event.status} is required")
    reason_required = event.status == "withheld" or (
        event.status in ("offered", "given") and timing in ("before-window", "after-window")
    )
    if reason_required and not (event.reason or "").strip():
        if event.status == "withheld":
            problems.append("reason: a reason is required when the supplemental dose is withheld")
        elif window is not None:
            problems.append(
                f"reason: the supplemental dose was {event.status} {_hm(elapsed or 0)} after the "
                f"initial dose, outside the {_hm(window[0])}–{_hm(window[1])} window; "
                "a reason is required"
            )
    return SupplementalAssessment(
        status=event.status,
        elapsed_minutes=elapsed,
        timing=timing,
        window_minutes=window,
        reason_required=reason_required,
        problems=tuple(problems),
        sources=citations(rule),
        unconfirmed=rule.unconfirmed,
    )


knowledge_kind(
    KnowledgeKind(
        name="dose-analytes",
        directory="dosing",
        description="Compounds, molar masses and dose bases used to convert between analytes.",
        validate_file=load_analytes_file,
        pattern="analytes.yaml",
    )
)
