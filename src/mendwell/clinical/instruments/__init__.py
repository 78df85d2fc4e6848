"""Outcome instruments: the registry of instrument files, exact scoring and change classification.

Pure functions over plain data: no database, no clock, no network. See docs/instruments.md.
"""

from mendwell.clinical.instruments.algorithms import ALGORITHMS, caps5_severity
from mendwell.clinical.instruments.change import ChangeResult, classify_change, populations
from mendwell.clinical.instruments.options import ScoringOptions
from mendwell.clinical.instruments.registry import (
    UnknownInstrument,
    get_instrument,
    list_instruments,
    shipped_instruments,
    validate_instrument_text,
)
from mendwell.clinical.instruments.schema import (
    AlgorithmSpec,
    AskedIf,
    Band,
    ChangeThreshold,
    CutPoint,
    Instrument,
    Item,
    Licence,
    LoincCodes,
    MissingRule,
    Option,
    SafetyFlagRule,
    Scoring,
    Subscale,
    TotalRule,
)
from mendwell.clinical.instruments.scoring import (
    AnswerError,
    CutPointResult,
    SafetyFlag,
    ScoreResult,
    ScoringOptionError,
    score,
)

__all__ = [
    "ALGORITHMS",
    "AlgorithmSpec",
    "AnswerError",
    "AskedIf",
    "Band",
    "ChangeResult",
    "ChangeThreshold",
    "CutPoint",
    "CutPointResult",
    "Instrument",
    "Item",
    "Licence",
    "LoincCodes",
    "MissingRule",
    "Option",
    "SafetyFlag",
    "SafetyFlagRule",
    "ScoreResult",
    "Scoring",
    "ScoringOptionError",
    "ScoringOptions",
    "Subscale",
    "TotalRule",
    "UnknownInstrument",
    "caps5_severity",
    "classify_change",
    "get_instrument",
    "list_instruments",
    "populations",
    "score",
    "shipped_instruments",
    "validate_instrument_text",
]
