"""Safety alerts: raised from a score's safety flags, shown on the client page and on the
dashboards of the client's facilitators and medical users, acknowledged with an audited note."""

from __future__ import annotations

import re

from mendwell.store.models import SafetyAlert
from support.measures import count, entered, events, phq9, rows
from support.tokens import issue_token
from support.web import Browser, api_client

ALERT_COUNT = re.compile(r'class="alert-count"><strong>(\d+)</strong>')


def _api(app, database, world, username: str):  # type: ignore[no-untyped-def]
    return api_client(app, issue_token(database, world.users[username]))


def _enter_phq9(app, database, world, item9: int, username: str = "alice") -> dict:  # type: ignore[no-untyped-def, type-arg]
    api = _api(app, database, world, username)
    return entered(api, world.clients["alice"], "phq9", phq9(1, item9=item9))


def _dashboard_count(app, username: str) -> int | None:  # type: ignore[no-untyped-def]
    browser = Browser(app)
    browser.login(username)
    found = ALERT_COUNT.search(browser.get("/").text)
    return int(found.group(1)) if found else None


def test_phq9_item_9_above_zero_raises_an_alert_for_the_clients_carers(
    app, database, world
) -> None:  # type: ignore[no-untyped-def]
    sub = _enter_phq9(app, database, world, item9=1)
    (alert,) = rows(database, SafetyAlert)
    assert alert.flag_code == "phq9_item9"
    assert alert.item_id == "phq9_09"
    assert alert.submission_id == sub["id"]
    assert alert.client_id == world.clients["alice"]
    assert alert.acknowledged_at is None
    (raised,) = events(database, action="raise", entity_type="safety_alert")
    assert raised.changes["flag_code"] == [None, "phq9_item9"]

    assert _dashboard_count(app, "alice") == 1  # her client
    assert _dashboard_count(app, "mara") == 1  # the medical user at the client's site
    assert _dashboard_count(app, "bob") == 0  # a facilitator at the site, not the client's
    assert _dashboard_count(app, "carol") == 0  # another site
    assert _dashboard_count(app, "admin") is None  # no alert duties, no panel
    alice = Browser(app)
    alice.login("alice")
    page = alice.get(f"/clients/{world.clients['alice']}").text
    assert "Open safety alerts (1)" in page
    assert f'action="/clients/{world.clients["alice"]}/alerts/{alert.id}/acknowledge"' in page
    carol = Browser(app)
    carol.login("carol")
    assert carol.get(f"/clients/{world.clients['alice']}/alerts/{alert.id}").status_code == 404
    assert (
        _api(app, database, world, "carol")
        .get(f"/api/v1/clients/{world.clients['alice']}/alerts")
        .status_code
        == 404
    )


def test_phq9_item_9_at_zero_raises_nothing(app, database, world) -> None:  # type: ignore[no-untyped-def]
    _enter_phq9(app, database, world, item9=0)
    assert count(database, SafetyAlert) == 0
    assert _dashboard_count(app, "alice") == 0


def test_an_alert_is_acknowledged_with_a_note_and_the_note_is_audited(app, database, world) -> None:  # type: ignore[no-untyped-def]
    _enter_phq9(app, database, world, item9=2)
    (alert,) = rows(database, SafetyAlert)
    client_id = world.clients["alice"]
    alice = Browser(app)
    alice.login("alice")
    empty = alice.post(f"/clients/{client_id}/alerts/{alert.id}/acknowledge", {"note": "  "})
    assert empty.status_code == 422
    assert 'id="f-note-error"' in empty.text
    (alert,) = rows(database, SafetyAlert)
    assert alert.acknowledged_at is None
    assert not events(database, action="acknowledge")

    for username, status in (("admin", 403), ("rita", 403), ("carol", 404)):
        browser = Browser(app)
        browser.login(username)
        response = browser.post(
            f"/clients/{client_id}/alerts/{alert.id}/acknowledge", {"note": "seen"}
        )
        assert response.status_code == status, username
    note = "Called the client the same day; safety plan reviewed, no current intent."
    done = alice.post(f"/clients/{client_id}/alerts/{alert.id}/acknowledge", {"note": note})
    assert done.status_code == 303
    (alert,) = rows(database, SafetyAlert)
    assert alert.acknowledged_by_id == world.users["alice"]
    assert alert.acknowledgement_note == note
    (audited,) = events(database, action="acknowledge")
    assert audited.reason == note
    assert audited.entity_id == str(alert.id)
    assert audited.client_id == client_id
    assert audited.username == "alice"
    assert _dashboard_count(app, "alice") == 0
    assert _dashboard_count(app, "mara") == 0
    again = alice.post(f"/clients/{client_id}/alerts/{alert.id}/acknowledge", {"note": "twice"})
    assert again.status_code == 409
    page = alice.get(f"/clients/{client_id}/alerts/{alert.id}").text
    assert "Acknowledged by Alice Abbott" in page
    assert note in page


