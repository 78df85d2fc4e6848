"""The screening record: what a medical professional records before anyone is dosed.

Every yes/no answer is tri-state: ``True`` (yes), ``False`` (no) or ``None`` (not asked or not
known). A rule that needs an answer that is ``None`` yields "needs review", never "eligible".
The record is plain data: it knows nothing about rules, substances or dates of evaluation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

Answer = StrictBool | None
"""A yes/no answer; ``None`` means not asked or not known."""


class RecordModel(BaseModel):
    """Base for record parts: unknown fields are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class MedicalHistory(RecordModel):
    """Medical history relevant to a sympathomimetic or serotonergic drug."""

    cardiovascular_disease: Answer = None
    hypertension: Answer = None
    hypertension_controlled: Answer = Field(
        default=None, description="Only meaningful when hypertension is true."
    )
    arrhythmia: Answer = None
    qtc_prolongation: Answer = Field(default=None, description="Known QT/QTc prolongation.")
    stroke: Answer = None
    liver_disease: Answer = None
    seizures: Answer = None
    hyponatraemia: Answer = Field(default=None, description="Any past hyponatraemia.")
    hyperthermia: Answer = Field(default=None, description="Any past hyperthermia.")
    other: str | None = Field(default=None, max_length=4000)

    @model_validator(mode="after")
    def _controlled_needs_hypertension(self) -> MedicalHistory:
        if self.hypertension is False and self.hypertension_controlled is not None:
            raise ValueError(
                "hypertension_controlled: only applies when hypertension is true; leave it empty"
            )
        return self


class PsychiatricConditions(RecordModel):
    """Psychiatric conditions; used for the client and for first-degree relatives."""

    psychosis: Answer = Field(default=None, description="Primary psychotic disorder.")
    bipolar_i: Answer = None
    bipolar_ii: Answer = None
    dissociative_identity_disorder: Answer = None
    eating_disorder_with_purging: Answer = None
    substance_use_disorder_current: Answer = None


class ReproductiveStatus(RecordModel):
    """Pregnancy, breastfeeding and contraception."""

    pregnant: Answer = None
    breastfeeding: Answer = None
    can_become_pregnant: Answer = None
    contraception: Answer = Field(
        default=None, description="Uses, or agrees to use, effective contraception."
    )


class CssrsTriage(StrEnum):
    """C-SSRS screener triage level, supplied from a scored instrument result."""

    NONE = "none"
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return list(CssrsTriage).index(self)


class Suicidality(RecordModel):
    """Current suicidal ideation, and optionally the C-SSRS triage level."""

    current_ideation: Answer = None
    cssrs_triage: CssrsTriage | None = None


class BaselineVitals(RecordModel):
    """Baseline vital signs. The bounds reject impossible values, not abnormal ones."""

    systolic_bp_mmhg: float | None = Field(default=None, ge=50, le=300)
    diastolic_bp_mmhg: float | None = Field(default=None, ge=20, le=200)
    heart_rate_bpm: float | None = Field(default=None, ge=20, le=250)
    temperature_c: float | None = Field(default=None, ge=30, le=45)
    weight_kg: float | None = Field(default=None, ge=20, le=400)

    @model_validator(mode="after")
    def _diastolic_below_systolic(self) -> BaselineVitals:
        s, d = self.systolic_bp_mmhg, self.diastolic_bp_mmhg
        if s is not None and d is not None and d >= s:
            raise ValueError("diastolic_bp_mmhg: must be lower than systolic_bp_mmhg")
        return self


class Ecg(RecordModel):
    """Baseline ECG."""

    qtc_ms: float | None = Field(default=None, ge=250, le=700)


@dataclass(frozen=True)
class Analyte:
    """A laboratory analyte: its canonical unit and the factor from each accepted unit."""

    label: str
    canonical_unit: str
    factors: Mapping[str, Decimal]

    def factor(self, unit: str) -> Decimal | None:
        """The factor to the canonical unit, or None when the unit is not accepted."""
        key = _unit_key(unit)
        for accepted, factor in self.factors.items():
            if _unit_key(accepted) == key:
                return factor
        return None


