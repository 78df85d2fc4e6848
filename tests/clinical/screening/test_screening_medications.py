"""Medication knowledge: names and brands to classes, search for autocomplete, half-life facts."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from screening_builders import assert_check_reports

from mendwell.clinical.screening import MedicationClass, classify, search_medications
from mendwell.clinical.screening.medications import (
    check_medication_set,
    default_medication_index,
    load_medication_file,
    normalise_name,
)


@pytest.mark.parametrize(
    ("name", "medication_id", "cls"),
    [
        ("Nardil", "phenelzine", MedicationClass.MAOI_IRREVERSIBLE),
        ("nardil", "phenelzine", MedicationClass.MAOI_IRREVERSIBLE),
        ("Parnate 10 mg", "tranylcypromine", MedicationClass.MAOI_IRREVERSIBLE),
        ("Emsam patch", "selegiline", MedicationClass.MAOI_IRREVERSIBLE),
        ("Manerix", "moclobemide", MedicationClass.MAOI_REVERSIBLE),
        ("Zyvox", "linezolid", MedicationClass.MAOI_REVERSIBLE),
        ("methylthioninium chloride", "methylene-blue", MedicationClass.MAOI_REVERSIBLE),
        ("PAXIL CR 25 mg", "paroxetine", MedicationClass.SSRI),
        ("sertraline hydrochloride", "sertraline", MedicationClass.SSRI),
        ("Prozac", "fluoxetine", MedicationClass.STRONG_CYP2D6_INHIBITOR),
        ("Effexor XR 75mg", "venlafaxine", MedicationClass.SNRI),
        ("Lithium Carbonate ER 300 mg", "lithium", MedicationClass.LITHIUM),
        ("Lithobid", "lithium", MedicationClass.LITHIUM),
        ("Wellbutrin XL", "bupropion", MedicationClass.BUPROPION),
        ("Ultram", "tramadol", MedicationClass.TRAMADOL),
        ("Adderall XR", "amphetamine", MedicationClass.STIMULANT),
        ("Imitrex", "sumatriptan", MedicationClass.TRIPTAN),
        ("Seroquel", "quetiapine", MedicationClass.ANTIPSYCHOTIC),
        ("Norvir", "ritonavir", MedicationClass.STRONG_CYP3A4_INHIBITOR),
        ("St. John's Wort", "st-johns-wort", MedicationClass.ST_JOHNS_WORT),
        ("Hypericum perforatum", "st-johns-wort", MedicationClass.ST_JOHNS_WORT),
        ("Robitussin DM", "dextromethorphan", MedicationClass.SEROTONERGIC_OTHER),
        ("Lamictal", "lamotrigine", MedicationClass.ANTICONVULSANT),
        ("citalopram hydrobromide", "citalopram", MedicationClass.QT_PROLONGING),
    ],
)
def test_names_brands_and_salts_resolve_to_a_class(
    name: str, medication_id: str, cls: MedicationClass
) -> None:
    med = classify(name)
    assert med is not None
    assert med.id == medication_id
    assert cls in med.classes


@pytest.mark.parametrize("name", ["aspirin", "", "   ", "20 mg", "hydrochloride"])
def test_unknown_names_are_not_classified(name: str) -> None:
    assert classify(name) is None


def test_lamotrigine_is_not_in_any_interaction_class() -> None:
    # The non-interacting contrast of Nayak et al. 2021: no seizures with lamotrigine.
    med = classify("lamotrigine")
    assert med is not None
    assert med.classes == (MedicationClass.ANTICONVULSANT,)


def test_search_ranks_generic_prefix_before_brand_prefix() -> None:
    results = search_medications("ser")
    ids = [m.medication_id for m in results]
    assert ids[0] == "sertraline"
    seroquel = next(m for m in results if m.medication_id == "quetiapine")
    assert (seroquel.matched_text, seroquel.matched_on) == ("Seroquel", "brand")


def test_search_finds_brand_names() -> None:
    results = search_medications("nar")
    phenelzine = next(m for m in results if m.medication_id == "phenelzine")
    assert phenelzine.matched_on == "brand"
    assert phenelzine.matched_text == "Nardil"
    assert MedicationClass.MAOI_IRREVERSIBLE in phenelzine.classes
    # a generic-name prefix (naratriptan) ranks above a brand prefix (Nardil)
    assert [m.medication_id for m in results].index("naratriptan") < [
        m.medication_id for m in results
    ].index("phenelzine")


def test_search_is_case_insensitive_and_tolerates_salts() -> None:
    [first, *_] = search_medications("PAROXETINE HYDROCHLORIDE")
    assert (first.medication_id, first.matched_on) == ("paroxetine", "generic")


def test_search_matches_the_start_of_a_later_word() -> None:
    assert [m.medication_id for m in search_medications("blue")] == ["methylene-blue"]


def test_search_returns_each_medication_once_and_respects_the_limit() -> None:
    assert [m.medication_id for m in search_medications("wellbutrin")] == ["bupropion"]
    assert len(search_medications("a", limit=3)) == 3
    assert search_medications("") == []
    assert search_medications("zzz") == []


def test_normalise_name_drops_doses_salts_and_release_suffixes() -> None:
    assert normalise_name("  Lithium  Carbonate ER 300mg ") == "lithium"
    assert normalise_name("St. John’s Wort") == "st johns wort"


@pytest.mark.parametrize(
    ("medication_id", "entity", "field", "hours", "source"),
    [
        ("paroxetine", "paroxetine", "typical_hours", 21, "PAXIL label 12.3: about 21 h (CV 32%)"),
        (
            "fluoxetine",
            "norfluoxetine",
            "high_hours",
            16 * 24,
            "PROZAC label: norfluoxetine 4-16 days",
        ),
        (
            "fluoxetine",
            "norfluoxetine",
            "typical_hours",
            9.3 * 24,
            "PROZAC label: 9.3 days, multiple doses",
        ),
        ("sertraline", "sertraline", "high_hours", 36, "ZOLOFT label: 22 to 36 h"),
        ("citalopram", "citalopram", "typical_hours", 35, "CELEXA label: about 35 h"),
        ("escitalopram", "escitalopram", "high_hours", 32, "LEXAPRO label: 27-32 h"),
        (
            "venlafaxine",
            "O-desmethylvenlafaxine",
            "typical_hours",
            11,
            "EFFEXOR XR label: 11 ± 2 h",
        ),
        ("duloxetine", "duloxetine", "high_hours", 17, "CYMBALTA label: 12 h (8 to 17)"),
        ("bupropion", "threohydrobupropion", "typical_hours", 37, "WELLBUTRIN XL label: 37 ± 13 h"),
        ("bupropion", "threohydrobupropion", "high_hours", 50, "37 + 13 h (mean + 1 SD)"),
        ("lithium", "lithium", "typical_hours", 24, "Lithium label: about 24 h"),
        ("lamotrigine", "lamotrigine", "typical_hours", 25.4, "LAMICTAL label table: 25.4 h"),
        ("tramadol", "O-desmethyltramadol (M1)", "typical_hours", 7.0, "ULTRAM label: 7.0 h"),
        ("st-johns-wort", "hyperforin", "typical_hours", 9, "Biber 1998: hyperforin 9 h"),
        ("st-johns-wort", "hypericin", "high_hours", 43.1, "Kerb 1996: hypericin 43.1 h"),
    ],
)
def test_half_lives_match_their_sources(
    medication_id: str, entity: str, field: str, hours: float, source: str
) -> None:
    med = default_medication_index().by_id[medication_id]
    half_life = next(h for h in med.half_lives if h.entity == entity)
    assert getattr(half_life, field) == pytest.approx(hours), source
    assert not half_life.unconfirmed, source


def test_irreversible_maois_carry_the_14_day_label_minimum() -> None:
    # SSRI labels: contraindicated "within 14 days of discontinuing a MAOI".
    index = default_medication_index()
    maois = [m for m in index.by_id.values() if MedicationClass.MAOI_IRREVERSIBLE in m.classes]
    assert {m.id for m in maois} >= {"phenelzine", "tranylcypromine", "isocarboxazid", "selegiline"}
    assert all(m.minimum_washout and m.minimum_washout.days == 14 for m in maois)


def test_strong_cyp2d6_inhibitors_follow_the_fda_table() -> None:
    # FDA strong CYP2D6 inhibitors: bupropion, fluoxetine, paroxetine, quinidine (dacomitinib and
    # tipranavir are not in the medication knowledge); terbinafine is moderate, not strong.
    index = default_medication_index()
    strong = {
        m.id for m in index.by_id.values() if MedicationClass.STRONG_CYP2D6_INHIBITOR in m.classes
    }
    assert strong == {"bupropion", "fluoxetine", "paroxetine", "quinidine"}


def test_unconfirmed_half_lives_say_why() -> None:
    for med in default_medication_index().by_id.values():
        for half_life in med.half_lives:
            if half_life.unconfirmed:
                assert half_life.note, med.id


_MINIMAL = """\
id: test-medications
version: "1"
title: Test medications
medications:
  - id: examplol
    name: examplol
    classes: [ssri]
{sources}
    half_lives:
      - entity: examplol
        typical_hours: 10
        sources: [{{citation: "Example label"}}]
