"""Medication knowledge: names and brands mapped to interaction classes, with half-lives.

The files live in ``knowledge/medications/*.yaml``. Each medication names its classes, its
elimination half-life (and those of active metabolites), and a source for every fact.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mendwell.clinical.screening.settings import HalfLifeBasis
from mendwell.knowledge.registry import KnowledgeKind, knowledge_kind
from mendwell.knowledge.sources import (
    KNOWLEDGE_DIR,
    KnowledgeFileError,
    KnowledgeModel,
    Sourced,
    read_yaml,
)

MEDICATIONS_DIR = "medications"


class MedicationClass(StrEnum):
    """Classes that screening rules refer to. A medication may belong to several."""

    SSRI = "ssri"
    SNRI = "snri"
    TCA = "tca"
    OTHER_ANTIDEPRESSANT = "other_antidepressant"
    MAOI_IRREVERSIBLE = "maoi_irreversible"
    MAOI_REVERSIBLE = "maoi_reversible"
    LITHIUM = "lithium"
    BUPROPION = "bupropion"
    TRAMADOL = "tramadol"
    STIMULANT = "stimulant"
    TRIPTAN = "triptan"
    ANTIPSYCHOTIC = "antipsychotic"
    BENZODIAZEPINE = "benzodiazepine"
    ANTICONVULSANT = "anticonvulsant"
    STRONG_CYP2D6_INHIBITOR = "strong_cyp2d6_inhibitor"
    STRONG_CYP3A4_INHIBITOR = "strong_cyp3a4_inhibitor"
    QT_PROLONGING = "qt_prolonging"
    SEROTONERGIC_OTHER = "serotonergic_other"
    ST_JOHNS_WORT = "st_johns_wort"
    PSYCHIATRIC = "psychiatric"


CLASS_LABELS: dict[MedicationClass, str] = {
    MedicationClass.SSRI: "Selective serotonin reuptake inhibitor (SSRI)",
    MedicationClass.SNRI: "Serotonin-norepinephrine reuptake inhibitor (SNRI)",
    MedicationClass.TCA: "Tricyclic antidepressant (TCA)",
    MedicationClass.OTHER_ANTIDEPRESSANT: "Other antidepressant",
    MedicationClass.MAOI_IRREVERSIBLE: "Monoamine oxidase inhibitor, irreversible",
    MedicationClass.MAOI_REVERSIBLE: "Monoamine oxidase inhibitor, reversible (incl. RIMA)",
    MedicationClass.LITHIUM: "Lithium",
    MedicationClass.BUPROPION: "Bupropion",
    MedicationClass.TRAMADOL: "Tramadol",
    MedicationClass.STIMULANT: "Stimulant",
    MedicationClass.TRIPTAN: "Triptan",
    MedicationClass.ANTIPSYCHOTIC: "Antipsychotic",
    MedicationClass.BENZODIAZEPINE: "Benzodiazepine",
    MedicationClass.ANTICONVULSANT: "Anticonvulsant / mood stabiliser",
    MedicationClass.STRONG_CYP2D6_INHIBITOR: "Strong CYP2D6 inhibitor",
    MedicationClass.STRONG_CYP3A4_INHIBITOR: "Strong CYP3A4 inhibitor",
    MedicationClass.QT_PROLONGING: "QT-prolonging drug",
    MedicationClass.SEROTONERGIC_OTHER: "Other serotonergic drug",
    MedicationClass.ST_JOHNS_WORT: "St John's wort",
    MedicationClass.PSYCHIATRIC: "Psychiatric medication (tapered before dosing in trials)",
}


class HalfLife(Sourced):
    """Elimination half-life of a medication or one of its active metabolites."""

    entity: str = Field(min_length=2, description="The parent drug or the metabolite named.")
    role: Literal["parent", "active_metabolite"] = "parent"
    typical_hours: float | None = Field(default=None, gt=0)
    low_hours: float | None = Field(default=None, gt=0)
    high_hours: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _consistent(self) -> HalfLife:
        if self.typical_hours is None and self.high_hours is None:
            raise ValueError("a half-life needs typical_hours or high_hours")
        values = [v for v in (self.low_hours, self.typical_hours, self.high_hours) if v is not None]
        if values != sorted(values):
            raise ValueError(
                "half-life values must satisfy low_hours <= typical_hours <= high_hours"
            )
        return self

    def hours(self, basis: HalfLifeBasis) -> float:
        """The half-life to plan with: the upper end of the range, or the typical value."""
        if basis == "upper":
            return self.high_hours if self.high_hours is not None else self.typical_hours  # type: ignore[return-value]
        return self.typical_hours if self.typical_hours is not None else self.high_hours  # type: ignore[return-value]


class MinimumWashout(Sourced):
    """A minimum interval after the last dose stated by a label, independent of half-life."""

    days: int = Field(ge=1, le=365)
    reason: str = Field(min_length=5)


class Medication(Sourced):
    """One medication or supplement; ``sources`` support its names and classes."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=2, description="Generic (non-proprietary) name.")
    brands: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()
    classes: tuple[MedicationClass, ...] = Field(min_length=1)
    half_lives: tuple[HalfLife, ...] = Field(
        default=(),
        description="Parent and active metabolites. May be empty only when a label minimum "
        "washout governs (irreversible MAOIs, whose effect outlasts the drug).",
    )
    minimum_washout: MinimumWashout | None = None

    @model_validator(mode="after")
    def _washout_computable(self) -> Medication:
        if not self.half_lives and self.minimum_washout is None:
            raise ValueError("half_lives: give at least one half-life, or a minimum_washout")
        return self

    def longest_half_life(self, basis: HalfLifeBasis) -> HalfLife | None:
        """The parent or active-metabolite half-life that is longest on ``basis``."""
        return max(self.half_lives, key=lambda h: h.hours(basis), default=None)

    @property
    def half_life_unconfirmed(self) -> bool:
        return any(h.unconfirmed for h in self.half_lives)


