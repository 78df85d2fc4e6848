"""Long-format outcome dataset: one row per client, instrument and visit.

Column contract of :func:`build_long_dataset` (every column is always present):

============== ============================ ===================================================
column         dtype                        meaning
============== ============================ ===================================================
client         str                          client (subject) identifier
site           str                          site identifier
protocol       str                          protocol identifier, e.g. ``mdma-at-phase3``
substance      str                          substance identifier, e.g. ``mdma``
arm            str                          randomised arm or treatment group
visit          ordered Categorical of str   visit label, categories in ``visit_order`` order
visit_order    int                          position of the visit in the schedule
instrument     str                          instrument identifier, e.g. ``caps5``
total          float                        instrument total score at this visit
baseline       float (NaN if none)          total at the client's baseline visit, same instrument
change         float                        ``total − baseline``; NaN without a baseline and
                                            at visits before the baseline visit
assessed       datetime.date                date of the assessment
diagnosis      object: True/False/None      meets diagnostic criteria at this visit, if rated
baseline_diagnosis object: True/False/None  the same at the baseline visit
is_baseline    bool                         this row is the client's baseline visit
============== ============================ ===================================================

Rows are sorted by client, instrument and visit order. The baseline row is kept (its change is
0), so completion counts can see every enrolled client; analyses of change use
:func:`follow_up_rows`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

import pandas as pd

from mendwell.analytics.errors import AnalysisDataError

COLUMNS: tuple[str, ...] = (
    "client",
    "site",
    "protocol",
    "substance",
    "arm",
    "visit",
    "visit_order",
    "instrument",
    "total",
    "baseline",
    "change",
    "assessed",
    "diagnosis",
    "baseline_diagnosis",
    "is_baseline",
)


@dataclass(frozen=True)
class OutcomeRecord:
    """One scored assessment, as the storage layer hands it over."""

    client: str
    site: str
    protocol: str
    substance: str
    arm: str
    visit: str
    visit_order: int
    instrument: str
    total: float
    assessed: date
    diagnosis: bool | None = None


_REQUIRED = tuple(f.name for f in fields(OutcomeRecord) if f.name != "diagnosis")
_TEXT_FIELDS = ("client", "site", "protocol", "substance", "arm", "visit", "instrument")


def _as_mapping(record: OutcomeRecord | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(record, OutcomeRecord):
        return {f.name: getattr(record, f.name) for f in fields(OutcomeRecord)}
    return record


def _validated(index: int, record: Mapping[str, Any]) -> dict[str, Any]:
    where = f"records[{index}]"
    row: dict[str, Any] = {}
    for name in _REQUIRED:
        if name not in record or record[name] is None:
            raise AnalysisDataError("is required", field=f"{where}.{name}")
    for name in _TEXT_FIELDS:
        value = record[name]
        if not isinstance(value, str) or not value.strip():
            raise AnalysisDataError("must be a non-empty string", field=f"{where}.{name}")
        row[name] = value
    order = record["visit_order"]
    if isinstance(order, bool) or not isinstance(order, int):
        raise AnalysisDataError("must be an integer", field=f"{where}.visit_order")
    row["visit_order"] = order
    total = record["total"]
    if isinstance(total, bool) or not isinstance(total, int | float) or not math.isfinite(total):
        raise AnalysisDataError("must be a finite number", field=f"{where}.total")
    row["total"] = float(total)
    assessed = record["assessed"]
    if isinstance(assessed, datetime) or not isinstance(assessed, date):
        raise AnalysisDataError("must be a calendar date", field=f"{where}.assessed")
    row["assessed"] = assessed
    diagnosis = record.get("diagnosis")
    if diagnosis is not None and not isinstance(diagnosis, bool):
        raise AnalysisDataError("must be true, false or absent", field=f"{where}.diagnosis")
    row["diagnosis"] = diagnosis
    unknown = set(record) - {f.name for f in fields(OutcomeRecord)}
    if unknown:
        raise AnalysisDataError(f"unknown field(s): {', '.join(sorted(unknown))}", field=f"{where}")
    return row


def build_long_dataset(
    records: Iterable[OutcomeRecord | Mapping[str, Any]],
    *,
    baseline_visit: str | Mapping[str, str],
) -> pd.DataFrame:
    """Build the long-format dataset described in the module docstring.

    ``baseline_visit`` is the visit label that is every client's baseline, or a mapping from
    client to that client's baseline visit label (clients missing from the mapping have no
    baseline). A client, instrument and visit may appear only once.
    """
    rows = [_validated(i, _as_mapping(r)) for i, r in enumerate(records)]
    if not rows:
        return _empty()

    order_of: dict[str, int] = {}
    label_of: dict[int, str] = {}
    seen: set[tuple[str, str, str]] = set()
    for i, row in enumerate(rows):
        label, order = row["visit"], row["visit_order"]
        if order_of.setdefault(label, order) != order:
            raise AnalysisDataError(
                f"visit {label!r} has order {order} here but {order_of[label]} elsewhere",
                field=f"records[{i}].visit_order",
            )
        if label_of.setdefault(order, label) != label:
            raise AnalysisDataError(
                f"visits {label!r} and {label_of[order]!r} share order {order}",
                field=f"records[{i}].visit_order",
            )
        key = (row["client"], row["instrument"], label)
        if key in seen:
            raise AnalysisDataError(
                f"client {key[0]!r} has more than one {key[1]!r} total at visit {label!r}",
                field=f"records[{i}]",
            )
        seen.add(key)

    def baseline_label(client: str) -> str | None:
        if isinstance(baseline_visit, str):
            return baseline_visit
        return baseline_visit.get(client)

    # (client, instrument) -> (baseline total, baseline diagnosis, baseline visit order)
    baselines: dict[tuple[str, str], tuple[float, bool | None, int]] = {}
    for row in rows:
        if row["visit"] == baseline_label(row["client"]):
            baselines[(row["client"], row["instrument"])] = (
                row["total"],
                row["diagnosis"],
                row["visit_order"],
            )

    for row in rows:
        base = baselines.get((row["client"], row["instrument"]))
        row["baseline"] = base[0] if base else math.nan
        row["baseline_diagnosis"] = base[1] if base else None
        before_baseline = base is not None and row["visit_order"] < base[2]
        row["change"] = math.nan if before_baseline else row["total"] - row["baseline"]
        row["is_baseline"] = row["visit"] == baseline_label(row["client"])

    frame = pd.DataFrame(rows)
    frame = frame.sort_values(["client", "instrument", "visit_order"], kind="stable")
    categories = [label_of[o] for o in sorted(label_of)]
    frame["visit"] = pd.Categorical(frame["visit"], categories=categories, ordered=True)
    frame["visit_order"] = frame["visit_order"].astype(int)
    for column in ("diagnosis", "baseline_diagnosis"):
        frame[column] = frame[column].astype(object)
    return frame[list(COLUMNS)].reset_index(drop=True)


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    for column in ("total", "baseline", "change"):
        frame[column] = frame[column].astype(float)
    frame["visit_order"] = frame["visit_order"].astype(int)
    frame["is_baseline"] = frame["is_baseline"].astype(bool)
    frame["visit"] = pd.Categorical([], categories=[], ordered=True)
    return frame


def visit_levels(frame: pd.DataFrame, visit: str = "visit") -> list[str]:
    """The visits of ``frame`` in schedule order (categorical order, else ``visit_order``)."""
    column = frame[visit]
    if isinstance(column.dtype, pd.CategoricalDtype):
        return [str(c) for c in column.cat.categories]
    if "visit_order" in frame.columns:
        pairs = frame[[visit, "visit_order"]].drop_duplicates().sort_values("visit_order")
        return [str(v) for v in pairs[visit]]
    return sorted(str(v) for v in column.dropna().unique())


def follow_up_rows(frame: pd.DataFrame, instrument: str | None = None) -> pd.DataFrame:
    """Rows after the baseline visit that have a change (optionally for one instrument)."""
    rows = frame[~frame["is_baseline"].astype(bool) & frame["change"].notna()]
    if instrument is not None:
        rows = rows[rows["instrument"] == instrument]
    return rows.reset_index(drop=True)
