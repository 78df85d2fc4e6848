"""Adverse events: grading, seriousness, relatedness, expectedness, special interest and clocks.

The vocabulary (``knowledge/adverse_events/vocabulary.yaml``) carries CTCAE v5 grades with their
NCIt codes, the six ICH E2A seriousness criteria, the relatedness scale, expectedness, action and
outcome terms, categories of special interest, the at-session checklist (which asks about
positive-mood events as well as unpleasant ones) and the expedited-reporting clocks.

Raw capture is kept apart from assessment: an event may be recorded before it is graded or its
causality assessed; the clocks then run provisionally from the day of awareness (day 0).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from mendwell.clinical.sessions.jurisdiction import (
    AdverseReactionCategory,
    JurisdictionSessions,
    load_jurisdiction_sessions,
)
from mendwell.clinical.validation import citations, load_model
from mendwell.knowledge.registry import KnowledgeKind, knowledge_kind
from mendwell.knowledge.sources import (
    KNOWLEDGE_DIR,
    KnowledgeModel,
    Source,
    Sourced,
)

VOCABULARY_FILE = KNOWLEDGE_DIR / "adverse_events" / "vocabulary.yaml"
SLUG = r"^[a-z0-9][a-z0-9-]*$"


class Grade(Sourced):
    grade: int = Field(ge=1, le=5)
    ncit: str = Field(pattern=r"^C\d+$")
    label: str
    definition: str


class SeriousnessCriterion(Sourced):
    id: str = Field(pattern=SLUG)
    label: str
    ncit: str | None = Field(default=None, pattern=r"^C\d+$")
    fatal_or_life_threatening: bool = False


class Term(KnowledgeModel):
    id: str = Field(pattern=SLUG)
    label: str
    description: str | None = None


class TermSet(Sourced):
    terms: tuple[Term, ...] = Field(min_length=1)

    def ids(self) -> set[str]:
        return {t.id for t in self.terms}


class RelatednessScale(TermSet):
    suspected: tuple[str, ...] = Field(
        min_length=1, description="Levels that mean a reasonable possibility of a causal link."
    )


class SpecialInterest(Sourced):
    id: str = Field(pattern=SLUG)
    label: str
    description: str


ChecklistGroup = Literal[
    "positive-mood", "perception", "psychiatric", "somatic", "cardiovascular", "boundaries"
]
# An event's category: the checklist groups, and "other" for anything they do not cover.
EVENT_CATEGORIES: dict[str, str] = {
    "positive-mood": "Positive mood",
    "perception": "Perception",
    "psychiatric": "Psychiatric",
    "somatic": "Somatic",
    "cardiovascular": "Cardiovascular",
    "boundaries": "Boundaries or conduct",
    "other": "Other",
}


class ChecklistItem(Sourced):
    id: str = Field(pattern=SLUG)
    label: str
    group: ChecklistGroup
    special_interest: tuple[str, ...] = ()


class ReportingClock(Sourced):
    id: str = Field(pattern=SLUG)
    label: str
    applies_to: Literal["fatal-or-life-threatening", "other-serious"]
    days: int = Field(gt=0)


# CTCAE v5 grades every adverse event 1 (mild) to 5 (death related to the event).
GRADES = (1, 2, 3, 4, 5)


class AdverseEventVocabulary(KnowledgeModel):
    id: str = Field(pattern=SLUG)
    version: str
    grading_system: str
    grades: tuple[Grade, ...]
    seriousness_criteria: tuple[SeriousnessCriterion, ...] = Field(min_length=1)
    relatedness: RelatednessScale
    expectedness: TermSet
    actions: TermSet
    outcomes: TermSet
    special_interest: tuple[SpecialInterest, ...] = Field(min_length=1)
    session_checklist: tuple[ChecklistItem, ...] = Field(min_length=1)
    reporting_clocks: tuple[ReportingClock, ...] = Field(min_length=1)
    sources: tuple[Source, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> AdverseEventVocabulary:
        problems: list[str] = []
        if tuple(sorted(g.grade for g in self.grades)) != GRADES:
            problems.append("grades: each of grades 1 to 5 must appear once")
        extra = set(self.relatedness.suspected) - self.relatedness.ids()
        if extra:
            problems.append(f"relatedness.suspected: unknown level(s) {sorted(extra)}")
        if not {"expected", "unexpected"} <= self.expectedness.ids():
            problems.append("expectedness.terms: must include 'expected' and 'unexpected'")
        interest = {s.id for s in self.special_interest}
        for i, item in enumerate(self.session_checklist):
            for sid in item.special_interest:
                if sid not in interest:
                    problems.append(f"session_checklist.{i}.special_interest: unknown {sid!r}")
        for i, criterion in enumerate(self.seriousness_criteria):
            if [c.id for c in self.seriousness_criteria].count(criterion.id) > 1:
                problems.append(f"seriousness_criteria.{i}.id: {criterion.id!r} is used twice")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def grade(self, grade: int) -> Grade:
        return next(g for g in self.grades if g.grade == grade)


def load_vocabulary_file(path: Path) -> AdverseEventVocabulary:
    return load_model(path, AdverseEventVocabulary)


@cache
def shipped_vocabulary() -> AdverseEventVocabulary:
    return load_vocabulary_file(VOCABULARY_FILE)


@cache
def vocabulary_at(path: Path | None) -> AdverseEventVocabulary:
    """The program's own vocabulary file if one is configured, else the shipped one."""
    return shipped_vocabulary() if path is None else load_vocabulary_file(path)


