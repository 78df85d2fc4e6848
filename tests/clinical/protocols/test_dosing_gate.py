"""The dosing gate lists every unmet condition; overrides need a known condition and a reason."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from mendwell.clinical.protocols.gating import (
    NOT_APPLICABLE,
    ConsentRecord,
    GateOverrideError,
    GateState,
    Override,
    PregnancyTest,
    PreparationSession,
    ScreeningRecord,
    check_dosing_gate,
    condition_codes,
)
from mendwell.clinical.protocols.schema import load_protocol

TODAY = date(2025, 4, 3)
MDMA = load_protocol("mdma-at-phase3")
OREGON = load_protocol("oregon-service-centre")


def signed(n: int, start: date = date(2025, 3, 10)) -> tuple[PreparationSession, ...]:
    return tuple(
        PreparationSession(
            f"preparation-{i + 1}", start + timedelta(weeks=i), start + timedelta(weeks=i)
        )
        for i in range(n)
    )


ALL_CONSENTS = tuple(
    ConsentRecord(c, date(2025, 3, 3))
    for c in ("treatment", "session-recording", "supportive-touch", "overnight-stay")
)

# Alice's client on the morning of her first MDMA dosing session: everything in place.
READY = GateState(
    preparation_sessions=signed(3),
    screening=ScreeningRecord("eligible", date(2025, 2, 17)),
    washout_safe_from={"sertraline": date(2025, 3, 20)},
    consents=ALL_CONSENTS,
    pregnancy_test=PregnancyTest("negative", TODAY),
)


def codes(result):
    return {c.code for c in result.unmet}


def test_all_conditions_met():
    result = check_dosing_gate(MDMA, READY, today=TODAY)
    assert result.ready
    assert result.unmet == ()
    assert set(result.met) == set(condition_codes(MDMA, READY))
    assert (result.protocol_id, result.protocol_version) == ("mdma-at-phase3", "1.1.0")


# One precondition missing at a time; the gate reports exactly that one.
MISSING_ONE = [
    ("preparation-sessions", replace(READY, preparation_sessions=signed(2))),
    (
        "preparation-sessions",
        replace(
            READY,
            preparation_sessions=(*signed(2), PreparationSession("preparation-3", TODAY, None)),
        ),
    ),
    ("preparation-sessions", replace(READY, preparation_sessions=(*signed(2), signed(2)[1]))),
    ("screening-missing", replace(READY, screening=None)),
    ("screening-missing", replace(READY, screening=ScreeningRecord("eligible", None))),
    (
        "screening-not-eligible",
        replace(READY, screening=ScreeningRecord("not-eligible", date(2025, 2, 17))),
    ),
    (
        "screening-not-eligible",
        replace(READY, screening=ScreeningRecord("pending", date(2025, 2, 17))),
    ),
    (
        "screening-expired",
        replace(READY, screening=ScreeningRecord("eligible", TODAY - timedelta(days=61))),
    ),
    (
        "washout:sertraline",
        replace(READY, washout_safe_from={"sertraline": TODAY + timedelta(days=1)}),
    ),
    ("pregnancy-test", replace(READY, pregnancy_test=None)),
    (
        "pregnancy-test",
        replace(READY, pregnancy_test=PregnancyTest("negative", TODAY - timedelta(1))),
    ),
    ("pregnancy-test-positive", replace(READY, pregnancy_test=PregnancyTest("positive", TODAY))),
] + [
    (
        f"consent:{cid}",
        replace(READY, consents=tuple(c for c in ALL_CONSENTS if c.consent_id != cid)),
    )
    for cid in ("treatment", "session-recording", "supportive-touch", "overnight-stay")
]


@pytest.mark.parametrize(("code", "state"), MISSING_ONE, ids=[c for c, _ in MISSING_ONE])
def test_each_missing_precondition_is_reported_alone(code, state):
    result = check_dosing_gate(MDMA, state, today=TODAY)
    assert not result.ready
    assert codes(result) == {code}
    cond = result.unmet[0]
    assert cond.message
    assert cond.needed
    assert cond.sources


def test_screening_exactly_at_the_age_limit_passes():
    state = replace(READY, screening=ScreeningRecord("eligible", TODAY - timedelta(days=60)))
    assert check_dosing_gate(MDMA, state, today=TODAY).ready


def test_washout_ending_today_passes():
    state = replace(READY, washout_safe_from={"sertraline": TODAY})
    assert check_dosing_gate(MDMA, state, today=TODAY).ready


def test_pregnancy_test_not_applicable_passes():
    state = replace(READY, pregnancy_test=NOT_APPLICABLE)
    assert check_dosing_gate(MDMA, state, today=TODAY).ready


def test_withdrawn_consent_is_not_consent():
    consents = tuple(
        replace(c, withdrawn_on=date(2025, 4, 1)) if c.consent_id == "session-recording" else c
        for c in ALL_CONSENTS
    )
    result = check_dosing_gate(MDMA, replace(READY, consents=consents), today=TODAY)
    assert codes(result) == {"consent:session-recording"}


def test_every_unmet_condition_is_listed_not_just_the_first():
    empty = GateState(
        washout_safe_from={
            "sertraline": TODAY + timedelta(days=9),
            "bupropion": TODAY + timedelta(days=2),
        }
    )
    result = check_dosing_gate(MDMA, empty, today=TODAY)
    assert codes(result) == {
        "preparation-sessions",
        "screening-missing",
        "washout:bupropion",
        "washout:sertraline",
        "consent:treatment",
        "consent:session-recording",
        "consent:supportive-touch",
        "consent:overnight-stay",
        "pregnancy-test",
    }


def test_later_dosing_sessions_skip_first_session_conditions():
    # For dosing session 2 the screening age and preparation count no longer apply, but a
    # pregnancy test before each session does (NCT06189027).
    state = GateState(consents=ALL_CONSENTS, dosing_sessions_completed=1)
    result = check_dosing_gate(MDMA, state, today=TODAY)
    assert codes(result) == {"pregnancy-test"}


def test_medical_override_with_reason():
    state = replace(
        READY,
        screening=ScreeningRecord("eligible", TODAY - timedelta(days=75)),
        overrides=(Override("screening-expired", "Labs repeated 1 Apr, unchanged", "dr-mona"),),
    )
    result = check_dosing_gate(MDMA, state, today=TODAY)
    assert result.ready
    assert [o.condition.code for o in result.overridden] == ["screening-expired"]
    assert result.overridden[0].override.reason.startswith("Labs")


def test_override_for_a_met_condition_is_kept_as_unused():
    state = replace(
        READY, overrides=(Override("washout:sertraline", "taper done early", "dr-mona"),)
    )
    result = check_dosing_gate(MDMA, state, today=TODAY)
    assert result.ready
    assert [o.condition for o in result.unused_overrides] == ["washout:sertraline"]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (Override("screening-too-old", "typo", "dr-mona"), "unknown condition 'screening-too-old'"),
        (
            Override("washout:lithium", "not in state", "dr-mona"),
            "unknown condition 'washout:lithium'",
        ),
        (Override("consent:treatment", "urgent", "dr-mona"), "cannot be overridden"),
        (Override("pregnancy-test-positive", "?", "dr-mona"), "cannot be overridden"),
        (Override("screening-expired", "  ", "dr-mona"), "needs a reason"),
        (Override("screening-expired", "reason", ""), "authorised_by"),
    ],
)
def test_bad_overrides_are_errors(override, message):
    state = replace(
        READY,
        consents=(),
        pregnancy_test=PregnancyTest("positive", TODAY),
        screening=ScreeningRecord("eligible", TODAY - timedelta(days=75)),
        overrides=(override,),
    )
    with pytest.raises(GateOverrideError, match=message):
        check_dosing_gate(MDMA, state, today=TODAY)


# Oregon: a preparation session at least 24 hours and no more than 90 days before the first
# administration session (OAR 333-333-5000(1)); CIF, transport plan, 303 notice.
OREGON_CONSENTS = tuple(
    ConsentRecord(c, date(2025, 3, 1))
    for c in ("oregon-cif", "transport-plan", "oregon-303-notice", "supportive-touch")
)
NOW = datetime(2025, 4, 3, 10, 0, tzinfo=UTC)


def oregon_state(held_at: datetime) -> GateState:
    prep = PreparationSession("preparation-1", held_at.date(), held_at.date(), held_at)
    return GateState(preparation_sessions=(prep,), consents=OREGON_CONSENTS)


@pytest.mark.parametrize(
    ("before", "ok"),
    [
        (timedelta(hours=23, minutes=59), False),
        (timedelta(hours=24), True),
        (timedelta(days=90), True),
        (timedelta(days=90, minutes=1), False),
    ],
)
def test_oregon_preparation_timing_to_the_minute(before, ok):
    result = check_dosing_gate(OREGON, oregon_state(NOW - before), today=NOW.date(), now=NOW)
    assert result.ready is ok
    if not ok:
        assert codes(result) == {"preparation-timing"}
        assert not result.unmet[0].overridable


def test_oregon_timing_without_times_is_checked_conservatively():
    # Held yesterday at an unrecorded time: it may have been less than 24 hours ago.
    yesterday = PreparationSession("preparation-1", TODAY - timedelta(1), TODAY - timedelta(1))
    state = GateState(preparation_sessions=(yesterday,), consents=OREGON_CONSENTS)
    assert codes(check_dosing_gate(OREGON, state, today=TODAY)) == {"preparation-timing"}
    two_days = replace(yesterday, held_on=TODAY - timedelta(2), signed_on=TODAY - timedelta(2))
    state = replace(state, preparation_sessions=(two_days,))
    assert check_dosing_gate(OREGON, state, today=TODAY).ready


def test_oregon_needs_its_forms():
    state = replace(oregon_state(NOW - timedelta(days=3)), consents=())
    result = check_dosing_gate(OREGON, state, today=NOW.date(), now=NOW)
    assert codes(result) == {
        "consent:oregon-cif",
        "consent:transport-plan",
        "consent:oregon-303-notice",
        "consent:supportive-touch",
    }


def test_naive_times_are_refused():
    naive = datetime(2025, 4, 3, 10, 0)
    with pytest.raises(ValueError, match="now"):
        check_dosing_gate(OREGON, oregon_state(NOW - timedelta(days=3)), today=TODAY, now=naive)
    state = oregon_state(naive - timedelta(days=3))
    with pytest.raises(ValueError, match=r"preparation_sessions\.0\.held_at"):
        check_dosing_gate(OREGON, state, today=TODAY, now=NOW)