def _unit_key(unit: str) -> str:
    return unit.strip().lower().replace("μ", "µ").replace("umol", "µmol").replace("ukat", "µkat")


# Conversion factors are definitions, not clinical thresholds: 1 µkat = 60 U (1 U = 1 µmol/min);
# bilirubin 1 mg/dL = 10 mg/L ÷ 584.66 g/mol = 17.104 µmol/L; sodium is monovalent, 1 mEq = 1 mmol.
_ENZYME_UNITS = {"U/L": Decimal(1), "IU/L": Decimal(1), "µkat/L": Decimal(60)}
ANALYTES: dict[str, Analyte] = {
    "alt": Analyte("ALT", "U/L", _ENZYME_UNITS),
    "ast": Analyte("AST", "U/L", _ENZYME_UNITS),
    "bilirubin": Analyte("bilirubin", "µmol/L", {"µmol/L": Decimal(1), "mg/dL": Decimal("17.104")}),
    "sodium": Analyte("sodium", "mmol/L", {"mmol/L": Decimal(1), "mEq/L": Decimal(1)}),
}


class LabValue(RecordModel):
    """A laboratory result with its unit as reported."""

    value: float = Field(ge=0)
    unit: str = Field(min_length=1, max_length=20)


class Labs(RecordModel):
    """Baseline laboratory results; units are checked per analyte."""

    alt: LabValue | None = None
    ast: LabValue | None = None
    bilirubin: LabValue | None = None
    sodium: LabValue | None = None

    @field_validator("alt", "ast", "bilirubin", "sodium")
    @classmethod
    def _known_unit(cls, value: LabValue | None, info: ValidationInfo) -> LabValue | None:
        if value is None:
            return value
        analyte = ANALYTES[str(info.field_name)]
        if analyte.factor(value.unit) is None:
            accepted = ", ".join(analyte.factors)
            raise ValueError(
                f"unit '{value.unit}' is not accepted for {analyte.label}; use {accepted}"
            )
        return value

    def canonical(self, analyte: str) -> float | None:
        """The value in the analyte's canonical unit, or None when not recorded."""
        value: LabValue | None = getattr(self, analyte)
        if value is None:
            return None
        factor = ANALYTES[analyte].factor(value.unit)
        assert factor is not None  # checked on validation
        return float(Decimal(str(value.value)) * factor)


class MedicationEntry(RecordModel):
    """A current or recent medication or supplement, as the client or prescriber reports it.

    ``last_dose_date`` empty means the client is still taking it. A last-dose date after the day of
    evaluation is read as a planned stop date.
    """

    name: str = Field(min_length=1, max_length=200)
    dose: str | None = Field(default=None, max_length=200, description="Dose as written.")
    start_date: date | None = None
    last_dose_date: date | None = None

    @model_validator(mode="after")
    def _stop_after_start(self) -> MedicationEntry:
        if self.start_date and self.last_dose_date and self.last_dose_date < self.start_date:
            raise ValueError("last_dose_date: must not be before start_date")
        return self


class PtsdHistory(RecordModel):
    """PTSD diagnosis, how long it has lasted, and optionally a CAPS-5 total."""

    diagnosis: Answer = None
    onset_date: date | None = None
    duration_months: int | None = Field(default=None, ge=0, le=1200)
    caps5_total: int | None = Field(default=None, ge=0, le=80)

    @model_validator(mode="after")
    def _one_duration(self) -> PtsdHistory:
        if self.onset_date is not None and self.duration_months is not None:
            raise ValueError("duration_months: give onset_date or duration_months, not both")
        return self

    def duration_on(self, today: date) -> int | None:
        """Whole months of PTSD on ``today``."""
        if self.onset_date is not None:
            return max(0, _whole_months(self.onset_date, today))
        return self.duration_months


