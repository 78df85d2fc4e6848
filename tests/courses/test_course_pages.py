"""Course pages and the JSON API: enrolment, forms, the dosing gate, and who sees what."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from support.courses import TODAY, enrol, events, visits_by_id
from support.tokens import issue_token
from support.web import Browser, api_client


def _browser(app, username: str) -> Browser:  # type: ignore[no-untyped-def]
    browser = Browser(app)
    assert browser.login(username).status_code == 303
    return browser


def _api(app, database, world, username: str):  # type: ignore[no-untyped-def]
    return api_client(app, issue_token(database, world.users[username]))


@pytest.fixture
def course_id(database, world, screenings) -> int:  # type: ignore[no-untyped-def]
    screenings.sign(world.clients["alice"], washout_until=TODAY + timedelta(days=20))
    return enrol(database, world.users["alice"], world.clients["alice"], arm="MDMA")


def _schedule_rows(html: str) -> list[str]:
    return re.findall(r'<tr id="visit-([a-z0-9-]+)"', html)


# --- enrolment -------------------------------------------------------------------------------


def test_enrolling_from_the_client_page_plans_the_schedule(
    app, database, world, screenings
) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients["alice"]
    screenings.sign(client_id)
    alice = _browser(app, "alice")
    client_page = alice.get(f"/clients/{client_id}").text
    assert 'id="panel-course"' in client_page
    assert "Latest signed screening: <strong>eligible</strong>" in client_page
    assert f'action="/clients/{client_id}/courses"' in client_page
    response = alice.post(
        f"/clients/{client_id}/courses",
        {"protocol": "mdma-at-phase3@1.1.0", "anchor_date": TODAY.isoformat()},
    )
    assert response.status_code == 303
    course_page = alice.get(response.headers["location"]).text
    rows = _schedule_rows(course_page)
    assert rows[:3] == ["screening", "preparation-1", "preparation-2"]
    assert len(rows) == 20
    assert "2026-01-13" in course_page  # preparation 1: a week after enrolment
    # The client page now summarises the course and its next visit.
    summary = alice.get(f"/clients/{client_id}").text
    assert "1 of 20 visits held" in summary
    assert "Next visit:" in summary


def test_a_refused_enrolment_lists_why_and_writes_nothing(app, database, world, screenings) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients["alice"]
    alice = _browser(app, "alice")
    response = alice.post(f"/clients/{client_id}/courses", {"protocol": "mdma-at-phase3"})
    assert response.status_code == 409
    assert "no signed screening on record" in response.text
    bad = alice.post(f"/clients/{client_id}/courses", {"protocol": "not a protocol"})
    assert bad.status_code == 422
    assert 'id="f-protocol-error"' in bad.text
    assert events(database, entity_type="course") == []


def test_the_api_enrols_and_reads_the_schedule(app, database, world, screenings) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients["alice"]
    api = _api(app, database, world, "mara")
    refused = api.post(
        "/api/v1/courses", json={"client_id": client_id, "protocol": "mdma-at-phase3"}
    )
    assert refused.status_code == 409
    assert refused.json()["reasons"] == [
        "no signed screening on record: a medical reviewer must sign one"
    ]
    invalid = api.post("/api/v1/courses", json={"client_id": client_id, "anchor_date": "soon"})
    assert invalid.status_code == 422
    assert {e["loc"][-1] for e in invalid.json()["detail"]} == {"protocol", "anchor_date"}
    screenings.sign(client_id, substance="psilocybin")
    created = api.post(
        "/api/v1/courses", json={"client_id": client_id, "protocol": "psilocybin-single-25mg"}
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["protocol_id"], body["status"], body["client_code"]) == (
        "psilocybin-single-25mg",
        "active",
        body["client_code"],
    )
    assert [v["visit_id"] for v in body["visits"]][:2] == ["screening", "preparation-1"]
    listed = api.get(f"/api/v1/courses?client_id={client_id}").json()
    assert [c["id"] for c in listed] == [body["id"]]
    one = api.get(f"/api/v1/courses/{body['id']}").json()
    dosing = next(v for v in one["visits"] if v["kind"] == "dosing")
    assert (dosing["target_date"], dosing["earliest_date"], dosing["latest_date"]) == (
        "2026-02-03",
        "2026-01-27",
        "2026-02-17",
    )


# --- visits ----------------------------------------------------------------------------------


def test_rescheduling_without_a_reason_is_shown_next_to_the_field(
    app, database, world, course_id
) -> None:  # type: ignore[no-untyped-def]
    alice = _browser(app, "alice")
    path = f"/courses/{course_id}/visits/preparation-1"
    later = (TODAY + timedelta(days=10)).isoformat()
    response = alice.post(f"{path}/book", {"scheduled_on": later})
    assert response.status_code == 422
    assert 'id="f-reason-error"' in response.text
    assert visits_by_id(database, course_id)["preparation-1"].status == "planned"
    moved = alice.post(f"{path}/book", {"scheduled_on": later, "reason": "client away"})
    assert moved.status_code == 303
    page = alice.get(path).text
    assert "later visits moved" in page
    assert "preparation-2: target 2026-01-20 → 2026-01-23" in page


def test_a_missed_visit_form_needs_a_reason(app, database, world, course_id) -> None:  # type: ignore[no-untyped-def]
    alice = _browser(app, "alice")
    path = f"/courses/{course_id}/visits/preparation-1/missed"
    assert alice.post(path, {"reason": "other"}).status_code == 422
    assert alice.post(path, {"reason": "client_unwell"}).status_code == 303
    assert visits_by_id(database, course_id)["preparation-1"].missed_reason == "client_unwell"


def test_consent_and_pregnancy_forms_name_the_bad_field(app, database, world, course_id) -> None:  # type: ignore[no-untyped-def]
    alice = _browser(app, "alice")
    bad = alice.post(
        f"/courses/{course_id}/consents",
        {"consent_type": "oregon-cif", "given_on": TODAY.isoformat()},
    )
    assert bad.status_code == 422
    assert "does not list" in bad.text
    good = alice.post(
        f"/courses/{course_id}/consents",
        {"consent_type": "treatment", "given_on": TODAY.isoformat(), "document_ref": "IC-7"},
    )
    assert good.status_code == 303
    assert "document IC-7" in alice.get(f"/courses/{course_id}").text
    na = alice.post(
        f"/courses/{course_id}/pregnancy-tests",
        {"taken_on": TODAY.isoformat(), "taken_time": "08:00", "result": "not_applicable"},
    )
    assert na.status_code == 422
    assert 'id="f-note-error"' in na.text


def test_withdrawal_through_the_course_page(app, database, world, course_id) -> None:  # type: ignore[no-untyped-def]
    alice = _browser(app, "alice")
    missing = alice.post(f"/courses/{course_id}/withdraw", {"withdrawn_on": TODAY.isoformat()})
    assert missing.status_code == 422
    done = alice.post(
        f"/courses/{course_id}/withdraw",
        {"withdrawn_on": TODAY.isoformat(), "reason": "Chose another treatment"},
    )
    assert done.status_code == 303
    page = alice.get(f"/courses/{course_id}").text
    assert "withdrawn" in page
    assert "Chose another treatment" in page


# --- the dosing gate -------------------------------------------------------------------------


def test_starting_dosing_early_lists_every_unmet_condition(app, database, world, course_id) -> None:  # type: ignore[no-untyped-def]
    alice = _browser(app, "alice")
    course_page = alice.get(f"/courses/{course_id}").text
    assert f'action="/courses/{course_id}/visits/dosing-1/start"' in course_page
    response = alice.post(f"/courses/{course_id}/visits/dosing-1/start", {})
    assert response.status_code == 409
    unmet = re.findall(r'<li id="unmet-([a-z0-9-]+)"', response.text)
    assert unmet == [
        "preparation-sessions",
        "washout-paroxetine",
        "consent-treatment",
        "consent-session-recording",
        "consent-supportive-touch",
        "consent-overnight-stay",
        "pregnancy-test",
    ]
    assert "0 of 3 required preparation sessions signed" in response.text
    assert "Medical override" not in response.text  # a facilitator sees no override form


def test_the_gate_api_reports_met_unmet_and_overridden(app, database, world, course_id) -> None:  # type: ignore[no-untyped-def]
    mara = _browser(app, "mara")
    gate = mara.get(f"/courses/{course_id}/visits/dosing-1/gate")
    assert gate.status_code == 200
    assert "Medical override" in gate.text
    overridden = mara.post(
        f"/courses/{course_id}/visits/dosing-1/overrides",
        {"condition": "washout:paroxetine", "reason": "Taper finished early; prescriber agrees"},
    )
    assert overridden.status_code == 303
    refused = mara.post(
        f"/courses/{course_id}/visits/dosing-1/overrides",
        {"condition": "consent:treatment", "reason": "verbal consent"},
    )
    assert refused.status_code == 422
    assert "cannot be overridden" in refused.text
    body = _api(app, database, world, "alice").get(
        f"/api/v1/courses/{course_id}/visits/dosing-1/gate"
    )
    assert body.status_code == 200
    gate_json = body.json()
    assert gate_json["ready"] is False
    assert gate_json["unmet"][0]["code"] == "preparation-sessions"
    assert gate_json["unmet"][0]["needed"] == "3 more signed preparation session(s)"
    [override] = gate_json["overridden"]
    assert (override["condition"]["code"], override["authorised_by"]) == (
        "washout:paroxetine",
        "Mara Medina",
    )
    assert "screening-missing" in gate_json["met"]


def test_a_facilitator_override_is_refused_with_403(app, database, world, course_id) -> None:  # type: ignore[no-untyped-def]
    alice = _browser(app, "alice")
    response = alice.post(
        f"/courses/{course_id}/visits/dosing-1/overrides",
        {"condition": "washout:paroxetine", "reason": "seems fine"},
    )
    assert response.status_code == 403
    assert events(database, action="override", entity_type="dosing_gate") == []
    [denied] = events(database, action="permission_denied")
    assert denied.detail["permission"] == "gate.override"


# --- who sees what ---------------------------------------------------------------------------


def test_a_rater_sees_assessment_visits_only_and_no_notes_or_arm(
    app, database, world, course_id
) -> None:  # type: ignore[no-untyped-def]
    rita = _browser(app, "rita")
    page = rita.get(f"/courses/{course_id}")
    assert page.status_code == 200
    assert _schedule_rows(page.text) == [
        "baseline",
        "primary-endpoint",
        "follow-up-6m",
        "follow-up-12m",
    ]
    for hidden in ("Dosing session", "Write note", "Consents", "Arm", "Pregnancy"):
        assert hidden not in page.text
    assert rita.get(f"/courses/{course_id}/visits/dosing-1").status_code == 404
    assert rita.get(f"/courses/{course_id}/visits/baseline").status_code == 200
    assert rita.get(f"/courses/{course_id}/visits/dosing-1/gate").status_code == 403
    body = _api(app, database, world, "rita").get(f"/api/v1/courses/{course_id}").json()
    assert body["arm"] is None
    assert {v["kind"] for v in body["visits"]} == {"baseline", "assessment", "follow_up"}
    clinician = _api(app, database, world, "alice").get(f"/api/v1/courses/{course_id}").json()
    assert clinician["arm"] == "MDMA"


def test_a_site_b_facilitator_gets_404_for_a_site_a_course(app, database, world, course_id) -> None:  # type: ignore[no-untyped-def]
    carol = _browser(app, "carol")
    for path in (
        f"/courses/{course_id}",
        f"/courses/{course_id}/visits/preparation-1",
        f"/courses/{course_id}/visits/dosing-1/gate",
    ):
        assert carol.get(path).status_code == 404, path
    assert carol.post(f"/courses/{course_id}/visits/dosing-1/start", {}).status_code == 404
    api = _api(app, database, world, "carol")
    assert api.get(f"/api/v1/courses/{course_id}").status_code == 404
    assert api.get("/api/v1/courses").json() == []
    assert api.get(f"/api/v1/courses?client_id={world.clients['alice']}").status_code == 404


def test_an_analyst_sees_nothing_of_courses(app, database, world, course_id) -> None:  # type: ignore[no-untyped-def]
    ana = _browser(app, "ana")
    for path in (f"/courses/{course_id}", "/caseload", "/calendar"):
        assert ana.get(path).status_code == 403, path
    assert 'id="panel-course"' not in ana.get(f"/clients/{world.clients['alice']}").text
    assert _api(app, database, world, "ana").get("/api/v1/courses").status_code == 403


def test_an_admin_manages_the_course_but_not_the_dosing_session(
    app, database, world, course_id
) -> None:  # type: ignore[no-untyped-def]
    admin = _browser(app, "admin")
    page = admin.get(f"/courses/{course_id}")
    assert page.status_code == 200
    assert "Start dosing session" not in page.text
    assert admin.get(f"/courses/{course_id}/visits/dosing-1/gate").status_code == 403
    assert admin.post(f"/courses/{course_id}/visits/dosing-1/start", {}).status_code == 403
    viewed = events(database, action="view", entity_type="course", username="admin")
    assert viewed
