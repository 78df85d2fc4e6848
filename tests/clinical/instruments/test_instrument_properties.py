"""Properties that hold for every shipped instrument: bounds, monotonicity, missing-item rules."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mendwell.clinical.instruments import (
    Instrument,
    caps5_severity,
    list_instruments,
    score,
    validate_instrument_text,
)

SHIPPED = list_instruments()
WITH_TOTAL = [i for i in SHIPPED if i.has_total]
FAST = settings(max_examples=60, deadline=None)


@st.composite
def complete_answers(draw, instruments=WITH_TOTAL):
    """An instrument and valid answers to every scored or yes/no item its skip logic asks."""
    instrument = draw(st.sampled_from(instruments))
    out = {}
    for item in instrument.items:
        rule = item.asked_if
        asked = rule is None or out.get(rule.item) in rule.values
        if item.kind in ("score", "boolean") and asked:
            out[item.id] = draw(st.sampled_from(item.values))
    return instrument, out


@FAST
@given(complete_answers())
def test_totals_stay_within_the_declared_range(case):
    instrument, answers = case
    result = score(instrument, answers)
    assert result.scored
    low, high = instrument.total_range
    assert low <= result.total <= high
    expected = sum(answers[i.id] for i in instrument.total_items) * instrument.multiplier
    assert result.total == expected
    if instrument.bands:
        assert result.band is not None
        assert result.band.range[0] <= result.total <= result.band.range[1]


@FAST
@given(complete_answers(), st.data())
def test_raising_an_item_never_lowers_the_total_or_removes_a_positive_result(case, data):
    instrument, answers = case
    raisable = [i for i in instrument.items if i.id in answers and answers[i.id] < i.max_value]
    if not raisable:
        return
    item = data.draw(st.sampled_from(raisable))
    higher = dict(answers)
    higher[item.id] = data.draw(st.sampled_from([v for v in item.values if v > answers[item.id]]))
    before, after = score(instrument, answers), score(instrument, higher)
    assert after.total >= before.total
    for key in ("dsm5_provisional_ptsd", "dsm5_ptsd", "major_depressive_syndrome"):
        if before.algorithms.get(key) is True:
            assert after.algorithms[key] is True, key
    if before.cut_point is not None and before.cut_point.direction == "at_or_above":
        assert after.cut_point.positive or not before.cut_point.positive


@FAST
@given(complete_answers(SHIPPED), st.data())
def test_a_missing_required_item_refuses_the_score_and_is_named(case, data):
    instrument, answers = case
    required = [i.id for i in instrument.items if i.id in answers and not i.optional]
    dropped = data.draw(st.sampled_from(required))
    result = score(instrument, {**answers, dropped: None})
    # Every shipped instrument's manual rule is 'none': never prorate, list what is missing.
    assert instrument.scoring.missing.rule == "none"
    assert not result.scored
    assert result.total is None
    assert dropped in result.missing_items


@FAST
@given(complete_answers(SHIPPED), st.data())
def test_leaving_out_optional_items_never_refuses(case, data):
    instrument, answers = case
    optional = [i.id for i in instrument.items if i.optional and i.id in answers]
    dropped = data.draw(st.lists(st.sampled_from(optional), unique=True)) if optional else []
    result = score(instrument, {k: v for k, v in answers.items() if k not in dropped})
    assert result.scored


@FAST
@given(complete_answers(SHIPPED))
def test_scoring_is_deterministic_and_json_round_trips(case):
    instrument, answers = case
    first = score(instrument, answers)
    assert score(instrument, dict(reversed(list(answers.items())))) == first
    assert type(first).model_validate_json(first.model_dump_json()) == first


RISK = ("none", "low", "moderate", "high")
CSSRS = next(i for i in SHIPPED if i.id == "cssrs-screener")


@FAST
@given(complete_answers([CSSRS]), st.data())
def test_a_new_yes_on_the_cssrs_never_lowers_the_risk(case, data):
    _, answers = case
    noes = [item_id for item_id, value in answers.items() if value == 0]
    if not noes:
        return
    flipped = data.draw(st.sampled_from(noes))
    after = {**answers, flipped: 1}
    for item in CSSRS.items:  # questions the new yes opens are answered no
        if item.asked_if and item.asked_if.item == flipped:
            after[item.id] = 0
    before_risk = score(CSSRS, answers).algorithms["risk"]
    after_risk = score(CSSRS, after).algorithms["risk"]
    assert RISK.index(after_risk) >= RISK.index(before_risk)


LEVELS = st.integers(min_value=0, max_value=4)


@given(LEVELS, LEVELS, LEVELS)
def test_caps5_rule_is_monotone_and_never_rounds_frequency_up(frequency, intensity, other):
    severity = caps5_severity(frequency, intensity)
    assert 0 <= severity <= 4
    assert severity <= frequency + 1
    assert severity <= max(frequency, intensity)
    if frequency == intensity:
        assert severity == frequency
    if other >= intensity:
        assert caps5_severity(frequency, other) >= severity
    if other >= frequency:
        assert caps5_severity(other, intensity) >= severity


PRORATED = """
id: site-prorated-scale
version: "1"
title: Site scale with a prorating rule and a reverse-scored item
short_title: SITE-6
authors: [Site]
citation: A site's own six-item scale.
respondent: self
recall_period: past week
sources: [{citation: Site manual}]
licence:
  status: public-domain
  attribution: Site scale
  text_distribution: full
  sources: [{citation: Site manual}]
scales:
  four: [{value: 0, label: a}, {value: 1, label: b}, {value: 2, label: c}, {value: 3, label: d}]
items:
  - {id: site_01, scale: four, label: Item one}
  - {id: site_02, scale: four, label: Item two}
  - {id: site_03, scale: four, label: Item three}
  - {id: site_04, scale: four, label: Item four}
  - {id: site_05, scale: four, label: Item five}
  - {id: site_06, scale: four, label: Item six (reverse-scored)}
total_range: [0, 18]
scoring:
  total: {method: sum, sources: [{citation: Site manual}]}
  reverse_scored: [site_06]
  missing: {rule: prorate, max_missing: 2, sources: [{citation: Site manual}]}
"""


def prorated() -> Instrument:
    instrument, problems = validate_instrument_text(PRORATED)
    assert problems == []
    assert instrument is not None
    return instrument


@FAST
@given(
    st.lists(st.integers(min_value=0, max_value=3), min_size=6, max_size=6),
    st.sets(st.integers(min_value=0, max_value=5), max_size=4),
)
def test_a_prorating_rule_prorates_up_to_its_limit_and_refuses_beyond(values, missing):
    instrument = prorated()
    ids = [item.id for item in instrument.items]
    answers = {
        i: (None if n in missing else v) for n, (i, v) in enumerate(zip(ids, values, strict=True))
    }
    result = score(instrument, answers)
    scored = [
        3 - v if i == "site_06" else v
        for i, v in zip(ids, values, strict=True)
        if answers[i] is not None
    ]
    if len(missing) <= 2:
        assert result.scored
        assert result.prorated is bool(missing)
        assert result.total == sum(scored) / len(scored) * 6
        assert 0 <= result.total <= 18
    else:
        assert not result.scored
        assert sorted(result.missing_items) == sorted(ids[n] for n in missing)


def test_the_prorating_example_is_valid_yaml_for_admins():
    assert yaml.safe_load(PRORATED)["scoring"]["missing"]["rule"] == "prorate"
