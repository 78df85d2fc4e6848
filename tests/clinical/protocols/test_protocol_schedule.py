"""Visit schedules of the shipped protocols, checked against the timing their sources give."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mendwell.clinical.protocols.schedule import (
    dependent_visits,
    is_within_window,
    is_within_window_at,
    plan_schedule,
    render_schedule,
    shifted_visits,
)
from mendwell.clinical.protocols.schema import load_protocol
from mendwell.clinical.spans import add_months

ENROLLED = date(2025, 3, 3)  # a Monday


def by_id(visits):
    return {v.visit_id: v for v in visits}


# MDMA-AT, enrolment 3 Mar 2025. Expected dates worked out by hand from the template:
# preparation weekly from a week after enrolment; baseline 3 days after the last preparation;
# first dosing a week after baseline; dosing sessions 4 weeks apart (MAPS MAPP1 page: "three
# 8-hour experimental sessions spaced four weeks apart"); integration the next morning and then
# weekly (MAPS MAPP1 page: three integrative sessions spaced one week apart); primary endpoint
# 18 weeks after baseline (Mitchell et al. 2021); follow-up 6 and 12 months after it (FDA CRL:
# durability beyond 18 weeks).
MDMA_EXPECTED = [
    ("screening", "2025-02-17", "2025-02-03", "2025-02-17"),
    ("preparation-1", "2025-03-10", "2025-03-03", "2025-03-17"),
    ("preparation-2", "2025-03-17", "2025-03-13", "2025-03-24"),
    ("preparation-3", "2025-03-24", "2025-03-20", "2025-03-31"),
    ("baseline", "2025-03-27", "2025-03-24", "2025-03-31"),
    ("dosing-1", "2025-04-03", "2025-03-30", "2025-04-10"),
    ("integration-1-1", "2025-04-04", "2025-04-04", "2025-04-04"),
    ("integration-1-2", "2025-04-11", "2025-04-09", "2025-04-14"),
    ("integration-1-3", "2025-04-18", "2025-04-16", "2025-04-21"),
    ("dosing-2", "2025-05-01", "2025-04-24", "2025-05-08"),
    ("integration-2-1", "2025-05-02", "2025-05-02", "2025-05-02"),
    ("integration-2-2", "2025-05-09", "2025-05-07", "2025-05-12"),
    ("integration-2-3", "2025-05-16", "2025-05-14", "2025-05-19"),
    ("dosing-3", "2025-05-29", "2025-05-22", "2025-06-05"),
    ("integration-3-1", "2025-05-30", "2025-05-30", "2025-05-30"),
    ("integration-3-2", "2025-06-06", "2025-06-04", "2025-06-09"),
    ("integration-3-3", "2025-06-13", "2025-06-11", "2025-06-16"),
    ("primary-endpoint", "2025-07-31", "2025-07-17", "2025-08-14"),
    ("follow-up-6m", "2026-01-31", "2026-01-10", "2026-02-21"),
    ("follow-up-12m", "2026-07-31", "2026-07-10", "2026-08-21"),
]


def test_mdma_full_schedule():
    plan = plan_schedule(load_protocol("mdma-at-phase3"), ENROLLED)
    got = [(v.visit_id, str(v.target), str(v.earliest), str(v.latest)) for v in plan]
    assert got == MDMA_EXPECTED


def test_mdma_schedule_matches_the_trial_design():
    v = by_id(plan_schedule(load_protocol("mdma-at-phase3"), ENROLLED))
    # Three preparatory and nine integrative sessions (Mitchell et al. 2021, abstract).
    kinds = [x.kind for x in v.values()]
    assert kinds.count("preparation") == 3
    assert kinds.count("dosing") == 3
    assert kinds.count("integration") == 9
    # Dosing sessions about 8 hours; non-drug sessions 90 minutes (MAPS).
    assert v["dosing-1"].duration_minutes == 480
    assert {x.duration_minutes for x in v.values() if x.kind == "integration"} == {90}
    # Primary endpoint 18 weeks after baseline, about 2 months after the last dosing session.
    assert v["primary-endpoint"].target - v["baseline"].target == timedelta(weeks=18)
    gap = v["primary-endpoint"].target - v["dosing-3"].target
    assert timedelta(weeks=8) <= gap <= timedelta(weeks=10)
    # The 3-to-5-week spacing of the phase 2 precedent is the window between dosing sessions.
    assert v["dosing-2"].earliest - v["dosing-1"].target == timedelta(weeks=3)
    assert v["dosing-2"].latest - v["dosing-1"].target == timedelta(weeks=5)
    # The CAPS-5 at baseline and endpoint is done by a blinded rater.
    raters = {
        m.instrument for m in v["primary-endpoint"].measures if m.completed_by == "blinded_rater"
    }
    assert raters == {"caps5-past-month"}


def test_psilocybin_full_schedule():
    v = by_id(plan_schedule(load_protocol("psilocybin-single-25mg"), ENROLLED))
    # Screening and preparation take 3 to 6 weeks (HRA summary, IRAS 301106).
    assert (v["dosing"].earliest, v["dosing"].target, v["dosing"].latest) == (
        date(2025, 3, 24),
        date(2025, 3, 31),
        date(2025, 4, 14),
    )
    assert v["integration-1"].target == date(2025, 4, 1)  # the next day
    assert v["integration-2"].target == date(2025, 4, 8)  # then weekly
    assert v["integration-3"].target == date(2025, 4, 15)
    assert v["week-3"].target == date(2025, 4, 21)
    assert v["week-6"].target == date(2025, 5, 12)
    assert v["week-12"].target == date(2025, 6, 23)
    # Total participation at most about 18 weeks (HRA summary: 15 to 18 weeks).
    assert v["week-12"].latest - ENROLLED <= timedelta(weeks=18)
    assert v["week-12"].target - ENROLLED >= timedelta(weeks=15)
    # The baseline falls within 7 days before dosing (Raison et al. 2023).
    assert timedelta(0) < v["dosing"].target - v["baseline"].target <= timedelta(days=7)


def test_oregon_schedule_windows_follow_oar_333_333_5000():
    v = by_id(plan_schedule(load_protocol("oregon-service-centre"), ENROLLED))
    admin = v["administration"]
    # At least 24 hours but no more than 90 days after the preparation session.
    assert admin.earliest == date(2025, 3, 4)
    assert admin.latest == date(2025, 3, 3) + timedelta(days=90) == date(2025, 6, 1)
    assert v["integration-1"].optional  # ORS 475A.360: the client may decline


def test_oregon_24_hours_is_checked_to_the_minute():
    protocol = load_protocol("oregon-service-centre")
    prep = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
    check = is_within_window_at
    assert not check(protocol, "administration", prep, prep + timedelta(hours=23, minutes=59))
    assert check(protocol, "administration", prep, prep + timedelta(hours=24))
    assert check(protocol, "administration", prep, prep + timedelta(days=90))
    assert not check(protocol, "administration", prep, prep + timedelta(days=90, minutes=1))


def test_actual_dates_move_the_visits_anchored_on_them():
    protocol = load_protocol("mdma-at-phase3")
    late = {"dosing-1": date(2025, 4, 7)}
    v = by_id(plan_schedule(protocol, ENROLLED, late))
    assert v["dosing-1"].actual == date(2025, 4, 7)
    assert v["dosing-1"].in_window is True
    assert v["integration-1-1"].target == date(2025, 4, 8)
    assert v["integration-1-1"].anchor_basis == "actual"
    assert v["dosing-2"].target == date(2025, 5, 5)
    assert v["dosing-3"].target == date(2025, 6, 2)
    assert v["dosing-3"].anchor_basis == "planned"
    # The endpoint is anchored on the baseline, not on the dosing sessions.
    assert v["primary-endpoint"].target == date(2025, 7, 31)


def test_out_of_window_actual_date_is_reported():
    protocol = load_protocol("mdma-at-phase3")
    v = by_id(plan_schedule(protocol, ENROLLED, {"integration-1-1": date(2025, 4, 6)}))
    assert v["integration-1-1"].in_window is False
    assert not is_within_window(v["integration-1-1"], date(2025, 4, 6))
    assert v["integration-1-2"].in_window is None


def test_which_visits_shift_when_an_anchor_changes():
    protocol = load_protocol("mdma-at-phase3")
    assert dependent_visits(protocol, "dosing-2") == (
        "integration-2-1",
        "integration-2-2",
        "integration-2-3",
        "dosing-3",
        "integration-3-1",
        "integration-3-2",
        "integration-3-3",
    )
    shifts = shifted_visits(protocol, ENROLLED, {}, "dosing-2", date(2025, 5, 6))
    assert [s.visit_id for s in shifts] == list(dependent_visits(protocol, "dosing-2"))
    assert {s.days for s in shifts} == {5}
    # A later visit that already happened keeps its date; its window moves (so whether it was
    # in window may change) and the visits anchored on it stay where they were.
    kept = shifted_visits(
        protocol, ENROLLED, {"dosing-3": date(2025, 5, 29)}, "dosing-2", date(2025, 5, 6)
    )
    held = {s.visit_id: s for s in kept if s.held}
    assert set(held) == {"dosing-3"}
    assert held["dosing-3"].after.actual == date(2025, 5, 29)
    assert held["dosing-3"].before.in_window
    assert held["dosing-3"].after.in_window
    assert "integration-3-1" not in {s.visit_id for s in kept}


def test_unknown_actual_visit_is_an_error():
    with pytest.raises(ValueError, match="dosing-9"):
        plan_schedule(load_protocol("mdma-at-phase3"), ENROLLED, {"dosing-9": ENROLLED})


def test_month_offsets_clamp_to_the_end_of_the_month():
    protocol = load_protocol("mdma-at-phase3")
    # Endpoint actually held on 31 Aug 2025: 6 months later is 28 Feb 2026.
    v = by_id(plan_schedule(protocol, ENROLLED, {"primary-endpoint": date(2025, 8, 31)}))
    assert v["follow-up-6m"].target == date(2026, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


def test_rendered_schedule_lists_every_visit():
    plan = plan_schedule(load_protocol("mdma-at-phase3"), ENROLLED)
    text = render_schedule(plan)
    assert text.count("\n") == len(plan) + 1
    assert "caps5-past-month (rater)" in text


@given(
    anchor=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)),
    slips=st.lists(st.integers(-10, 20), min_size=20, max_size=20),
    which=st.sampled_from(["mdma-at-phase3", "psilocybin-single-25mg", "oregon-service-centre"]),
)
def test_windows_always_contain_the_target(anchor, slips, which):
    protocol = load_protocol(which)
    actual = {}
    for visit, slip in zip(plan_schedule(protocol, anchor), slips, strict=False):
        actual[visit.visit_id] = visit.target + timedelta(days=slip)
    for visit in plan_schedule(protocol, anchor, actual):
        assert visit.earliest <= visit.target <= visit.latest


@given(
    anchor=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)),
    shift=st.integers(-400, 400),
)
def test_moving_the_anchor_moves_every_visit_by_the_same_days(anchor, shift):
    # The psilocybin template has no month offsets, so every date moves with the anchor.
    protocol = load_protocol("psilocybin-single-25mg")
    before = plan_schedule(protocol, anchor)
    after = plan_schedule(protocol, anchor + timedelta(days=shift))
    for b, a in zip(before, after, strict=True):
        assert (a.target - b.target).days == shift
        assert (a.latest - a.earliest) == (b.latest - b.earliest)