"""


def _write(tmp_path: Path, sources: str) -> Path:
    path = tmp_path / "medications" / "test.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_MINIMAL.format(sources=sources))
    return path


def test_a_medication_file_with_sources_loads(tmp_path: Path) -> None:
    path = _write(tmp_path, '    sources: [{citation: "Example label"}]')
    assert load_medication_file(path).medications[0].id == "examplol"


@pytest.mark.parametrize("sources", ["", "    sources: []"])
def test_a_medication_without_a_source_is_rejected(tmp_path: Path, sources: str) -> None:
    path = _write(tmp_path, sources)
    with pytest.raises(ValidationError) as caught:
        load_medication_file(path)
    assert caught.value.errors()[0]["loc"] == ("medications", 0, "sources")
    assert_check_reports("medications", path, "medications.0.sources")


def test_a_medication_needs_a_half_life_or_a_label_minimum(tmp_path: Path) -> None:
    path = _write(tmp_path, '    sources: [{citation: "Example label"}]')
    path.write_text(path.read_text().split("    half_lives:")[0])
    with pytest.raises(ValidationError, match="half_lives"):
        load_medication_file(path)


def test_a_name_shared_by_two_medications_is_reported() -> None:
    index = default_medication_index()
    ssri = next(f for f in index.files if f.id == "antidepressants-ssri")
    paroxetine = next(m for m in ssri.medications if m.id == "paroxetine")
    impostor = paroxetine.model_copy(update={"id": "other", "brands": ("Zoloft",)})
    clash = ssri.model_copy(update={"id": "clash", "medications": (impostor,)})
    problems = check_medication_set([ssri, clash])
    assert any("'Zoloft' refers to both 'sertraline' and 'other'" in p for p in problems)
    assert any("'paroxetine' refers to both" in p for p in problems)