class MedicationFile(KnowledgeModel):
    """One medication knowledge file."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: str = Field(pattern=r"^\d+(\.\d+)*$")
    title: str = Field(min_length=3)
    medications: tuple[Medication, ...] = Field(min_length=1)


class Match(BaseModel):
    """One result of a medication name search."""

    model_config = ConfigDict(frozen=True)

    medication_id: str
    name: str
    matched_text: str
    matched_on: Literal["generic", "brand", "synonym"]
    classes: tuple[MedicationClass, ...]


# Salt, form and release words dropped before matching ("Lithium Carbonate ER" -> "lithium").
_NOISE_WORDS = frozenset(
    """hydrochloride hcl hydrobromide hbr sodium potassium calcium carbonate citrate sulfate
    sulphate mesylate maleate fumarate succinate tartrate bitartrate besylate oxalate acetate
    phosphate dihydrate monohydrate hemihydrate saccharate aspartate er xr xl sr cr la odt ir
    extended release tablet tablets capsule capsules oral solution patch transdermal""".split()  # noqa: SIM905
)
_DOSE = re.compile(r"\b\d+(\.\d+)?\s*(mg|mcg|µg|g|ml|%)\b")


def normalise_name(text: str) -> str:
    """Lower-case, drop doses, salts and release suffixes, collapse punctuation and spaces."""
    text = _DOSE.sub(" ", text.lower().replace("’", "'"))
    text = re.sub(r"[^a-z0-9' ]+", " ", text).replace("'", "")
    return " ".join(w for w in text.split() if w not in _NOISE_WORDS)


_KIND_ORDER = {"generic": 0, "brand": 1, "synonym": 2}


@dataclass
class MedicationIndex:
    """Lookup of medications by generic name, brand and synonym."""

    files: tuple[MedicationFile, ...]
    by_id: dict[str, Medication] = field(default_factory=dict)
    _names: list[tuple[str, str, str, Medication]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for file in self.files:
            for med in file.medications:
                self.by_id[med.id] = med
                entries = [(med.name, "generic")]
                entries += [(b, "brand") for b in med.brands]
                entries += [(s, "synonym") for s in med.synonyms]
                for text, kind in entries:
                    self._names.append((normalise_name(text), text, kind, med))

    def classify(self, name: str) -> Medication | None:
        """The medication a name (generic, brand or synonym) refers to, or None."""
        key = normalise_name(name)
        if not key:
            return None
        for norm, _text, _kind, med in self._names:
            if norm == key:
                return med
        return None

    def search(self, query: str, *, limit: int = 10) -> list[Match]:
        """Names that equal, start with, or have a word starting with the query."""
        key = normalise_name(query)
        if not key or limit < 1:
            return []
        ranked: dict[str, tuple[tuple[int, int, str], Match]] = {}
        for norm, text, kind, med in self._names:
            if norm == key:
                tier = 0
            elif norm.startswith(key):
                tier = 1
            elif any(w.startswith(key) for w in norm.split()[1:]):
                tier = 2
            else:
                continue
            rank = (tier, _KIND_ORDER[kind], text.lower())
            match = Match(
                medication_id=med.id,
                name=med.name,
                matched_text=text,
                matched_on=kind,  # type: ignore[arg-type]
                classes=med.classes,
            )
            if med.id not in ranked or rank < ranked[med.id][0]:
                ranked[med.id] = (rank, match)
        ordered = sorted(ranked.values(), key=lambda item: item[0])
        return [m for _, m in ordered[:limit]]

    def versions(self) -> tuple[tuple[str, str], ...]:
        """(file id, version) of every medication file, for the evaluation record."""
        return tuple(sorted((f.id, f.version) for f in self.files))


def load_medication_file(path: Path) -> MedicationFile:
    """Read and validate one medication file."""
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise KnowledgeFileError(path, "expected a mapping at the top level")
    return MedicationFile.model_validate(data)


def check_medication_set(files: Sequence[object]) -> list[str]:
    """Problems across files: duplicate file ids, medication ids, or ambiguous names."""
    problems: list[str] = []
    file_ids: set[str] = set()
    med_ids: set[str] = set()
    names: dict[str, str] = {}
    for file in files:
        assert isinstance(file, MedicationFile)
        if file.id in file_ids:
            problems.append(f"medications: file id {file.id!r} is used twice")
        file_ids.add(file.id)
        for med in file.medications:
            if med.id in med_ids:
                problems.append(f"medications: medication id {med.id!r} is defined twice")
            med_ids.add(med.id)
            for text in (med.name, *med.brands, *med.synonyms):
                key = normalise_name(text)
                if not key:
                    problems.append(
                        f"medications: {med.id}: name {text!r} is empty once normalised"
                    )
                elif names.setdefault(key, med.id) != med.id:
                    problems.append(
                        f"medications: name {text!r} refers to both {names[key]!r} and {med.id!r}"
                    )
    return problems


def load_medication_index(root: Path = KNOWLEDGE_DIR) -> MedicationIndex:
    """Load every medication file under ``root``; raise on any problem."""
    paths = sorted((root / MEDICATIONS_DIR).glob("*.yaml"))
    files = [load_medication_file(p) for p in paths]
    problems = check_medication_set(files)
    if problems:
        raise KnowledgeFileError(root / MEDICATIONS_DIR, "; ".join(problems))
    return MedicationIndex(files=tuple(files))


@lru_cache(maxsize=1)
def default_medication_index() -> MedicationIndex:
    """The shipped medication knowledge, loaded once."""
    return load_medication_index()


def search_medications(
    query: str, *, limit: int = 10, index: MedicationIndex | None = None
) -> list[Match]:
    """Autocomplete: medications whose generic name, brand or synonym matches ``query``."""
    return (index or default_medication_index()).search(query, limit=limit)


def classify(name: str, *, index: MedicationIndex | None = None) -> Medication | None:
    """The medication (with its classes) a free-text name refers to, or None if unknown."""
    return (index or default_medication_index()).classify(name)


knowledge_kind(
    KnowledgeKind(
        name="medications",
        directory=MEDICATIONS_DIR,
        description="Medications and supplements: names, brands, interaction classes, "
        "half-lives, each with its source.",
        validate_file=load_medication_file,
        check_set=check_medication_set,
    )
)
