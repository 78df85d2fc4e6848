"""Discharge: criteria, release, and the session length (protocol minimum or Oregon table)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from mendwell.clinical.protocols.schema import load_protocol
from mendwell.clinical.sessions.discharge import DischargeRecord, review_discharge
from mendwell.clinical.sessions.doses import Administration
from mendwell.clinical.sessions.jurisdiction import resolve_session_rules

START = datetime(2025, 4, 3, 9, 0, tzinfo=UTC)
MDMA_RULES = resolve_session_rules(load_protocol("mdma-at-phase3"))
OREGON_RULES = resolve_session_rules(load_protocol("oregon-service-centre"))
MDMA_CRITERIA = {"effects-resolved": True, "psychologically-stable": True, "vitals-reviewed": True}
OREGON_CRITERIA = {"leaves-per-transport-plan": True, "completion-certified": True}


def psilocybin(mg) -> Administration:
    return Administration(
        substance="psilocybin",
        product="Dried fruiting bodies",
        lot_or_unique_id="OR-PSI-0042",
        basis="psilocybin-analyte",
        amount=Decimal(str(mg)),
        unit="mg",
        given_at=START,
        given_by="alice",
    )


def test_mdma_discharge_to_the_overnight_stay_after_8_hours():
    record = DischargeRecord(START + timedelta(hours=8), MDMA_CRITERIA, "overnight-stay")
    review = review_discharge(MDMA_RULES, record, session_start=START)
    assert review.ok, review.problems
    assert review.duration is not None
    assert review.duration.required_minutes == 480


def test_mdma_short_session_and_wrong_release():
    record = DischargeRecord(
        START + timedelta(hours=7, minutes=50),
        {**MDMA_CRITERIA, "psychologically-stable": False},
        "named-adult",
        "Ben (partner)",
    )
    review = review_discharge(MDMA_RULES, record, session_start=START)
    assert review.unmet_criteria == ("psychologically-stable",)
    fields = [p.split(":")[0] for p in review.problems]
    assert fields == [
        "criteria_met.psychologically-stable",
        "release_to",
        "release_to",
        "discharged_at",
    ]
    assert "10 min short of the 480 min minimum" in review.problems[-1]


@pytest.mark.parametrize(
    ("doses", "hours", "ok"),
    [
        ([30], 5, True),  # OAR 333-333-5250(1)(e): 5 hours
        ([30], 4.5, False),
        ([25, 10], 6, True),  # 35 mg in total, secondary dose included: 6 hours
        ([25, 10], 5.5, False),
    ],
)
def test_oregon_duration_from_the_total_consumed(doses, hours, ok):
    record = DischargeRecord(START + timedelta(hours=hours), OREGON_CRITERIA, "transport-plan")
    review = review_discharge(
        OREGON_RULES, record, session_start=START, administrations=[psilocybin(d) for d in doses]
    )
    assert review.ok is ok, review.problems


def test_oregon_amount_beyond_the_table_is_a_problem():
    record = DischargeRecord(START + timedelta(hours=7), OREGON_CRITERIA, "transport-plan")
    review = review_discharge(
        OREGON_RULES, record, session_start=START, administrations=[psilocybin(40), psilocybin(20)]
    )
    assert any("outside the duration table" in p for p in review.problems)


def test_named_adult_needs_a_name():
    record = DischargeRecord(START + timedelta(hours=6), OREGON_CRITERIA, "named-adult")
    review = review_discharge(
        OREGON_RULES, record, session_start=START, administrations=[psilocybin(5)]
    )
    assert review.problems == ("released_to_name: name the adult the client was released to",)


def test_unknown_criterion_is_an_error():
    record = DischargeRecord(START + timedelta(hours=8), {"feels-fine": True}, "overnight-stay")
    with pytest.raises(ValueError, match="feels-fine"):
        review_discharge(MDMA_RULES, record, session_start=START)