class OregonClientInformation(RecordModel):
    """Answers to the yes/no questions (a)–(i) of Oregon's client information form."""

    LETTERS: ClassVar[dict[str, str]] = {
        "lithium_last_30_days": "a",
        "current_healthcare_treatment": "b",
        "mushroom_allergy_reaction": "c",
        "medications_during_session": "d",
        "needs_interpreter": "e",
        "needs_physical_support_person": "f",
        "needs_communication_support_person": "g",
        "current_harm_thoughts": "h",
        "history_of_harm": "i",
    }

    lithium_last_30_days: Answer = None
    current_healthcare_treatment: Answer = None
    mushroom_allergy_reaction: Answer = None
    medications_during_session: Answer = None
    needs_interpreter: Answer = None
    needs_physical_support_person: Answer = None
    needs_communication_support_person: Answer = None
    current_harm_thoughts: Answer = None
    history_of_harm: Answer = None


class HistoryFlag(StrEnum):
    """Conditions a rule can ask about in the medical or psychiatric history."""

    CARDIOVASCULAR_DISEASE = "cardiovascular_disease"
    HYPERTENSION = "hypertension"
    ARRHYTHMIA = "arrhythmia"
    QTC_PROLONGATION = "qtc_prolongation"
    STROKE = "stroke"
    LIVER_DISEASE = "liver_disease"
    SEIZURES = "seizures"
    HYPONATRAEMIA = "hyponatraemia"
    HYPERTHERMIA = "hyperthermia"
    PSYCHOSIS = "psychosis"
    BIPOLAR_I = "bipolar_i"
    BIPOLAR_II = "bipolar_ii"
    DISSOCIATIVE_IDENTITY_DISORDER = "dissociative_identity_disorder"
    EATING_DISORDER_WITH_PURGING = "eating_disorder_with_purging"
    SUBSTANCE_USE_DISORDER_CURRENT = "substance_use_disorder_current"

    @property
    def psychiatric(self) -> bool:
        return self.value in PsychiatricConditions.model_fields


class AnswerName(StrEnum):
    """Yes/no answers a rule can test."""

    PREGNANT = "pregnant"
    BREASTFEEDING = "breastfeeding"
    CAN_BECOME_PREGNANT = "can_become_pregnant"
    CONTRACEPTION = "contraception"
    HYPERTENSION_CONTROLLED = "hypertension_controlled"
    CURRENT_SUICIDAL_IDEATION = "current_suicidal_ideation"
    MUSHROOM_ALLERGY = "mushroom_allergy"
    PTSD_DIAGNOSIS = "ptsd_diagnosis"
    PRIOR_PSYCHEDELIC_USE = "prior_psychedelic_use"
    PRIOR_MDMA_USE = "prior_mdma_use"
    MEDICATION_LIST_RECORDED = "medication_list_recorded"
    CIF_A_LITHIUM_LAST_30_DAYS = "cif_a_lithium_last_30_days"
    CIF_B_CURRENT_HEALTHCARE_TREATMENT = "cif_b_current_healthcare_treatment"
    CIF_C_MUSHROOM_ALLERGY_REACTION = "cif_c_mushroom_allergy_reaction"
    CIF_D_MEDICATIONS_DURING_SESSION = "cif_d_medications_during_session"
    CIF_E_NEEDS_INTERPRETER = "cif_e_needs_interpreter"
    CIF_F_NEEDS_PHYSICAL_SUPPORT_PERSON = "cif_f_needs_physical_support_person"
    CIF_G_NEEDS_COMMUNICATION_SUPPORT_PERSON = "cif_g_needs_communication_support_person"
    CIF_H_CURRENT_HARM_THOUGHTS = "cif_h_current_harm_thoughts"
    CIF_I_HISTORY_OF_HARM = "cif_i_history_of_harm"


