"""An admin adds an instrument the organisation holds a licence for, as a file of the shipped
schema; invalid files are refused with problems naming the field."""

from __future__ import annotations

from pathlib import Path

from mendwell.store.models import CustomInstrument, MeasureSubmission
from support.measures import count, events, rows
from support.tokens import issue_token
from support.web import Browser, api_client

FIXTURE = (Path(__file__).parent / "fixtures" / "wellbeing-check.yaml").read_text()


def _upload(browser: Browser, text: str, as_file: bool = True):  # type: ignore[no-untyped-def]
    if as_file:
        return browser.http.post(
            "/admin/instruments",
            data={"csrf_token": browser.csrf or ""},
            files={"file": ("wellbeing.yaml", text.encode(), "text/yaml")},
        )
    return browser.post("/admin/instruments", {"text": text})


def _admin(app) -> Browser:  # type: ignore[no-untyped-def]
    admin = Browser(app)
    admin.login("admin")
    return admin


def test_a_valid_file_is_added_and_can_be_used(app, database, world) -> None:  # type: ignore[no-untyped-def]
    admin = _admin(app)
    assert "Add a licensed instrument" in admin.get("/admin/instruments").text
    response = _upload(admin, FIXTURE)
    assert response.status_code == 303
    (row,) = rows(database, CustomInstrument)
    assert (row.instrument_id, row.version, row.active) == ("wellbeing-check", "1.0", True)
    assert row.text == FIXTURE
    (created,) = events(database, action="create", entity_type="custom_instrument")
    assert created.changes["instrument_id"] == [None, "wellbeing-check"]
    assert "WBC-3" in admin.get("/admin/instruments").text

    alice = api_client(app, issue_token(database, world.users["alice"]))
    listed = {i["id"]: i for i in alice.get("/api/v1/instruments").json()}
    assert listed["wellbeing-check"]["custom"] is True
    scored = alice.post(
        "/api/v1/instruments/wellbeing-check/score",
        json={"answers": {"wbc_01": 0, "wbc_02": 1, "wbc_03": 0}},
    ).json()
    assert scored["total"] == 1
    assert scored["cut_point"]["positive"] is True  # at or below 2
    entered = alice.post(
        f"/api/v1/clients/{world.clients['alice']}/measures",
        json={
            "instrument_id": "wellbeing-check",
            "answers": {"wbc_01": 2, "wbc_02": 2, "wbc_03": 1},
        },
    )
    assert entered.status_code == 201
    (sub,) = rows(database, MeasureSubmission)
    assert (sub.instrument_version, sub.custom_instrument_id) == ("1.0", row.id)


def test_a_new_version_replaces_the_old_for_new_entries_but_old_scores_still_recompute(
    app, database, world
) -> None:  # type: ignore[no-untyped-def]
    from mendwell.queries.measures import recompute

    admin = _admin(app)
    _upload(admin, FIXTURE)
    alice = api_client(app, issue_token(database, world.users["alice"]))
    alice.post(
        f"/api/v1/clients/{world.clients['alice']}/measures",
        json={"instrument_id": "wellbeing-check", "answers": {"wbc_01": 1, "wbc_02": 1}},
    )
    assert _upload(admin, FIXTURE).status_code == 422  # same version twice
    newer = FIXTURE.replace('version: "1.0"', 'version: "1.1"')
    assert _upload(admin, newer, as_file=False).status_code == 303
    old, new = rows(database, CustomInstrument)
    assert (old.active, new.active) == (False, True)
    listed = api_client(app, issue_token(database, world.users["alice"])).get(
        "/api/v1/instruments/wellbeing-check"
    )
    assert listed.json()["version"] == "1.1"
    with database.sessionmaker() as db:
        sub = db.query(MeasureSubmission).one()
        assert sub.instrument_version == "1.0"
        assert recompute(db, sub, world.organisation_id).equal
    back = admin.post(f"/admin/instruments/{old.id}/active", {"active": "1"})
    assert back.status_code == 303
    old, new = rows(database, CustomInstrument)
    assert (old.active, new.active) == (True, False)


def test_an_invalid_file_is_refused_with_field_named_problems(app, database, world) -> None:  # type: ignore[no-untyped-def]
    admin = _admin(app)
    broken = FIXTURE.replace("total_range: [0, 6]", "total_range: [0, 9]")
    response = _upload(admin, broken)
    assert response.status_code == 422
    assert "total_range:" in response.text
    assert "does not match the items" in response.text
    unordered = FIXTURE.replace("- {value: 2, label: Often}", "- {value: 1, label: Often}")
    response = _upload(admin, unordered)
    assert response.status_code == 422
    assert "scales.often:" in response.text
    assert _upload(admin, "id: [oops").status_code == 422
    assert _upload(admin, "").status_code == 422
    shipped = FIXTURE.replace("id: wellbeing-check", "id: pcl5")
    response = _upload(admin, shipped)
    assert response.status_code == 422
    assert "id: &#39;pcl5&#39; is an instrument shipped with Mendwell" in response.text
    assert count(database, CustomInstrument) == 0
    assert not events(database, entity_type="custom_instrument")


def test_only_knowledge_managers_add_instruments(app, database, world) -> None:  # type: ignore[no-untyped-def]
    for username in ("alice", "mara", "rita", "ana"):
        browser = Browser(app)
        browser.login(username)
        assert browser.get("/admin/instruments").status_code == 403, username
        assert _upload(browser, FIXTURE).status_code == 403, username
    assert count(database, CustomInstrument) == 0


def test_a_link_to_a_retired_instrument_gets_the_plain_page(app, database, world) -> None:  # type: ignore[no-untyped-def]
    from support.web import BASE_URL, TestClient

    admin = _admin(app)
    _upload(admin, FIXTURE)
    alice = api_client(app, issue_token(database, world.users["alice"]))
    link = alice.post(
        f"/api/v1/clients/{world.clients['alice']}/self-report-links",
        json={"instrument_ids": ["wellbeing-check"]},
    ).json()
    phone = TestClient(app, base_url=BASE_URL, follow_redirects=False)
    path = link["url"].split("8000", 1)[1]
    assert "I felt calm." in phone.get(path).text
    (row,) = rows(database, CustomInstrument)
    admin.post(f"/admin/instruments/{row.id}/active", {"active": "0"})
    closed = phone.get(path)
    assert closed.status_code == 404
    assert closed.text == phone.get("/r/not-a-token").text
    assert phone.post(path, data={"action": "submit"}).status_code == 404