class AdverseEventError(ValueError):
    """An event uses a code the vocabulary does not define; the message names the field."""


@dataclass(frozen=True)
class AdverseEvent:
    """An adverse event as captured; assessment fields may still be empty."""

    term: str
    aware_on: date
    onset_at: datetime | None = None
    grade: int | None = None
    seriousness_criteria: tuple[str, ...] = ()
    relatedness: str | None = None
    expectedness: str | None = None
    action_taken: str | None = None
    outcome: str | None = None
    special_interest: tuple[str, ...] = ()
    checklist_item: str | None = None


@dataclass(frozen=True)
class ClockDue:
    """An expedited report and its due date (day 0 is the day of awareness)."""

    id: str
    label: str
    days: int
    due_on: date
    provisional: bool
    sources: tuple[str, ...]


@dataclass(frozen=True)
class AdverseEventAssessment:
    serious: bool
    fatal_or_life_threatening: bool
    suspected: bool | None
    unexpected: bool | None
    expedited: Literal["yes", "no", "pending-assessment"]
    grade_ncit: str | None
    special_interest: tuple[str, ...]
    clocks: tuple[ClockDue, ...]
    notes: tuple[str, ...]
    vocabulary_id: str
    vocabulary_version: str


def _check_codes(event: AdverseEvent, vocab: AdverseEventVocabulary) -> None:
    criteria = {c.id for c in vocab.seriousness_criteria}
    checks: list[tuple[str, Sequence[str], set[str]]] = [
        ("seriousness_criteria", event.seriousness_criteria, criteria),
        ("special_interest", event.special_interest, {s.id for s in vocab.special_interest}),
    ]
    for name, value, terms in (
        ("relatedness", event.relatedness, vocab.relatedness.ids()),
        ("expectedness", event.expectedness, vocab.expectedness.ids()),
        ("action_taken", event.action_taken, vocab.actions.ids()),
        ("outcome", event.outcome, vocab.outcomes.ids()),
        ("checklist_item", event.checklist_item, {c.id for c in vocab.session_checklist}),
    ):
        checks.append((name, () if value is None else (value,), terms))
    for name, values, allowed in checks:
        for value in values:
            if value not in allowed:
                raise AdverseEventError(
                    f"{name}: unknown value {value!r}; one of {', '.join(sorted(allowed))}"
                )
    if event.grade is not None and event.grade not in GRADES:
        raise AdverseEventError(f"grade: {event.grade} is not a CTCAE grade (1 to 5)")


def assess_adverse_event(
    event: AdverseEvent, vocabulary: AdverseEventVocabulary | None = None
) -> AdverseEventAssessment:
    """Seriousness from the criteria, expedited-report need, special interest and clocks.

    Per ICH E2A, a serious, unexpected, suspected adverse reaction is reported within 7 calendar
    days if fatal or life-threatening (complete report within 8 more), otherwise within 15. While
    relatedness or expectedness is unassessed, a serious event's clocks run provisionally.
    """
    vocab = vocabulary or shipped_vocabulary()
    _check_codes(event, vocab)
    criteria = [c for c in vocab.seriousness_criteria if c.id in event.seriousness_criteria]
    serious = bool(criteria)
    fatal_lt = any(c.fatal_or_life_threatening for c in criteria)
    suspected = (
        None if event.relatedness is None else event.relatedness in vocab.relatedness.suspected
    )
    unexpected = None if event.expectedness is None else event.expectedness == "unexpected"
    expedited: Literal["yes", "no", "pending-assessment"]
    if not serious or suspected is False or unexpected is False:
        expedited = "no"
    elif suspected and unexpected:
        expedited = "yes"
    else:
        expedited = "pending-assessment"
    clocks: list[ClockDue] = []
    if expedited != "no":
        applies = "fatal-or-life-threatening" if fatal_lt else "other-serious"
        for clock in vocab.reporting_clocks:
            if clock.applies_to == applies:
                clocks.append(
                    ClockDue(
                        clock.id,
                        clock.label,
                        clock.days,
                        event.aware_on + timedelta(days=clock.days),
                        expedited == "pending-assessment",
                        citations(clock),
                    )
                )
    interest = list(dict.fromkeys(event.special_interest))
    if event.checklist_item is not None:
        item = next(c for c in vocab.session_checklist if c.id == event.checklist_item)
        interest += [s for s in item.special_interest if s not in interest]
    notes: list[str] = []
    has_death = any(c.id == "results-in-death" for c in criteria)
    if event.grade == 5 and not has_death:
        notes.append("grade 5 (death) but seriousness criterion 'results-in-death' is not set")
    if has_death and event.grade is not None and event.grade != 5:
        notes.append(f"criterion 'results-in-death' is set but the grade is {event.grade}, not 5")
    if event.grade == 4 and not serious:
        notes.append("grade 4 (life-threatening) but no seriousness criterion is set")
    return AdverseEventAssessment(
        serious=serious,
        fatal_or_life_threatening=fatal_lt,
        suspected=suspected,
        unexpected=unexpected,
        expedited=expedited,
        grade_ncit=vocab.grade(event.grade).ncit if event.grade else None,
        special_interest=tuple(interest),
        clocks=tuple(sorted(clocks, key=lambda c: c.days)),
        notes=tuple(notes),
        vocabulary_id=vocab.id,
        vocabulary_version=vocab.version,
    )


