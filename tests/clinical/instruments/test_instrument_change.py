"""Change classification against the published thresholds in each instrument file.

- PCL-5: Marx et al. 2022 (male veterans): reliable change 15 (sample 1) / 18 (sample 2);
  clinically significant change = reliable improvement ending at 28 or lower. National Center
  for PTSD guidance: 10 points clinically meaningful (UNCONFIRMED, secondary copy).
- CAPS-5: Marx et al. 2022: reliable change 13 / 12; endpoint 8. MAPP: >=10-point decrease
  (UNCONFIRMED).
- PHQ-9: Kounali et al. 2022: about a 20% reduction.
- WHO-5: a 10 percentage-point difference is significant (higher is better).
"""

from __future__ import annotations

import pytest

from mendwell.clinical.instruments import (
    ScoreResult,
    classify_change,
    get_instrument,
    populations,
)


def result(instrument_id: str, total: float | None) -> ScoreResult:
    instrument = get_instrument(instrument_id)
    return ScoreResult(
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        scored=total is not None,
        total=total,
    )


# (case, instrument, population, baseline, follow-up, reliable, clinically meaningful)
CASES = [
    (
        "PCL-5 16-point drop: reliable (>=15) and meaningful (>=10)",
        "pcl5",
        None,
        50,
        34,
        True,
        True,
    ),
    ("PCL-5 14-point drop: not reliable, meaningful", "pcl5", None, 50, 36, False, True),
    ("PCL-5 9-point drop: neither", "pcl5", None, 50, 41, False, False),
    ("PCL-5 16-point rise: reliable worsening, not meaningful", "pcl5", None, 30, 46, True, False),
    ("PCL-5 veterans: reliable but ends above 28", "pcl5", "veterans", 50, 29, True, False),
    ("PCL-5 veterans: reliable and ends at 28", "pcl5", "veterans", 50, 28, True, True),
    (
        "PCL-5 veterans: ends at 28 without a reliable drop",
        "pcl5",
        "veterans",
        40,
        28,
        False,
        False,
    ),
    (
        "PCL-5 veterans sample 2: 17 points is not reliable (18)",
        "pcl5",
        "veterans-sample-2",
        50,
        33,
        False,
        None,
    ),
    ("PCL-5 primary care: 9-point MID", "pcl5", "primary-care", 40, 31, None, True),
    (
        "CAPS-5 13-point drop: reliable and meaningful (MAPP 10)",
        "caps5-past-month",
        None,
        40,
        27,
        True,
        True,
    ),
    (
        "CAPS-5 12-point drop: not reliable (13), meaningful",
        "caps5-past-month",
        None,
        40,
        28,
        False,
        True,
    ),
    ("CAPS-5 veterans: 13 points ending at 8", "caps5-past-month", "veterans", 21, 8, True, True),
    ("CAPS-5 veterans: 13 points ending at 9", "caps5-past-month", "veterans", 22, 9, True, False),
    ("PHQ-9 15 to 12: a 20% reduction", "phq9", None, 15, 12, None, True),
    ("PHQ-9 15 to 13: 13% is not enough", "phq9", None, 15, 13, None, False),
    ("WHO-5 40 to 52: 12 points better", "who5", None, 40, 52, None, True),
    ("WHO-5 52 to 40: worse", "who5", None, 52, 40, None, False),
]


@pytest.mark.parametrize(
    ("case", "instrument_id", "population", "baseline", "follow_up", "reliable", "meaningful"),
    CASES,
)
def test_change_classification(
    case, instrument_id, population, baseline, follow_up, reliable, meaningful
):
    instrument = get_instrument(instrument_id)
    change = classify_change(
        instrument,
        result(instrument_id, baseline),
        result(instrument_id, follow_up),
        population=population,
    )
    assert change.change == follow_up - baseline, case
    assert change.reliable is reliable, case
    assert change.clinically_meaningful is meaningful, case


def test_direction_follows_whether_higher_is_better():
    pcl5, who5 = get_instrument("pcl5"), get_instrument("who5")
    assert classify_change(pcl5, result("pcl5", 50), result("pcl5", 40)).direction == "improved"
    assert classify_change(who5, result("who5", 50), result("who5", 40)).direction == "worsened"
    assert classify_change(who5, result("who5", 40), result("who5", 40)).direction == "unchanged"


def test_the_thresholds_used_are_named_with_their_sources_and_status():
    change = classify_change(get_instrument("pcl5"), result("pcl5", 50), result("pcl5", 30))
    assert [t.id for t in change.thresholds_used] == [
        "marx-2022-rci-sample-1",
        "va-guidance-clinically-meaningful",
    ]
    assert [t.unconfirmed for t in change.thresholds_used] == [False, True]
    assert all(t.sources for t in change.thresholds_used)


def test_an_unscored_result_gives_no_classification():
    pcl5 = get_instrument("pcl5")
    change = classify_change(pcl5, result("pcl5", 50), result("pcl5", None))
    assert (change.change, change.reliable, change.clinically_meaningful) == (None, None, None)


def test_an_unknown_population_is_named():
    with pytest.raises(ValueError, match=r"population: 'adolescents' has no PCL-5 thresholds"):
        classify_change(
            get_instrument("pcl5"), result("pcl5", 1), result("pcl5", 2), population="adolescents"
        )


def test_results_of_another_instrument_are_refused():
    with pytest.raises(ValueError, match="baseline: a phq9 result cannot be compared on pcl5"):
        classify_change(get_instrument("pcl5"), result("phq9", 1), result("pcl5", 2))


def test_instruments_without_thresholds_classify_nothing():
    change = classify_change(get_instrument("phq2"), result("phq2", 4), result("phq2", 0))
    assert change.change == -4
    assert change.reliable is None
    assert change.clinically_meaningful is None
    assert populations(get_instrument("phq2")) == []
