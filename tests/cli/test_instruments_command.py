"""`mendwell instruments`: list, show and validate."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from mendwell.cli import app
from mendwell.clinical.instruments import list_instruments

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "site-bdi-ii-shell.yaml"


def test_list_shows_every_shipped_instrument_with_its_text_policy():
    result = runner.invoke(app, ["instruments", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == [i.id for i in list_instruments()]
    assert any(line.startswith("pcl5 ") and "[self, item text]" in line for line in lines)
    assert any(line.startswith("caps5-past-month ") and "ids only" in line for line in lines)


def test_show_prints_items_rules_sources_and_unconfirmed_facts():
    result = runner.invoke(app, ["instruments", "show", "pcl5"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Bands: none defined by the manual" in out
    assert "Cut-point probable-ptsd: 33 or more" in out
    assert "configurable 31–33 with pcl5_cut_point" in out
    assert "Repeated, disturbing dreams of the stressful experience?" in out
    assert "UNCONFIRMED:" in out
    assert "change_thresholds.3 (va-guidance-clinically-meaningful)" in out


def test_show_an_ids_only_instrument_prints_no_item_text():
    result = runner.invoke(app, ["instruments", "show", "cssrs-screener"])
    assert result.exit_code == 0, result.output
    assert "Total: none (categorical result)" in result.output
    assert "cssrs_06_recent [boolean]: Q6 suicidal behaviour within the past 3 months" in (
        result.output
    )


def test_show_an_unknown_instrument_exits_2_with_one_line():
    result = runner.invoke(app, ["instruments", "show", "pcl-5"])
    assert result.exit_code == 2
    assert "unknown instrument 'pcl-5'" in result.output


def test_validate_accepts_the_example_custom_instrument():
    result = runner.invoke(app, ["instruments", "validate", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: site-bdi-ii 2025.1 (21 items, 1 unconfirmed fact(s))")
    shown = runner.invoke(app, ["instruments", "show", "site-bdi-ii", "--file", str(EXAMPLE)])
    assert shown.exit_code == 0
    assert "BDI-II item 9" in shown.output


def test_validate_reports_each_problem_with_its_field_and_exits_1(tmp_path):
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["items"][0]["text"] = "Licensed wording pasted by mistake"
    data["bands"][1]["range"] = [15, 19]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = runner.invoke(app, ["instruments", "validate", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}: items.0.text: must be empty" in result.output
    assert f"{bad}: bands.1.range: starts at 15 but the previous band ends at 13" in result.output


def test_validate_an_unreadable_file_exits_2(tmp_path):
    result = runner.invoke(app, ["instruments", "validate", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2
    assert "cannot read" in result.output
