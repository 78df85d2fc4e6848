"""`mendwell analyze mmrm` on CSV files: the table, the JSON and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from mendwell.commands.analyze import app

REFERENCE = Path(__file__).parent / "r_reference"
MONOTONE = REFERENCE / "monotone.csv"
OPTIONS = ["--subject", "subject", "--arm", "arm", "--visit", "visit", "--outcome", "change"]

runner = CliRunner()


def run(*args: str | Path) -> object:
    return runner.invoke(app, ["mmrm", *map(str, args)])


def r_reference(name: str) -> dict:
    return json.loads((REFERENCE / f"{name}.json").read_text())


def test_table_shows_ls_means_differences_and_fit() -> None:
    result = run(MONOTONE, *OPTIONS, "--baseline", "baseline", "--reference-arm", "placebo")
    assert result.exit_code == 0, result.output
    out = result.stdout
    ref = r_reference("monotone_us")
    assert "unstructured covariance (us), REML" in out
    assert "Subjects 160, observations 716" in out
    last = next(d for d in ref["differences"] if d["visit"] == "week18")
    differences = out.split("Differences vs placebo")[1].split("Effect size")[0]
    line = next(li for li in differences.splitlines() if li.startswith("week18"))
    assert line.split()[:4] == ["week18", "active", f"{last['estimate']:.2f}", f"{last['se']:.2f}"]
    lsmeans = out.split("Least-squares means")[1].split("Differences")[0]
    first = next(m for m in ref["ls_means"] if m["visit"] == "week02" and m["arm"] == "placebo")
    line = next(li for li in lsmeans.splitlines() if li.startswith("week02  placebo"))
    assert line.split()[2:4] == [f"{first['estimate']:.2f}", f"{first['se']:.2f}"]
    assert f"REML log-likelihood {ref['logLik']:.3f}" in out
    assert "Effect size at visit week18" in out
    assert "Hedges' g" in out


def test_json_matches_the_r_reference() -> None:
    result = run(
        REFERENCE / "intermittent.csv",
        *OPTIONS,
        "--baseline",
        "baseline",
        "--site",
        "site",
        "--covariance",
        "ar1",
        "--reference-arm",
        "placebo",
        "--json",
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    ref = r_reference("intermittent_ar1")
    assert payload["model"]["visits"] == ["v1", "v2", "v3", "v4"]
    assert payload["fit"]["reml_log_likelihood"] == pytest.approx(ref["logLik"], rel=1e-6)
    ours = {(f"{d['arm']} - {d['reference']}", d["visit"]): d for d in payload["differences"]}
    for r in ref["differences"]:
        mine = ours[(r["contrast"], r["visit"])]
        assert mine["estimate"] == pytest.approx(r["estimate"], rel=1e-4)
        assert mine["df"] == pytest.approx(r["df_information"], rel=1e-4)
    assert {e["arm"] for e in payload["observed_effect_sizes"]} == {"high", "low"}


def test_visit_order_column(tmp_path: Path) -> None:
    data = pd.read_csv(MONOTONE)
    data["visit"] = data["visit"].map(
        {"week02": "two", "week04": "four", "week08": "eight", "week12": "twelve", "week18": "end"}
    )
    path = tmp_path / "renamed.csv"
    data.to_csv(path, index=False)
    result = run(path, *OPTIONS, "--visit-order", "visit_index", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["model"]["visits"] == ["two", "four", "eight", "twelve", "end"]


def write(tmp_path: Path, frame: pd.DataFrame) -> Path:
    path = tmp_path / "trial.csv"
    frame.to_csv(path, index=False)
    return path


def assert_one_line_error(result: object, *fragments: str) -> None:
    assert result.exit_code == 2  # type: ignore[attr-defined]
    err = result.stderr.strip()  # type: ignore[attr-defined]
    assert err.startswith("error: ")
    assert len(err.splitlines()) == 1, err
    for fragment in fragments:
        assert fragment in err
    assert "Traceback" not in result.output  # type: ignore[attr-defined]


def test_missing_column(tmp_path: Path) -> None:
    result = run(MONOTONE, *OPTIONS[:-1], "caps5_change")
    assert_one_line_error(result, "caps5_change", "column not found")


def test_non_numeric_outcome(tmp_path: Path) -> None:
    data = pd.read_csv(MONOTONE)
    data["change"] = data["change"].astype(object)
    data.loc[4, "change"] = "improved"
    assert_one_line_error(run(write(tmp_path, data), *OPTIONS), "change", "must be numeric")


def test_single_arm(tmp_path: Path) -> None:
    data = pd.read_csv(MONOTONE)
    result = run(write(tmp_path, data[data["arm"] == "active"]), *OPTIONS)
    assert_one_line_error(result, "only one arm ('active')")


def test_visit_with_no_data(tmp_path: Path) -> None:
    data = pd.read_csv(MONOTONE)
    data.loc[data["visit"] == "week18", "change"] = None
    result = run(write(tmp_path, data), *OPTIONS)
    assert_one_line_error(result, "visit 'week18' has no outcome data")


def test_unknown_covariance() -> None:
    assert_one_line_error(run(MONOTONE, *OPTIONS, "--covariance", "un"), "--covariance")


def test_missing_file(tmp_path: Path) -> None:
    assert_one_line_error(run(tmp_path / "nope.csv", *OPTIONS), "file not found")


def test_every_command_and_option_is_documented() -> None:
    import typer.main

    doc = (Path(__file__).parents[2] / "docs" / "analytics.md").read_text()
    group = typer.main.get_command(app)
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        assert f"mendwell analyze {name}" in doc
        for param in command.params:
            for flag in param.opts:
                if flag.startswith("--"):
                    assert flag in doc, f"{flag} of `mendwell analyze {name}` is undocumented"


def test_documented_example_is_the_real_output() -> None:
    root = Path(__file__).parents[2]
    doc = (root / "docs" / "analytics.md").read_text()
    section = doc.split("$ mendwell analyze mmrm ", 1)[1].split("```", 1)[0]
    first, second, *printed = section.split("\n")
    arguments = (first.rstrip("\\") + second).split()
    result = runner.invoke(app, ["mmrm", str(root / arguments[0]), *arguments[1:]])
    assert result.exit_code == 0, result.output
    assert result.stdout == "\n".join(printed)
