"""Vital signs: due and overdue readings, and threshold alerts."""

from datetime import UTC, datetime, timedelta

import pytest

from mendwell.clinical.protocols.schema import load_protocol
from mendwell.clinical.sessions.vitals import (
    VitalReading,
    check_reading,
    due_minutes,
    reading_schedule,
)

DOSE = datetime(2025, 4, 3, 9, 30, tzinfo=UTC)
RULES = load_protocol("mdma-at-phase3").dosing.vital_signs
assert RULES is not None


def test_mdma_reading_schedule():
    # Template setting: before the dose, every 30 minutes for 4 hours, then hourly to 8 hours.
    assert due_minutes(RULES) == [0, 30, 60, 90, 120, 150, 180, 210, 240, 300, 360, 420, 480]


def test_due_and_overdue_given_now():
    readings = [
        VitalReading(DOSE - timedelta(minutes=5)),
        VitalReading(DOSE + timedelta(minutes=31)),
        VitalReading(DOSE + timedelta(minutes=52)),
    ]
    at_95 = {
        d.minute: d.status
        for d in reading_schedule(RULES, DOSE, readings, DOSE + timedelta(minutes=95))
    }
    assert (at_95[0], at_95[30], at_95[60], at_95[90], at_95[120]) == (
        "taken",
        "taken",
        "taken",
        "due",
        "upcoming",
    )
    at_101 = {
        d.minute: d.status
        for d in reading_schedule(RULES, DOSE, readings, DOSE + timedelta(minutes=101))
    }
    assert at_101[90] == "overdue"
    # 45 minutes is 15 from both 30 and 60: outside the 10-minute grace of either.
    one = [VitalReading(DOSE + timedelta(minutes=45))]
    statuses = [d.status for d in reading_schedule(RULES, DOSE, one, DOSE + timedelta(minutes=200))]
    assert statuses.count("taken") == 0


def test_a_reading_counts_for_one_due_time_only():
    wide = RULES.model_copy(update={"grace_minutes": 20})
    one = [VitalReading(DOSE + timedelta(minutes=15))]  # within 20 minutes of both 0 and 30
    statuses = [d.status for d in reading_schedule(wide, DOSE, one, DOSE + timedelta(minutes=60))]
    assert statuses[:2] == ["taken", "overdue"]


# Vizeli & Liechti 2017 (166 healthy volunteers, 75 or 125 mg MDMA): systolic > 160 mmHg in 33%,
# heart rate > 100 bpm in 29%, temperature > 38 °C in 19%. Shipped as UNCONFIRMED thresholds.
@pytest.mark.parametrize(
    ("reading", "alerts"),
    [
        ({"systolic_bp": 160, "heart_rate": 100, "temperature": 38.0}, []),
        ({"systolic_bp": 161}, [("systolic_bp", 160)]),
        ({"heart_rate": 101}, [("heart_rate", 100)]),
        ({"temperature": 38.1}, [("temperature", 38.0)]),
        (
            {"systolic_bp": 172, "heart_rate": 118, "temperature": 38.4},
            [("systolic_bp", 160), ("heart_rate", 100), ("temperature", 38.0)],
        ),
        ({"diastolic_bp": 120}, []),  # no diastolic threshold is sourced
        ({}, []),
    ],
)
def test_threshold_alerts(reading, alerts):
    found = check_reading(VitalReading(DOSE, **reading), RULES)
    assert [(a.vital, a.threshold) for a in found] == alerts
    for alert in found:
        assert alert.unconfirmed
        assert "Vizeli" in alert.sources[0]
        assert "UNCONFIRMED" in alert.describe()
