"""CAPS-5 shells: severity rule, total and clusters, diagnosis, dissociative subtype.

Sources:
- VA CAPS-5 training 2020, lesson 8 (sharedfedtraining.org .../lesson08/08_003.htm): the
  three-part rule and Weathers' intensity × frequency table; .../08_043.htm: a symptom is present
  at severity 2 or higher.
- CAPS-5 scoring instructions (secondary copy, wiresv.netlify.app): total = sum of the 20 symptom
  severities; clusters B 1-5, C 6-7, D 8-14, E 15-20; dissociation = items 29 + 30; PTSD = A + >=1 B
  + >=1 C + >=2 D + >=2 E + F + G.
- MAPP2 (Nat Med 2023): CAPS-5 total >= 28 for moderate or higher severity.
"""

from __future__ import annotations

import pytest
from instrument_answers import answers, with_total

from mendwell.clinical.instruments import AnswerError, caps5_severity, get_instrument, score

PAST_MONTH = get_instrument("caps5-past-month")
PAST_WEEK = get_instrument("caps5-past-week")

# Weathers' table (VA training lesson 8): rows are intensity (1 minimal, 2 clearly present,
# 3 pronounced, 4 extreme), columns the frequency levels 1-4; each cell is the severity.
WEATHERS_TABLE = {
    1: {1: 1, 2: 1, 3: 1, 4: 1},  # Minimal, 1x/month or more: 1 = mild/subthreshold
    2: {1: 1, 2: 2, 3: 2, 4: 2},  # Clearly present: 1x/month only 1; 2x/month or more 2
    3: {1: 2, 2: 2, 3: 3, 4: 3},  # Pronounced: below 2x/week 2; 2x/week or more 3
    4: {1: 2, 2: 3, 3: 3, 4: 4},  # Extreme: 1x/month only 2; not daily 3; daily 4
}
TABLE_CASES = [(i, f, s) for i, row in WEATHERS_TABLE.items() for f, s in row.items()]


@pytest.mark.parametrize(("intensity", "frequency", "severity"), TABLE_CASES)
def test_frequency_and_intensity_combine_as_in_the_weathers_table(intensity, frequency, severity):
    assert caps5_severity(frequency, intensity) == severity


@pytest.mark.parametrize(("frequency", "intensity"), [(0, 0), (0, 4), (4, 0), (0, 2)])
def test_an_absent_frequency_or_intensity_gives_absent(frequency, intensity):
    # "Make a severity rating only if the minimum frequency and intensity for that rating are
    # both met" (lesson 5); the table starts at 1x/month and at 'minimal'.
    assert caps5_severity(frequency, intensity) == 0


def caps(value: int | None = 0, **items: int | None) -> dict:
    return answers("caps5", 20, value, **items)


def met_criteria(a: int | None = 1, f: int | None = 1, g: int | None = 1) -> dict:
    return {"caps5_a": a, "caps5_f": f, "caps5_g": g}


MINIMUM_PATTERN = {"n01": 2, "n06": 2, "n08": 2, "n09": 2, "n15": 2, "n16": 2}


def test_severity_is_derived_from_frequency_and_intensity_when_not_entered():
    given = caps(n03=None) | {"caps5_03_frequency": 1, "caps5_03_intensity": 4}
    result = score(PAST_MONTH, given)
    assert result.derived_answers == {"caps5_03": 2}
    assert result.total == 2
    assert result.subscales["cluster_b"] == 2


def test_a_severity_that_contradicts_the_rule_is_rejected_naming_the_item():
    given = caps(n03=3) | {"caps5_03_frequency": 1, "caps5_03_intensity": 4}
    with pytest.raises(AnswerError) as err:
        score(PAST_MONTH, given)
    assert err.value.errors == [
        (
            "caps5_03",
            "severity 3 does not follow from frequency 1 and intensity 4; the CAPS-5 scoring "
            "rule gives 2",
        )
    ]


def test_total_and_cluster_severities():
    given = caps(n01=1, n02=2, n03=3, n04=4, n05=0, n06=4, n07=4, n20=3) | {
        f"caps5_{n:02d}": 1 for n in range(8, 15)
    }
    result = score(PAST_MONTH, given)
    assert result.subscales == {
        "cluster_b": 10.0,
        "cluster_c": 8.0,
        "cluster_d": 7.0,
        "cluster_e": 3.0,
    }
    assert result.total == 28
    assert result.algorithms["symptom_count"] == 6