def test_acknowledging_over_the_api(app, database, world) -> None:  # type: ignore[no-untyped-def]
    _enter_phq9(app, database, world, item9=3, username="mara")
    (alert,) = rows(database, SafetyAlert)
    api = _api(app, database, world, "mara")
    url = f"/api/v1/clients/{world.clients['alice']}/alerts/{alert.id}/acknowledge"
    missing = api.post(url, json={})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "note"]
    acknowledged = api.post(url, json={"note": "Reviewed in person"})
    assert acknowledged.status_code == 200
    assert acknowledged.json()["acknowledgement_note"] == "Reviewed in person"
    listed = api.get(f"/api/v1/clients/{world.clients['alice']}/alerts").json()
    assert [a["acknowledged_by_id"] for a in listed] == [world.users["mara"]]


def test_a_correction_does_not_repeat_an_alert_already_raised(app, database, world) -> None:  # type: ignore[no-untyped-def]
    first = _enter_phq9(app, database, world, item9=0)
    api = _api(app, database, world, "alice")
    url = f"/api/v1/clients/{world.clients['alice']}/measures/{{}}/corrections"
    flagged = api.post(
        url.format(first["id"]),
        json={"answers": phq9(1, item9=1), "reason": "Item 9 was ticked on paper"},
    )
    assert flagged.status_code == 201
    assert [a.submission_id for a in rows(database, SafetyAlert)] == [flagged.json()["id"]]
    again = api.post(
        url.format(flagged.json()["id"]),
        json={"answers": phq9(2, item9=1), "reason": "Item 1 misread"},
    )
    assert again.status_code == 201
    assert count(database, SafetyAlert) == 1


def test_a_self_report_submission_raises_the_alert_too(app, database, world) -> None:  # type: ignore[no-untyped-def]
    api = _api(app, database, world, "alice")
    link = api.post(
        f"/api/v1/clients/{world.clients['alice']}/self-report-links",
        json={"instrument_ids": ["phq9"]},
    ).json()
    from support.measures import FORM_TOKEN, prefixed
    from support.web import BASE_URL, TestClient

    phone = TestClient(app, base_url=BASE_URL, follow_redirects=False)
    path = link["url"].split("8000", 1)[1]
    token = FORM_TOKEN.search(phone.get(path).text).group(1)  # type: ignore[union-attr]
    fields = {k: str(v) for k, v in prefixed("phq9", phq9(0, item9=1)).items()}
    sent = phone.post(path, data={**fields, "form_token": token, "action": "submit"})
    assert sent.status_code == 303
    (alert,) = rows(database, SafetyAlert)
    assert alert.flag_code == "phq9_item9"
    assert _dashboard_count(app, "alice") == 1


def _cssrs(q1: int, q2: int, q3: int = 0, q4: int = 0, q5: int = 0, q6: int = 0) -> dict:  # type: ignore[type-arg]
    answers = {"cssrs_01": q1, "cssrs_02": q2, "cssrs_06": q6}
    if q2:  # questions 3 to 5 are asked only after a yes to question 2
        answers.update(cssrs_03=q3, cssrs_04=q4, cssrs_05=q5)
    if q6:
        answers["cssrs_06_recent"] = 0
    return answers


def test_cssrs_moderate_and_high_raise_alerts_and_low_does_not(app, database, world) -> None:  # type: ignore[no-untyped-def]
    api = _api(app, database, world, "mara")
    url = f"/api/v1/clients/{world.clients['alice']}/measures"
    for answers, expected in (
        (_cssrs(1, 0), None),  # low: wish to be dead only
        (_cssrs(1, 1, q3=1), ("cssrs_moderate", "moderate")),  # a method, no intent
        (_cssrs(1, 1, q3=1, q4=1), ("cssrs_high", "high")),  # some intent
    ):
        before = count(database, SafetyAlert)
        response = api.post(url, json={"instrument_id": "cssrs-screener", "answers": answers})
        assert response.status_code == 201, response.text
        new = rows(database, SafetyAlert)[before:]
        if expected is None:
            assert new == []
        else:
            assert [(a.flag_code, a.severity) for a in new] == [expected]
    assert _dashboard_count(app, "alice") == 2
    assert _dashboard_count(app, "mara") == 2
    assert _dashboard_count(app, "carol") == 0
