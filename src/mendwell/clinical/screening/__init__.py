"""Safety screening and eligibility: record model, medication knowledge, rules, washout planning.

Pure functions over plain data. The storage, signing workflow and forms build on this API:

* :func:`evaluate` screens a :class:`ScreeningRecord` for a substance, protocol and jurisdiction;
* :func:`apply_overrides` records clinician overrides and recomputes the outcome;
* :func:`search_medications` and :func:`classify` serve the medication autocomplete;
* :func:`plan_washout` / :func:`washout_days` compute washout dates.
"""

from mendwell.clinical.screening.evaluate import (
    Evaluation,
    Evidence,
    Finding,
    FindingStatus,
    Outcome,
    Override,
    ScreeningConfigurationError,
    ScreeningKnowledge,
    UnknownFindingError,
    apply_overrides,
    decide_outcome,
    default_knowledge,
    evaluate,
    load_screening_knowledge,
)
from mendwell.clinical.screening.medications import (
    Match,
    Medication,
    MedicationClass,
    classify,
    search_medications,
)
from mendwell.clinical.screening.record import (
    CssrsTriage,
    FieldError,
    MedicationEntry,
    RecordValidationError,
    ScreeningRecord,
    parse_record,
)
from mendwell.clinical.screening.rules import RuleSet, Severity, Substance
from mendwell.clinical.screening.settings import ScreeningSettings
from mendwell.clinical.screening.washout import WashoutEntry, plan_washout, washout_days

__all__ = [
    "CssrsTriage",
    "Evaluation",
    "Evidence",
    "FieldError",
    "Finding",
    "FindingStatus",
    "Match",
    "Medication",
    "MedicationClass",
    "MedicationEntry",
    "Outcome",
    "Override",
    "RecordValidationError",
    "RuleSet",
    "ScreeningConfigurationError",
    "ScreeningKnowledge",
    "ScreeningRecord",
    "ScreeningSettings",
    "Severity",
    "Substance",
    "UnknownFindingError",
    "WashoutEntry",
    "apply_overrides",
    "classify",
    "decide_outcome",
    "default_knowledge",
    "evaluate",
    "load_screening_knowledge",
    "parse_record",
    "plan_washout",
    "search_medications",
    "washout_days",
]
