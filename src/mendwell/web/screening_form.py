"""The screening form: its sections, and conversion between the flat form and the record.

Form fields are named by their path in the record (``vitals.systolic_bp_mmhg``,
``medications.0.name``), so a validation error's field path is also the name of the field it
belongs to. Yes/no questions have three answers: yes, no and not asked (empty).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from mendwell.actions.errors import FieldError
from mendwell.clinical.screening.medications import CLASS_LABELS, MedicationClass
from mendwell.clinical.screening.record import ANALYTES, CssrsTriage, OregonClientInformation

YES, NO, NOT_ASKED = "yes", "no", ""
MEDICATION_FIELDS = ("name", "dose", "start_date", "last_dose_date")
MEDICATIONS_RECORDED = "medications_recorded"
EXTRA_MEDICATION_ROWS = 2
MIN_MEDICATION_ROWS = 3
CONFIG_FIELDS = ("substance", "protocol_id", "jurisdiction", "proposed_stop_date")


@dataclass(frozen=True)
class Question:
    """A yes / no / not asked question."""

    path: str
    label: str
    hint: str | None = None
    kind: str = "question"


@dataclass(frozen=True)
class Number:
    path: str
    label: str
    unit: str
    step: str = "1"
    kind: str = "number"


@dataclass(frozen=True)
class Choice:
    path: str
    label: str
    options: tuple[tuple[str, str], ...]
    hint: str | None = None
    kind: str = "choice"


@dataclass(frozen=True)
class FreeText:
    path: str
    label: str
    hint: str | None = None
    kind: str = "text"


@dataclass(frozen=True)
class DateField:
    path: str
    label: str
    hint: str | None = None
    kind: str = "date"


@dataclass(frozen=True)
class Lab:
    """A lab value with its unit (``labs.<analyte>.value`` and ``labs.<analyte>.unit``)."""

    analyte: str
    label: str
    kind: str = "lab"

    @property
    def path(self) -> str:
        return f"labs.{self.analyte}"

    @property
    def units(self) -> tuple[str, ...]:
        return tuple(ANALYTES[self.analyte].factors)


Field = Question | Number | Choice | FreeText | DateField | Lab


@dataclass(frozen=True)
class Group:
    legend: str | None
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    groups: tuple[Group, ...] = ()
    intro: str | None = None
    oregon: bool = field(default=False)


_CONDITIONS = (
    ("psychosis", "Primary psychotic disorder"),
    ("bipolar_i", "Bipolar I disorder"),
    ("bipolar_ii", "Bipolar II disorder"),
    ("dissociative_identity_disorder", "Dissociative identity disorder"),
    ("eating_disorder_with_purging", "Eating disorder with active purging"),
    ("substance_use_disorder_current", "Current alcohol or substance use disorder"),
)
_CIF_QUESTIONS = {
    "lithium_last_30_days": "Have you taken lithium in the last 30 days?",
    "current_healthcare_treatment": "Are you currently being treated by a healthcare provider "
    "for a medical, mental health or behavioural condition?",
    "mushroom_allergy_reaction": "Have you ever had an allergic reaction to mushrooms or fungi?",
    "medications_during_session": "Are you taking medications that may need to be taken during "
    "the administration session?",
    "needs_interpreter": "Do you need an interpreter?",
    "needs_physical_support_person": "Do you need a support person for help with a catheter, "
    "ostomy or toileting, mobility, or a medical device?",
    "needs_communication_support_person": "Do you need a support person for an AAC device or "
    "an assistive listening device?",
    "current_harm_thoughts": "Do you currently have thoughts of harming yourself or others?",
    "history_of_harm": "Have you ever harmed, or wanted to harm, yourself or others?",
}

SECTIONS: tuple[Section, ...] = (
    Section(
        "medical",
        "Medical history",
        (
            Group(
                None,
                (
                    Question("medical_history.cardiovascular_disease", "Cardiovascular disease"),
                    Question("medical_history.hypertension", "Hypertension"),
                    Question(
                        "medical_history.hypertension_controlled",
                        "Is the hypertension controlled?",
                        "Leave as not asked when there is no hypertension.",
                    ),
                    Question("medical_history.arrhythmia", "Arrhythmia (any history)"),
                    Question("medical_history.qtc_prolongation", "Known QT/QTc prolongation"),
                    Question("medical_history.stroke", "Stroke"),
                    Question("medical_history.liver_disease", "Liver disease"),
                    Question("medical_history.seizures", "Seizures or epilepsy"),
                    Question("medical_history.hyponatraemia", "Hyponatraemia (any history)"),
                    Question("medical_history.hyperthermia", "Hyperthermia (any history)"),
                    FreeText("medical_history.other", "Other medical history"),
                ),
            ),
        ),
    ),
    Section(
        "reproductive",
        "Pregnancy, breastfeeding and contraception",
        (
            Group(
                None,
                (
                    Question("reproductive.pregnant", "Pregnant"),
                    Question("reproductive.breastfeeding", "Breastfeeding"),
                    Question("reproductive.can_become_pregnant", "Can become pregnant"),
                    Question(
                        "reproductive.contraception",
                        "Uses, or agrees to use, effective contraception",
                    ),
                ),
            ),
        ),
    ),
    Section(
        "psychiatric",
        "Psychiatric history",
        (
            Group(
                "The client",
                tuple(Question(f"psychiatric_history.{k}", label) for k, label in _CONDITIONS),
            ),
            Group(
                "First-degree relatives (parents, siblings, children)",
                tuple(
                    Question(f"family_psychiatric_history.{k}", label) for k, label in _CONDITIONS
                ),
            ),
        ),
    ),
    Section(
        "suicidality",
        "Current suicidality",
        (
            Group(
                None,
                (
                    Question("suicidality.current_ideation", "Current suicidal ideation"),
                    Choice(
                        "suicidality.cssrs_triage",
                        "C-SSRS triage level",
                        tuple((t.value, t.value.capitalize()) for t in CssrsTriage),
                        "From a scored C-SSRS screener, if one was done.",
                    ),
                ),
            ),
        ),
    ),
    Section(
        "vitals",
        "Baseline vital signs and ECG",
        (
            Group(
                None,
                (
                    Number("vitals.systolic_bp_mmhg", "Systolic blood pressure", "mmHg"),
                    Number("vitals.diastolic_bp_mmhg", "Diastolic blood pressure", "mmHg"),
                    Number("vitals.heart_rate_bpm", "Heart rate", "bpm"),
                    Number("vitals.temperature_c", "Temperature", "°C", "0.1"),
                    Number("vitals.weight_kg", "Weight", "kg", "0.1"),
                    Number("ecg.qtc_ms", "ECG: QTc", "ms"),
                ),
            ),
        ),
    ),
    Section(
        "labs",
        "Laboratory results",
        (
            Group(
                None,
                (
                    Lab("alt", "ALT"),
                    Lab("ast", "AST"),
                    Lab("bilirubin", "Total bilirubin"),
                    Lab("sodium", "Sodium"),
                ),
            ),
        ),
        intro="Enter each value with the unit it was reported in; it is converted for the rules.",
    ),
    Section(
        "medications",
        "Current medications and supplements",
        intro="Every medication or supplement taken now or in the last two months. Leave the last "
        "dose empty while it is still being taken; a future last dose is a planned stop.",
    ),
    Section(
        "other",
        "Prior use and allergy",
        (
            Group(
                None,
                (
                    Question("prior_psychedelic_use", "Prior use of classic psychedelics"),
                    Question("prior_mdma_use", "Prior use of MDMA"),
                    Question("mushroom_allergy", "Allergy to mushrooms or fungi"),
                ),
            ),
        ),
    ),
    Section(
        "ptsd",
        "PTSD",
        (
            Group(
                None,
                (
                    Question("ptsd.diagnosis", "PTSD diagnosis"),
                    DateField("ptsd.onset_date", "Onset date", "Or give the duration below."),
                    Number("ptsd.duration_months", "Duration", "months"),
                    Number("ptsd.caps5_total", "CAPS-5 total (0–80)", "points"),
                ),
            ),
        ),
    ),
    Section(
        "oregon",
        "Oregon client information form",
        (
            Group(
                None,
                tuple(
                    Question(
                        f"oregon_cif.{name}",
                        f"({OregonClientInformation.LETTERS[name]}) {text}",
                    )
                    for name, text in _CIF_QUESTIONS.items()
                ),
            ),
        ),
        intro="Questions (a)–(i) of OAR 333-333-5050(3), completed with the client. Questions "
        "from (j) onwards are UNCONFIRMED (the retrieved rule text was cut off) and are not "
        "asked here.",
        oregon=True,
    ),
)


def all_fields() -> Iterable[Field]:
    for section in SECTIONS:
        for group in section.groups:
            yield from group.fields


def class_labels(classes: Iterable[MedicationClass]) -> str:
    return ", ".join(CLASS_LABELS[c] for c in classes)


def _set(target: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = target
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def record_from_form(form: FormData) -> dict[str, Any]:
    """The record a submitted form describes; anything odd is left for the record's validation."""
    record: dict[str, Any] = {}
    for f in all_fields():
        if isinstance(f, Lab):
            value = _text(form, f"{f.path}.value")
            if value:
                _set(record, f.path, {"value": value, "unit": _text(form, f"{f.path}.unit")})
            continue
        raw = _text(form, f.path)
        if isinstance(f, Question):
            _set(record, f.path, {YES: True, NO: False, NOT_ASKED: None}.get(raw, raw))
        elif raw:
            _set(record, f.path, raw)
    rows = medication_rows(form)
    if rows or _text(form, MEDICATIONS_RECORDED) == YES:
        record["medications"] = rows
    return record


