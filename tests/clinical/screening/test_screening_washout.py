"""Washout planning: the arithmetic against the half-life sources, and its monotonicity."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mendwell.clinical.screening import (
    MedicationEntry,
    ScreeningSettings,
    plan_washout,
    washout_days,
)
from mendwell.clinical.screening.medications import default_medication_index
from mendwell.clinical.screening.washout import half_life_days, merge_plan

TODAY = date(2025, 3, 5)
INDEX = default_medication_index()


def plan(name: str, last_dose: date | None, settings: ScreeningSettings | None = None, **kw):
    medication = INDEX.classify(name)
    assert medication is not None
    return plan_washout(
        MedicationEntry(name=name, last_dose_date=last_dose),
        medication,
        today=TODAY,
        settings=settings or ScreeningSettings(),
        **kw,
    )


def test_paroxetine_washout_from_the_label_half_life() -> None:
    # PAXIL label 12.3: mean elimination half-life about 21 h. Default settings: 5 half-lives plus
    # 7 days. 5 × 21 h = 105 h = 4.375 days → 5 whole days; + 7 = 12 days after 1 March.
    entry = plan("paroxetine", date(2025, 3, 1))
    assert entry.half_life_hours == 21
    assert entry.half_life_days == 5
    assert entry.washout_days == 12
    assert entry.earliest_dosing_date == date(2025, 3, 13)
    assert entry.basis == "last_dose_date"
    assert entry.unconfirmed  # the formula is a setting
    assert "5 × 21 h" in entry.explanation
    assert "2025-03-13" in entry.explanation


@pytest.mark.parametrize(
    ("name", "settings", "days", "derivation"),
    [
        (
            "fluoxetine",
            ScreeningSettings(),
            87,
            "norfluoxetine 16 d (384 h, label upper) × 5 = 80 d; + 7",
        ),
        (
            "fluoxetine",
            ScreeningSettings(half_life_basis="typical"),
            54,
            "norfluoxetine 9.3 d (223.2 h) × 5 = 1116 h = 46.5 → 47 d; + 7",
        ),
        (
            "fluoxetine",
            ScreeningSettings(washout_half_life_multiple=1, washout_margin_days=0),
            35,
            "16 d < label minimum of 5 weeks before an MAOI",
        ),
        (
            "phenelzine",
            ScreeningSettings(),
            14,
            "11.6 h × 5 = 58 h → 3 d + 7 = 10 < 14-day MAOI minimum",
        ),
        ("isocarboxazid", ScreeningSettings(), 14, "irreversible MAOI: the 14-day minimum alone"),
        (
            "bupropion",
            ScreeningSettings(),
            18,
            "threohydrobupropion 37 + 13 = 50 h × 5 = 250 h → 11 d; + 7",
        ),
        (
            "venlafaxine",
            ScreeningSettings(),
            10,
            "O-desmethylvenlafaxine 11 + 2 = 13 h × 5 = 65 h → 3 d; + 7",
        ),
        ("sertraline", ScreeningSettings(), 15, "36 h × 5 = 180 h = 7.5 → 8 d; + 7"),
        ("sertraline", ScreeningSettings(washout_margin_days=0), 8, "as above without the margin"),
        (
            "moclobemide",
            ScreeningSettings(washout_margin_days=0),
            1,
            "2 h × 5 = 10 h → 1 d; MAO-A back in 24 h",
        ),
    ],
)
def test_washout_days_for_medications(
    name: str, settings: ScreeningSettings, days: int, derivation: str
) -> None:
    assert plan(name, date(2025, 1, 1), settings).washout_days == days, derivation


def test_a_look_back_window_sets_the_earliest_date() -> None:
    # Oregon asks about lithium "in the last 30 days": the 30th day after the last dose is still in
    # that window, so the earliest dosing date is day 31 (lithium's 24 h alone would give 12 days).
    entry = plan("lithium", date(2025, 2, 1), lookback_days=30)
    assert entry.washout_days == 31
    assert entry.earliest_dosing_date == date(2025, 3, 4)


def test_without_a_last_dose_the_plan_starts_at_the_proposed_stop_date() -> None:
    entry = plan("Paxil", None, proposed_stop_date=date(2025, 4, 1))
    assert entry.basis == "proposed_stop_date"
    assert entry.from_date == date(2025, 4, 1)
    assert entry.earliest_dosing_date == date(2025, 4, 13)
    assert "proposed stop date 2025-04-01" in entry.explanation


def test_without_a_proposed_stop_date_the_plan_starts_today() -> None:
    entry = plan("Paxil", None)
    assert (entry.basis, entry.from_date) == ("proposed_stop_date", TODAY)


def test_half_life_days_are_exact_decimal_arithmetic() -> None:
    assert half_life_days(24, 5) == 5  # exactly 5 days, not rounded up to 6
    assert half_life_days(80, 0.3) == 1  # 0.3 × 80 = 24 h exactly (floating point gives 24.000…04)
    assert half_life_days(24.1, 5) == 6


def test_merging_keeps_the_latest_date_and_every_rule() -> None:
    short = plan("lithium", date(2025, 3, 1), rule_ids=("a.rule",))
    long = plan("lithium", date(2025, 3, 1), lookback_days=30, rule_ids=("b.rule",))
    [merged] = merge_plan([short, long])
    assert merged.earliest_dosing_date == long.earliest_dosing_date
    assert merged.rule_ids == ("a.rule", "b.rule")


medications = st.sampled_from(sorted(INDEX.by_id))
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))
multiples = st.floats(min_value=0.1, max_value=20, allow_nan=False)
margins = st.integers(min_value=0, max_value=180)


@given(medications, dates, st.integers(min_value=0, max_value=3650), multiples, margins)
def test_the_date_is_monotone_in_the_last_dose_date(
    medication_id: str, first: date, gap: int, multiple: float, margin: int
) -> None:
    settings = ScreeningSettings(washout_half_life_multiple=multiple, washout_margin_days=margin)
    name = INDEX.by_id[medication_id].name
    earlier = plan(name, first, settings)
    later = plan(name, first + timedelta(days=gap), settings)
    assert earlier.earliest_dosing_date <= later.earliest_dosing_date
    assert later.earliest_dosing_date - earlier.earliest_dosing_date == timedelta(days=gap)


@given(medications, multiples, multiples, margins, st.sampled_from(["upper", "typical"]))
def test_the_date_is_monotone_in_the_multiple(
    medication_id: str, a: float, b: float, margin: int, basis: str
) -> None:
    low, high = sorted((a, b))
    name = INDEX.by_id[medication_id].name
    settings = {"washout_margin_days": margin, "half_life_basis": basis}
    shorter = plan(name, TODAY, ScreeningSettings(washout_half_life_multiple=low, **settings))
    longer = plan(name, TODAY, ScreeningSettings(washout_half_life_multiple=high, **settings))
    assert shorter.earliest_dosing_date <= longer.earliest_dosing_date


@given(
    st.one_of(st.none(), st.floats(min_value=0.1, max_value=5000)),
    multiples,
    margins,
    margins,
    st.one_of(st.none(), st.integers(min_value=1, max_value=365)),
    st.one_of(st.none(), st.integers(min_value=1, max_value=365)),
)
def test_washout_days_respect_every_lower_bound(
    hours: float | None,
    multiple: float,
    margin: int,
    more: int,
    minimum: int | None,
    lookback: int | None,
) -> None:
    days = washout_days(
        hours, multiple=multiple, margin_days=margin, minimum_days=minimum, lookback_days=lookback
    )
    assert days >= 0
    if hours is not None:
        assert days >= multiple * hours / 24 + margin - 1e-9  # decimal vs binary rounding
        bigger = washout_days(
            hours,
            multiple=multiple,
            margin_days=margin + more,
            minimum_days=minimum,
            lookback_days=lookback,
        )
        assert bigger >= days
    if minimum is not None:
        assert days >= minimum
    if lookback is not None:
        assert days > lookback
