"""`mendwell protocols` commands."""

from pathlib import Path

from typer.testing import CliRunner

from mendwell.cli import app

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "site-mdma-mapp1-window.yaml"


def test_list():
    result = runner.invoke(app, ["protocols", "list"])
    assert result.exit_code == 0
    assert "oregon-service-centre 1.1.0 [us-or]" in result.output


def test_schedule():
    result = runner.invoke(
        app, ["protocols", "schedule", "mdma-at-phase3", "--anchor", "2025-03-03"]
    )
    assert result.exit_code == 0, result.output
    assert "primary-endpoint | assessment  | baseline         | 2025-07-31" in result.output


def test_schedule_from_a_custom_file():
    args = ["protocols", "schedule", "x", "--anchor", "2025-03-03", "--file", str(EXAMPLE)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "follow-up-8w" in result.output


def test_schedule_errors_are_one_line():
    bad_date = runner.invoke(app, ["protocols", "schedule", "mdma-at-phase3", "--anchor", "3/3/25"])
    assert bad_date.exit_code == 2
    assert "--anchor" in bad_date.output
    unknown = runner.invoke(app, ["protocols", "schedule", "nope", "--anchor", "2025-03-03"])
    assert unknown.exit_code == 2
    assert "unknown protocol 'nope'" in unknown.output


def test_check(tmp_path: Path):
    ok = runner.invoke(app, ["protocols", "check", str(EXAMPLE)])
    assert ok.exit_code == 0
    assert ok.output.startswith("OK: site-mdma-mapp1-window")
    broken = tmp_path / "broken.yaml"
    broken.write_text(EXAMPLE.read_text().replace("anchor: preparation-3", "anchor: preparation-9"))
    bad = runner.invoke(app, ["protocols", "check", str(broken)])
    assert bad.exit_code == 1
    assert "phases.1.visits.0.anchor: 'preparation-9'" in bad.output
    missing = runner.invoke(app, ["protocols", "check", str(tmp_path / "none.yaml")])
    assert missing.exit_code == 2
