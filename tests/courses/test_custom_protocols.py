"""Custom protocols: uploaded and checked by an admin, offered at enrolment, versioned; CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mendwell.actions.errors import InvalidInput
from mendwell.cli import app as cli
from mendwell.store.models import Client
from support.courses import enrol, events, load_course
from support.web import Browser
from support.world import AUDIT_KEY

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "site-mdma-mapp1-window.yaml"


def _admin(app) -> Browser:  # type: ignore[no-untyped-def]
    admin = Browser(app)
    admin.login("admin")
    return admin


def test_an_admin_uploads_a_custom_protocol_and_a_client_is_enrolled_in_it(
    app, database, world, screenings
) -> None:  # type: ignore[no-untyped-def]
    admin = _admin(app)
    text = EXAMPLE.read_text()
    response = admin.post("/admin/protocols", {"text": text})
    assert response.status_code == 303
    page = admin.get("/admin/protocols").text
    assert "site-mdma-mapp1-window" in page
    assert "2025.1" in page
    [created] = events(database, entity_type="protocol_definition", action="create")
    assert created.changes["protocol_id"] == [None, "site-mdma-mapp1-window"]

    screenings.sign(world.clients["alice"])
    alice = Browser(app)
    alice.login("alice")
    assert (
        "site-mdma-mapp1-window 2025.1, custom"
        in alice.get(f"/clients/{world.clients['alice']}/courses/new").text
    )
    course_id = enrol(
        database, world.users["alice"], world.clients["alice"], "site-mdma-mapp1-window"
    )
    course = load_course(database, course_id)
    assert (course.protocol_id, course.protocol_version) == ("site-mdma-mapp1-window", "2025.1")
    assert course.definition.source == "custom"

    # A stored version never changes; the same version cannot be uploaded twice.
    again = admin.post("/admin/protocols", {"text": text})
    assert again.status_code == 422
    assert "already stored" in again.text


def test_a_file_with_problems_is_refused_naming_each_field(app, database) -> None:  # type: ignore[no-untyped-def]
    broken = EXAMPLE.read_text().replace("anchor: preparation-1", "anchor: preparation-9", 1)
    response = _admin(app).post("/admin/protocols", {"text": broken})
    assert response.status_code == 422
    assert "anchor: &#39;preparation-9&#39; is neither the anchor event" in response.text
    assert events(database, entity_type="protocol_definition") == []
    not_yaml = _admin(app).post("/admin/protocols", {"text": "id: [unclosed"})
    assert not_yaml.status_code == 422
    assert "not valid YAML" in not_yaml.text


def test_a_shipped_protocol_id_cannot_be_reused(app) -> None:  # type: ignore[no-untyped-def]
    shipped = (
        Path(__file__).resolve().parents[2]
        / "src/mendwell/knowledge/protocols/psilocybin-single-25mg.yaml"
    ).read_text()
    response = _admin(app).post("/admin/protocols", {"text": shipped.replace('"1.1.0"', '"9"')})
    assert response.status_code == 422
    assert "shipped with Mendwell" in response.text


def test_a_withdrawn_version_is_no_longer_offered(app, database, world, screenings) -> None:  # type: ignore[no-untyped-def]
    admin = _admin(app)
    admin.post("/admin/protocols", {"text": EXAMPLE.read_text()})
    page = admin.get("/admin/protocols").text
    assert "Stop offering" in page
    definition_id = page.split('action="/admin/protocols/')[1].split("/")[0]
    assert (
        admin.post(f"/admin/protocols/{definition_id}/active", {"active": "0"}).status_code == 303
    )
    screenings.sign(world.clients["alice"])
    with pytest.raises(InvalidInput) as invalid:
        enrol(database, world.users["alice"], world.clients["alice"], "site-mdma-mapp1-window")
    assert "not offered" in invalid.value.errors[0].msg


@pytest.mark.parametrize("username", ["alice", "mara", "rita", "ana"])
def test_only_admins_manage_protocols(app, username) -> None:  # type: ignore[no-untyped-def]
    browser = Browser(app)
    browser.login(username)
    assert browser.get("/admin/protocols").status_code == 403
    assert browser.post("/admin/protocols", {"text": EXAMPLE.read_text()}).status_code == 403


# --- the command line ------------------------------------------------------------------------


@pytest.fixture
def env(test_db, tmp_path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        "MENDWELL_DATABASE_URL": test_db.url,
        "MENDWELL_DATA_DIR": str(tmp_path / "data"),
        "MENDWELL_AUDIT_KEY": AUDIT_KEY.decode(),
    }


def test_protocols_load_stores_a_checked_file(env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    ok = runner.invoke(cli, ["protocols", "load", str(EXAMPLE), "--user", "admin"], env=env)
    assert ok.exit_code == 0, ok.output
    assert "Stored site-mdma-mapp1-window 2025.1" in ok.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text().replace("kind: dosing", "kind: party", 1))
    refused = runner.invoke(cli, ["protocols", "load", str(bad), "--user", "admin"], env=env)
    assert refused.exit_code == 1
    assert "kind" in refused.output
    assert "Traceback" not in refused.output


def test_courses_show_prints_the_stored_schedule(env, database, world, screenings) -> None:  # type: ignore[no-untyped-def]
    screenings.sign(world.clients["alice"])
    enrol(database, world.users["alice"], world.clients["alice"])
    with database.sessionmaker() as db:
        code = db.get(Client, world.clients["alice"]).code  # type: ignore[union-attr]
    result = CliRunner().invoke(cli, ["courses", "show", code], env=env)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "MDMA-assisted therapy for PTSD" in lines[0]
    assert lines[1].split(" | ")[:3] == ["Visit           ", "Kind       ", "Target    "]
    prep = next(line for line in lines if line.startswith("preparation-1 "))
    assert "2026-01-13" in prep
    assert "Planned" in prep
    missing = CliRunner().invoke(cli, ["courses", "show", "MW-XXXX-XXXX"], env=env)
    assert missing.exit_code == 1
