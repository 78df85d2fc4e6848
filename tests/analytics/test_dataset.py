"""The long-format dataset: column contract, baseline and change, and bad records."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from mendwell.analytics.dataset import COLUMNS, OutcomeRecord, build_long_dataset, visit_levels
from mendwell.analytics.errors import AnalysisDataError

SCHEDULE = {"screening": 0, "baseline": 1, "week8": 3, "week18": 5}


def record(client: str, visit: str, total: float, **extra: object) -> OutcomeRecord:
    values: dict[str, object] = {
        "client": client,
        "site": "site-a",
        "protocol": "mdma-at-phase3",
        "substance": "mdma",
        "arm": "active" if client in ("ada", "ben") else "placebo",
        "visit": visit,
        "visit_order": SCHEDULE[visit],
        "instrument": "caps5",
        "total": total,
        "assessed": date(2024, 1, 1 + SCHEDULE[visit]),
    }
    values.update(extra)
    return OutcomeRecord(**values)  # type: ignore[arg-type]


@pytest.fixture
def records() -> list[OutcomeRecord]:
    return [
        record("ben", "week18", 20.0, diagnosis=False),
        record("ada", "baseline", 44.0, diagnosis=True),
        record("ada", "week8", 30.0, diagnosis=True),
        record("ada", "week18", 18.0, diagnosis=False),
        record("ben", "baseline", 40.0, diagnosis=True),
        record("cleo", "screening", 50.0),
        record("cleo", "baseline", 46.0, diagnosis=True),
        record("cleo", "week8", 41.0, diagnosis=True),
        record("dev", "week8", 35.0),  # no baseline assessment
    ]


def test_columns_follow_the_contract(records: list[OutcomeRecord]) -> None:
    frame = build_long_dataset(records, baseline_visit="baseline")
    assert tuple(frame.columns) == COLUMNS
    assert len(frame) == len(records)
    assert isinstance(frame["visit"].dtype, pd.CategoricalDtype)
    assert frame["visit"].cat.ordered
    assert list(frame["visit"].cat.categories) == ["screening", "baseline", "week8", "week18"]


def test_baseline_and_change(records: list[OutcomeRecord]) -> None:
    frame = build_long_dataset(records, baseline_visit="baseline").set_index(["client", "visit"])
    assert frame.loc[("ada", "week18"), "baseline"] == 44.0
    assert frame.loc[("ada", "week18"), "change"] == -26.0
    assert frame.loc[("ada", "baseline"), "change"] == 0.0
    assert bool(frame.loc[("ada", "baseline"), "is_baseline"])
    assert not bool(frame.loc[("ada", "week8"), "is_baseline"])
    assert frame.loc[("cleo", "screening"), "baseline"] == 46.0
    assert pd.isna(frame.loc[("cleo", "screening"), "change"])  # before the baseline visit
    assert pd.isna(frame.loc[("dev", "week8"), "baseline"])
    assert pd.isna(frame.loc[("dev", "week8"), "change"])
    assert frame.loc[("ben", "week18"), "baseline_diagnosis"] is True
    assert frame.loc[("ben", "week18"), "diagnosis"] is False
    assert frame.loc[("dev", "week8"), "baseline_diagnosis"] is None


def test_rows_are_sorted_by_client_and_visit(records: list[OutcomeRecord]) -> None:
    frame = build_long_dataset(records, baseline_visit="baseline")
    assert list(frame["client"]) == sorted(frame["client"])
    ada = frame[frame["client"] == "ada"]
    assert list(ada["visit_order"]) == [1, 3, 5]


def test_per_client_baseline_visit(records: list[OutcomeRecord]) -> None:
    frame = build_long_dataset(
        records, baseline_visit={"cleo": "screening", "ada": "baseline"}
    ).set_index(["client", "visit"])
    assert frame.loc[("cleo", "week8"), "baseline"] == 50.0
    assert frame.loc[("ada", "week8"), "baseline"] == 44.0
    assert pd.isna(frame.loc[("ben", "week18"), "baseline"])


def test_mappings_are_accepted_like_records(records: list[OutcomeRecord]) -> None:
    as_dicts = [r.__dict__ for r in records]
    a = build_long_dataset(records, baseline_visit="baseline")
    b = build_long_dataset(as_dicts, baseline_visit="baseline")
    pd.testing.assert_frame_equal(a, b)


def test_instruments_have_separate_baselines(records: list[OutcomeRecord]) -> None:
    pcl = [
        record("ada", "baseline", 60.0, instrument="pcl5"),
        record("ada", "week8", 40.0, instrument="pcl5"),
    ]
    frame = build_long_dataset(records + pcl, baseline_visit="baseline")
    row = frame[(frame["instrument"] == "pcl5") & (frame["visit"] == "week8")].iloc[0]
    assert row["change"] == -20.0


def test_empty_input_keeps_the_columns() -> None:
    frame = build_long_dataset([], baseline_visit="baseline")
    assert tuple(frame.columns) == COLUMNS
    assert frame.empty


def test_visit_levels_follow_the_schedule(records: list[OutcomeRecord]) -> None:
    frame = build_long_dataset(records, baseline_visit="baseline")
    assert visit_levels(frame) == ["screening", "baseline", "week8", "week18"]
    plain = frame.assign(visit=frame["visit"].astype(str))
    assert visit_levels(plain) == ["screening", "baseline", "week8", "week18"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"total": None}, "records[0].total", "is required"),
        ({"total": "forty"}, "records[0].total", "must be a finite number"),
        ({"total": float("nan")}, "records[0].total", "must be a finite number"),
        ({"total": True}, "records[0].total", "must be a finite number"),
        ({"client": ""}, "records[0].client", "non-empty string"),
        ({"visit_order": 2.5}, "records[0].visit_order", "must be an integer"),
        ({"assessed": "2024-01-01"}, "records[0].assessed", "calendar date"),
        ({"assessed": datetime(2024, 1, 1)}, "records[0].assessed", "calendar date"),
        ({"diagnosis": "yes"}, "records[0].diagnosis", "true, false or absent"),
        ({"rater": "rita"}, "records[0]", "unknown field"),
    ],
)
def test_bad_record_names_the_field(change: dict, field: str, message: str) -> None:
    good = record("ada", "baseline", 44.0).__dict__
    with pytest.raises(AnalysisDataError, match=message) as info:
        build_long_dataset([good | change], baseline_visit="baseline")
    assert info.value.field == field


def test_duplicate_assessment_is_rejected(records: list[OutcomeRecord]) -> None:
    with pytest.raises(AnalysisDataError, match="more than one 'caps5' total at visit 'week8'"):
        build_long_dataset([*records, record("ada", "week8", 29.0)], baseline_visit="baseline")


def test_inconsistent_visit_order_is_rejected(records: list[OutcomeRecord]) -> None:
    clash = record("ben", "week8", 30.0, visit_order=4)
    with pytest.raises(AnalysisDataError, match="visit 'week8' has order 4 here but 3"):
        build_long_dataset([*records, clash], baseline_visit="baseline")
    shared = record("ben", "week8", 30.0).__dict__ | {"visit": "week9"}
    with pytest.raises(AnalysisDataError, match="share order 3"):
        build_long_dataset([*records, shared], baseline_visit="baseline")


def test_records_to_mmrm_end_to_end() -> None:
    """From scored assessments to an MMRM, the way the storage layer will call it."""
    import numpy as np

    from mendwell.analytics.dataset import follow_up_rows
    from mendwell.analytics.mmrm import fit_mmrm

    rng = np.random.default_rng(8)
    schedule = {"screening": 0, "baseline": 1, "week8": 3, "week12": 4, "week18": 5}
    records = []
    for i in range(40):
        arm = "mdma" if i % 2 else "placebo"
        start = rng.normal(44, 6)
        for visit, order in schedule.items():
            if order == 5 and i % 7 == 0:
                continue  # missed the last visit
            drop = 0.0 if order <= 1 else (order - 1) * (2.5 if arm == "mdma" else 1.5)
            records.append(
                OutcomeRecord(
                    client=f"c{i:02d}",
                    site="site-a",
                    protocol="mdma-at-phase3",
                    substance="mdma",
                    arm=arm,
                    visit=visit,
                    visit_order=order,
                    instrument="caps5",
                    total=float(round(start - drop + rng.normal(0, 4))),
                    assessed=date(2024, 1, 1 + order),
                )
            )
    frame = build_long_dataset(records, baseline_visit="baseline")
    rows = follow_up_rows(frame, "caps5")
    assert set(rows["visit"].astype(str)) == {"week8", "week12", "week18"}
    result = fit_mmrm(
        rows,
        subject="client",
        arm="arm",
        visit="visit",
        outcome="change",
        baseline="baseline",
        reference_arm="placebo",
    )
    assert result.visits == ("week8", "week12", "week18")
    assert result.n_subjects == 40
    assert result.n_observations == 40 * 3 - 6
    assert result.convergence.converged
