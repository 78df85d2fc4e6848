"""The program outcome report: hand-checked single-arm cohort, and the two-arm (MMRM) branch."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest

from mendwell.analytics.dataset import OutcomeRecord, build_long_dataset, follow_up_rows
from mendwell.analytics.effect_sizes import effect_size_from_samples
from mendwell.analytics.mmrm import fit_mmrm
from mendwell.analytics.outcome_report import (
    ReportSettings,
    default_reference_arm,
    outcome_report,
)
from mendwell.analytics.summaries import RemissionDefinition

ORDER = {"screening": 0, "baseline": 1, "week4": 2, "week8": 3, "week12": 4}


def frame(cohort: dict[str, tuple[str, dict[str, float]]], instrument: str = "pcl5"):  # type: ignore[no-untyped-def]
    records = [
        OutcomeRecord(
            client=subject,
            site="A",
            protocol="p",
            substance="mdma",
            arm=arm,
            visit=visit,
            visit_order=ORDER[visit],
            instrument=instrument,
            total=float(total),
            assessed=date(2026, 1, 1 + ORDER[visit]),
        )
        for subject, (arm, visits) in cohort.items()
        for visit, total in visits.items()
    ]
    return build_long_dataset(records, baseline_visit="baseline")


SINGLE = {
    "S1": ("all", {"screening": 55, "baseline": 50, "week4": 40, "week8": 30}),
    "S2": ("all", {"baseline": 60, "week4": 45, "week8": 50}),
    "S3": ("all", {"baseline": 40, "week4": 38}),  # left after week 4
    "S4": ("all", {"week4": 20}),  # no baseline
}


def test_single_arm_change_rates_and_within_group_effect_by_hand() -> None:
    settings = ReportSettings(
        "pcl5", responder_points=10, remission=RemissionDefinition(max_total=35)
    )
    report = outcome_report(frame(SINGLE), settings)
    assert report.design == "single_arm"
    assert report.comparison is None
    assert report.visits == ("baseline", "week4", "week8")  # screening is before baseline
    assert (report.n_subjects, report.n_with_baseline) == (4, 3)
    assert report.notes == (
        "1 without a baseline assessment: in the trajectories, not in the change, rate or "
        "completion tables",
    )
    week4, week8 = report.change
    # week 4 changes −10, −15, −2: mean −9, SD √43
    assert (week4.visit, week4.n, week4.mean) == ("week4", 3, -9.0)
    assert week4.sd == pytest.approx(math.sqrt(43))
    assert (week8.n, week8.mean, week8.sd) == (2, -15.0, pytest.approx(math.sqrt(50)))
    # Within-group d at week 4, standardised by S_diff/√(2(1−r)) with the observed r:
    # baseline deviations (0, 10, −10), week-4 deviations (−1, 4, −3): r = 70/√(200·26).
    r = 70 / math.sqrt(200 * 26)
    d = -9.0 / (math.sqrt(43) / math.sqrt(2 * (1 - r)))
    assert week4.effect is not None
    assert week4.effect.kind == "paired_d"
    assert week4.effect.estimate == pytest.approx(d)
    assert week8.effect is not None
    assert week8.effect.kind == "paired_dz"
    assert week8.effect.estimate == pytest.approx(-15 / math.sqrt(50))
    # Responders (drop ≥ 10): week 4 S1 and S2 of 3; week 8 both.
    assert [(r.visit, r.events, r.n) for r in report.responders] == [
        ("week4", 2, 3),
        ("week8", 2, 2),
    ]
    # Remission (total ≤ 35): week 4 none of 40, 45, 38; week 8 S1 (30) of 30 and 50.
    assert [(r.visit, r.events, r.n) for r in report.remission] == [
        ("week4", 0, 3),
        ("week8", 1, 2),
    ]
    assert report.loss_of_diagnosis == ()  # no diagnosis rated
    # Completion: 3 enrolled; week 8 assessed 2, S3 dropped out.
    week8_completion = report.completion[-1]
    assert (week8_completion.assessed, week8_completion.dropped_out) == (2, 1)
    # Waterfall: last change of each subject, largest rise (smallest drop) first.
    assert [(b.subject, b.visit, b.change) for b in report.waterfall] == [
        ("S3", "week4", -2.0),
        ("S2", "week8", -10.0),
        ("S1", "week8", -20.0),
    ]
    # Mean total at baseline: (50 + 60 + 40) / 3; trajectories start at baseline.
    first = report.means[0]
    assert (first.visit, first.n, first.mean) == ("baseline", 3, 50.0)
    s1 = next(t for t in report.trajectories if t.subject == "S1")
    assert s1.points == (("baseline", 50.0), ("week4", 40.0), ("week8", 30.0))


def test_an_empty_selection_gives_an_empty_report() -> None:
    report = outcome_report(frame(SINGLE), ReportSettings("caps5-past-month", 10))
    assert report.design == "empty"
    assert report.change == ()
    assert report.waterfall == ()


def _two_arm_cohort(seed: int, pattern=None):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    cohort = {}
    for arm, effect in (("MDMA-AT", -14.0), ("placebo-AT", -6.0)):
        for i in range(14):
            base = float(rng.normal(45, 6))
            visits: dict[str, float] = {"baseline": round(base)}
            wanted = pattern(i) if pattern else ("week4", "week8", "week12")
            for k, visit in enumerate(("week4", "week8", "week12")):
                if visit in wanted:
                    visits[visit] = round(base + effect * (k + 1) / 3 + rng.normal(0, 5))
            cohort[f"{arm}-{i}"] = (arm, visits)
    return frame(cohort)


def test_two_arms_get_the_mmrm_against_the_placebo_arm_with_hedges_g() -> None:
    data = _two_arm_cohort(7)
    report = outcome_report(data, ReportSettings("pcl5", responder_points=10))
    assert report.design == "arms"
    assert report.arms == ("MDMA-AT", "placebo-AT")
    comparison = report.comparison
    assert comparison is not None
    assert comparison.error is None
    assert (comparison.covariance, comparison.fallback_reason) == ("us", None)
    assert comparison.reference_arm == "placebo-AT"
    direct = fit_mmrm(
        follow_up_rows(data),
        subject="client",
        arm="arm",
        visit="visit",
        outcome="change",
        baseline="baseline",
        reference_arm="placebo-AT",
    )
    assert comparison.differences == direct.differences
    assert [d.visit for d in comparison.differences] == ["week4", "week8", "week12"]
    assert comparison.differences[-1].estimate < 0  # MDMA-AT falls further
    rows = follow_up_rows(data)
    at12 = rows[rows["visit"] == "week12"]
    g = effect_size_from_samples(
        at12.loc[at12["arm"] == "MDMA-AT", "change"],
        at12.loc[at12["arm"] == "placebo-AT", "change"],
    )
    assert comparison.observed_effects[-1].effect.estimate == pytest.approx(g.estimate)
    # Per-arm descriptive tables come with it; no within-group effect sizes in this branch.
    assert {r.arm for r in report.change} == {"MDMA-AT", "placebo-AT"}
    assert all(r.effect is None for r in report.change)


def test_unstructured_covariance_falls_back_to_compound_symmetry_and_says_why() -> None:
    # Weeks 4 and 12 are never observed in the same subject.
    data = _two_arm_cohort(
        3, pattern=lambda i: ("week4", "week8") if i % 2 else ("week8", "week12")
    )
    comparison = outcome_report(data, ReportSettings("pcl5", 10)).comparison
    assert comparison is not None
    assert comparison.error is None
    assert comparison.covariance == "cs"
    assert comparison.fallback_reason is not None
    assert "'week4' and 'week12' are never observed in the same subject" in (
        comparison.fallback_reason
    )


def test_an_arm_without_data_at_a_visit_is_a_clear_reason_not_a_crash() -> None:
    data = _two_arm_cohort(5)
    data = data[~((data["arm"] == "placebo-AT") & (data["visit"] == "week12"))]
    comparison = outcome_report(data, ReportSettings("pcl5", 10)).comparison
    assert comparison is not None
    assert comparison.covariance is None
    assert comparison.error == "visit: arm 'placebo-AT' has no outcome data at visit 'week12'"


@pytest.mark.parametrize(
    ("arms", "reference"),
    [
        (("MDMA-AT", "placebo-AT"), "placebo-AT"),
        (("active", "Usual care"), "Usual care"),
        (("b", "a"), "a"),
    ],
)
def test_the_default_reference_arm_is_the_control(arms: tuple[str, ...], reference: str) -> None:
    assert default_reference_arm(arms) == reference


def test_completion_counts_only_subjects_a_visit_was_due_for() -> None:
    settings = ReportSettings("pcl5", 10)
    # Week 8 was due for S1 and S3 only (S2's course is still before it): S3 dropped out.
    report = outcome_report(
        frame(SINGLE),
        settings,
        due={"S1": {"week4", "week8"}, "S2": {"week4"}, "S3": {"week4", "week8"}},
    )
    rows = {c.visit: (c.enrolled, c.assessed, c.dropped_out) for c in report.completion}
    assert rows == {"week4": (3, 3, 0), "week8": (2, 1, 1)}
    # Without it, every enrolled subject counts at every visit.
    plain = outcome_report(frame(SINGLE), settings)
    assert {c.visit: c.enrolled for c in plain.completion} == {"week4": 3, "week8": 3}


def test_loss_of_diagnosis_counts_follow_up_visits_only() -> None:
    records = [
        OutcomeRecord(
            "S1",
            "A",
            "p",
            "mdma",
            "all",
            visit,
            ORDER[visit],
            "caps5",
            total,
            date(2026, 1, 1 + ORDER[visit]),
            diagnosis,
        )
        for visit, total, diagnosis in (
            ("screening", 50, True),
            ("baseline", 48, True),
            ("week4", 20, False),
        )
    ]
    data = build_long_dataset(records, baseline_visit="baseline")
    report = outcome_report(data, ReportSettings("caps5", 10))
    assert [(r.visit, r.events, r.n) for r in report.loss_of_diagnosis] == [("week4", 1, 1)]
