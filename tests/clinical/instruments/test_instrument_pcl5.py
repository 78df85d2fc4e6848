"""PCL-5 scoring against the PCL-5 scoring guidance.

Source for every case unless stated: Comorbidity Guidelines, "PCL-5 scoring and interpretation"
(https://comorbidityguidelines.org.au/appendix-s-ptsd-checklist-for-dsm5-pcl5/pcl5-scoring-and-interpretation):
total = sum of 20 items 0-80; clusters B 1-5, C 6-7, D 8-14, E 15-20; a symptom is an item rated
2 ("Moderately") or higher; provisional PTSD needs >=1 B, >=1 C, >=2 D, >=2 E; a total of 31-33
indicates probable PTSD; "no empirically derived severity ranges".
"""

from __future__ import annotations

import pytest
from instrument_answers import answers, with_total

from mendwell.clinical.instruments import (
    AnswerError,
    ScoringOptionError,
    ScoringOptions,
    get_instrument,
    score,
)

PCL5 = get_instrument("pcl5")


def pcl5(**items: int | None) -> dict:
    return answers("pcl5", 20, 0, **items)


# (case, answers, total, provisional diagnosis, symptom count)
CASES = [
    ("all 'Not at all': 0", pcl5(), 0, False, 0),
    ("all 'Extremely': 80, the maximum", answers("pcl5", 20, 4), 80, True, 20),
    (
        "the minimum symptom pattern: one B, one C, two D, two E at 'Moderately'",
        pcl5(n01=2, n06=2, n08=2, n09=2, n15=2, n16=2),
        12,
        True,
        6,
    ),
    (
        "only one D symptom: no provisional diagnosis",
        pcl5(n01=2, n06=2, n08=2, n15=2, n16=2),
        10,
        False,
        5,
    ),
    (
        "no C symptom: no provisional diagnosis despite 18 other symptoms",
        pcl5(**{f"n{n:02d}": 4 for n in (*range(1, 6), *range(8, 21))}),
        72,
        False,
        18,
    ),
    (
        "'A little bit' (1) never counts as a symptom",
        answers("pcl5", 20, 1),
        20,
        False,
        0,
    ),
]


@pytest.mark.parametrize(("case", "given", "total", "provisional", "count"), CASES)
def test_total_and_dsm5_symptom_rule(case, given, total, provisional, count):
    result = score(PCL5, given)
    assert result.scored, case
    assert result.total == total, case
    assert result.algorithms["dsm5_provisional_ptsd"] is provisional, case
    assert result.algorithms["symptom_count"] == count, case


def test_cluster_scores_sum_their_items():
    # Distinct values per cluster so a wrong item list shows up: B=1+2+3+4+0, C=4+4, D=7x1, E=6x3.
    given = pcl5(n01=1, n02=2, n03=3, n04=4, n06=4, n07=4)
    given |= {f"pcl5_{n:02d}": 1 for n in range(8, 15)}
    given |= {f"pcl5_{n:02d}": 3 for n in range(15, 21)}
    result = score(PCL5, given)
    assert result.subscales == {
        "cluster_b": 10.0,
        "cluster_c": 8.0,
        "cluster_d": 7.0,
        "cluster_e": 18.0,
    }
    assert result.total == 43


# Cut-point boundaries: 31-33 indicates probable PTSD; the default is 33, a site may choose 31/32.
CUT_POINT_CASES = [
    (32, None, 33, False),
    (33, None, 33, True),
    (30, 31, 31, False),
    (31, 31, 31, True),
    (32, 32, 32, True),
]


@pytest.mark.parametrize(("total", "configured", "value", "positive"), CUT_POINT_CASES)
def test_cut_point_boundaries(total, configured, value, positive):
    result = score(
        PCL5, with_total("pcl5", 20, 4, total), options=ScoringOptions(pcl5_cut_point=configured)
    )
    assert result.total == total
    assert result.cut_point is not None
    assert result.cut_point.value == value
    assert result.cut_point.above is positive
    assert result.cut_point.positive is positive
    assert result.cut_point.configured is (configured not in (None, 33))


@pytest.mark.parametrize("superseded", [38, 30, 34])
def test_cut_points_outside_31_to_33_are_refused(superseded):
    # The older 38 has been superseded; the guidance gives 31-33.
    with pytest.raises(ScoringOptionError, match=r"options.pcl5_cut_point: .* 31–33"):
        score(PCL5, pcl5(), options=ScoringOptions(pcl5_cut_point=superseded))


@pytest.mark.parametrize("total", [0, 10, 20, 21, 40, 41, 60, 61, 80])
def test_no_severity_band_is_ever_given(total):
    # "There are currently no empirically derived severity ranges for the PCL-5."
    assert PCL5.bands == ()
    assert score(PCL5, with_total("pcl5", 20, 4, total)).band is None


def test_a_missing_item_refuses_the_total_and_names_it():
    result = score(PCL5, pcl5(n02=None, n17=None))
    assert not result.scored
    assert result.total is None
    assert result.missing_items == ["pcl5_02", "pcl5_17"]
    assert "pcl5_02, pcl5_17" in (result.refused_reason or "")


def test_an_answer_outside_the_scale_names_the_item():
    with pytest.raises(AnswerError) as err:
        score(PCL5, pcl5(n03=7))
    assert str(err.value) == "pcl5_03: 7 is not one of 0, 1, 2, 3, 4"
    assert err.value.errors == [("pcl5_03", "7 is not one of 0, 1, 2, 3, 4")]


def test_every_bad_answer_is_reported_at_once():
    with pytest.raises(AnswerError) as err:
        score(PCL5, pcl5(n01=-1, n20=5) | {"pcl5_21": 1, "pcl5_04": "2"})  # type: ignore[dict-item]
    assert [item for item, _ in err.value.errors] == ["pcl5_01", "pcl5_04", "pcl5_20", "pcl5_21"]
    assert "not an item of PCL-5" in dict(err.value.errors)["pcl5_21"]


def test_the_file_carries_the_scale_and_item_text_the_licence_allows():
    # Response scale and wording from the VA VistA PCL-5 definition (patch YS*5.01*119).
    assert [o.label for o in PCL5.items[0].options] == [
        "Not at all",
        "A little bit",
        "Moderately",
        "Quite a bit",
        "Extremely",
    ]
    assert PCL5.items[1].text == "Repeated, disturbing dreams of the stressful experience?"
    assert [i.cluster for i in PCL5.items].count("D") == 7
    assert PCL5.licence.text_distribution == "full"
    assert PCL5.loinc is not None
    assert PCL5.loinc.panel == "101697-1"
