"""C-SSRS screener triage and its safety flags.

Sources: Columbia clinical triage guidelines (docsbay.net/doc/914678): a yes to question 4 or 5
(past month) or any suicidal behaviour in the past 3 months indicates severe risk; Blueprint
(C-SSRS Screen): questions 1-2 low, 3 or 6 (lifetime) moderate, 4, 5 or recent behaviour high, no
total score; NINDS CDE: questions 3-5 are asked only after a yes to question 2.
"""

from __future__ import annotations

import pytest

from mendwell.clinical.instruments import AnswerError, get_instrument, score

CSSRS = get_instrument("cssrs-screener")
NO = {"cssrs_01": 0, "cssrs_02": 0, "cssrs_06": 0}


def after_q2(q3: int = 0, q4: int = 0, q5: int = 0, **others: int) -> dict:
    return (
        {"cssrs_01": 1, "cssrs_02": 1, "cssrs_03": q3, "cssrs_04": q4, "cssrs_05": q5}
        | {"cssrs_06": 0}
        | others
    )


# (case, answers, risk, flags, most severe ideation level)
TRIAGE_CASES = [
    ("all no", NO, "none", [], 0),
    ("wish to be dead only", NO | {"cssrs_01": 1}, "low", [], 1),
    ("non-specific active thoughts, no method", after_q2(), "low", [], 2),
    ("method without intent", after_q2(q3=1), "moderate", ["cssrs_moderate"], 3),
    ("some intent, no plan", after_q2(q4=1), "high", ["cssrs_high"], 4),
    ("plan and intent", after_q2(q3=1, q4=1, q5=1), "high", ["cssrs_high"], 5),
    (
        "behaviour more than 3 months ago",
        NO | {"cssrs_06": 1, "cssrs_06_recent": 0},
        "moderate",
        ["cssrs_moderate"],
        0,
    ),
    (
        "behaviour in the past 3 months",
        NO | {"cssrs_06": 1, "cssrs_06_recent": 1},
        "high",
        ["cssrs_high"],
        0,
    ),
]


@pytest.mark.parametrize(("case", "given", "risk", "flags", "ideation"), TRIAGE_CASES)
def test_triage(case, given, risk, flags, ideation):
    result = score(CSSRS, given)
    assert result.scored, case
    assert result.total is None, case
    assert result.algorithms["risk"] == risk, case
    assert result.algorithms["most_severe_ideation"] == ideation, case
    assert [f.code for f in result.safety_flags] == flags, case


def test_questions_3_to_5_may_not_be_answered_after_a_no_to_question_2():
    with pytest.raises(AnswerError) as err:
        score(CSSRS, NO | {"cssrs_04": 1})
    assert err.value.errors == [("cssrs_04", "answered, but it is only asked when cssrs_02 is Yes")]


def test_a_question_the_skip_logic_asks_must_be_answered():
    result = score(CSSRS, {"cssrs_01": 1, "cssrs_02": 1, "cssrs_06": 0})
    assert not result.scored
    assert result.missing_items == ["cssrs_03", "cssrs_04", "cssrs_05"]


def test_a_high_risk_answer_flags_even_when_the_screen_is_incomplete():
    result = score(CSSRS, {"cssrs_01": 1, "cssrs_02": 1, "cssrs_04": 1})
    assert not result.scored
    assert result.missing_items == ["cssrs_03", "cssrs_05", "cssrs_06"]
    assert [(f.code, f.severity) for f in result.safety_flags] == [("cssrs_high", "high")]


def test_behaviour_without_its_recency_flags_moderate_until_the_recency_is_known():
    result = score(CSSRS, NO | {"cssrs_06": 1})
    assert not result.scored
    assert result.missing_items == ["cssrs_06_recent"]
    assert [f.code for f in result.safety_flags] == ["cssrs_moderate"]


def test_the_screener_ships_no_question_text_and_has_no_total():
    assert CSSRS.licence.text_distribution == "ids_only"
    assert all(item.text is None for item in CSSRS.items)
    assert CSSRS.total_range is None
    assert CSSRS.scoring.total is None
    triage = CSSRS.algorithms[0]
    assert triage.unconfirmed


def test_answers_kept_when_the_question_they_depend_on_is_missing():
    # Question 2 was skipped by mistake but question 4 was asked and answered yes: the missing
    # answer is question 2, and the yes still raises the high-risk flag.
    result = score(CSSRS, {"cssrs_01": 1, "cssrs_04": 1, "cssrs_06": 0})
    assert result.missing_items == ["cssrs_02"]
    assert [f.code for f in result.safety_flags] == ["cssrs_high"]