ClockState = Literal["pending", "due-today", "overdue", "submitted", "submitted-late"]


@dataclass(frozen=True)
class ClockStatus:
    clock: ClockDue
    state: ClockState
    days_left: int
    submitted_on: date | None = None

    @property
    def overdue(self) -> bool:
        return self.state in ("overdue", "submitted-late")


def clock_statuses(
    clocks: Sequence[ClockDue], today: date, submitted: Mapping[str, date] | None = None
) -> list[ClockStatus]:
    """Where each clock stands on `today`; `submitted` maps clock id to the date sent."""
    sent = dict(submitted or {})
    unknown = sorted(set(sent) - {c.id for c in clocks})
    if unknown:
        raise AdverseEventError(f"submitted: unknown clock id(s) {', '.join(unknown)}")
    out: list[ClockStatus] = []
    for clock in clocks:
        left = (clock.due_on - today).days
        on = sent.get(clock.id)
        state: ClockState
        if on is not None:
            state = "submitted" if on <= clock.due_on else "submitted-late"
        elif left < 0:
            state = "overdue"
        elif left == 0:
            state = "due-today"
        else:
            state = "pending"
        out.append(ClockStatus(clock, state, left, on))
    return out


def unanswered_checklist(
    answers: Mapping[str, bool], vocabulary: AdverseEventVocabulary | None = None
) -> list[str]:
    """Checklist items with no yes/no answer; every item, positive-mood ones included, is asked."""
    vocab = vocabulary or shipped_vocabulary()
    ids = [c.id for c in vocab.session_checklist]
    unknown = sorted(set(answers) - set(ids))
    if unknown:
        raise AdverseEventError(f"answers: unknown checklist item(s) {', '.join(unknown)}")
    return [i for i in ids if i not in answers]


# --- Oregon ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OregonReactionFacts:
    """What happened, in the terms of the Oregon definitions (OAR 333-333-1010)."""

    during_administration_session: bool
    nature: Literal["behavioral", "medical"] | None
    emergency_services_contacted: bool
    medical_care_received: bool
    transported_to_hospital: bool


@dataclass(frozen=True)
class JurisdictionClassification:
    jurisdiction: str
    categories: tuple[AdverseReactionCategory, ...] = field(default_factory=tuple)
    explanation: str = ""

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.categories)


def classify_oregon_reaction(
    facts: OregonReactionFacts, sessions: JurisdictionSessions | None = None
) -> JurisdictionClassification:
    """Which Oregon adverse-reaction categories an event falls in (none, or one or two)."""
    rules = sessions or load_jurisdiction_sessions("us-or")
    by_id = {c.id: c for c in rules.adverse_reaction_categories}
    for needed in ("adverse-behavioral-reaction", "adverse-medical-reaction", "adverse-reaction"):
        if needed not in by_id:
            raise KeyError(f"{rules.id}: adverse_reaction_categories lacks {needed!r}")
    if not facts.during_administration_session:
        return JurisdictionClassification(
            rules.jurisdiction, (), "not during an administration session: outside the definitions"
        )
    if not (facts.emergency_services_contacted or facts.medical_care_received):
        return JurisdictionClassification(
            rules.jurisdiction,
            (),
            "no emergency services contacted and no care from a medical provider: "
            "not an adverse behavioral or medical reaction as defined",
        )
    if facts.nature is None:
        raise AdverseEventError(
            "nature: say whether the reaction was behavioral or medical "
            "(emergency services were contacted or medical care was received)"
        )
    main = by_id[f"adverse-{facts.nature}-reaction"]
    if facts.transported_to_hospital:
        return JurisdictionClassification(
            rules.jurisdiction,
            (main,),
            f"{main.label}; transport to a hospital, so not an 'adverse reaction' as defined",
        )
    umbrella = by_id["adverse-reaction"]
    return JurisdictionClassification(
        rules.jurisdiction,
        (main, umbrella),
        f"{main.label} without transport to a hospital: also an '{umbrella.label}'",
    )


knowledge_kind(
    KnowledgeKind(
        name="adverse-event-vocabulary",
        directory="adverse_events",
        description="CTCAE grades, seriousness criteria, relatedness, checklist, reporting clocks.",
        validate_file=load_vocabulary_file,
    )
)
