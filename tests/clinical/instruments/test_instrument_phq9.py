"""PHQ-9 scoring against Kroenke, Spitzer & Williams (2001) and the CamCOPS PHQ-9 task.

Bands: 0-4 none/minimal, 5-9 mild, 10-14 moderate, 15-19 moderately severe, 20-27 severe
(Kroenke et al., J Gen Intern Med 2001;16:606; CamCOPS `tasks/phq9.py` severity()). A total of 10
or more detects major depression. DSM-based algorithm (CamCOPS n_core/n_other/is_mds/is_ods):
items 1-2 are core symptoms when >=2; items 3-8 count when >=2; item 9 counts when >=1; major
depressive syndrome = >=1 core and >=5 counted; other depressive syndrome = >=1 core and 2-4
counted. Item 9 above 0 is clinically significant whatever the total (calcipedia PHQ-9).
"""

from __future__ import annotations

import pytest
from instrument_answers import answers, with_total

from mendwell.clinical.instruments import get_instrument, score

PHQ9 = get_instrument("phq9")


def phq9(**items: int | None) -> dict:
    return answers("phq9", 9, 0, **items)


BAND_CASES = [
    (0, "None to minimal"),
    (4, "None to minimal"),
    (5, "Mild"),
    (9, "Mild"),
    (10, "Moderate"),
    (14, "Moderate"),
    (15, "Moderately severe"),
    (19, "Moderately severe"),
    (20, "Severe"),
    (27, "Severe"),
]


@pytest.mark.parametrize(("total", "band"), BAND_CASES)
def test_band_boundaries(total, band):
    result = score(PHQ9, with_total("phq9", 9, 3, total))
    assert result.total == total
    assert result.band is not None
    assert result.band.label == band


@pytest.mark.parametrize(("total", "positive"), [(9, False), (10, True)])
def test_major_depression_cut_point_at_10(total, positive):
    cut = score(PHQ9, with_total("phq9", 9, 3, total)).cut_point
    assert cut is not None
    assert cut.value == 10
    assert cut.positive is positive


# (case, answers, major depressive syndrome, other depressive syndrome, core, counted)
ALGORITHM_CASES = [
    (
        "one core plus four others: 5 counted, major",
        phq9(n01=2, n03=2, n04=2, n05=2, n06=2),
        True,
        False,
        1,
        5,
    ),
    (
        "one core plus three others: 4 counted, other",
        phq9(n01=2, n03=2, n04=2, n05=2),
        False,
        True,
        1,
        4,
    ),
    ("one core plus one other: 2 counted, other", phq9(n02=3, n07=2), False, True, 1, 2),
    ("a core symptom alone: 1 counted, neither", phq9(n01=3), False, False, 1, 1),
    (
        "no core symptom: neither, whatever the rest",
        phq9(n01=1, n02=1, **{f"n{n:02d}": 3 for n in range(3, 10)}),
        False,
        False,
        0,
        7,
    ),
    ("item 9 counts at 1 though other items need 2", phq9(n02=2, n09=1), False, True, 1, 2),
    ("items 3-8 at 1 do not count", phq9(n01=2, n03=1, n04=1, n05=1, n06=1), False, False, 1, 1),
    (
        "both core plus three others: 5 counted, major",
        phq9(n01=2, n02=2, n03=2, n08=3, n09=1),
        True,
        False,
        2,
        5,
    ),
]


@pytest.mark.parametrize(("case", "given", "major", "other", "core", "counted"), ALGORITHM_CASES)
def test_dsm_depressive_syndromes(case, given, major, other, core, counted):
    out = score(PHQ9, given).algorithms
    assert out["major_depressive_syndrome"] is major, case
    assert out["other_depressive_syndrome"] is other, case
    assert out["core_symptoms"] == core, case
    assert out["symptoms_counted"] == counted, case


def test_item_9_raises_a_flag_whatever_the_total():
    result = score(PHQ9, phq9(n09=1))
    assert result.total == 1
    assert result.band is not None
    assert result.band.label == "None to minimal"
    assert [(f.code, f.severity, f.item_id) for f in result.safety_flags] == [
        ("phq9_item9", "high", "phq9_09")
    ]
    assert result.safety_flags[0].sources


def test_item_9_at_0_raises_no_flag_even_with_a_severe_total():
    result = score(PHQ9, answers("phq9", 9, 3, n09=0))
    assert result.total == 24
    assert result.safety_flags == []


def test_item_9_flag_is_raised_even_when_the_total_is_refused():
    result = score(PHQ9, phq9(n03=None, n09=2))
    assert not result.scored
    assert result.missing_items == ["phq9_03"]
    assert [f.code for f in result.safety_flags] == ["phq9_item9"]


def test_item_10_is_asked_but_never_scored_and_may_be_left_out():
    without = score(PHQ9, phq9(n01=2))
    with_difficulty = score(PHQ9, phq9(n01=2) | {"phq9_10": 3})
    assert without.scored
    assert with_difficulty.scored
    assert without.total == with_difficulty.total == 2
    assert PHQ9.item("phq9_10").in_total is False


def test_phq9_ships_its_text_with_the_pfizer_attribution():
    assert PHQ9.licence.text_distribution == "full"
    assert "No permission required" in PHQ9.licence.attribution
    assert PHQ9.item("phq9_09").loinc == "44260-8"
    assert PHQ9.loinc is not None
    assert (PHQ9.loinc.panel, PHQ9.loinc.total) == ("44249-1", "44261-6")
