"""The stateless scoring API: list and read instruments, score answers, store nothing."""

from __future__ import annotations

from mendwell.clinical.instruments import get_instrument
from mendwell.store.models import AuditEvent, MeasureSubmission, SafetyAlert
from support.measures import count, pcl5, phq9
from support.tokens import issue_token
from support.web import api_client


def _api(app, database, world, username: str = "rita"):  # type: ignore[no-untyped-def]
    return api_client(app, issue_token(database, world.users[username]))


def test_any_signed_in_user_lists_and_reads_instruments(app, database, world) -> None:  # type: ignore[no-untyped-def]
    api = _api(app, database, world, "ana")
    listed = api.get("/api/v1/instruments")
    assert listed.status_code == 200
    by_id = {i["id"]: i for i in listed.json()}
    assert by_id["pcl5"]["item_count"] == 20
    assert by_id["pcl5"]["total_range"] == [0, 80]
    assert by_id["pcl5"]["respondent"] == "self"
    assert by_id["phq9"]["version"] == get_instrument("phq9").version
    assert not by_id["pcl5"]["custom"]
    one = api.get("/api/v1/instruments/pcl5").json()
    assert [i["id"] for i in one["items"]][:2] == ["pcl5_01", "pcl5_02"]
    assert one["cut_points"][0]["value"] == 33
    assert api.get("/api/v1/instruments/no-such-thing").status_code == 404
    assert api_client(app, None).get("/api/v1/instruments").status_code == 401


def test_scoring_returns_the_full_result_and_stores_nothing(app, database, world) -> None:  # type: ignore[no-untyped-def]
    api = _api(app, database, world)
    events_before = count(database, AuditEvent)
    response = api.post("/api/v1/instruments/phq9/score", json={"answers": phq9(2, item9=1)})
    assert response.status_code == 200
    body = response.json()
    assert body["instrument_id"] == "phq9"
    assert body["instrument_version"] == get_instrument("phq9").version
    assert body["total"] == 17  # 8 items × 2 + item 9 answered 1
    assert body["scored"] is True
    assert [f["code"] for f in body["safety_flags"]] == ["phq9_item9"]
    assert count(database, MeasureSubmission) == 0
    assert count(database, SafetyAlert) == 0
    assert count(database, AuditEvent) == events_before


def test_scoring_follows_the_missing_item_rule(app, database, world) -> None:  # type: ignore[no-untyped-def]
    body = (
        _api(app, database, world)
        .post("/api/v1/instruments/phq9/score", json={"answers": phq9(1, phq9_04=None)})
        .json()
    )
    assert body["missing_items"] == ["phq9_04"]
    assert body["scored"] is (get_instrument("phq9").scoring.missing.rule != "none")


def test_bad_answers_and_options_are_named(app, database, world) -> None:  # type: ignore[no-untyped-def]
    api = _api(app, database, world)
    for payload, loc in (
        ({"answers": pcl5(1, pcl5_03=5)}, ["body", "answers", "pcl5_03"]),
        ({"answers": {**pcl5(1), "pcl5_21": 1}}, ["body", "answers", "pcl5_21"]),
        ({"answers": pcl5(1, pcl5_02="often")}, ["body", "answers", "pcl5_02"]),
        ({"answers": pcl5(1), "options": {"colour": "red"}}, ["body", "options", "colour"]),
        ({"answers": pcl5(1), "options": {"pcl5_cut_point": 79}}, ["options", "pcl5_cut_point"]),
        ({}, ["body", "answers"]),
    ):
        response = api.post("/api/v1/instruments/pcl5/score", json=payload)
        assert response.status_code == 422, payload
        locs = [e["loc"] for e in response.json()["detail"]]
        assert any(loc == got or ["body", *loc] == got for got in locs), (payload, locs)