class Measure(StrEnum):
    """Numeric values a rule can compare, each in one explicit unit."""

    SYSTOLIC_BP_MMHG = "systolic_bp_mmhg"
    DIASTOLIC_BP_MMHG = "diastolic_bp_mmhg"
    HEART_RATE_BPM = "heart_rate_bpm"
    TEMPERATURE_C = "temperature_c"
    WEIGHT_KG = "weight_kg"
    QTC_MS = "qtc_ms"
    ALT_U_PER_L = "alt_u_per_l"
    AST_U_PER_L = "ast_u_per_l"
    BILIRUBIN_UMOL_PER_L = "bilirubin_umol_per_l"
    SODIUM_MMOL_PER_L = "sodium_mmol_per_l"
    AGE_YEARS = "age_years"
    PTSD_DURATION_MONTHS = "ptsd_duration_months"
    CAPS5_TOTAL = "caps5_total"


_ANSWER_PATHS: dict[AnswerName, str] = {
    AnswerName.PREGNANT: "reproductive.pregnant",
    AnswerName.BREASTFEEDING: "reproductive.breastfeeding",
    AnswerName.CAN_BECOME_PREGNANT: "reproductive.can_become_pregnant",
    AnswerName.CONTRACEPTION: "reproductive.contraception",
    AnswerName.HYPERTENSION_CONTROLLED: "medical_history.hypertension_controlled",
    AnswerName.CURRENT_SUICIDAL_IDEATION: "suicidality.current_ideation",
    AnswerName.MUSHROOM_ALLERGY: "mushroom_allergy",
    AnswerName.PTSD_DIAGNOSIS: "ptsd.diagnosis",
    AnswerName.PRIOR_PSYCHEDELIC_USE: "prior_psychedelic_use",
    AnswerName.PRIOR_MDMA_USE: "prior_mdma_use",
    AnswerName.MEDICATION_LIST_RECORDED: "medications",
    **{
        AnswerName(f"cif_{letter}_{field}"): f"oregon_cif.{field}"
        for field, letter in OregonClientInformation.LETTERS.items()
    },
}

_MEASURE_PATHS: dict[Measure, str] = {
    Measure.SYSTOLIC_BP_MMHG: "vitals.systolic_bp_mmhg",
    Measure.DIASTOLIC_BP_MMHG: "vitals.diastolic_bp_mmhg",
    Measure.HEART_RATE_BPM: "vitals.heart_rate_bpm",
    Measure.TEMPERATURE_C: "vitals.temperature_c",
    Measure.WEIGHT_KG: "vitals.weight_kg",
    Measure.QTC_MS: "ecg.qtc_ms",
    Measure.ALT_U_PER_L: "labs.alt",
    Measure.AST_U_PER_L: "labs.ast",
    Measure.BILIRUBIN_UMOL_PER_L: "labs.bilirubin",
    Measure.SODIUM_MMOL_PER_L: "labs.sodium",
    Measure.AGE_YEARS: "date_of_birth or age_years",
    Measure.PTSD_DURATION_MONTHS: "ptsd.onset_date or ptsd.duration_months",
    Measure.CAPS5_TOTAL: "ptsd.caps5_total",
}

_LAB_MEASURES = {
    Measure.ALT_U_PER_L: "alt",
    Measure.AST_U_PER_L: "ast",
    Measure.BILIRUBIN_UMOL_PER_L: "bilirubin",
    Measure.SODIUM_MMOL_PER_L: "sodium",
}


