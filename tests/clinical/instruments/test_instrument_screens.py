"""GAD-7, PHQ-2, WHO-5 and AUDIT-C against their sources.

- GAD-7: Spitzer et al., Arch Intern Med 2006;166:1092; CamCOPS `tasks/gad7.py` (>=15 severe,
  >=10 moderate, >=5 mild); >=10 screens positive; lowest anchor "Not at all" (Zorowitz 2021).
- PHQ-2: Arroll et al., Ann Fam Med 2010 (PMC2906530): >=3 (sens 61%, spec 92%), >=2 (86%/78%).
- WHO-5: raw 0-25 × 4 = 0-100; a percentage score <=50 (raw < 13) or any item at 0-1 is an
  indication for testing for depression; 10 percentage points is a significant change (Valant
  help centre; medicalalgorithms.com).
- AUDIT-C: positive at >=4 for men, >=3 for women; all points from question 1 suggests drinking
  within limits (LOINC 75626-2; CamCOPS audit.rst).
"""

from __future__ import annotations

import pytest
from instrument_answers import answers, with_total

from mendwell.clinical.instruments import (
    ScoringOptionError,
    ScoringOptions,
    get_instrument,
    score,
)

GAD7 = get_instrument("gad7")
PHQ2 = get_instrument("phq2")
WHO5 = get_instrument("who5")
AUDITC = get_instrument("audit-c")


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "Minimal"),
        (4, "Minimal"),
        (5, "Mild"),
        (9, "Mild"),
        (10, "Moderate"),
        (14, "Moderate"),
        (15, "Severe"),
        (21, "Severe"),
    ],
)
def test_gad7_bands(total, band):
    result = score(GAD7, with_total("gad7", 7, 3, total))
    assert result.total == total
    assert result.band is not None
    assert result.band.label == band


@pytest.mark.parametrize(("total", "positive"), [(9, False), (10, True)])
def test_gad7_cut_point(total, positive):
    cut = score(GAD7, with_total("gad7", 7, 3, total)).cut_point
    assert cut is not None
    assert cut.positive is positive


def test_gad7_lowest_anchor_is_not_at_all():
    labels = {item.options[0].label for item in GAD7.items}
    assert labels == {"Not at all"}


@pytest.mark.parametrize(
    ("first", "second", "cut_point_id", "positive"),
    [
        (1, 1, None, False),  # 2 < 3
        (2, 1, None, True),  # 3 >= 3
        (1, 0, "screen-2", False),  # 1 < 2
        (1, 1, "screen-2", True),  # 2 >= 2
    ],
)
def test_phq2_cut_points(first, second, cut_point_id, positive):
    result = score(
        PHQ2,
        {"phq2_01": first, "phq2_02": second},
        options=ScoringOptions(cut_point_id=cut_point_id),
    )
    assert result.cut_point is not None
    assert result.cut_point.value == (2 if cut_point_id else 3)
    assert result.cut_point.positive is positive


def test_an_unknown_cut_point_id_is_refused():
    with pytest.raises(ScoringOptionError, match=r"options.cut_point_id: 'screen-4'"):
        score(PHQ2, {"phq2_01": 0, "phq2_02": 0}, options=ScoringOptions(cut_point_id="screen-4"))


@pytest.mark.parametrize(
    ("raw", "percentage", "poor"),
    [(12, 48, True), (13, 52, False), (25, 100, False), (0, 0, True)],
)
def test_who5_percentage_score_and_poor_well_being(raw, percentage, poor):
    result = score(WHO5, with_total("who5", 5, 5, raw))
    assert result.raw_total == raw
    assert result.total == percentage
    assert result.cut_point is not None
    assert result.cut_point.direction == "at_or_below"
    assert result.cut_point.positive is poor


def test_who5_any_item_at_0_or_1_is_flagged_whatever_the_total():
    high_total = score(WHO5, {"who5_01": 5, "who5_02": 5, "who5_03": 5, "who5_04": 5, "who5_05": 1})
    assert high_total.total == 84
    assert high_total.algorithms["any_item_0_or_1"] is True
    assert score(WHO5, answers("who5", 5, 2)).algorithms["any_item_0_or_1"] is False


@pytest.mark.parametrize(("raw", "likely"), [(7, True), (8, False)])
def test_who5_likely_depression_cut_point_is_available_and_marked_unconfirmed(raw, likely):
    result = score(
        WHO5,
        with_total("who5", 5, 5, raw),
        options=ScoringOptions(cut_point_id="likely-depression"),
    )
    assert result.cut_point is not None
    assert result.cut_point.value == 28
    assert result.cut_point.positive is likely
    assert result.cut_point.unconfirmed


# (case, answers, sex, positive or None when no cut-point applies)
AUDIT_CASES = [
    ("man at 3", (1, 1, 1), "male", False),
    ("man at 4", (2, 1, 1), "male", True),
    ("woman at 2", (1, 1, 0), "female", False),
    ("woman at 3", (1, 1, 1), "female", True),
    ("sex at birth not given", (4, 4, 4), None, None),
    ("intersex: no sex-specific cut-point", (4, 4, 4), "intersex", None),
]


@pytest.mark.parametrize(("case", "given", "sex", "positive"), AUDIT_CASES)
def test_auditc_sex_specific_cut_points(case, given, sex, positive):
    result = score(
        AUDITC,
        dict(zip(("auditc_01", "auditc_02", "auditc_03"), given, strict=True)),
        options=ScoringOptions(sex_at_birth=sex),
    )
    assert result.total == sum(given), case
    if positive is None:
        assert result.cut_point is None, case
        assert any("sex at birth" in note for note in result.notes), case
    else:
        assert result.cut_point is not None, case
        assert result.cut_point.positive is positive, case


@pytest.mark.parametrize(
    ("given", "only_q1"),
    [((4, 0, 0), True), ((2, 1, 0), False), ((2, 0, 1), False), ((0, 0, 0), False)],
)
def test_auditc_points_from_question_1_only(given, only_q1):
    result = score(AUDITC, dict(zip(("auditc_01", "auditc_02", "auditc_03"), given, strict=True)))
    assert result.algorithms["points_from_question_1_only"] is only_q1
