"""Doses: units, psilocybin-psilocin conversion, limits, planned amounts, supplemental timing."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from mendwell.clinical.protocols.schema import load_protocol, validate_protocol_text
from mendwell.clinical.sessions.doses import (
    Administration,
    Quantity,
    SupplementalEvent,
    assess_supplemental,
    check_dose_limits,
    check_planned_amounts,
    conversion_factor,
    convert_basis,
    convert_unit,
)
from mendwell.clinical.sessions.jurisdiction import (
    load_jurisdiction_sessions,
    resolve_session_rules,
)

T0 = datetime(2025, 4, 3, 9, 30, tzinfo=UTC)
MDMA = load_protocol("mdma-at-phase3")
EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "site-mdma-mapp1-window.yaml"


def dose(amount, *, substance="mdma", basis="mdma-hcl", unit="mg", kind="initial", **extra):
    return Administration(
        substance=substance,
        product=extra.pop("product", "MDMA HCl capsules"),
        lot_or_unique_id=extra.pop("lot", "LOT-24-001"),
        basis=basis,
        amount=Decimal(str(amount)),
        unit=unit,
        given_at=extra.pop("given_at", T0),
        given_by="dr-mona",
        witnessed_by=extra.pop("witnessed_by", "alice"),
        kind=kind,
        **extra,
    )


def psilocybin(amount, basis="psilocybin-analyte", **extra):
    return dose(amount, substance="psilocybin", basis=basis, product="Fruiting bodies", **extra)


@pytest.mark.parametrize(
    ("amount", "src", "dst", "expected"),
    [
        ("1", "g", "mg", "1000"),
        ("250", "µg", "mg", "0.25"),
        ("250", "mcg", "mg", "0.25"),
        ("250", "ug", "mg", "0.25"),
        ("250", "μg", "mg", "0.25"),  # Greek mu
        ("0.025", "g", "µg", "25000"),
    ],
)
def test_unit_conversion(amount, src, dst, expected):
    assert convert_unit(Decimal(amount), src, dst) == Decimal(expected)


def test_unknown_unit_is_rejected_with_the_field():
    with pytest.raises(ValueError, match="kg"):
        convert_unit(Decimal(1), "kg", "mg")
    with pytest.raises(ValidationError, match="unit"):
        dose(120, unit="tablets")


def test_psilocybin_to_psilocin_by_molar_mass():
    # 204.27 / 284.25 = 0.7186 (psilocin / psilocybin, PubChem); reported with both values.
    factor, derivation, sources = conversion_factor("psilocybin-analyte", "total-psilocin")
    assert factor == Decimal("204.27") / Decimal("284.25")
    assert round(factor, 3) == Decimal("0.719")
    assert "204.27" in derivation
    assert "284.25" in derivation
    assert any("PubChem" in s for s in sources)
    conv = convert_basis(Quantity(Decimal(25), "mg", "psilocybin-analyte"), "total-psilocin")
    assert conv.original.amount == 25
    assert round(conv.converted.amount, 2) == Decimal("17.97")
    assert "25 mg psilocybin-analyte = 17.966 mg total-psilocin" in conv.describe()


def test_no_conversion_between_unrelated_bases():
    with pytest.raises(ValueError, match="no conversion"):
        convert_basis(Quantity(Decimal(1), "mg", "mdma-hcl"), "total-psilocin")


AMOUNTS = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(1000), places=3)


@given(
    amount=AMOUNTS,
    unit=st.sampled_from(["g", "mg", "µg"]),
    other=st.sampled_from(["g", "mg", "µg"]),
)
def test_unit_round_trip_is_exact(amount, unit, other):
    q = Quantity(amount, unit, "mdma-hcl")
    assert q.to(other).to(unit).amount == amount


@given(amount=AMOUNTS)
def test_basis_round_trip(amount):
    q = Quantity(amount, "mg", "psilocybin-analyte")
    there = convert_basis(q, "total-psilocin").converted
    back = convert_basis(there, "psilocybin-analyte").converted
    assert abs(back.amount - amount) < Decimal("1e-20")
    assert there.amount < amount  # psilocin is lighter than psilocybin


def test_mdma_session_total_limit():
    ok = [dose(120), dose(60, kind="supplemental", given_at=T0 + timedelta(minutes=100))]
    limits = resolve_session_rules(MDMA).dose_limits
    assert check_dose_limits(ok, limits) == []
    over = [dose(120), dose(80, kind="supplemental")]
    [v] = check_dose_limits(over, limits)
    assert v.limit_id == "mdma-session-total"
    assert v.actual.amount == 200
    assert v.maximum.amount == 180
    assert v.administrations == (0, 1)
    assert any("MAPP" in s for s in v.sources)


def test_oregon_50_mg_per_session():
    limits = load_jurisdiction_sessions("us-or").dose_limits
    assert check_dose_limits([psilocybin(35), psilocybin(15, kind="supplemental")], limits) == []
    [v] = check_dose_limits([psilocybin(35), psilocybin("15.5", kind="supplemental")], limits)
    assert v.actual.amount == Decimal("50.5")
    assert v.unconfirmed  # the cap's rule text was not retrieved
    assert "OAR 333-333-5250" in v.sources[0]


def test_colorado_serving_limit_in_total_psilocin():
    # 1 CCR 213-1 Rule 8030 C.1: at most 10 mg Total Psilocin per serving. A serving labelled
    # 14 mg psilocybin is 14 x 0.7186 = 10.06 mg psilocin: over; 13.9 mg is 9.99 mg: within.
    limits = load_jurisdiction_sessions("us-co").dose_limits
    [v] = check_dose_limits([psilocybin(14)], limits)
    assert v.limit_id == "colorado-serving"
    assert v.conversion is not None
    assert v.conversion.original.amount == 14
    assert round(v.actual.amount, 2) == Decimal("10.06")
    assert check_dose_limits([psilocybin("13.9")], limits) == []
    # Two servings of 8 mg total psilocin each are fine per serving.
    assert check_dose_limits([psilocybin(16, basis="total-psilocin", servings=2)], limits) == []


def test_colorado_container_limit():
    limits = load_jurisdiction_sessions("us-co").dose_limits
    within = psilocybin(10, basis="total-psilocin", container_amount=Decimal(50))
    assert check_dose_limits([within], limits) == []
    over = psilocybin(10, basis="total-psilocin", container_amount=Decimal(60))
    assert [v.limit_id for v in check_dose_limits([over], limits)] == ["colorado-container"]


def test_planned_amounts():
    assert check_planned_amounts([dose(120), dose(60, kind="supplemental")], MDMA.dosing) == []
    problems = check_planned_amounts([dose(100), dose(40, kind="supplemental")], MDMA.dosing)
    assert problems[0].startswith("administrations.0.amount: initial dose 100 mg")
    assert problems[1].startswith("administrations.1.amount: supplemental dose 40 mg")
    # 0.12 g is 120 mg: units do not matter.
    assert check_planned_amounts([dose("0.12", unit="g")], MDMA.dosing) == []


def test_psilocybin_protocol_has_no_supplemental_dose():
    dosing = load_protocol("psilocybin-single-25mg").dosing
    problems = check_planned_amounts([psilocybin(25), psilocybin(5, kind="supplemental")], dosing)
    assert problems == ["administrations.1.kind: this protocol has no supplemental dose"]


def test_colorado_requires_a_witness():
    # 1 CCR 213-1 Rule 8030 D.1: the facilitator must observe the participant consume the product.
    witness = load_jurisdiction_sessions("us-co").witness
    dosing = load_protocol("oregon-service-centre").dosing
    unwitnessed = [psilocybin(10, witnessed_by=None)]
    assert check_planned_amounts(unwitnessed, dosing) == []
    assert check_planned_amounts(unwitnessed, dosing, witness) == [
        "administrations.0.witnessed_by: a witness is required"
    ]


@pytest.mark.parametrize(
    ("field", "change", "message"),
    [
        ("given_at", {"given_at": datetime(2025, 4, 3, 9, 30)}, "given_at"),
        ("amount", {"amount": Decimal(0)}, "amount"),
        ("basis", {"basis": "total-psilocin"}, "basis"),
        ("lot_or_unique_id", {"lot_or_unique_id": ""}, "lot_or_unique_id"),
    ],
)
def test_administration_errors_name_the_field(field, change, message):
    data = dose(120).model_dump() | change
    with pytest.raises(ValidationError, match=message):
        Administration.model_validate(data)


# MAPP2 and ClinicalTrials.gov NCT04077437: supplemental dose 1.5 to 2 hours after the initial.
@pytest.mark.parametrize(
    ("after", "timing", "needs_reason"),
    [
        (timedelta(minutes=89), "before-window", True),
        (timedelta(minutes=89, seconds=59), "before-window", True),
        (timedelta(minutes=90), "within-window", False),
        (timedelta(minutes=120), "within-window", False),
        (timedelta(minutes=120, seconds=1), "after-window", True),
        (timedelta(minutes=150), "after-window", True),
    ],
)
def test_supplemental_window_boundaries_mapp2(after, timing, needs_reason):
    rule = MDMA.dosing.supplemental
    result = assess_supplemental(T0, SupplementalEvent("given", T0 + after), rule)
    assert result.timing == timing
    assert result.reason_required is needs_reason
    assert bool(result.problems) is needs_reason
    with_reason = assess_supplemental(
        T0, SupplementalEvent("given", T0 + after, "delayed: nausea"), rule
    )
    assert with_reason.problems == ()


def test_mapp1_window_is_stored_per_protocol_version():
    # MAPP1 study page: 1.5 to 2.5 hours. The same 150-minute dose is within this protocol's window.
    protocol = validate_protocol_text(EXAMPLE.read_text()).protocol
    assert protocol is not None
    result = assess_supplemental(
        T0, SupplementalEvent("given", T0 + timedelta(minutes=150)), protocol.dosing.supplemental
    )
    assert result.timing == "within-window"
    assert result.window_minutes == (90, 150)


def test_withheld_needs_a_reason_and_declined_does_not():
    rule = MDMA.dosing.supplemental
    withheld = assess_supplemental(T0, SupplementalEvent("withheld"), rule)
    assert withheld.problems == (
        "reason: a reason is required when the supplemental dose is withheld",
    )
    ok = assess_supplemental(T0, SupplementalEvent("withheld", reason="systolic 172 mmHg"), rule)
    assert ok.problems == ()
    declined = assess_supplemental(
        T0, SupplementalEvent("declined", T0 + timedelta(minutes=95)), rule
    )
    assert declined.problems == ()
    assert not declined.reason_required
    untimed = assess_supplemental(T0, SupplementalEvent("offered"), rule)
    assert untimed.problems == ("at: the time the supplemental dose was offered is required",)


def test_oregon_secondary_dose_has_no_window():
    rule = load_protocol("oregon-service-centre").dosing.supplemental
    result = assess_supplemental(T0, SupplementalEvent("given", T0 + timedelta(hours=3)), rule)
    assert result.timing is None
    assert result.problems == ()
