"""Private self-report links: unguessable, hashed, expiring, single-use, save-and-resume, and a
page that reveals nothing about the client beyond an optional first name."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest

from mendwell.clinical.instruments import get_instrument
from mendwell.queries.measures import recompute
from mendwell.store.models import Client, MeasureSubmission, SelfReportLink
from support.measures import FORM_TOKEN, LINK, count, events, pcl5, phq9, prefixed, rows
from support.web import BASE_URL, Browser, TestClient


def _create_link(app, world, **form: Any) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    alice = Browser(app)
    alice.login("alice")
    response = alice.post(
        f"/clients/{world.clients['alice']}/links",
        {"instrument_ids": ["pcl5", "phq9"], "expires_in_days": 7, **form},
    )
    assert response.status_code == 201, response.text
    found = LINK.search(response.text)
    assert found, "the link page shows the address"
    return found.group(1), found.group(2)


def _client_browser(app) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app, base_url=BASE_URL, follow_redirects=False)


def _form_token(page: str) -> str:
    found = FORM_TOKEN.search(page)
    assert found
    return found.group(1)


def _post(phone: TestClient, token: str, action: str, fields: dict[str, Any]) -> Any:
    page = phone.get(f"/r/{token}")
    data = {**fields, "form_token": _form_token(page.text), "action": action}
    return phone.post(f"/r/{token}", data={k: str(v) for k, v in data.items()})


def _everything(item9: int = 0) -> dict[str, Any]:
    return {**prefixed("pcl5", pcl5(2)), **prefixed("phq9", phq9(1, item9=item9))}


@pytest.fixture
def link(app, world) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    return _create_link(app, world)


def test_the_token_has_256_bits_and_only_its_hash_is_stored(app, database, world, link) -> None:  # type: ignore[no-untyped-def]
    url, token = link
    assert url == f"http://127.0.0.1:8000/r/{token}"
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert len(raw) * 8 >= 128
    (stored,) = rows(database, SelfReportLink)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(vars(stored))
    for event in events(database):
        assert token not in repr((event.changes, event.detail))
    created = events(database, entity_type="self_report_link", action="create")
    assert created
    assert created[0].username == "alice"
    assert created[0].changes["instrument_ids"] == [None, ["pcl5", "phq9"]]


def test_two_links_never_share_a_token(app, world) -> None:  # type: ignore[no-untyped-def]
    assert _create_link(app, world)[1] != _create_link(app, world)[1]


def test_the_page_shows_nothing_about_the_client_but_the_chosen_first_name(
    app, database, world
) -> None:  # type: ignore[no-untyped-def]
    with database.sessionmaker() as db:
        client = db.get(Client, world.clients["alice"])
        secrets = [client.legal_name, "Avery", "Example", client.code, client.email, "Site A"]
        secrets += [client.phone, client.date_of_birth.isoformat()]
    phone = _client_browser(app)
    _, anonymous = _create_link(app, world)
    page = phone.get(f"/r/{anonymous}").text
    assert "PCL-5" in page or "PTSD Checklist" in page
    for secret in secrets:
        assert secret not in page, secret
    _, named = _create_link(app, world, first_name="Sam")
    page = phone.get(f"/r/{named}").text
    assert "Hello, Sam" in page
    for secret in secrets:
        assert secret not in page, secret


def test_forged_expired_used_and_revoked_links_get_the_same_plain_page(
    app, database, world, clock
) -> None:  # type: ignore[no-untyped-def]
    phone = _client_browser(app)
    forged = phone.get("/r/" + "A" * 43)
    assert forged.status_code == 404
    for word in ("PCL", "PHQ", "Avery", "Example", "Hello"):
        assert word not in forged.text

    _, used = _create_link(app, world)
    assert _post(phone, used, "submit", _everything()).status_code == 303
    _, revoked = _create_link(app, world)
    alice = Browser(app)
    alice.login("alice")
    (_, revoked_row) = rows(database, SelfReportLink)
    assert (
        alice.post(
            f"/clients/{world.clients['alice']}/links/{revoked_row.id}/revoke", {}
        ).status_code
        == 303
    )
    _, expiring = _create_link(app, world)
    clock.advance(days=6, hours=23)
    assert phone.get(f"/r/{expiring}").status_code == 200
    clock.advance(hours=1)
    closed = (("used", used), ("revoked", revoked), ("expired", expiring))
    pages = {name: phone.get(f"/r/{t}") for name, t in closed}
    for name, response in pages.items():
        assert response.status_code == 404, name
        assert response.text == forged.text, name
    # Posting into a closed link writes nothing and answers the same.
    before = count(database, MeasureSubmission)
    late = phone.post(f"/r/{expiring}", data={"action": "submit", "pcl5.pcl5_01": "1"})
    assert late.status_code == 404
    assert late.text == forged.text
    assert count(database, MeasureSubmission) == before


def test_save_and_finish_later_from_another_device(app, database, world, link) -> None:  # type: ignore[no-untyped-def]
    _, token = link
    phone = _client_browser(app)
    partial = prefixed("pcl5", {"pcl5_01": 3, "pcl5_02": 0})
    saved = _post(phone, token, "save", partial)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/r/{token}?saved=1"
    assert count(database, MeasureSubmission) == 0
    (stored,) = rows(database, SelfReportLink)
    assert stored.saved_answers["pcl5"]["pcl5_01"] == 3
    assert stored.submitted_at is None

    laptop = _client_browser(app)
    page = laptop.get(f"/r/{token}?saved=1").text
    assert "Your answers are saved" in page
    assert 'name="pcl5.pcl5_01" value="3" checked' in page
    assert 'name="pcl5.pcl5_02" value="0" checked' in page
    assert "2 of" in page  # progress counts the saved answers
    assert events(database, action="self_report_save")


def test_submitting_scores_each_instrument_once_and_closes_the_link(
    app, database, world, link
) -> None:  # type: ignore[no-untyped-def]
    _, token = link
    phone = _client_browser(app)
    done = _post(phone, token, "submit", _everything())
    assert done.status_code == 303
    assert done.headers["location"] == "/self-report/thank-you"
    assert "Thank you" in phone.get(done.headers["location"]).text

    subs = rows(database, MeasureSubmission)
    assert [s.instrument_id for s in subs] == ["pcl5", "phq9"]
    for sub in subs:
        assert sub.entered_via == "self_report_link"
        assert sub.entered_by_id is None
        assert sub.respondent == "client"
        assert sub.instrument_version == get_instrument(sub.instrument_id).version
        assert sub.score["instrument_version"] == sub.instrument_version
    assert subs[0].total == 40  # 20 items × 2 (PCL-5 total is the sum of its items)
    assert subs[1].total == 8  # 8 items × 1, item 9 answered 0
    with database.sessionmaker() as db:
        for sub in subs:
            assert recompute(db, db.get(MeasureSubmission, sub.id), world.organisation_id).equal
    audited = events(database, action="self_report")
    assert [e.entity_id for e in audited] == [str(s.id) for s in subs]
    assert all(e.username == "self-report link" and e.user_id is None for e in audited)
    assert all(e.client_id == world.clients["alice"] for e in audited)

    again = phone.post(f"/r/{token}", data={"action": "submit", "form_token": "x"})
    assert again.status_code == 404
    assert count(database, MeasureSubmission) == 2


def test_unanswered_questions_are_named_and_can_be_sent_blank_on_purpose(
    app, database, world, link
) -> None:  # type: ignore[no-untyped-def]
    _, token = link
    phone = _client_browser(app)
    fields = _everything()
    del fields["phq9.phq9_03"]
    refused = _post(phone, token, "submit", fields)
    assert refused.status_code == 422
    assert "Question 3 of PHQ-9: not answered" in refused.text
    assert 'value="submit_anyway"' in refused.text
    assert count(database, MeasureSubmission) == 0
    sent = _post(phone, token, "submit_anyway", fields)
    assert sent.status_code == 303
    phq = rows(database, MeasureSubmission, instrument_id="phq9")[0]
    assert phq.answers["phq9_03"] is None
    assert "phq9_03" in phq.score["missing_items"]


def test_an_answer_that_is_not_an_option_is_named_and_nothing_is_saved(
    app, database, world, link
) -> None:  # type: ignore[no-untyped-def]
    _, token = link
    phone = _client_browser(app)
    bad = {**_everything(), "pcl5.pcl5_04": "9"}
    response = _post(phone, token, "save", bad)
    assert response.status_code == 422
    assert "Question 4 of PCL-5" in response.text
    (stored,) = rows(database, SelfReportLink)
    assert stored.saved_answers == {}


def test_the_form_needs_its_own_token(app, database, world, link) -> None:  # type: ignore[no-untyped-def]
    _, token = link
    phone = _client_browser(app)
    fields = {k: str(v) for k, v in _everything().items()}
    forged = phone.post(f"/r/{token}", data={**fields, "action": "submit", "form_token": "0" * 64})
    assert forged.status_code == 403
    missing = phone.post(f"/r/{token}", data={**fields, "action": "submit"})
    assert missing.status_code == 403
    assert count(database, MeasureSubmission) == 0
    (stored,) = rows(database, SelfReportLink)
    assert stored.submitted_at is None
    assert stored.saved_answers == {}


def test_only_measure_enterers_create_or_revoke_links(app, database, world) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients["alice"]
    for username, status in (("admin", 403), ("rita", 403), ("ana", 403), ("carol", 404)):
        browser = Browser(app)
        browser.login(username)
        response = browser.post(f"/clients/{client_id}/links", {"instrument_ids": ["pcl5"]})
        assert response.status_code == status, username
    assert count(database, SelfReportLink) == 0
    _create_link(app, world)
    (row,) = rows(database, SelfReportLink)
    carol = Browser(app)
    carol.login("carol")
    assert carol.post(f"/clients/{client_id}/links/{row.id}/revoke", {}).status_code == 404
    (row,) = rows(database, SelfReportLink)
    assert row.revoked_at is None


def test_a_link_battery_must_be_self_report_instruments(app, database, world) -> None:  # type: ignore[no-untyped-def]
    alice = Browser(app)
    alice.login("alice")
    client_id = world.clients["alice"]
    for battery, message in (
        ([], "choose at least one questionnaire"),
        (["caps5-past-month"], "clinician-rated"),
        (["nope"], "not an instrument"),
    ):
        response = alice.post(f"/clients/{client_id}/links", {"instrument_ids": battery})
        assert response.status_code == 422, battery
        assert message in response.text
    too_long = alice.post(
        f"/clients/{client_id}/links", {"instrument_ids": ["pcl5"], "expires_in_days": 31}
    )
    assert too_long.status_code == 422
    assert count(database, SelfReportLink) == 0


def test_links_through_the_api(app, database, world, clock) -> None:  # type: ignore[no-untyped-def]
    from support.tokens import issue_token
    from support.web import api_client

    api = api_client(app, issue_token(database, world.users["alice"]))
    created = api.post(
        f"/api/v1/clients/{world.clients['alice']}/self-report-links",
        json={"instrument_ids": ["gad7"], "expires_in_days": 2},
    )
    assert created.status_code == 201
    body = created.json()
    assert body["state"] == "pending"
    assert body["url"].startswith("http://127.0.0.1:8000/r/")
    clock.advance(days=2)
    phone = _client_browser(app)
    assert phone.get(body["url"].split("8000", 1)[1]).status_code == 404
    bad = api.post(
        f"/api/v1/clients/{world.clients['alice']}/self-report-links",
        json={"instrument_ids": ["pcl5"], "expires_in_days": 0},
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "expires_in_days"]
