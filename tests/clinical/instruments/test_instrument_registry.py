"""The instrument registry: shipped files, licence policy and the invariants checked on load.

The broken files reproduce errors found in public implementations (reference: instruments.md §7):
a 19-item PCL-5 missing item 2, anchors listed out of order, overlapping subscales.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from instrument_answers import problems_after, raw

from mendwell.clinical.instruments import (
    UnknownInstrument,
    get_instrument,
    list_instruments,
    score,
    validate_instrument_text,
)
from mendwell.clinical.instruments.registry import INSTRUMENT_DIR
from mendwell.knowledge.registry import DOMAIN_MODULES, check_all, kinds

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "docs" / "examples" / "site-bdi-ii-shell.yaml"

# The text policy per instrument (reference instruments.md §0): text only where the licence
# allows it; CAPS-5 and the C-SSRS ship as data-collection shells.
TEXT_POLICY = {
    "pcl5": "full",
    "phq9": "full",
    "phq2": "full",
    "gad7": "full",
    "who5": "full",
    "audit-c": "full",
    "caps5-past-month": "ids_only",
    "caps5-past-week": "ids_only",
    "cssrs-screener": "ids_only",
}


def shipped_files() -> list[Path]:
    return sorted(INSTRUMENT_DIR.glob("*.yaml"))


def test_instruments_are_a_registered_knowledge_kind_that_validates_cleanly():
    assert "mendwell.clinical.instruments.registry" in DOMAIN_MODULES
    assert "instruments" in {k.name for k in kinds()}
    report = check_all()
    assert report.ok, report.problems


def test_the_shipped_instruments_are_the_contracted_ids():
    assert {i.id for i in list_instruments()} == set(TEXT_POLICY)


@pytest.mark.parametrize("path", shipped_files(), ids=lambda p: p.stem)
def test_an_ids_only_instrument_ships_no_item_text(path):
    # Read the raw file, not the model, so this holds even if the schema changes.
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    distribution = data["licence"]["text_distribution"]
    assert distribution in {"full", "ids_only"}
    if distribution == "ids_only":
        with_text = [item["id"] for item in data["items"] if item.get("text")]
        assert with_text == [], f"{path.name} ships text for {with_text}"
        assert not data.get("instructions"), f"{path.name} ships instructions"


@pytest.mark.parametrize(("instrument_id", "distribution"), sorted(TEXT_POLICY.items()))
def test_text_policy_follows_the_licence(instrument_id, distribution):
    assert get_instrument(instrument_id).licence.text_distribution == distribution


def test_item_text_is_rejected_in_an_ids_only_file():
    def make_ids_only(data):
        data["licence"]["text_distribution"] = "ids_only"

    problems = problems_after("pcl5", make_ids_only)
    assert problems[0] == (
        "items.0.text: must be empty, because the licence allows item ids only "
        "(licence.text_distribution: ids_only)"
    )
    assert len(problems) == 20


def test_a_19_item_pcl5_is_rejected():
    def drop_item_2(data):
        data["items"] = [i for i in data["items"] if i["id"] != "pcl5_02"]

    problems = problems_after("pcl5", drop_item_2)
    assert "scoring.subscales.0.items.1: 'pcl5_02' is not an item" in problems
    assert (
        "total_range: 0–80 does not match the items (19 items × multiplier 1 give 0–76)" in problems
    )


def test_anchors_out_of_order_are_rejected():
    def quite_a_bit_before_moderately(data):
        scale = data["scales"]["bothered"]
        scale[2], scale[3] = scale[3], scale[2]

    assert problems_after("pcl5", quite_a_bit_before_moderately) == [
        "scales.bothered: values must increase in the order listed (2 follows 3)"
    ]


def test_an_item_with_options_out_of_order_is_named():
    def shuffle_item_4(data):
        del data["items"][3]["scale"]
        data["items"][3]["options"] = [
            {"value": 0, "label": "Not at all"},
            {"value": 2, "label": "Moderately"},
            {"value": 1, "label": "A little bit"},
        ]

    assert problems_after("pcl5", shuffle_item_4) == [
        "items.3.options: values must increase in the order listed (1 follows 2)"
    ]


def test_overlapping_subscales_are_rejected_where_they_must_partition_the_total():
    def b5_also_in_c(data):
        data["scoring"]["subscales"][1]["items"].append("pcl5_05")

    assert problems_after("pcl5", b5_also_in_c) == [
        "scoring.subscales.1.items: 'pcl5_05' is already in 'cluster_b'; the subscales must "
        "not overlap"
    ]


def test_an_item_left_out_of_every_cluster_is_rejected():
    def drop_e6(data):
        data["scoring"]["subscales"][3]["items"].remove("pcl5_20")

    assert problems_after("pcl5", drop_e6) == ["scoring.subscales: pcl5_20 belong to no subscale"]


def test_bands_must_be_contiguous_and_cover_the_range():
    def gap_and_short(data):
        data["bands"][1]["range"] = [6, 9]
        data["bands"][4]["range"] = [20, 26]

    assert problems_after("phq9", gap_and_short) == [
        "bands.1.range: starts at 6 but the previous band ends at 4; bands must be contiguous",
        "bands: the last band ends at 26, not at the highest score 27",
    ]


def test_duplicate_item_ids_are_rejected():
    def duplicate(data):
        data["items"][4]["id"] = "pcl5_04"

    problems = problems_after("pcl5", duplicate)
    assert "items.4.id: 'pcl5_04' is used twice" in problems


def test_algorithm_parameters_are_checked_against_the_items():
    def bad_params(data):
        params = data["algorithms"][0]["params"]
        params["minimum_per_cluster"]["F"] = 1
        params["threshold_typo"] = 2

    problems = problems_after("pcl5", bad_params)
    assert problems == ["algorithms.0.params.threshold_typo: Extra inputs are not permitted"]

    def unknown_cluster(data):
        data["algorithms"][0]["params"]["minimum_per_cluster"]["F"] = 1

    assert problems_after("pcl5", unknown_cluster) == [
        "algorithms.0.params.minimum_per_cluster.F: needs 1 symptoms but the instrument has 0 "
        "items in cluster 'F'"
    ]


def test_a_threshold_marked_unconfirmed_needs_a_note():
    def drop_note(data):
        del data["scoring"]["missing"]["note"]

    problems = problems_after("pcl5", drop_note)
    assert problems == [
        "scoring.missing: an unconfirmed fact needs a note saying what is not confirmed"
    ]


def test_problems_name_fields_for_bad_yaml_and_shapes():
    assert validate_instrument_text("id: [")[1][0].startswith("(file): not valid YAML")
    assert validate_instrument_text("- a list") == (
        None,
        ["(file): an instrument file must be a mapping of fields"],
    )
    _, problems = validate_instrument_text(yaml.safe_dump({"id": "x"}))
    assert "version: Field required" in problems


def test_a_custom_file_may_not_reuse_a_shipped_id():
    text = yaml.safe_dump(raw("pcl5"), allow_unicode=True)
    instrument, problems = validate_instrument_text(text)
    assert instrument is None
    assert problems == [
        "id: 'pcl5' is an instrument shipped with Mendwell; give the file its own id"
    ]


def test_the_example_custom_instrument_validates_and_scores():
    instrument, problems = validate_instrument_text(EXAMPLE.read_text(encoding="utf-8"))
    assert problems == []
    assert instrument is not None
    assert instrument.licence.text_distribution == "ids_only"
    assert all(item.text is None for item in instrument.items)
    given = {item.id: 1 for item in instrument.items}
    result = score(instrument, given)
    assert result.total == 21
    assert result.band is not None
    assert result.band.label == "Moderate"
    assert [f.code for f in result.safety_flags] == ["bdi2_item9"]
    listed = list_instruments(include_custom=[instrument])
    assert listed[-1] is instrument
    assert get_instrument("site-bdi-ii", include_custom=[instrument]) is instrument


def test_an_unknown_id_is_a_clear_error():
    with pytest.raises(UnknownInstrument, match=r"unknown instrument 'pcl-5'; known instruments:"):
        get_instrument("pcl-5")


def test_custom_instruments_cannot_shadow_shipped_ones():
    with pytest.raises(ValueError, match="reuses an existing id"):
        list_instruments(include_custom=[get_instrument("pcl5")])


def test_remission_definitions_are_checked_against_the_instrument():
    def on_phq9(data: dict) -> None:
        data["remission_definitions"] = [
            {**raw("pcl5")["remission_definitions"][0], "loss_of_diagnosis": True, "max_total": 99}
        ]

    assert problems_after("phq9", on_phq9) == [
        "remission_definitions.0.loss_of_diagnosis: PHQ-9 has no diagnostic algorithm",
        "remission_definitions.0.max_total: 99.0 leaves the score range",
    ]

    def two_defaults(data: dict) -> None:
        for definition in data["remission_definitions"]:
            definition["default"] = True

    assert problems_after("caps5-past-month", two_defaults) == [
        "remission_definitions: more than one default definition"
    ]

    def no_condition(data: dict) -> None:
        data["remission_definitions"][0].pop("max_total")

    assert problems_after("pcl5", no_condition) == [
        "remission_definitions.0: a remission definition needs max_total or loss_of_diagnosis"
    ]
