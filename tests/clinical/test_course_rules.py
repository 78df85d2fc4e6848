"""Course rules: which dates anchor the plan, when a visit is due or overdue, the stage of care."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mendwell.clinical.courses import anchoring_dates, is_due, is_overdue, stage_of

DAY = date(2026, 3, 2)


@dataclass
class V:
    visit_id: str = "v"
    kind: str = "preparation"
    status: str = "planned"
    scheduled_date: date | None = None
    actual_date: date | None = None
    earliest_date: date = DAY
    latest_date: date = DAY + timedelta(days=7)


def test_held_dates_anchor_before_booked_dates_and_planned_visits_do_not() -> None:
    visits = [
        V("a", status="completed", actual_date=DAY, scheduled_date=DAY - timedelta(1)),
        V("b", status="scheduled", scheduled_date=DAY + timedelta(3)),
        V("c", status="planned"),
        V("d", status="missed", scheduled_date=None),
    ]
    assert anchoring_dates(visits) == {"a": DAY, "b": DAY + timedelta(3)}


@pytest.mark.parametrize(
    ("status", "today", "due", "overdue"),
    [
        ("planned", DAY - timedelta(1), False, False),
        ("planned", DAY, True, False),
        ("scheduled", DAY + timedelta(7), True, False),
        ("planned", DAY + timedelta(8), True, True),
        ("completed", DAY + timedelta(8), False, False),
        ("missed", DAY + timedelta(8), False, False),
        ("cancelled", DAY + timedelta(3), False, False),
    ],
)
def test_due_and_overdue_follow_the_window(status, today, due, overdue) -> None:  # type: ignore[no-untyped-def]
    visit = V(status=status)
    assert (is_due(visit, today), is_overdue(visit, today)) == (due, overdue)


@given(
    st.integers(min_value=-30, max_value=30),
    st.integers(min_value=0, max_value=30),
    st.integers(min_value=-60, max_value=60),
)
def test_an_overdue_visit_is_always_due(start: int, length: int, offset: int) -> None:
    visit = V(earliest_date=DAY + timedelta(start), latest_date=DAY + timedelta(start + length))
    today = DAY + timedelta(offset)
    if is_overdue(visit, today):
        assert is_due(visit, today)


def _course(*statuses: tuple[str, str]) -> list[V]:
    return [V(f"v{n}", kind=kind, status=status) for n, (kind, status) in enumerate(statuses)]


@pytest.mark.parametrize(
    ("visits", "stage"),
    [
        (_course(("preparation", "completed"), ("dosing", "planned")), "enrolled"),
        (_course(("dosing", "missed"), ("integration", "planned")), "enrolled"),
        (
            _course(("dosing", "completed"), ("integration", "planned"), ("follow_up", "planned")),
            "in_treatment",
        ),
        (
            _course(("dosing", "completed"), ("integration", "missed"), ("follow_up", "planned")),
            "follow_up",
        ),
        (_course(("dosing", "completed"), ("integration", "completed")), "completed"),
        (_course(("dosing", "completed"), ("follow_up", "missed")), "completed"),
    ],
)
def test_the_stage_of_care_follows_the_visits(visits, stage) -> None:  # type: ignore[no-untyped-def]
    assert stage_of(visits) == stage