class ScreeningRecord(RecordModel):
    """Everything the screening rules read about one client."""

    date_of_birth: date | None = None
    age_years: int | None = Field(default=None, ge=0, le=130)
    medical_history: MedicalHistory = Field(default_factory=MedicalHistory)
    reproductive: ReproductiveStatus = Field(default_factory=ReproductiveStatus)
    psychiatric_history: PsychiatricConditions = Field(default_factory=PsychiatricConditions)
    family_psychiatric_history: PsychiatricConditions = Field(
        default_factory=PsychiatricConditions, description="First-degree relatives."
    )
    suicidality: Suicidality = Field(default_factory=Suicidality)
    vitals: BaselineVitals = Field(default_factory=BaselineVitals)
    ecg: Ecg = Field(default_factory=Ecg)
    labs: Labs = Field(default_factory=Labs)
    medications: tuple[MedicationEntry, ...] | None = Field(
        default=None,
        description="Current and recent medications and supplements; empty means none, "
        "absent means not recorded.",
    )
    prior_psychedelic_use: Answer = None
    prior_mdma_use: Answer = None
    mushroom_allergy: Answer = Field(default=None, description="Allergy to mushrooms or fungi.")
    ptsd: PtsdHistory = Field(default_factory=PtsdHistory)
    oregon_cif: OregonClientInformation = Field(default_factory=OregonClientInformation)

    @model_validator(mode="after")
    def _one_age(self) -> ScreeningRecord:
        if self.date_of_birth is not None and self.age_years is not None:
            raise ValueError("age_years: give date_of_birth or age_years, not both")
        return self

    def age_on(self, today: date) -> int | None:
        """Age in whole years on ``today``."""
        if self.date_of_birth is None:
            return self.age_years
        return _whole_months(self.date_of_birth, today) // 12

    def answer(self, name: AnswerName) -> bool | None:
        """The tri-state answer a rule asks for."""
        if name is AnswerName.MEDICATION_LIST_RECORDED:
            return self.medications is not None
        return _get_path(self, _ANSWER_PATHS[name])

    def history(self, flag: HistoryFlag, *, family: bool = False) -> bool | None:
        """A history flag for the client or (psychiatric only) first-degree relatives."""
        if family:
            if not flag.psychiatric:
                raise ValueError(f"family history is recorded for psychiatric flags only: {flag}")
            return getattr(self.family_psychiatric_history, flag.value)
        part = self.psychiatric_history if flag.psychiatric else self.medical_history
        return getattr(part, flag.value)

    def measure(self, measure: Measure, today: date) -> float | None:
        """A numeric value in the measure's unit, or None when not recorded."""
        if measure is Measure.AGE_YEARS:
            age = self.age_on(today)
            return None if age is None else float(age)
        if measure is Measure.PTSD_DURATION_MONTHS:
            months = self.ptsd.duration_on(today)
            return None if months is None else float(months)
        if measure in _LAB_MEASURES:
            return self.labs.canonical(_LAB_MEASURES[measure])
        value = _get_path(self, _MEASURE_PATHS[measure])
        return None if value is None else float(value)


def answer_path(name: AnswerName) -> str:
    """Where an answer lives in the record, for messages."""
    return _ANSWER_PATHS[name]


def measure_path(measure: Measure) -> str:
    """Where a measure lives in the record, for messages."""
    return _MEASURE_PATHS[measure]


def history_path(flag: HistoryFlag, *, family: bool = False) -> str:
    """Where a history flag lives in the record, for messages."""
    if family:
        return f"family_psychiatric_history.{flag.value}"
    part = "psychiatric_history" if flag.psychiatric else "medical_history"
    return f"{part}.{flag.value}"


def _get_path(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def _whole_months(start: date, end: date) -> int:
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if end.day < start.day:
        months -= 1
    return months


@dataclass(frozen=True)
class FieldError:
    """One validation problem, named by the field's path."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class RecordValidationError(ValueError):
    """A screening record that does not validate; ``errors`` names each field."""

    def __init__(self, errors: tuple[FieldError, ...]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


def field_errors(exc: ValidationError) -> tuple[FieldError, ...]:
    """Turn a pydantic error into field-named problems.

    A check across fields reports the field it is about as the start of its message
    (``"age_years: give ..."``); that field is moved into the path.
    """
    problems = []
    for err in exc.errors():
        path = [str(p) for p in err["loc"]]
        message = str(err["msg"]).removeprefix("Value error, ")
        head, sep, rest = message.partition(": ")
        if sep and head.isidentifier():
            path.append(head)
            message = rest
        problems.append(FieldError(".".join(path) or "(record)", message))
    return tuple(problems)


def parse_record(data: Mapping[str, Any]) -> ScreeningRecord:
    """Validate raw data into a record, raising RecordValidationError naming each field."""
    try:
        return ScreeningRecord.model_validate(data)
    except ValidationError as exc:
        raise RecordValidationError(field_errors(exc)) from exc
