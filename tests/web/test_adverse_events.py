"""Adverse events through pages and API: who sees what, the checklist, clocks, alerts, edits,
listings and CSV, Oregon categories, and bad input."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select, text

from mendwell.clinical.sessions.adverse_events import VOCABULARY_FILE
from mendwell.settings import SettingsError, load_settings
from mendwell.store.models import AdverseEvent, AdverseEventAlert, AuditEvent
from mendwell.web.app import create_app
from support.tokens import issue_token
from support.web import Browser, api_client
from support.world import AUDIT_KEY, TEST_START

TODAY = TEST_START.date()  # 2026-01-06; the test sites keep UTC


def _api(app, database, world, username: str):  # type: ignore[no-untyped-def]
    return api_client(app, issue_token(database, world.users[username]))


def _browser(app, username: str) -> Browser:  # type: ignore[no-untyped-def]
    browser = Browser(app)
    assert browser.login(username).status_code == 303
    return browser


def _payload(**extra: Any) -> dict[str, Any]:
    return {
        "term": "Nausea",
        "substance": "mdma",
        "onset_at": "2026-01-06T08:00:00+00:00",
        "aware_on": "2026-01-06",
        **extra,
    }


def _create(api, client_id: int, **extra: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = api.post(f"/api/v1/clients/{client_id}/adverse-events", json=_payload(**extra))
    assert response.status_code == 201, response.text
    return response.json()


def _count(database, model=AdverseEvent) -> int:  # type: ignore[no-untyped-def]
    with database.sessionmaker() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


def _events(database, **where: Any) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with database.sessionmaker() as db:
        query = select(AuditEvent).order_by(AuditEvent.seq)
        for key, value in where.items():
            query = query.where(getattr(AuditEvent, key) == value)
        return list(db.scalars(query))


def _event(database, event_id: int) -> AdverseEvent:  # type: ignore[no-untyped-def]
    with database.sessionmaker() as db:
        found = db.get(AdverseEvent, event_id)
        assert found is not None
        return found


# --- who sees what ----------------------------------------------------------------------------


def test_raters_and_analysts_cannot_see_adverse_events(app, database, world) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients["alice"]
    event = _create(_api(app, database, world, "alice"), client_id, term="Headache")
    for username in ("rita", "ana"):
        browser = _browser(app, username)
        for path in (
            "/adverse-events",
            "/adverse-events.csv",
            f"/adverse-events/{event['id']}",
            f"/clients/{client_id}/adverse-events",
        ):
            assert browser.get(path).status_code == 403, (username, path)
        assert 'id="panel-adverse-events"' not in browser.get(f"/clients/{client_id}").text
        api = _api(app, database, world, username)
        assert api.get("/api/v1/adverse-events").status_code == 403
        assert api.get(f"/api/v1/adverse-events/{event['id']}").status_code == 403
    alice = _browser(app, "alice")
    assert "Headache" in alice.get(f"/clients/{client_id}").text
    assert alice.get(f"/adverse-events/{event['id']}").status_code == 200


def test_carol_at_site_b_gets_404_for_site_a_events(app, database, world) -> None:  # type: ignore[no-untyped-def]
    event = _create(_api(app, database, world, "alice"), world.clients["alice"])
    carol = _browser(app, "carol")
    for path in (f"/adverse-events/{event['id']}", f"/adverse-events/{event['id']}/edit"):
        assert carol.get(path).status_code == 404, path
    assert carol.post(f"/adverse-events/{event['id']}", {"version": 1}).status_code == 404
    follow_up = {"followed_up_on": "2026-01-06", "note": "x"}
    assert carol.post(f"/adverse-events/{event['id']}/follow-ups", follow_up).status_code == 404
    assert carol.get(f"/clients/{world.clients['alice']}/adverse-events").status_code == 404
    assert "Nausea" not in carol.get("/adverse-events").text
    assert len(carol.get("/adverse-events.csv").text.splitlines()) == 1  # the header only
    api = _api(app, database, world, "carol")
    assert api.get(f"/api/v1/adverse-events/{event['id']}").status_code == 404
    assert api.get("/api/v1/adverse-events").json()["total"] == 0
    response = api.post("/api/v1/adverse-events", json=_payload(client_id=world.clients["alice"]))
    assert response.status_code == 404
    assert _count(database) == 1
    failed = _events(database, username="carol", action="access_failed")
    assert {e.entity_type for e in failed} >= {"adverse_event", "client"}


def test_at_the_oregon_site_a_facilitator_sees_only_her_own_clients_events(  # type: ignore[no-untyped-def]
    app, database, world
) -> None:
    event = _create(_api(app, database, world, "carol"), world.clients["carol"])
    assert (
        _api(app, database, world, "dave").get(f"/api/v1/adverse-events/{event['id']}").status_code
        == 404
    )
    assert (
        _api(app, database, world, "admin").get(f"/api/v1/adverse-events/{event['id']}").status_code
        == 200
    )


def test_admins_see_events_but_do_not_record_them(app, database, world) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients["alice"]
    event = _create(_api(app, database, world, "mara"), client_id)
    admin = _browser(app, "admin")
    assert admin.get(f"/adverse-events/{event['id']}").status_code == 200
    checklist = {"items": ["nausea"], "substance": "mdma"}
    assert (
        admin.post(f"/clients/{client_id}/adverse-events/checklist", checklist).status_code == 403
    )
    assert "Record adverse events from the checklist" not in admin.get(f"/clients/{client_id}").text
    api = _api(app, database, world, "admin")
    assert (
        api.post(f"/api/v1/clients/{client_id}/adverse-events", json=_payload()).status_code == 403
    )
    assert _count(database) == 1


# --- the checklist ------------------------------------------------------------------------------


def test_euphoria_is_recorded_from_the_checklist_in_one_step(app, database, world) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients["alice"]
    alice = _browser(app, "alice")
    page = alice.get(f"/clients/{client_id}").text
    assert 'name="items" value="euphoria"' in page  # on the client page itself
    response = alice.post(
        f"/clients/{client_id}/adverse-events/checklist",
        {"items": ["euphoria"], "substance": "mdma"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/clients/{client_id}/adverse-events?recorded=1"
    with database.sessionmaker() as db:
        events = db.scalars(select(AdverseEvent)).all()
    assert len(events) == 1
    euphoria = events[0]
    assert (euphoria.term, euphoria.category, euphoria.checklist_item) == (
        "Euphoria",
        "positive-mood",
        "euphoria",
    )
    # FDA's complete response letter: positive-mood events signal abuse potential.
    assert euphoria.special_interest == ["abuse-potential-misuse"]
    assert (euphoria.grade, euphoria.serious, euphoria.status) == (None, False, "open")
    assert (euphoria.onset_at, euphoria.aware_on) == (TEST_START, TODAY)
    created = _events(database, entity_type="adverse_event", action="create")
    assert [(e.username, e.detail) for e in created] == [("alice", {"via": "checklist"})]
    assert created[0].changes["term"] == [None, "Euphoria"]
    listing = alice.get(response.headers["location"]).text
    assert "Recorded 1 adverse event" in listing
    assert "Euphoria" in listing


def test_each_ticked_item_becomes_its_own_event(app, database, world) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients["alice"]
    alice = _browser(app, "alice")
    ticks = {"items": ["nausea", "headache", "elevated-mood"], "substance": "psilocybin"}
    assert alice.post(f"/clients/{client_id}/adverse-events/checklist", ticks).status_code == 303
    with database.sessionmaker() as db:
        rows = db.execute(select(AdverseEvent.term, AdverseEvent.substance)).all()
    assert sorted(rows) == [
        ("Elevated mood", "psilocybin"),
        ("Headache", "psilocybin"),
        ("Nausea", "psilocybin"),
    ]


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"substance": "mdma"}, "items", "tick at least one event"),
        ({"items": ["bliss"], "substance": "mdma"}, "items", "not a known checklist item"),
        ({"items": ["nausea"]}, "substance", "Field required"),
        (
            {"items": ["nausea"], "substance": "mdma", "aware_on": "2026-02-01"},
            "aware_on",
            "future",
        ),
    ],
)
def test_a_bad_checklist_is_shown_again_with_the_message_and_nothing_is_saved(  # type: ignore[no-untyped-def]
    app, database, world, form, field, message
) -> None:
    alice = _browser(app, "alice")
    response = alice.post(f"/clients/{world.clients['alice']}/adverse-events/checklist", form)
    assert response.status_code == 422
    assert f'id="f-{field}-error"' in response.text
    assert message in response.text
    assert _count(database) == 0


# --- seriousness and clocks ---------------------------------------------------------------------


def test_a_life_threatening_susar_gets_7_and_15_day_clocks_that_go_overdue(  # type: ignore[no-untyped-def]
    app, database, world, clock
) -> None:
    # ICH E2A; 21 CFR 312.32(c)(1)-(2): day 0 is awareness; 7 days, complete report by day 15.
    mara = _api(app, database, world, "mara")
    event = _create(
        mara,
        world.clients["alice"],
        term="Hypertensive crisis",
        grade=4,
        seriousness_criteria=["life-threatening"],
        relatedness="probably",
        expectedness="unexpected",
    )
    assert (event["serious"], event["fatal_or_life_threatening"], event["expedited"]) == (
        True,
        True,
        "yes",
    )
    clocks = [(c["id"], c["due_on"], c["state"], c["days_left"]) for c in event["clocks"]]
    assert clocks == [
        ("susar-fatal-initial", "2026-01-13", "pending", 7),
        ("susar-fatal-complete", "2026-01-21", "pending", 15),
    ]
    clock.advance(days=7)
    states = [
        (c["state"], c["days_left"])
        for c in mara.get(f"/api/v1/adverse-events/{event['id']}").json()["clocks"]
    ]
    assert states == [("due-today", 0), ("pending", 8)]
    clock.advance(days=1)
    states = [
        (c["state"], c["days_left"])
        for c in mara.get(f"/api/v1/adverse-events/{event['id']}").json()["clocks"]
    ]
    assert states == [("overdue", -1), ("pending", 7)]
    page = _browser(app, "mara").get(f"/adverse-events/{event['id']}").text
    assert "1 overdue" in page
    assert "2026-01-13" in page
    dashboard = _browser(app, "mara").get("/").text
    assert "Hypertensive crisis" in dashboard
    assert "was due 2026-01-13 (1 day overdue)" in dashboard


def test_an_unassessed_serious_event_runs_a_provisional_15_day_clock(app, database, world) -> None:  # type: ignore[no-untyped-def]
    event = _create(
        _api(app, database, world, "alice"),
        world.clients["alice"],
        term="Admitted overnight with vomiting",
        seriousness_criteria=["hospitalization"],
    )
    assert event["expedited"] == "pending-assessment"
    assert [(c["id"], c["due_on"], c["provisional"]) for c in event["clocks"]] == [
        ("susar-other", "2026-01-21", True)
    ]
    stored = _event(database, event["id"])
    assert (stored.vocabulary_id, stored.vocabulary_version) == (
        "adverse-event-vocabulary",
        event["vocabulary_version"],
    )


def test_an_expected_serious_event_has_no_clock(app, database, world) -> None:  # type: ignore[no-untyped-def]
    event = _create(
        _api(app, database, world, "mara"),
        world.clients["alice"],
        seriousness_criteria=["hospitalization"],
        relatedness="probably",
        expectedness="expected",
    )
    assert (event["serious"], event["expedited"], event["clocks"]) == (True, "no", [])


def test_a_submitted_report_stops_its_clock(app, database, world, clock) -> None:  # type: ignore[no-untyped-def]
    mara_api = _api(app, database, world, "mara")
    on_time = _create(
        mara_api,
        world.clients["alice"],
        term="Seizure",
        seriousness_criteria=["hospitalization"],
        relatedness="possibly",
        expectedness="unexpected",
    )
    late = _create(
        mara_api,
        world.clients["alice"],
        term="Syncope",
        seriousness_criteria=["important-medical-event"],
        relatedness="possibly",
        expectedness="unexpected",
    )
    clock.advance(days=10)
    mara = _browser(app, "mara")
    sent = {
        "clock_id": "susar-other",
        "submitted_on": "2026-01-16",
        "submitted_to": "FDA (MedWatch 3500A)",
        "reference": "IND-001",
    }
    response = mara.post(f"/adverse-events/{on_time['id']}/reports", sent)
    assert response.status_code == 303
    clock.advance(days=10)  # 2026-01-26: past both due dates (2026-01-21)
    clocks = mara_api.get(f"/api/v1/adverse-events/{on_time['id']}").json()["clocks"]
    assert [(c["state"], c["submitted_on"]) for c in clocks] == [("submitted", "2026-01-16")]
    assert mara_api.get(f"/api/v1/adverse-events/{late['id']}").json()["clocks"][0]["state"] == (
        "overdue"
    )
    due = _browser(app, "mara").get("/").text.split("Expedited reports due")[1]
    assert "Syncope" in due
    assert "Seizure" not in due
    report = _events(database, entity_type="adverse_event_report", action="create")
    assert report[0].changes["submitted_on"] == [None, "2026-01-16"]
    assert report[0].changes["reference"] == [None, "IND-001"]
    assert report[0].detail == {"due_on": "2026-01-21"}
    mara = _browser(app, "mara")
    late_report = {**sent, "submitted_on": "2026-01-25"}
    assert mara.post(f"/adverse-events/{late['id']}/reports", late_report).status_code == 303
    clocks = mara_api.get(f"/api/v1/adverse-events/{late['id']}").json()["clocks"]
    assert clocks[0]["state"] == "submitted-late"


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"clock_id": "susar-fatal-initial", "submitted_on": "2026-01-06"}, "clock_id"),
        ({"clock_id": "susar-other", "submitted_on": "2026-01-05"}, "submitted_on"),
        ({"clock_id": "susar-other", "submitted_on": "2026-01-07"}, "submitted_on"),
    ],
)
def test_a_bad_report_submission_names_the_field(app, database, world, form, field) -> None:  # type: ignore[no-untyped-def]
    event = _create(
        _api(app, database, world, "mara"),
        world.clients["alice"],
        seriousness_criteria=["hospitalization"],
    )
    response = _browser(app, "mara").post(f"/adverse-events/{event['id']}/reports", form)
    assert response.status_code == 422
    assert f'id="f-{field}-error"' in response.text
    assert _count(database, AdverseEventAlert) == 1
    assert not _events(database, entity_type="adverse_event_report")


def test_a_serious_event_alerts_the_medical_monitor_at_once(app, database, world) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients["alice"]
    event = _create(
        _api(app, database, world, "alice"),
        client_id,
        term="Suicidal thoughts with a plan",
        seriousness_criteria=["important-medical-event"],
    )
    with database.sessionmaker() as db:
        alert_id = db.scalar(select(AdverseEventAlert.id))
    mara = _browser(app, "mara")
    dashboard = mara.get("/").text
    assert "Alerts to acknowledge" in dashboard
    assert "Suicidal thoughts with a plan" in dashboard
    alice = _browser(app, "alice")
    assert "Not yet acknowledged by the medical monitor" in alice.get(f"/clients/{client_id}").text
    assert "Serious adverse events" not in alice.get("/").text  # the panel is the monitor's
    path = f"/adverse-events/alerts/{alert_id}/acknowledge"
    assert alice.post(path, {"note": "seen"}).status_code == 403
    blank = mara.post(path, {"note": " "})
    assert blank.status_code == 422
    assert f'id="ack-{alert_id}-error"' in blank.text
    note = "Called the client; safe, follow-up tomorrow."
    done = mara.post(path, {"note": note, "next": "//elsewhere.example/"})
    assert done.status_code == 303
    assert done.headers["location"] == f"/adverse-events/{event['id']}"  # never off the site
    acknowledged = _events(database, entity_type="adverse_event_alert", action="acknowledge")
    assert acknowledged[0].username == "mara"
    assert acknowledged[0].changes["acknowledgement_note"] == [None, note]
    assert "Alerts to acknowledge" not in mara.get("/").text
    assert "Not yet acknowledged" not in mara.get(f"/adverse-events/{event['id']}").text
    assert mara.post(path, {"note": "again"}).status_code == 409


def test_an_event_that_becomes_serious_on_edit_raises_an_alert(app, database, world) -> None:  # type: ignore[no-untyped-def]
    event = _create(_api(app, database, world, "alice"), world.clients["alice"])
    assert _count(database, AdverseEventAlert) == 0
    form = {**_payload(), "seriousness_criteria": ["hospitalization"], "version": 1}
    form["onset_at"] = "2026-01-06T08:00"
    assert _browser(app, "alice").post(f"/adverse-events/{event['id']}", form).status_code == 303
    with database.sessionmaker() as db:
        assert db.scalars(select(AdverseEventAlert.reason)).all() == ["serious"]


# --- edits, follow-ups and closing -------------------------------------------------------------


def _edit_form(event: dict[str, Any], **changes: Any) -> dict[str, Any]:
    form = {
        "term": event["term"],
        "substance": event["substance"],
        "onset_at": "2026-01-06T09:00",
        "aware_on": event["aware_on"],
        "version": event["version"],
        "checklist_item": event["checklist_item"],
        **changes,
    }
    return {k: v for k, v in form.items() if v is not None}


def test_grading_is_audited_old_to_new_and_a_stale_edit_loses_nothing(app, database, world) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients["alice"]
    alice, bob = _browser(app, "alice"), _browser(app, "bob")
    alice.post(
        f"/clients/{client_id}/adverse-events/checklist",
        {"items": ["euphoria"], "substance": "mdma"},
    )
    event = (
        _api(app, database, world, "alice")
        .get(f"/api/v1/clients/{client_id}/adverse-events")
        .json()["items"][0]
    )
    graded = _edit_form(event, grade=1, relatedness="probably", expectedness="expected")
    assert alice.post(f"/adverse-events/{event['id']}", graded).status_code == 303
    update = _events(database, entity_type="adverse_event", action="update")
    assert update[0].changes["grade"] == [None, 1]
    assert update[0].changes["relatedness"] == [None, "probably"]
    assert update[0].changes["version"] == [1, 2]
    page = alice.get(f"/adverse-events/{event['id']}").text
    assert "1 — Mild" in page
    assert "NCIt C41338" in page
    stale = bob.post(f"/adverse-events/{event['id']}", _edit_form(event, grade=2))
    assert stale.status_code == 409
    assert "changed this event while you were editing" in stale.text
    assert _event(database, event["id"]).grade == 1


def test_closing_needs_an_outcome_and_a_closed_event_cannot_be_edited(app, database, world) -> None:  # type: ignore[no-untyped-def]
    event = _create(_api(app, database, world, "alice"), world.clients["alice"])
    alice = _browser(app, "alice")
    path = f"/adverse-events/{event['id']}/follow-ups"
    close = {"followed_up_on": "2026-01-06", "note": "Settled by noon.", "status_change": "closed"}
    missing = alice.post(path, close)
    assert missing.status_code == 422
    assert 'id="f-outcome-error"' in missing.text
    assert _count(database) == 1
    assert not _events(database, entity_type="adverse_event_follow_up")
    assert alice.post(path, {**close, "outcome": "recovered"}).status_code == 303
    closed = _event(database, event["id"])
    assert (closed.status, closed.outcome, closed.closed_at) == ("closed", "recovered", TEST_START)
    update = _events(database, entity_type="adverse_event", action="update")
    assert update[0].changes["status"] == ["open", "closed"]
    refused = alice.post(f"/adverse-events/{event['id']}", _edit_form(event, version=2, grade=1))
    assert refused.status_code == 409
    assert "closed" in refused.text
    reopen = {
        "followed_up_on": "2026-01-06",
        "note": "Symptoms returned.",
        "status_change": "reopened",
    }
    assert alice.post(path, reopen).status_code == 303
    assert _event(database, event["id"]).status == "open"


def test_follow_ups_and_reports_cannot_be_changed_in_the_database(
    app, database, world, engine
) -> None:  # type: ignore[no-untyped-def]
    event = _create(_api(app, database, world, "alice"), world.clients["alice"])
    follow_up = {"followed_up_on": "2026-01-06", "note": "Better."}
    assert (
        _browser(app, "alice")
        .post(f"/adverse-events/{event['id']}/follow-ups", follow_up)
        .status_code
        == 303
    )
    for statement in (
        "UPDATE adverse_event_follow_up SET note = 'changed'",
        "DELETE FROM adverse_event_follow_up",
    ):
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))


# --- listings and CSV ---------------------------------------------------------------------------


def _seed(app, database, world) -> dict[str, int]:  # type: ignore[no-untyped-def]
    mara = _api(app, database, world, "mara")
    client_id = world.clients["alice"]
    made = {
        "euphoria": _create(mara, client_id, term="Euphoria", checklist_item="euphoria", grade=1),
        "bp": _create(
            mara,
            client_id,
            term="Raised blood pressure",
            checklist_item="raised-blood-pressure",
            substance="psilocybin",
            grade=2,
            onset_at="2026-01-04T10:00:00+00:00",
            aware_on="2026-01-04",
        ),
        "serious": _create(
            mara,
            client_id,
            term='=HYPERLINK("http://x")',
            seriousness_criteria=["hospitalization"],
            grade=3,
            onset_at="2026-01-02T10:00:00+00:00",
            aware_on="2026-01-02",
        ),
    }
    return {k: v["id"] for k, v in made.items()}


FILTERS = [
    ("", {"euphoria", "bp", "serious"}),
    ("substance=psilocybin", {"bp"}),
    ("grade=2", {"bp"}),
    ("serious=yes", {"serious"}),
    ("serious=no", {"euphoria", "bp"}),
    ("special_interest=abuse-potential-misuse", {"euphoria"}),
    ("special_interest=cardiovascular", {"bp"}),
    ("since=2026-01-03&until=2026-01-04", {"bp"}),
    ("since=2026-01-05", {"euphoria"}),
    ("status=closed", set()),
    ("site_id=999&grade=1", set()),
]


def test_the_program_listing_filters(app, database, world) -> None:  # type: ignore[no-untyped-def]
    ids = _seed(app, database, world)
    names = {v: k for k, v in ids.items()}
    api = _api(app, database, world, "mara")
    mara = _browser(app, "mara")
    for query, expected in FILTERS:
        found = api.get(f"/api/v1/adverse-events?{query}").json()["items"]
        assert {names[e["id"]] for e in found} == expected, query
        assert f"{len(expected)} adverse event" in mara.get(f"/adverse-events?{query}").text, query
    searches = _events(database, entity_type="adverse_event", action="search", username="mara")
    assert searches[-1].detail == {"filters": {"site_id": 999, "grade": 1}, "count": 0}


def test_a_bad_filter_is_named(app, database, world) -> None:  # type: ignore[no-untyped-def]
    api = _api(app, database, world, "mara")
    response = api.get("/api/v1/adverse-events?special_interest=bliss&since=yesterday")
    assert response.status_code == 422
    assert {e["loc"][-1] for e in response.json()["detail"]} == {"special_interest", "since"}
    page = _browser(app, "mara").get("/adverse-events?since=yesterday")
    assert page.status_code == 422
    assert 'id="f-since-error"' in page.text


def test_csv_download_holds_the_filtered_events_and_is_audited(app, database, world) -> None:  # type: ignore[no-untyped-def]
    ids = _seed(app, database, world)
    mara = _browser(app, "mara")
    response = mara.get("/adverse-events.csv?grade=2")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 1
    row = rows[0]
    assert (row["event_id"], row["term"], row["grade"], row["substance"]) == (
        str(ids["bp"]),
        "Raised blood pressure",
        "2",
        "psilocybin",
    )
    assert row["special_interest"] == "cardiovascular"
    assert row["grade_ncit"] == "C41339"
    assert row["client_code"].startswith("MW-")
    export = _events(database, entity_type="adverse_event", action="export")
    assert export[-1].username == "mara"
    assert export[-1].detail == {"filters": {"grade": 2}, "rows": 1, "format": "csv"}
    everything = list(csv.DictReader(io.StringIO(mara.get("/adverse-events.csv").text)))
    assert len(everything) == 3
    serious = next(r for r in everything if r["event_id"] == str(ids["serious"]))
    assert serious["term"].startswith("'=")  # a spreadsheet shows it, never runs it
    assert serious["serious"] == "yes"
    assert serious["clocks"] == "susar-other:2026-01-17:pending"
    client_csv = mara.get(f"/clients/{world.clients['alice']}/adverse-events.csv?serious=yes")
    assert len(list(csv.DictReader(io.StringIO(client_csv.text)))) == 1


# --- Oregon -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "categories"),
    [
        # OAR 333-333-1010 (2)-(4)
        (
            {
                "oregon_during_session": True,
                "oregon_medical_care": True,
                "oregon_nature": "medical",
            },
            ["adverse-medical-reaction", "adverse-reaction"],
        ),
        (
            {
                "oregon_during_session": True,
                "oregon_emergency_services": True,
                "oregon_hospital_transport": True,
                "oregon_nature": "behavioral",
            },
            ["adverse-behavioral-reaction"],
        ),
        ({"oregon_during_session": True}, []),
    ],
)
def test_oregon_categories_are_recorded_at_the_oregon_site(
    app, database, world, facts, categories
) -> None:  # type: ignore[no-untyped-def]
    event = _create(_api(app, database, world, "carol"), world.clients["carol"], **facts)
    assert event["jurisdiction"] == "us-or"
    assert event["jurisdiction_categories"] == categories
    assert event["jurisdiction_rules"].startswith("us-or")
    assert event["jurisdiction_facts"]["during_administration_session"] is True


def test_oregon_facts_are_checked(app, database, world) -> None:  # type: ignore[no-untyped-def]
    carol = _api(app, database, world, "carol")
    response = carol.post(
        f"/api/v1/clients/{world.clients['carol']}/adverse-events",
        json=_payload(oregon_during_session=True, oregon_medical_care=True),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "oregon_nature"]
    alice = _api(app, database, world, "alice")
    response = alice.post(
        f"/api/v1/clients/{world.clients['alice']}/adverse-events",
        json=_payload(oregon_during_session=True),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "oregon_during_session"]
    assert _count(database) == 0
    checklist = _browser(app, "carol").post(
        f"/clients/{world.clients['carol']}/adverse-events/checklist",
        {"items": ["nausea"], "substance": "psilocybin"},
    )
    assert checklist.status_code == 303
    with database.sessionmaker() as db:
        event = db.scalars(select(AdverseEvent)).one()
    assert (event.jurisdiction, event.jurisdiction_facts) == ("us-or", None)
    page = _browser(app, "carol").get(f"/adverse-events/{event.id}").text
    assert "Not classified yet" in page
    form = _browser(app, "carol").get(f"/adverse-events/{event.id}/edit").text
    assert "OAR 333-333-1010" in form


# --- bad input ----------------------------------------------------------------------------------


BAD_INPUT = [
    ({"term": " "}, "term"),
    ({"substance": "lsd"}, "substance"),
    ({"grade": 6}, "grade"),
    ({"seriousness_criteria": ["hospitalisation"]}, "seriousness_criteria"),
    ({"relatedness": "maybe"}, "relatedness"),
    ({"expectedness": "surprising"}, "expectedness"),
    ({"action_taken": "dose-doubled"}, "action_taken"),
    ({"outcome": "better"}, "outcome"),
    ({"special_interest": ["cardiac"]}, "special_interest"),
    ({"category": "mood"}, "category"),
    ({"checklist_item": "giggles"}, "checklist_item"),
    ({"onset_at": "2026-01-07T08:00:00+00:00"}, "onset_at"),
    ({"onset_at": "2026-01-06T08:00:00"}, "onset_at"),
    ({"resolved_at": "2026-01-06T07:00:00+00:00"}, "resolved_at"),
    ({"aware_on": "2026-01-05"}, "aware_on"),
    ({"meddra_code": "1234"}, "meddra_code"),
    ({"meddra_code": "10028813"}, "meddra_version"),
    ({"dosing_session_id": 0}, "dosing_session_id"),
    ({"dose": "80 mg"}, "dose"),
]


def test_bad_input_names_the_field_and_writes_nothing(app, database, world) -> None:  # type: ignore[no-untyped-def]
    api = _api(app, database, world, "mara")
    before = len(_events(database))
    for change, field in BAD_INPUT:
        response = api.post(
            f"/api/v1/clients/{world.clients['alice']}/adverse-events", json=_payload(**change)
        )
        assert response.status_code == 422, change
        assert field in {e["loc"][1] for e in response.json()["detail"]}, change
    assert _count(database) == 0
    assert len(_events(database)) == before


def test_the_form_shows_bad_input_next_to_the_field(app, database, world) -> None:  # type: ignore[no-untyped-def]
    alice = _browser(app, "alice")
    client_id = world.clients["alice"]
    form = {
        "term": "",
        "substance": "mdma",
        "onset_at": "2026-01-07T08:00",
        "aware_on": "2026-01-06",
    }
    response = alice.post(f"/clients/{client_id}/adverse-events", form)
    assert response.status_code == 422
    assert 'id="f-term" name="term"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert 'id="f-onset_at-error"' in response.text
    assert "cannot be in the future" in response.text
    assert _count(database) == 0
    good = {**form, "term": "Jaw clenching", "onset_at": "2026-01-06T08:30", "grade": "1"}
    created = alice.post(f"/clients/{client_id}/adverse-events", good)
    assert created.status_code == 303
    with database.sessionmaker() as db:
        event = db.scalars(select(AdverseEvent)).one()
    assert (event.term, event.grade, event.category) == ("Jaw clenching", 1, "other")
    assert event.onset_at.isoformat() == "2026-01-06T08:30:00+00:00"


def test_the_api_creates_by_client_id_and_reads_back(app, database, world) -> None:  # type: ignore[no-untyped-def]
    api = _api(app, database, world, "alice")
    response = api.post(
        "/api/v1/adverse-events",
        json=_payload(client_id=world.clients["alice"], checklist_item="crying", term="Crying"),
    )
    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == f"/api/v1/adverse-events/{body['id']}"
    assert (body["category"], body["aware_on"]) == ("psychiatric", "2026-01-06")
    again = api.get(f"/api/v1/adverse-events/{body['id']}")
    assert again.json()["term"] == "Crying"
    viewed = _events(database, entity_type="adverse_event", action="view")
    assert viewed[-1].entity_id == str(body["id"])
    listed = api.get(f"/api/v1/clients/{world.clients['alice']}/adverse-events").json()
    assert [e["id"] for e in listed["items"]] == [body["id"]]
    assert listed["items"][0]["clocks"] == []


# --- configuration --------------------------------------------------------------------------------


def test_a_programs_own_vocabulary_sets_the_clock_lengths(  # type: ignore[no-untyped-def]
    test_db, engine, clock, database, world, tmp_path
) -> None:
    data = yaml.safe_load(VOCABULARY_FILE.read_text())
    data.update(id="program-ae-vocabulary", version="2.0.0")
    for entry in data["reporting_clocks"]:
        if entry["id"] == "susar-other":
            entry["days"] = 10
    path = tmp_path / "vocabulary.yaml"
    path.write_text(yaml.safe_dump(data))
    settings = load_settings(
        database_url=test_db.url,
        data_dir=str(tmp_path / "data"),
        audit_key=AUDIT_KEY.decode(),
        adverse_event_vocabulary=str(path),
    )
    app = create_app(settings, engine=engine, clock=clock, audit_key=AUDIT_KEY)
    event = _create(
        _api(app, database, world, "mara"),
        world.clients["alice"],
        seriousness_criteria=["hospitalization"],
    )
    assert [(c["days"], c["due_on"]) for c in event["clocks"]] == [(10, "2026-01-16")]
    assert (event["vocabulary_id"], event["vocabulary_version"]) == (
        "program-ae-vocabulary",
        "2.0.0",
    )


def test_a_broken_vocabulary_file_stops_start_up_naming_the_setting(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "vocabulary.yaml"
    path.write_text("id: broken\nversion: '1'\n")
    with pytest.raises(SettingsError, match=r"MENDWELL_ADVERSE_EVENT_VOCABULARY: .*grades"):
        load_settings(adverse_event_vocabulary=str(path))