def medication_rows(form: FormData) -> list[dict[str, str]]:
    """Filled medication rows, in the order of their index; blank rows are dropped."""
    indices = sorted(
        {
            int(key.split(".")[1])
            for key in form
            if key.startswith("medications.") and key.split(".")[1].isdigit()
        }
    )
    rows = []
    for i in indices:
        row = {k: _text(form, f"medications.{i}.{k}") for k in MEDICATION_FIELDS}
        if any(row.values()):
            rows.append({k: v for k, v in row.items() if v})
    return rows


def config_from_form(form: FormData) -> dict[str, Any]:
    return {k: v for k in CONFIG_FIELDS if (v := _text(form, k))}


def form_values(record: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    """Flat form values for a stored record and its configuration."""
    values: dict[str, Any] = {k: v for k, v in config.items() if v is not None}
    for f in all_fields():
        if isinstance(f, Lab):
            lab = _get(record, f.path)
            if lab:
                values[f"{f.path}.value"] = _number(lab.get("value"))
                values[f"{f.path}.unit"] = lab.get("unit")
            continue
        value = _get(record, f.path)
        if isinstance(f, Question):
            values[f.path] = {True: YES, False: NO}.get(value, NOT_ASKED)
        elif value is not None:
            values[f.path] = _number(value)
    medications = record.get("medications")
    if medications is not None:
        values[MEDICATIONS_RECORDED] = YES
        values["medication_count"] = len(medications)
    for i, row in enumerate(medications or ()):
        for k in MEDICATION_FIELDS:
            if row.get(k):
                values[f"medications.{i}.{k}"] = row[k]
    return values


def submitted_values(form: FormData) -> dict[str, Any]:
    """What the user typed, to show again when the form comes back with errors."""
    return {k: v.strip() for k, v in form.items() if isinstance(v, str)}


def medication_row_count(values: Mapping[str, Any]) -> int:
    filled = {
        int(k.split(".")[1])
        for k, v in values.items()
        if k.startswith("medications.") and k.split(".")[1].isdigit() and v
    }
    return max(MIN_MEDICATION_ROWS, (max(filled) + 1 if filled else 0) + EXTRA_MEDICATION_ROWS)


def _get(data: Mapping[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def _number(value: Any) -> Any:
    """118.0 is shown as 118."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def errors_by_path(errors: Iterable[FieldError]) -> dict[str, str]:
    """Field errors keyed by form field name (``record.`` dropped; lab errors go to the value)."""
    out: dict[str, str] = {}
    for err in errors:
        parts = [str(p) for p in err.loc]
        if parts and parts[0] == "record":
            parts = parts[1:]
        if parts[:1] == ["labs"] and len(parts) >= 2:
            parts = [*parts[:2], "value"]  # a lab's value and unit are one field on the form
        name = ".".join(parts) or "__all__"
        out.setdefault(name, err.msg)
    return out
