"""Oregon minimum administration-session duration, OAR 333-333-5250 (effective 1 Jan 2025)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mendwell.clinical.sessions.doses import Quantity
from mendwell.clinical.sessions.duration import (
    OutsideDurationTable,
    check_session_duration,
    minimum_session_duration,
)
from mendwell.clinical.sessions.jurisdiction import load_jurisdiction_sessions

TABLE = load_jurisdiction_sessions("us-or").minimum_duration
assert TABLE is not None
SESSION = date(2025, 6, 1)


def minimum(mg, **kw) -> int:
    total = Quantity(Decimal(str(mg)), "mg", "psilocybin-analyte")
    return minimum_session_duration(TABLE, total, session_on=SESSION, **kw).minutes


# Case table from OAR 333-333-5250(1)(a)-(f): every boundary and the values either side.
CASES = [
    ("1", 60, "(1)(a) < 2.5 mg, initial session at the centre: 1 hour"),
    ("2.49", 60, "(1)(a)"),
    ("2.5", 60, "(1)(b) >= 2.5 and < 5 mg: 1 hour"),
    ("4.99", 60, "(1)(b)"),
    ("5", 120, "(1)(c) >= 5 and < 10 mg: 2 hours"),
    ("9.99", 120, "(1)(c)"),
    ("10", 240, "(1)(d) >= 10 and < 25 mg: 4 hours"),
    ("24.99", 240, "(1)(d)"),
    ("25", 300, "(1)(e) >= 25 and up to 35 mg: 5 hours"),
    ("34.99", 300, "(1)(e)"),
    ("35", 360, "(1)(e) and (f) overlap at 35 mg: the stricter 6 hours"),
    ("35.01", 360, "(1)(f) >= 35 and up to 50 mg: 6 hours"),
    ("50", 360, "(1)(f)"),
]


@pytest.mark.parametrize(("mg", "minutes", "rule"), CASES, ids=[c[0] for c in CASES])
def test_oar_333_333_5250_table(mg, minutes, rule):
    assert minimum(mg) == minutes, rule


def test_overlap_at_35_mg_is_explained():
    req = minimum_session_duration(
        TABLE, Quantity(Decimal(35), "mg", "psilocybin-analyte"), session_on=SESSION
    )
    assert len(req.bands) == 2
    assert "stricter" in req.reason
    assert "OAR 333-333-5250" in req.sources[0]


@pytest.mark.parametrize(
    ("initial", "whole_fungi", "minutes"),
    [
        (None, False, 60),  # the client's first session at this centre
        (SESSION, False, 60),  # this session is the initial one
        (date(2025, 1, 10), False, 30),  # later session within 12 months: 30 minutes
        (date(2024, 6, 1), False, 30),  # exactly 12 months after the initial session
        (date(2024, 5, 31), False, 60),  # more than 12 months later
        (date(2025, 1, 10), True, 60),  # (2): whole fungi under 2.5 mg: always 1 hour
    ],
)
def test_below_2_5_mg_first_and_later_sessions(initial, whole_fungi, minutes):
    assert minimum("1.5", initial_session_on=initial, whole_fungi=whole_fungi) == minutes


def test_later_session_rule_only_applies_below_2_5_mg():
    assert minimum("3", initial_session_on=date(2025, 1, 10)) == 60


@pytest.mark.parametrize("mg", ["50.01", "0", "120"])
def test_amounts_outside_the_table(mg):
    with pytest.raises(OutsideDurationTable, match="outside the duration table"):
        minimum(mg)


def test_other_basis_is_refused():
    with pytest.raises(ValueError, match="psilocybin-analyte"):
        minimum_session_duration(
            TABLE, Quantity(Decimal(10), "mg", "total-psilocin"), session_on=SESSION
        )


def test_units_are_converted():
    req = minimum_session_duration(
        TABLE, Quantity(Decimal("0.025"), "g", "psilocybin-analyte"), session_on=SESSION
    )
    assert req.minutes == 300


def test_actual_duration_against_the_minimum():
    start = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
    ok = check_session_duration(start, start + timedelta(hours=5), 300, "25 mg", ())
    assert ok.ok
    assert ok.shortfall_minutes == 0
    short = check_session_duration(
        start, start + timedelta(hours=4, minutes=59, seconds=30), 300, "25 mg", ()
    )
    assert not short.ok
    assert (short.actual_minutes, short.shortfall_minutes) == (299, 1)
    with pytest.raises(ValueError, match="end"):
        check_session_duration(start, start - timedelta(1), 60, "", ())


@given(
    a=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(50), places=2),
    b=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(50), places=2),
)
def test_more_psilocybin_never_means_a_shorter_minimum(a, b):
    low, high = sorted((a, b))
    assert minimum(low) <= minimum(high)
