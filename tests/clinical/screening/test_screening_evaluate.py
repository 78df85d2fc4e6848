"""Evaluation: the clinical case table (each case cites its source), semantics, overrides."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from screening_builders import TODAY, med, noor, noor_data

from mendwell.clinical.screening import (
    Evaluation,
    FindingStatus,
    Outcome,
    Override,
    ScreeningConfigurationError,
    ScreeningSettings,
    Severity,
    UnknownFindingError,
    apply_overrides,
    evaluate,
    parse_record,
)
from mendwell.clinical.screening.medications import default_medication_index

DAYS = timedelta(days=1)


@dataclass(frozen=True)
class Case:
    """One clinical case and what the rules must conclude, with the source that says so."""

    name: str
    substance: str
    changes: dict[str, Any]
    outcome: Outcome
    findings: dict[str, Severity] = field(default_factory=dict)
    source: str = ""
    protocol: str | None = None
    jurisdiction: str | None = None


CASES = [
    Case(
        "phenelzine (Nardil) taken now, MDMA",
        "mdma",
        {"medications": [med("Nardil")]},
        Outcome.INELIGIBLE,
        {"mdma.maoi:phenelzine": Severity.CONTRAINDICATED},
        "Silins et al. 2007 hierarchy of risk; MDMA-moclobemide deaths (clinical-protocols §5)",
    ),
    Case(
        "phenelzine stopped 10 days ago, MDMA: still inside the 14-day MAOI interval",
        "mdma",
        {"medications": [med("phenelzine", TODAY - 10 * DAYS)]},
        Outcome.INELIGIBLE,
        {"mdma.maoi:phenelzine": Severity.CONTRAINDICATED},
        "SSRI labels: contraindicated within 14 days of discontinuing an MAOI",
    ),
    Case(
        "phenelzine stopped 20 days ago, MDMA",
        "mdma",
        {"medications": [med("phenelzine", TODAY - 20 * DAYS)]},
        Outcome.ELIGIBLE,
        {},
        "14-day MAOI interval has passed",
    ),
    Case(
        "linezolid, MDMA",
        "mdma",
        {"medications": [med("Zyvox")]},
        Outcome.INELIGIBLE,
        {"mdma.maoi:linezolid": Severity.CONTRAINDICATED},
        "FDA Drug Safety Communication 2011: linezolid inhibits MAO",
    ),
    Case(
        "lithium last taken 20 days ago, psilocybin",
        "psilocybin",
        {"medications": [med("Lithobid", TODAY - 20 * DAYS)]},
        Outcome.INELIGIBLE,
        {"psilocybin.lithium:lithium": Severity.CONTRAINDICATED},
        "Nayak et al. 2021 (seizures in 47% of lithium reports); OAR 333-333-5050(3)(a) 30 days",
    ),
    Case(
        "lithium last taken 40 days ago, psilocybin",
        "psilocybin",
        {"medications": [med("lithium", TODAY - 40 * DAYS)]},
        Outcome.ELIGIBLE,
        {},
        "outside the 30-day window of OAR 333-333-5050(3)(a)",
    ),
    Case(
        "lamotrigine, psilocybin",
        "psilocybin",
        {"medications": [med("Lamictal")]},
        Outcome.ELIGIBLE,
        {},
        "Nayak et al. 2021: no seizures reported with lamotrigine",
    ),
    Case(
        "paroxetine, MDMA",
        "mdma",
        {"medications": [med("Paxil", date(2025, 3, 1))]},
        Outcome.NEEDS_REVIEW,
        {"mdma.ssri:paroxetine": Severity.REQUIRES_WASHOUT},
        "Farré et al. 2007 (paroxetine attenuates MDMA); MAPP2 methods (psychiatric taper)",
    ),
    Case(
        "history of psychosis, MDMA",
        "mdma",
        {"psychiatric_history__psychosis": True},
        Outcome.INELIGIBLE,
        {"mdma.psychosis": Severity.CONTRAINDICATED},
        "MAPP1 methods: primary psychotic disorder excluded",
    ),
    Case(
        "history of psychosis, psilocybin",
        "psilocybin",
        {"psychiatric_history__psychosis": True},
        Outcome.INELIGIBLE,
        {"psilocybin.psychosis": Severity.CONTRAINDICATED},
        "Raison et al. 2023: history of psychosis or mania excluded",
    ),
    Case(
        "bipolar I, MDMA",
        "mdma",
        {"psychiatric_history__bipolar_i": True},
        Outcome.INELIGIBLE,
        {"mdma.bipolar_i": Severity.CONTRAINDICATED},
        "MAPP1 methods: bipolar I disorder excluded",
    ),
    Case(
        "controlled hypertension, MDMA",
        "mdma",
        {"medical_history__hypertension": True, "medical_history__hypertension_controlled": True},
        Outcome.NEEDS_REVIEW,
        {"mdma.controlled_hypertension": Severity.CAUTION},
        "MAPP1 methods exclude uncontrolled hypertension only",
    ),
    Case(
        "uncontrolled hypertension, MDMA",
        "mdma",
        {"medical_history__hypertension": True, "medical_history__hypertension_controlled": False},
        Outcome.INELIGIBLE,
        {"mdma.uncontrolled_hypertension": Severity.CONTRAINDICATED},
        "MAPP1 methods: uncontrolled hypertension excluded",
    ),
    Case(
        "history of hyponatraemia, MDMA",
        "mdma",
        {"medical_history__hyponatraemia": True},
        Outcome.INELIGIBLE,
        {"mdma.hyponatraemia_history": Severity.CONTRAINDICATED},
        "MAPP2 additional exclusions",
    ),
    Case(
        "pregnant, MDMA",
        "mdma",
        {"reproductive__pregnant": True},
        Outcome.INELIGIBLE,
        {"mdma.pregnancy": Severity.CONTRAINDICATED},
        "MAPP1 methods: pregnancy and lactation excluded",
    ),
    Case(
        "Oregon client aged 20",
        "psilocybin",
        {"age_years": 20},
        Outcome.INELIGIBLE,
        {"us-or.age_21": Severity.CONTRAINDICATED},
        "OHA: clients must be 21 or older",
        protocol="oregon-service-centre",
    ),
    Case(
        "Oregon client aged 21",
        "psilocybin",
        {"age_years": 21},
        Outcome.ELIGIBLE,
        {},
        "OHA: clients must be 21 or older",
        protocol="oregon-service-centre",
    ),
    Case(
        "Oregon client who needs an interpreter",
        "psilocybin",
        {"oregon_cif__needs_interpreter": True},
        Outcome.NEEDS_REVIEW,
        {"us-or.cif_e_interpreter": Severity.CAUTION},
        "OAR 333-333-5050(3)(e); what a yes triggers is UNCONFIRMED",
        jurisdiction="us-or",
    ),
    Case(
        "Oregon client who left CIF (h) unanswered",
        "psilocybin",
        {"oregon_cif__current_harm_thoughts": None},
        Outcome.NEEDS_REVIEW,
        {"us-or.cif_h_current_harm_thoughts": Severity.CAUTION},
        "OAR 333-333-5050(3): each question must be answered yes or no",
        jurisdiction="us-or",
    ),
    Case(
        "aged 17, MDMA phase 3 protocol",
        "mdma",
        {"age_years": 17},
        Outcome.INELIGIBLE,
        {"mdma-at-phase3.adult": Severity.CONTRAINDICATED},
        "MAPP2: adults 18 or older",
        protocol="mdma-at-phase3",
    ),
    Case(
        "PTSD for 5 months, MDMA phase 3 protocol",
        "mdma",
        {"ptsd__duration_months": 5},
        Outcome.INELIGIBLE,
        {"mdma-at-phase3.ptsd_duration": Severity.CONTRAINDICATED},
        "MAPP1 and MAPP2: PTSD for at least 6 months",
        protocol="mdma-at-phase3",
    ),
    Case(
        "CAPS-5 of 30 under the MAPP1 threshold of 35",
        "mdma",
        {"ptsd__caps5_total": 30},
        Outcome.INELIGIBLE,
        {"mdma-at-phase3.caps5": Severity.CONTRAINDICATED},
        "MAPP1: CAPS-5 >= 35",
        protocol="mdma-at-phase3",
    ),
    Case(
        "sertraline, MDMA phase 3 protocol: SSRI and psychiatric taper",
        "mdma",
        {"medications": [med("Zoloft")]},
        Outcome.NEEDS_REVIEW,
        {
            "mdma.ssri:sertraline": Severity.REQUIRES_WASHOUT,
            "mdma-at-phase3.psychiatric_medication_taper:sertraline": Severity.REQUIRES_WASHOUT,
        },
        "MAPP2 methods: all psychiatric medications tapered off before baseline",
        protocol="mdma-at-phase3",
    ),
    Case(
        "a medication the knowledge does not know",
        "mdma",
        {"medications": [med("kratom")]},
        Outcome.NEEDS_REVIEW,
        {"general.unrecognised_medication:kratom": Severity.CAUTION},
        "interactions cannot be checked for an unknown medication",
    ),
    Case(
        "no findings: MDMA phase 3 protocol",
        "mdma",
        {},
        Outcome.ELIGIBLE,
        {},
        "all MAPP1/MAPP2 criteria met",
        protocol="mdma-at-phase3",
    ),
    Case(
        "no findings: single-dose psilocybin protocol",
        "psilocybin",
        {},
        Outcome.ELIGIBLE,
        {},
        "no psilocybin exclusion applies",
        protocol="psilocybin-single-25mg",
    ),
    Case(
        "no findings: Oregon service centre",
        "psilocybin",
        {},
        Outcome.ELIGIBLE,
        {},
        "aged 35, every CIF answer no",
        protocol="oregon-service-centre",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_table(case: Case) -> None:
    evaluation = evaluate(
        noor(**case.changes),
        substance=case.substance,
        protocol_id=case.protocol,
        jurisdiction=case.jurisdiction,
        today=TODAY,
    )
    assert evaluation.outcome is case.outcome, (case.source, [f.id for f in evaluation.findings])
    found = {f.id: f.severity for f in evaluation.findings}
    assert found == case.findings, case.source


def test_paroxetine_washout_date_in_the_evaluation() -> None:
    # PAXIL label: 21 h; default settings 5 × 21 h → 5 days, + 7 days margin → 13 March.
    evaluation = evaluate(
        noor(medications=[med("Paxil", date(2025, 3, 1))]),
        substance="mdma",
        protocol_id="mdma-at-phase3",
        today=TODAY,
    )
    [entry] = evaluation.washout_plan
    assert entry.medication_id == "paroxetine"
    assert entry.earliest_dosing_date == date(2025, 3, 13)
    assert set(entry.rule_ids) == {"mdma.ssri", "mdma-at-phase3.psychiatric_medication_taper"}
    assert evaluation.earliest_dosing_date == date(2025, 3, 13)
    finding = evaluation.finding("mdma.ssri:paroxetine")
    assert finding.washout == entry.model_copy(update={"rule_ids": ("mdma.ssri",)})
    evidence = {e.field: e.value for e in finding.evidence}
    assert evidence["medications[0]"] == "Paxil = paroxetine (ssri)"
    assert evidence["medications[0].last_dose_date"] == "2025-03-01"


def test_once_the_washout_has_passed_the_medication_no_longer_triggers() -> None:
    stopped = noor(medications=[med("Paxil", date(2025, 3, 1))])
    on_the_day = evaluate(stopped, substance="mdma", today=date(2025, 3, 13))
    the_day_before = evaluate(stopped, substance="mdma", today=date(2025, 3, 12))
    assert on_the_day.outcome is Outcome.ELIGIBLE
    assert on_the_day.washout_plan == ()
    assert the_day_before.outcome is Outcome.NEEDS_REVIEW


def test_a_last_dose_in_the_future_is_a_planned_stop() -> None:
    evaluation = evaluate(
        noor(medications=[med("Paxil", TODAY + 10 * DAYS)]), substance="mdma", today=TODAY
    )
    [entry] = evaluation.washout_plan
    assert (entry.basis, entry.from_date) == ("last_dose_date", TODAY + 10 * DAYS)


def test_a_current_medication_is_planned_from_the_proposed_stop_date() -> None:
    evaluation = evaluate(
        noor(medications=[med("Paxil")]),
        substance="mdma",
        today=TODAY,
        proposed_stop_date=date(2025, 4, 1),
    )
    [entry] = evaluation.washout_plan
    assert entry.basis == "proposed_stop_date"
    assert entry.earliest_dosing_date == date(2025, 4, 13)


def test_caution_findings_carry_their_washout_but_do_not_enter_the_plan() -> None:
    evaluation = evaluate(noor(medications=[med("Imitrex")]), substance="mdma", today=TODAY)
    finding = evaluation.finding("mdma.serotonergic_other:sumatriptan")
    assert finding.severity is Severity.CAUTION
    assert finding.washout is not None
    assert evaluation.washout_plan == ()


@pytest.mark.parametrize(
    ("path", "rule_id"),
    [
        ("reproductive__pregnant", "mdma.pregnancy"),
        ("psychiatric_history__psychosis", "mdma.psychosis"),
        ("ecg__qtc_ms", "mdma.qtc_measured"),
        ("labs__sodium", "mdma.sodium"),
        ("age_years", "mdma-at-phase3.adult"),
        ("ptsd__caps5_total", "mdma-at-phase3.caps5"),
    ],
)
def test_an_unknown_answer_needs_review_not_eligible(path: str, rule_id: str) -> None:
    evaluation = evaluate(
        noor(**{path: None}), substance="mdma", protocol_id="mdma-at-phase3", today=TODAY
    )
    assert evaluation.outcome is Outcome.NEEDS_REVIEW
    finding = evaluation.finding(rule_id)
    assert finding.status is FindingStatus.UNKNOWN
    assert any(e.value == "not recorded" for e in finding.evidence)


def test_an_unrecorded_medication_list_needs_review() -> None:
    evaluation = evaluate(noor(medications=None), substance="mdma", today=TODAY)
    assert evaluation.outcome is Outcome.NEEDS_REVIEW
    assert [f.id for f in evaluation.findings] == ["general.medication_list_recorded"]


def test_the_caps5_threshold_is_a_protocol_setting() -> None:
    record = noor(ptsd__caps5_total=30)

    def outcome(**overrides: float | str) -> Outcome:
        settings = ScreeningSettings(
            parameter_overrides={f"mdma-at-phase3.{k}": v for k, v in overrides.items()}
        )
        return evaluate(
            record, substance="mdma", protocol_id="mdma-at-phase3", today=TODAY, settings=settings
        ).outcome

    assert outcome() is Outcome.INELIGIBLE  # MAPP1: >= 35
    assert outcome(caps5_minimum_total="mapp2") is Outcome.ELIGIBLE  # MAPP2: >= 28
    assert outcome(caps5_minimum_total=30) is Outcome.ELIGIBLE  # 30 is not below 30
    assert outcome(caps5_minimum_total=31) is Outcome.INELIGIBLE


def test_threshold_settings_change_the_finding_and_are_flagged_unconfirmed() -> None:
    record = noor(vitals__systolic_bp_mmhg=145)
    default = evaluate(record, substance="mdma", today=TODAY)
    finding = default.finding("mdma.systolic_bp")
    assert finding.unconfirmed
    assert "systolic_bp_max_mmhg" in (finding.note or "")
    assert finding.evidence[0].value == "145 > 140 (setting systolic_bp_max_mmhg)"
    relaxed = evaluate(
        record, substance="mdma", today=TODAY, settings=ScreeningSettings(systolic_bp_max_mmhg=150)
    )
    assert relaxed.outcome is Outcome.ELIGIBLE


def test_findings_trace_to_their_rule_set_version_and_sources() -> None:
    evaluation = evaluate(
        noor(psychiatric_history__psychosis=True, medications=[med("Paxil")]),
        substance="mdma",
        protocol_id="mdma-at-phase3",
        today=TODAY,
    )
    assert {(r.id, r.version) for r in evaluation.rule_sets} == {
        ("general", "1"),
        ("mdma-interactions", "1"),
        ("mdma-exclusions", "1"),
        ("mdma-at-phase3", "1"),
    }
    for finding in evaluation.findings:
        assert finding.rule_set_version == "1"
        assert finding.sources
        assert finding.rationale
    assert {f.id for f in evaluation.medication_knowledge} >= {"antidepressants-ssri", "maoi"}
    assert Evaluation.model_validate_json(evaluation.model_dump_json()) == evaluation


def test_a_protocol_brings_its_jurisdiction() -> None:
    evaluation = evaluate(
        noor(), substance="psilocybin", protocol_id="oregon-service-centre", today=TODAY
    )
    assert evaluation.jurisdiction == "us-or"
    assert "us-or-eligibility" in {r.id for r in evaluation.rule_sets}


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"substance": "ketamine"}, "substance", "unknown substance"),
        ({"protocol_id": "nope"}, "protocol_id", "known: mdma-at-phase3"),
        ({"protocol_id": "psilocybin-single-25mg"}, "protocol_id", "not for mdma"),
        ({"jurisdiction": "au"}, "jurisdiction", "no eligibility rules for jurisdiction 'au'"),
        ({"jurisdiction": "us-or"}, "jurisdiction", "do not cover mdma"),
        (
            {
                "substance": "psilocybin",
                "protocol_id": "oregon-service-centre",
                "jurisdiction": "us-co",
            },
            "jurisdiction",
            "applies in 'us-or'",
        ),
        ({"proposed_stop_date": TODAY - DAYS}, "proposed_stop_date", "before the day"),
        (
            {"settings": ScreeningSettings(parameter_overrides={"mdma-at-phase3.caps": 1})},
            "settings.parameter_overrides.mdma-at-phase3.caps",
            "no such parameter",
        ),
        (
            {
                "settings": ScreeningSettings(
                    parameter_overrides={"mdma-at-phase3.caps5_minimum_total": "mapp3"}
                )
            },
            "settings.parameter_overrides.mdma-at-phase3.caps5_minimum_total",
            "options: mapp1, mapp2",
        ),
    ],
)
def test_configuration_errors_name_the_field(
    kwargs: dict[str, Any], field: str, fragment: str
) -> None:
    arguments: dict[str, Any] = {"substance": "mdma", "today": TODAY, **kwargs}
    with pytest.raises(ScreeningConfigurationError) as caught:
        evaluate(noor(), **arguments)
    assert caught.value.field == field
    assert fragment in caught.value.message


# --- overrides -----------------------------------------------------------------------------


def _paroxetine() -> Evaluation:
    return evaluate(
        noor(medications=[med("Paxil", date(2025, 3, 1))]),
        substance="mdma",
        protocol_id="mdma-at-phase3",
        today=TODAY,
    )


def test_accepting_the_washout_plan_makes_the_client_eligible_with_a_dosing_date() -> None:
    evaluation = _paroxetine()
    accepted = apply_overrides(
        evaluation,
        [
            Override(finding_id=f.id, reason="Prescriber agreed the taper.", clinician="dr-rao")
            for f in evaluation.findings
        ],
    )
    assert accepted.outcome is Outcome.ELIGIBLE
    assert accepted.earliest_dosing_date == date(2025, 3, 13)  # the plan still binds
    assert accepted.washout_plan == evaluation.washout_plan
    assert [f.id for f in accepted.findings] == [f.id for f in evaluation.findings]
    assert all(f.override and f.override.clinician == "dr-rao" for f in accepted.findings)
    assert evaluation.outcome is Outcome.NEEDS_REVIEW  # the original is unchanged


def test_overriding_one_of_two_open_findings_leaves_review() -> None:
    evaluation = _paroxetine()
    partly = apply_overrides(evaluation, [Override(finding_id="mdma.ssri:paroxetine", reason="ok")])
    assert partly.outcome is Outcome.NEEDS_REVIEW
    assert partly.finding("mdma.ssri:paroxetine").override is not None
    assert partly.finding("mdma-at-phase3.psychiatric_medication_taper:paroxetine").override is None


def test_a_contraindication_can_be_overridden_with_a_recorded_reason() -> None:
    evaluation = evaluate(noor(psychiatric_history__psychosis=True), substance="mdma", today=TODAY)
    assert evaluation.outcome is Outcome.INELIGIBLE
    reason = "Single drug-induced episode 12 years ago; psychiatrist review 2025-03-01."
    overridden = apply_overrides(evaluation, [Override(finding_id="mdma.psychosis", reason=reason)])
    assert overridden.outcome is Outcome.ELIGIBLE
    assert overridden.overrides == (Override(finding_id="mdma.psychosis", reason=reason),)


def test_a_later_override_replaces_an_earlier_one() -> None:
    evaluation = evaluate(noor(psychiatric_history__psychosis=True), substance="mdma", today=TODAY)
    first = apply_overrides(evaluation, [Override(finding_id="mdma.psychosis", reason="first")])
    second = apply_overrides(first, [Override(finding_id="mdma.psychosis", reason="second")])
    assert second.finding("mdma.psychosis").override == Override(
        finding_id="mdma.psychosis", reason="second"
    )
    assert len(second.overrides) == 1


def test_an_override_of_a_missing_finding_is_an_error() -> None:
    with pytest.raises(UnknownFindingError, match=r"mdma\.pregnancy"):
        apply_overrides(_paroxetine(), [Override(finding_id="mdma.pregnancy", reason="n/a")])


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_override_needs_a_reason(reason: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Override(finding_id="mdma.psychosis", reason=reason)
    assert caught.value.errors()[0]["loc"] == ("reason",)


# --- properties ----------------------------------------------------------------------------

_NAMES = sorted(
    {m.name for m in default_medication_index().by_id.values()} | {"kratom", "Paxil", "Nardil"}
)
medication_entries = st.builds(
    lambda name, gap: med(name, None if gap is None else TODAY - timedelta(days=gap)),
    st.sampled_from(_NAMES),
    st.one_of(st.none(), st.integers(min_value=-30, max_value=400)),
)
_FLAGS = [
    "psychiatric_history__psychosis",
    "psychiatric_history__bipolar_ii",
    "medical_history__cardiovascular_disease",
    "medical_history__seizures",
    "reproductive__pregnant",
    "suicidality__current_ideation",
    "family_psychiatric_history__psychosis",
    "oregon_cif__needs_interpreter",
]
flag_changes = st.dictionaries(st.sampled_from(_FLAGS), st.sampled_from([True, False, None]))
contexts = st.sampled_from(
    [
        ("mdma", None),
        ("mdma", "mdma-at-phase3"),
        ("psilocybin", None),
        ("psilocybin", "psilocybin-single-25mg"),
        ("psilocybin", "oregon-service-centre"),
    ]
)
PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(flag_changes, st.lists(medication_entries, max_size=4), medication_entries, contexts)
def test_adding_a_medication_never_makes_the_outcome_better(
    changes: dict[str, Any], medications: list[dict], extra: dict, context: tuple[str, str | None]
) -> None:
    substance, protocol = context
    before = evaluate(
        noor(medications=medications, **changes),
        substance=substance,
        protocol_id=protocol,
        today=TODAY,
    )
    after = evaluate(
        noor(medications=[*medications, extra], **changes),
        substance=substance,
        protocol_id=protocol,
        today=TODAY,
    )
    assert after.outcome.rank >= before.outcome.rank
    assert {f.id for f in before.findings} <= {f.id for f in after.findings}
    if before.outcome is Outcome.INELIGIBLE:
        assert after.outcome is Outcome.INELIGIBLE


# Every answer the MDMA phase 3 rules read; leaving any of them unrecorded must block "eligible".
_REQUIRED_FOR_MDMA = [
    "psychiatric_history__psychosis",
    "psychiatric_history__bipolar_i",
    "psychiatric_history__dissociative_identity_disorder",
    "psychiatric_history__substance_use_disorder_current",
    "medical_history__hypertension",
    "medical_history__arrhythmia",
    "medical_history__hyponatraemia",
    "medical_history__hyperthermia",
    "reproductive__pregnant",
    "reproductive__breastfeeding",
    "suicidality__current_ideation",
    "vitals__systolic_bp_mmhg",
    "vitals__heart_rate_bpm",
    "ecg__qtc_ms",
    "labs__alt",
    "labs__sodium",
    "age_years",
    "ptsd__diagnosis",
    "ptsd__duration_months",
    "ptsd__caps5_total",
    "medications",
]


@PROPERTY_SETTINGS
@given(st.sets(st.sampled_from(_REQUIRED_FOR_MDMA), min_size=1))
def test_missing_answers_never_give_eligible(missing: set[str]) -> None:
    record = parse_record(noor_data(**dict.fromkeys(missing)))
    evaluation = evaluate(record, substance="mdma", protocol_id="mdma-at-phase3", today=TODAY)
    assert evaluation.outcome is not Outcome.ELIGIBLE


@PROPERTY_SETTINGS
@given(flag_changes, st.lists(medication_entries, max_size=3), contexts, st.data())
def test_overrides_only_ever_relax_the_outcome(
    changes: dict[str, Any],
    medications: list[dict],
    context: tuple[str, str | None],
    data: st.DataObject,
) -> None:
    substance, protocol = context
    evaluation = evaluate(
        noor(medications=medications, **changes),
        substance=substance,
        protocol_id=protocol,
        today=TODAY,
    )
    ids = [f.id for f in evaluation.findings]
    chosen = data.draw(st.lists(st.sampled_from(ids), unique=True) if ids else st.just([]))
    partly = apply_overrides(
        evaluation, [Override(finding_id=i, reason="reviewed") for i in chosen]
    )
    assert partly.outcome.rank <= evaluation.outcome.rank
    everything = apply_overrides(
        evaluation, [Override(finding_id=i, reason="reviewed") for i in ids]
    )
    assert everything.outcome is Outcome.ELIGIBLE
    assert everything.washout_plan == evaluation.washout_plan


@PROPERTY_SETTINGS
@given(flag_changes, st.lists(medication_entries, max_size=3), contexts)
def test_ineligible_exactly_when_a_contraindication_is_triggered(
    changes: dict[str, Any], medications: list[dict], context: tuple[str, str | None]
) -> None:
    substance, protocol = context
    evaluation = evaluate(
        noor(medications=medications, **changes),
        substance=substance,
        protocol_id=protocol,
        today=TODAY,
    )
    contraindicated = any(
        f.severity is Severity.CONTRAINDICATED and f.status is FindingStatus.TRIGGERED
        for f in evaluation.findings
    )
    assert (evaluation.outcome is Outcome.INELIGIBLE) == contraindicated
    assert (evaluation.outcome is Outcome.ELIGIBLE) == (not evaluation.findings)
