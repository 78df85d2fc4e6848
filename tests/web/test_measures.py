"""Entering measures: scored on submission with the instrument version, immutable versions with
reasons, who may enter and see what, field-named errors, audit, and the recompute check."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from mendwell.clinical.instruments import get_instrument
from mendwell.queries.measures import recompute
from mendwell.store.models import MeasureSubmission
from support.measures import count, entered, events, pcl5, phq9, rows
from support.tokens import issue_token
from support.web import Browser, api_client
from support.world import TEST_START


def _api(app, database, world, username: str):  # type: ignore[no-untyped-def]
    return api_client(app, issue_token(database, world.users[username]))


def _enter_page(browser: Browser, client_id: int, instrument_id: str, given: dict, **extra):  # type: ignore[no-untyped-def, type-arg]
    return browser.post(
        f"/clients/{client_id}/measures", {"instrument_id": instrument_id, **given, **extra}
    )


def test_a_facilitator_enters_a_pcl5_and_sees_it_scored(app, database, world) -> None:  # type: ignore[no-untyped-def]
    alice = Browser(app)
    alice.login("alice")
    client_id = world.clients["alice"]
    form = alice.get(f"/clients/{client_id}/measures/new?instrument_id=pcl5")
    assert form.status_code == 200
    assert 'name="pcl5_20"' in form.text
    response = _enter_page(alice, client_id, "pcl5", pcl5(2, pcl5_01=4))
    assert response.status_code == 303
    page = alice.get(response.headers["location"])
    assert "Saved and scored" in page.text
    assert "42" in page.text  # 19 × 2 + 4
    (sub,) = rows(database, MeasureSubmission)
    assert sub.total == 42
    assert sub.instrument_version == get_instrument("pcl5").version
    assert sub.score["instrument_version"] == sub.instrument_version
    assert sub.score["cut_point"]["above"] is True  # at or above 33
    assert sub.entered_by_id == world.users["alice"]
    assert sub.entered_via == "clinician"
    assert sub.administered_on == TEST_START.date()
    (created,) = events(database, action="create", entity_type="measure_submission")
    assert created.client_id == client_id
    assert created.changes["total"] == [None, 42]
    assert created.changes["instrument_version"] == [None, sub.instrument_version]


def test_entry_over_the_api_returns_the_full_score(app, database, world) -> None:  # type: ignore[no-untyped-def]
    api = _api(app, database, world, "mara")
    response = api.post(
        f"/api/v1/clients/{world.clients['alice']}/measures",
        json={"instrument_id": "phq9", "answers": phq9(2), "administered_on": "2026-01-02"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["score"]["total"] == 16
    assert body["score"]["band"]["label"]
    assert body["administered_on"] == "2026-01-02"
    assert body["current"] is True
    listed = api.get(f"/api/v1/clients/{world.clients['alice']}/measures").json()
    assert [s["id"] for s in listed] == [body["id"]]
    assert events(database, action="view", entity_type="measure_submission")


@pytest.mark.parametrize(
    ("given", "field"),
    [
        (pcl5(2, pcl5_03=7), "pcl5_03"),
        ({**pcl5(2), "pcl5_99": 1}, "pcl5_99"),
    ],
)
def test_an_answer_that_is_not_allowed_is_named_and_nothing_is_written(
    app, database, world, given, field
) -> None:  # type: ignore[no-untyped-def]
    api = _api(app, database, world, "alice")
    response = api.post(
        f"/api/v1/clients/{world.clients['alice']}/measures",
        json={"instrument_id": "pcl5", "answers": given},
    )
    assert response.status_code == 422
    assert ["body", "answers", field] in [e["loc"] for e in response.json()["detail"]]
    assert count(database, MeasureSubmission) == 0
    assert not events(database, entity_type="measure_submission", action="create")


def test_the_form_shows_bad_input_next_to_the_field(app, database, world) -> None:  # type: ignore[no-untyped-def]
    alice = Browser(app)
    alice.login("alice")
    client_id = world.clients["alice"]
    bad_value = _enter_page(alice, client_id, "pcl5", pcl5(2, pcl5_03=7))
    assert bad_value.status_code == 422
    assert 'id="f-pcl5_03-error"' in bad_value.text
    assert "Question 3 of PCL-5" in bad_value.text
    assert 'name="pcl5_01" value="2" checked' in bad_value.text  # what was typed is kept
    future = (TEST_START.date() + timedelta(days=2)).isoformat()
    in_future = _enter_page(alice, client_id, "pcl5", pcl5(2), administered_on=future)
    assert in_future.status_code == 422
    assert 'id="f-administered_on-error"' in in_future.text
    assert count(database, MeasureSubmission) == 0


def test_who_may_enter_a_measure(app, database, world) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients["alice"]
    for username, status in (("admin", 403), ("ana", 403), ("rita", 403), ("carol", 404)):
        browser = Browser(app)
        browser.login(username)
        response = _enter_page(browser, client_id, "phq9", phq9(1))
        assert response.status_code == status, username
        api = _api(app, database, world, username)
        response = api.post(
            f"/api/v1/clients/{client_id}/measures",
            json={"instrument_id": "phq9", "answers": phq9(1)},
        )
        assert response.status_code == status, username
    assert count(database, MeasureSubmission) == 0
    bob = Browser(app)
    bob.login("bob")
    assert _enter_page(bob, client_id, "phq9", phq9(1)).status_code == 303


def test_a_rater_may_not_enter_self_report_measures_nor_see_any_scores(
    app, database, world
) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients["alice"]
    api = _api(app, database, world, "alice")
    entered = api.post(
        f"/api/v1/clients/{client_id}/measures",
        json={"instrument_id": "phq9", "answers": phq9(3, item9=0)},
    ).json()
    rita = Browser(app)
    rita.login("rita")
    refused = rita.post(f"/clients/{client_id}/ratings", {"instrument_id": "phq9", **phq9(1)})
    assert refused.status_code == 403
    assert rita.get(f"/clients/{client_id}/ratings/new?instrument_id=phq9").status_code == 404
    assert rita.get(f"/clients/{client_id}/measures").status_code == 403
    assert rita.get(f"/clients/{client_id}/measures/{entered['id']}").status_code == 403
    assert rita.get(f"/clients/{client_id}/ratings/{entered['id']}").status_code == 404
    page = rita.get(f"/clients/{client_id}").text
    assert 'id="panel-measures"' not in page
    assert 'id="panel-ratings"' in page
    assert "PHQ-9" not in page
    assert str(entered["score"]["total"]) not in page.split('id="panel-ratings"')[1]
    rita_api = _api(app, database, world, "rita")
    assert rita_api.get(f"/api/v1/clients/{client_id}/measures").status_code == 403
    assert rita_api.get(f"/api/v1/clients/{client_id}/alerts").status_code == 403
    rated = rita_api.post(
        f"/api/v1/clients/{client_id}/ratings",
        json={"instrument_id": "phq9", "answers": phq9(1)},
    )
    assert rated.status_code == 403
    assert count(database, MeasureSubmission) == 1


# --- corrections ------------------------------------------------------------------------------


def test_a_correction_is_a_new_version_with_a_reason_and_the_original_stays(
    app, database, world
) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients["alice"]
    alice = Browser(app)
    alice.login("alice")
    first = _enter_page(alice, client_id, "pcl5", pcl5(2))
    original_id = int(first.headers["location"].split("/")[-1].split("?")[0])
    no_reason = alice.post(
        f"/clients/{client_id}/measures/{original_id}/corrections", {**pcl5(2, pcl5_05=0)}
    )
    assert no_reason.status_code == 422
    assert 'id="f-reason-error"' in no_reason.text
    assert count(database, MeasureSubmission) == 1

    fixed = alice.post(
        f"/clients/{client_id}/measures/{original_id}/corrections",
        {**pcl5(2, pcl5_05=0), "reason": "Item 5 was transcribed from the wrong row"},
    )
    assert fixed.status_code == 303
    original, corrected = rows(database, MeasureSubmission)
    assert original.id == original_id
    assert original.total == 40  # unchanged, still stored
    assert corrected.total == 38
    assert corrected.corrects_id == original.id
    assert corrected.original_id == original.id
    assert corrected.version_number == 2
    assert corrected.correction_reason == "Item 5 was transcribed from the wrong row"

    history = alice.get(f"/clients/{client_id}/measures").text
    assert "corrected" in history
    assert "Item 5 was transcribed from the wrong row" in history
    old_page = alice.get(f"/clients/{client_id}/measures/{original.id}").text
    assert "This version has been corrected" in old_page
    listed = _api(app, database, world, "alice").get(f"/api/v1/clients/{client_id}/measures")
    assert [(s["id"], s["current"]) for s in listed.json()] == [
        (original.id, False),
        (corrected.id, True),
    ]
    (audited,) = events(database, action="correct")
    assert audited.reason == "Item 5 was transcribed from the wrong row"
    assert audited.changes["total"] == [40, 38]
    assert audited.changes["version_number"] == [1, 2]

    stale = alice.post(
        f"/clients/{client_id}/measures/{original.id}/corrections",
        {**pcl5(1), "reason": "second try on the old version"},
    )
    assert stale.status_code == 409
    api_stale = _api(app, database, world, "alice").post(
        f"/api/v1/clients/{client_id}/measures/{original.id}/corrections",
        json={"answers": pcl5(1), "reason": "again"},
    )
    assert api_stale.status_code == 409
    assert count(database, MeasureSubmission) == 2


def test_a_correction_that_changes_nothing_is_refused(app, database, world) -> None:  # type: ignore[no-untyped-def]
    api = _api(app, database, world, "alice")
    client_id = world.clients["alice"]
    sub = api.post(
        f"/api/v1/clients/{client_id}/measures", json={"instrument_id": "pcl5", "answers": pcl5(1)}
    ).json()
    same = api.post(
        f"/api/v1/clients/{client_id}/measures/{sub['id']}/corrections",
        json={"answers": pcl5(1), "reason": "checked"},
    )
    assert same.status_code == 422
    assert same.json()["detail"][0]["loc"] == ["body", "answers"]


def test_others_cannot_correct(app, database, world) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients["alice"]
    sub = entered(_api(app, database, world, "alice"), client_id, "pcl5", pcl5(1))
    for username, status in (("admin", 403), ("rita", 403), ("carol", 404)):
        response = _api(app, database, world, username).post(
            f"/api/v1/clients/{client_id}/measures/{sub['id']}/corrections",
            json={"answers": pcl5(2), "reason": "no"},
        )
        assert response.status_code == status, username
    assert count(database, MeasureSubmission) == 1


# --- storage ----------------------------------------------------------------------------------


def test_recomputing_stored_answers_gives_the_stored_result(app, database, world) -> None:  # type: ignore[no-untyped-def]
    api = _api(app, database, world, "alice")
    client_id = world.clients["alice"]
    for instrument_id, given in (("pcl5", pcl5(3, pcl5_07=None)), ("phq9", phq9(2, item9=1))):
        assert (
            api.post(
                f"/api/v1/clients/{client_id}/measures",
                json={"instrument_id": instrument_id, "answers": given},
            ).status_code
            == 201
        )
    with database.sessionmaker() as db:
        subs = list(db.query(MeasureSubmission).order_by(MeasureSubmission.id))
        for sub in subs:
            check = recompute(db, sub, world.organisation_id)
            assert check.equal, check
            assert check.recomputed == check.stored
        # A stored result that does not match its answers is caught.
        tampered = dict(subs[1].score, total=(subs[1].score["total"] or 0) + 1)
        db.expunge(subs[1])
        subs[1].score = tampered
        assert not recompute(db, subs[1], world.organisation_id).equal


def test_an_unavailable_instrument_version_is_reported_not_guessed(app, database, world) -> None:  # type: ignore[no-untyped-def]
    api = _api(app, database, world, "alice")
    api.post(
        f"/api/v1/clients/{world.clients['alice']}/measures",
        json={"instrument_id": "pcl5", "answers": pcl5(1)},
    )
    with database.sessionmaker() as db:
        sub = db.query(MeasureSubmission).one()
        db.expunge(sub)
        sub.instrument_version = "1900.1"
        check = recompute(db, sub, world.organisation_id)
    assert not check.equal
    assert check.problem is not None
    assert "1900.1" in check.problem


def test_submissions_cannot_be_changed_or_deleted_in_the_database(app, database, world) -> None:  # type: ignore[no-untyped-def]
    entered(_api(app, database, world, "alice"), world.clients["alice"], "pcl5", pcl5(1))
    for statement in (
        "UPDATE measure_submission SET total = 0",
        "DELETE FROM measure_submission",
    ):
        with database.engine.connect() as conn, pytest.raises(DBAPIError):
            conn.execute(text(statement))
    (sub,) = rows(database, MeasureSubmission)
    assert sub.total == 20


def test_viewing_a_submission_is_audited(app, database, world) -> None:  # type: ignore[no-untyped-def]
    sub = entered(_api(app, database, world, "alice"), world.clients["alice"], "pcl5", pcl5(1))
    admin = Browser(app)
    admin.login("admin")
    assert admin.get(f"/clients/{world.clients['alice']}/measures/{sub['id']}").status_code == 200
    viewed = events(database, action="view", entity_type="measure_submission", username="admin")
    assert viewed
    assert viewed[-1].client_id == world.clients["alice"]


# --- independent raters -----------------------------------------------------------------------


def _caps5(severity: int = 2) -> dict:  # type: ignore[type-arg]
    return {f"caps5_{n:02d}": severity for n in range(1, 21)}


def test_a_rater_rates_caps5_and_sees_only_her_own_rating(app, database, world) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients["alice"]
    entered(_api(app, database, world, "alice"), client_id, "phq9", phq9(3))
    rita = Browser(app)
    rita.login("rita")
    form = rita.get(f"/clients/{client_id}/ratings/new?instrument_id=caps5-past-month")
    assert form.status_code == 200
    assert 'name="caps5_01_frequency"' in form.text  # the optional frequency and intensity
    picker = rita.get(f"/clients/{client_id}/ratings/new").text
    assert "CAPS-5" in picker
    assert "PHQ-9" not in picker
    saved = rita.post(
        f"/clients/{client_id}/ratings",
        {"instrument_id": "caps5-past-month", **_caps5(2), "caps5_a": 1},
    )
    assert saved.status_code == 303
    assert saved.headers["location"].startswith(f"/clients/{client_id}/ratings/")
    page = rita.get(saved.headers["location"]).text
    assert "40" in page  # 20 severities × 2
    assert "independent rater" in page
    caps = rows(database, MeasureSubmission, instrument_id="caps5-past-month")[0]
    assert caps.independent_rater is True
    assert caps.rater_id == caps.entered_by_id == world.users["rita"]
    assert caps.respondent == "clinician"
    client_page = rita.get(f"/clients/{client_id}").text
    assert "CAPS-5" in client_page
    assert "PHQ-9" not in client_page
    fixed = rita.post(
        f"{saved.headers['location'].split('?')[0]}/corrections",
        {**_caps5(2), "caps5_03": 3, "caps5_a": 1, "reason": "B3 re-rated after review"},
    )
    assert fixed.status_code == 303
    assert rows(database, MeasureSubmission, instrument_id="caps5-past-month")[-1].total == 41
    # The clinical team sees the rating.
    alice = Browser(app)
    alice.login("alice")
    assert "CAPS-5" in alice.get(f"/clients/{client_id}").text.split('id="panel-measures"')[1]


def test_a_rater_cannot_correct_someone_elses_rating(app, database, world) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients["alice"]
    by_mara = entered(
        _api(app, database, world, "mara"), client_id, "caps5-past-month", _caps5(1), kind="ratings"
    )
    rita = Browser(app)
    rita.login("rita")
    assert rita.get(f"/clients/{client_id}/ratings/{by_mara['id']}").status_code == 404
    response = rita.post(
        f"/clients/{client_id}/ratings/{by_mara['id']}/corrections",
        {**_caps5(2), "reason": "mine now"},
    )
    assert response.status_code == 404
    assert count(database, MeasureSubmission) == 1


def test_every_measures_form_carries_the_session_csrf_token(app, database, world) -> None:  # type: ignore[no-untyped-def]
    from web.test_forms_carry_csrf import FORM

    client_id = world.clients["alice"]
    api = _api(app, database, world, "alice")
    sub = entered(api, client_id, "phq9", phq9(1, item9=1))
    alert = api.get(f"/api/v1/clients/{client_id}/alerts").json()[0]
    pages = {
        "alice": [
            f"/clients/{client_id}",
            f"/clients/{client_id}/measures/new?instrument_id=caps5-past-month",
            f"/clients/{client_id}/measures/{sub['id']}",
            f"/clients/{client_id}/alerts/{alert['id']}",
        ],
        "admin": ["/admin/instruments"],
        "rita": [f"/clients/{client_id}/ratings/new?instrument_id=caps5-past-month"],
    }
    checked = 0
    for username, paths in pages.items():
        browser = Browser(app)
        browser.login(username)
        for path in paths:
            html = browser.get(path).text
            for form in FORM.findall(html):
                assert f'name="csrf_token" value="{browser.csrf}"' in form, (username, path)
                checked += 1
    assert checked >= 8
