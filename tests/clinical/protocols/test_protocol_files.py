"""Protocol files: the shipped templates, the example custom protocol, and validation messages."""

from pathlib import Path

import pytest

from mendwell.clinical.protocols.schema import (
    load_protocol,
    shipped_protocols,
    validate_protocol_text,
)
from mendwell.knowledge.registry import DOMAIN_MODULES, check_all, kinds

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "docs" / "examples" / "site-mdma-mapp1-window.yaml"

MINIMAL = """
id: tiny
version: "1"
title: Tiny
description: A minimal protocol.
substance: psilocybin
sources: [{citation: "Some source"}]
anchor_event: {id: enrolment, label: Enrolment, sources: [{citation: "Some source"}]}
phases:
  - id: main
    label: Main
    sources: [{citation: "Some source"}]
    visits:
      - id: prep
        kind: preparation
        label: Prep
        duration: {minutes: 60}
        anchor: enrolment
        offset: {days: 7}
      - {id: dose, kind: dosing, label: Dose, duration: {hours: 6}, anchor: prep, offset: {days: 7}}
gating:
  preparation: {minimum_signed: 1, sources: [{citation: "Some source"}]}
dosing:
  substance: psilocybin
  basis: psilocybin-analyte
  discharge:
    criteria: [{id: ok, label: OK, sources: [{citation: "Some source"}]}]
    release_to: [named-adult]
    sources: [{citation: "Some source"}]
"""


def test_three_protocols_are_shipped_with_stable_ids():
    assert set(shipped_protocols()) == {
        "mdma-at-phase3",
        "psilocybin-single-25mg",
        "oregon-service-centre",
    }


def test_every_registered_kind_validates_cleanly():
    report = check_all()
    assert report.ok, report.problems
    names = {k.name for k in kinds()}
    assert {
        "protocols",
        "jurisdiction-sessions",
        "jurisdiction-profile",
        "adverse-event-vocabulary",
        "dose-analytes",
    } <= names
    assert "mendwell.clinical.protocols.schema" in DOMAIN_MODULES


def test_unknown_protocol_id_names_the_shipped_ones():
    with pytest.raises(KeyError, match="mdma-at-phase3"):
        load_protocol("lsd-microdose")


def test_example_custom_protocol_validates():
    check = validate_protocol_text(EXAMPLE.read_text())
    assert check.ok, check.problems
    assert check.protocol is not None
    rule = check.protocol.dosing.supplemental
    assert rule is not None
    assert rule.window_end is not None
    assert rule.window_end.total_minutes == 150  # MAPP1 page: 1.5 to 2.5 h


def test_minimal_protocol_validates():
    assert validate_protocol_text(MINIMAL).ok


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("anchor: prep,", "anchor: prep-9,", "phases.0.visits.1.anchor: 'prep-9'"),
        ("id: dose,", "id: prep,", "phases.0.visits.1.id: 'prep' is used twice"),
        ("kind: dosing", "kind: dosage", "phases.0.visits.1.kind"),
        ("minimum_signed: 1", "minimum_signed: -1", "gating.preparation.minimum_signed"),
        ("basis: psilocybin-analyte", "basis: mdma-hcl", "dosing"),
        ("substance: psilocybin\nsources", "substance: mdma\nsources", "dosing.substance"),
        (
            "offset: {days: 7}\n      - {id: dose",
            "offset: {days: 7}\n        bogus: 1\n      - {id: dose",
            "phases.0.visits.0.bogus",
        ),
        ("kind: dosing", "kind: integration", "phases: a protocol needs at least one visit"),
    ],
)
def test_problems_name_the_field(old, new, expected):
    assert old in MINIMAL
    check = validate_protocol_text(MINIMAL.replace(old, new, 1))
    assert not check.ok
    assert any(expected in p for p in check.problems), check.problems


def test_unconfirmed_fact_needs_a_note():
    text = MINIMAL.replace(
        "gating:\n  preparation: {minimum_signed: 1,",
        "gating:\n  preparation: {minimum_signed: 1, unconfirmed: true,",
    )
    check = validate_protocol_text(text)
    assert any(p.startswith("gating.preparation") and "note" in p for p in check.problems)


def test_visit_without_any_source_is_rejected():
    text = MINIMAL.replace(
        '  - id: main\n    label: Main\n    sources: [{citation: "Some source"}]\n',
        "  - id: main\n    label: Main\n    sources: []\n",
    )
    check = validate_protocol_text(text)
    assert not check.ok
    assert any(p.startswith("phases.0.sources") for p in check.problems), check.problems


def test_window_forms_cannot_be_mixed():
    text = MINIMAL.replace(
        "offset: {days: 7}\n      - {id: dose",
        "offset: {days: 7}\n"
        "        window: {before: {days: 1}, not_after: {days: 9}}\n"
        "      - {id: dose",
    )
    check = validate_protocol_text(text)
    assert any("phases.0.visits.0.window" in p for p in check.problems), check.problems


@pytest.mark.parametrize("text", ["id: [unclosed", "- just\n- a list\n"])
def test_not_a_protocol_mapping(text):
    check = validate_protocol_text(text)
    assert not check.ok
    assert check.problems[0].startswith("(file)")


def test_every_dosing_visit_of_shipped_protocols_has_a_duration_of_hours():
    for protocol in shipped_protocols().values():
        for visit in protocol.visits:
            if visit.kind == "dosing":
                assert visit.duration.total_minutes >= 6 * 60, (protocol.id, visit.id)


def test_blinded_rater_completes_caps5_wherever_it_is_due():
    # MAPP2: CAPS-5 by a central pool of blinded independent assessors.
    for protocol in shipped_protocols().values():
        for visit in protocol.visits:
            for m in visit.measures:
                if m.instrument.startswith("caps5"):
                    assert m.completed_by == "blinded_rater", (protocol.id, visit.id)