# (case, criteria A/F/G, symptom pattern, expected diagnosis)
DIAGNOSIS_CASES = [
    ("A, F, G and the minimum symptom pattern", met_criteria(), MINIMUM_PATTERN, True),
    ("Criterion A not met", met_criteria(a=0), MINIMUM_PATTERN, False),
    ("Criterion F (duration) not met", met_criteria(f=0), MINIMUM_PATTERN, False),
    ("Criterion G (distress/impairment) not met", met_criteria(g=0), MINIMUM_PATTERN, False),
    ("Criterion A not entered: undetermined", met_criteria(a=None), MINIMUM_PATTERN, None),
    (
        "only one E symptom: not met whatever A, F, G",
        met_criteria(a=None),
        {"n01": 2, "n06": 2, "n08": 2, "n09": 2, "n15": 2, "n16": 1},
        False,
    ),
    (
        "severity 1 (mild/subthreshold) never counts",
        met_criteria(),
        dict.fromkeys(MINIMUM_PATTERN, 1),
        False,
    ),
]


@pytest.mark.parametrize(("case", "criteria", "pattern", "expected"), DIAGNOSIS_CASES)
def test_dsm5_diagnostic_rule(case, criteria, pattern, expected):
    result = score(PAST_MONTH, caps(**pattern) | criteria)
    assert result.scored, case
    assert result.algorithms["dsm5_ptsd"] is expected, case


# (case, diagnosis pattern met, item 29, item 30, expected subtype)
SUBTYPE_CASES = [
    ("PTSD and depersonalization at threshold", True, 2, 0, True),
    ("PTSD and derealization at threshold", True, 0, 3, True),
    ("PTSD, dissociation only subthreshold", True, 1, 1, False),
    ("dissociation without PTSD", False, 4, 4, False),
    ("PTSD, dissociation items not entered", True, None, None, None),
]


@pytest.mark.parametrize(("case", "ptsd", "item29", "item30", "expected"), SUBTYPE_CASES)
def test_dissociative_subtype(case, ptsd, item29, item30, expected):
    given = caps(**MINIMUM_PATTERN) | met_criteria(a=1 if ptsd else 0)
    given |= {"caps5_29": item29, "caps5_30": item30}
    result = score(PAST_MONTH, given)
    assert result.algorithms["dissociative_subtype"] is expected, case
    if item29 is not None and item30 is not None:
        assert result.subscales["dissociation"] == item29 + item30
        assert result.total == 12  # items 29 and 30 are not part of the total
    else:
        assert "dissociation" not in result.subscales


def test_a_missing_symptom_refuses_the_total_but_optional_entries_do_not():
    missing_symptom = score(PAST_MONTH, caps(n11=None))
    assert not missing_symptom.scored
    assert missing_symptom.missing_items == ["caps5_11"]
    without_optional = score(PAST_MONTH, caps())
    assert without_optional.scored
    assert without_optional.algorithms["dsm5_ptsd"] is False


@pytest.mark.parametrize(("total", "above"), [(27, False), (28, True)])
def test_mapp2_severity_threshold(total, above):
    cut = score(PAST_MONTH, with_total("caps5", 20, 4, total)).cut_point
    assert cut is not None
    assert cut.id == "mapp2-inclusion"
    assert cut.above is above


def test_the_past_week_shell_scores_like_the_past_month_without_trial_cut_points():
    given = caps(**MINIMUM_PATTERN) | met_criteria()
    week = score(PAST_WEEK, given)
    month = score(PAST_MONTH, given)
    assert week.total == month.total == 12
    assert week.algorithms["dsm5_ptsd"] is True
    assert week.cut_point is None
    assert PAST_WEEK.recall_period == "past week"
    assert all(t.unconfirmed for t in PAST_WEEK.change_thresholds)


@pytest.mark.parametrize("instrument", [PAST_MONTH, PAST_WEEK], ids=lambda i: i.id)
def test_caps5_shells_ship_no_interview_text(instrument):
    assert instrument.licence.text_distribution == "ids_only"
    assert all(item.text is None for item in instrument.items)
    assert instrument.instructions is None
    assert instrument.respondent == "clinician"
    assert len([i for i in instrument.items if i.in_total]) == 20
