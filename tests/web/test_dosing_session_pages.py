"""The live dosing-session page: every form as a plain POST and as an htmx fragment, errors next to
their field, who may see it, the status bar, and the printed record.

Alice leads dosing session 1 of her client's MDMA course (phase 3 template) on DOSING_DAY from
09:00 UTC with Bob; the page's clock is frozen and moved on as the session goes.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from mendwell.actions import accounts
from mendwell.permissions import Role
from mendwell.queries.dosing_session_log import session_record
from mendwell.queries.dosing_sessions import session_view, sessions_in_progress
from mendwell.store.models import (
    AdverseEvent,
    DoseAdministration,
    DosingSession,
    PreDoseAnswer,
    SessionAddendum,
    TimelineEntry,
    VitalAlert,
    VitalReading,
)
from support.courses import ScreeningDesk, acting, events, medical_at_site_b
from support.dosing import DOSING_DAY, OREGON_DAY, at, oregon_ready_course, ready_course
from support.web import Browser

START = at(DOSING_DAY, 9)
HTMX = {"hx-request": "true"}
CHECKLIST = {
    "answer.pre-dose-vitals": "yes",
    "answer.pregnancy-test": "not-applicable",
    "text.medications-today": "None",
    "answer.fasting": "yes",
    "answer.consent-reconfirmed": "yes",
    "text.intention": "To feel safe",
}


@pytest.fixture
def screenings(database, world, settings) -> ScreeningDesk:  # type: ignore[no-untyped-def]
    medical_at_site_b(database, world)
    return ScreeningDesk(database, world, settings)


class Live:
    """Alice's browser on a started session, and the app's clock."""

    def __init__(self, app, database, world, clock, session_id: int) -> None:  # type: ignore[no-untyped-def]
        self.app, self.database, self.world, self.clock = app, database, world, clock
        self.id = session_id
        self.alice = browser(app, "alice")

    @property
    def url(self) -> str:
        return f"/sessions/{self.id}"

    def post(
        self, path: str, data: dict[str, Any], *, htmx: bool = False, who: Browser | None = None
    ) -> Any:
        return (who or self.alice).post(self.url + path, data, headers=HTMX if htmx else {})

    def at_minute(self, minute: int) -> None:
        self.clock._at = START + timedelta(minutes=minute)

    def page(self, who: Browser | None = None) -> str:
        response = (who or self.alice).get(self.url)
        assert response.status_code == 200, response.text[:500]
        return response.text

    def count(self, model: type) -> int:
        with self.database.sessionmaker() as db:
            return int(
                db.scalar(
                    select(func.count()).select_from(model).where(model.session_id == self.id)
                )
            )

    def dose(self, **fields: Any) -> Any:
        data = {
            "kind": "initial",
            "product": "Midomafetamine HCl capsules",
            "lot_or_unique_id": "LOT-42",
            "basis": "mdma-hcl",
            "amount": "120",
            "unit": "mg",
            "given_by_id": self.world.users["alice"],
            "witnessed_by_id": self.world.users["bob"],
            **fields,
        }
        return self.post("/doses", data)


def browser(app, username: str) -> Browser:  # type: ignore[no-untyped-def]
    b = Browser(app)
    assert b.login(username).status_code == 303
    return b


@pytest.fixture
def live(app, database, world, clock, screenings) -> Live:  # type: ignore[no-untyped-def]
    course_id = ready_course(database, world, screenings)
    clock._at = START
    # A session lasts hours of clock time: nobody is signed out for being idle meanwhile.
    app.state.settings = app.state.settings.model_copy(update={"session_idle_minutes": 24 * 60})
    alice = browser(app, "alice")
    visit = alice.get(f"/courses/{course_id}/visits/dosing-1")
    assert "Start session" in visit.text
    started = alice.post(
        f"/courses/{course_id}/visits/dosing-1/session",
        {"second_facilitator_id": world.users["bob"]},
    )
    assert started.status_code == 303, started.text[:2000]
    session_id = int(started.headers["location"].rsplit("/", 1)[1])
    assert "Open session" in alice.get(f"/courses/{course_id}/visits/dosing-1").text
    return Live(app, database, world, clock, session_id)


def test_the_page_shows_the_session_and_each_form(live) -> None:  # type: ignore[no-untyped-def]
    html = live.page()
    assert "Dosing session" in html
    assert "mdma-at-phase3" in html
    for panel in ("presence", "checklist", "doses", "vitals", "timeline", "discharge"):
        assert f'id="panel-{panel}"' in html
    assert "Pre-dose vital signs are due before the first dose" in html
    assert (
        f"/clients/{live.world.clients['alice']}/adverse-events/checklist?dosing_session_id="
        in html
    )


def _text(html: str) -> str:
    """The page's words, without tags (inline ones leave no space), on one line."""
    inline = re.sub(r"</?(time|strong|span|a|em|del|ins)\b[^>]*>", "", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", inline))


def test_each_form_posts_and_the_page_shows_the_result(live, world) -> None:  # type: ignore[no-untyped-def]
    assert (
        live.post("/presence", {"user_id": world.users["bob"], "role": "facilitator"}).status_code
        == 303
    )
    assert live.post("/checklist", CHECKLIST).status_code == 303
    assert "Complete" in live.page()
    assert (
        live.post(
            "/vitals",
            {"systolic_bp": 128, "diastolic_bp": 80, "heart_rate": 72, "temperature_c": "36.8"},
        ).status_code
        == 303
    )
    live.at_minute(5)
    assert live.dose().status_code == 303
    text = _text(live.page())
    assert "120 mg mdma-hcl" in text
    assert "Window: 10:35–11:05" in text
    assert "so far 120 mg mdma-hcl" in text

    live.at_minute(35)
    assert (
        live.post(
            "/vitals", {"systolic_bp": 165, "diastolic_bp": 95, "heart_rate": 104}
        ).status_code
        == 303
    )
    text = _text(live.page())
    assert "Systolic BP 165 mmHg at 09:35 is above the threshold of 160" in text
    assert "Heart rate 104 bpm" in text
    with live.database.sessionmaker() as db:
        alert_ids = list(db.scalars(select(VitalAlert.id).where(VitalAlert.session_id == live.id)))
    assert len(alert_ids) == 2
    for alert_id in alert_ids:
        response = live.post(
            f"/alerts/{alert_id}/acknowledge", {"action_note": "Rested; repeat in 15 min"}
        )
        assert response.status_code == 303
    text = _text(live.page())
    assert "acknowledged 09:35 by Alice Abbott: Rested; repeat in 15 min" in text

    live.at_minute(100)
    assert live.dose(kind="supplemental", amount="60").status_code == 303
    assert "Given, within the window (1 h 35 min after the initial dose)" in _text(live.page())
    assert live.post("/timeline", {"code": "anxiety"}).status_code == 303
    assert live.post("/timeline", {"text": "Client resting with eyeshades"}).status_code == 303
    text = _text(live.page())
    assert "10:40 Anxiety" in text
    assert "Client resting with eyeshades" in text

    # Bob steps out: a staffing gap from then to now, shown until he is back.
    with live.database.sessionmaker() as db:
        bob = db.scalar(select(DosingSession).where(DosingSession.id == live.id)).presence[-1]
    assert live.post(f"/presence/{bob.id}/leave", {"note": "break"}).status_code == 303
    live.at_minute(110)
    assert "Staffing gap 10:40–now: 1 facilitator short (1 of 2 present)" in _text(live.page())
    assert (
        live.post("/presence", {"user_id": world.users["bob"], "role": "facilitator"}).status_code
        == 303
    )
    assert "Staffing gap 10:40–10:50" in _text(live.page())


def test_bad_input_names_the_field_and_writes_nothing(live) -> None:  # type: ignore[no-untyped-def]
    response = live.post("/vitals", {"systolic_bp": "high", "diastolic_bp": 80})
    assert response.status_code == 422
    assert "systolic bp:" in response.text
    assert 'id="vitals-systolic_bp"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert live.count(VitalReading) == 0

    # One bad checklist answer: none of the others is saved either.
    response = live.post("/checklist", {**CHECKLIST, "answer.fasting": "not-applicable"})
    assert response.status_code == 422
    assert "fasting:" in _text(response.text)
    assert live.count(PreDoseAnswer) == 0

    # The first dose waits for the checklist: refused, with the items still open.
    response = live.dose()
    assert response.status_code == 409
    assert "Not recorded:" in response.text
    assert "Fasting as instructed" in response.text
    assert live.count(DoseAdministration) == 0

    assert live.post("/checklist", CHECKLIST).status_code == 303
    response = live.dose(lot_or_unique_id="", amount="-5")
    assert response.status_code == 422
    text = _text(response.text)
    assert "lot or unique id:" in text
    assert "amount:" in text
    assert live.count(DoseAdministration) == 0

    response = live.post("/timeline", {})
    assert response.status_code == 422
    assert "choose an observation or write a note" in response.text
    assert live.count(TimelineEntry) == 0


def test_htmx_posts_answer_with_the_panel_and_the_status_bar(live) -> None:  # type: ignore[no-untyped-def]
    response = live.post("/checklist", CHECKLIST, htmx=True)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<section id="panel-checklist"')
    assert "Checklist saved." in response.text
    # The dose panel depends on the checklist: it comes along, out of band, as does the status.
    assert re.search(r'<section id="panel-doses" [^>]*hx-swap-oob="true"', response.text)
    assert 'id="session-status"' in response.text
    assert 'hx-swap-oob="true"' in response.text

    response = live.post("/vitals", {"heart_rate": 400}, htmx=True)
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<section id="panel-vitals"')
    assert "heart rate:" in response.text
    assert live.count(VitalReading) == 0

    response = live.post("/vitals", {"heart_rate": 80}, htmx=True)
    assert response.status_code == 200
    assert "Reading recorded." in response.text
    # A plain page still works for the same form.
    assert live.post("/vitals", {"heart_rate": 82}).status_code == 303
    assert live.count(VitalReading) == 2


def test_the_status_bar_polls_and_flags_overdue_readings(live) -> None:  # type: ignore[no-untyped-def]
    live.post("/checklist", CHECKLIST)
    live.post("/vitals", {"heart_rate": 80})
    live.dose()
    live.at_minute(29)
    status = live.alice.get(live.url + "/status")
    assert status.status_code == 200
    assert 'hx-trigger="every 30s"' in status.text
    assert "due now" in _text(status.text)
    assert "30-minute reading" in status.text
    live.at_minute(45)
    text = _text(live.alice.get(live.url + "/status").text)
    assert "Vital signs overdue: the 30-minute reading was due at 09:30" in text
    assert "0 h 45 min so far" in text
    assert "minimum 8 h 00 min (7 h 15 min to go)" in text


def test_who_may_see_and_record(live, app) -> None:  # type: ignore[no-untyped-def]
    for name in ("rita", "ana"):
        other = browser(app, name)
        assert other.get(live.url).status_code == 403
        assert other.get(live.url + "/record").status_code == 403
        assert other.post(live.url + "/vitals", {"heart_rate": 80}).status_code == 403
    carol = browser(app, "carol")
    assert carol.get(live.url).status_code == 404
    assert carol.post(live.url + "/vitals", {"heart_rate": 80}).status_code == 404
    assert live.count(VitalReading) == 0
    # Bob, the co-facilitator, records as well.
    bob = browser(app, "bob")
    assert live.post("/vitals", {"heart_rate": 80}, who=bob).status_code == 303


def _run_to_discharge(live, world) -> None:  # type: ignore[no-untyped-def]
    live.post("/presence", {"user_id": world.users["bob"], "role": "facilitator"})
    live.post("/checklist", CHECKLIST)
    live.post("/vitals", {"systolic_bp": 120, "diastolic_bp": 80})
    live.at_minute(2)
    live.dose()
    live.at_minute(95)
    live.dose(kind="supplemental", amount="60")
    live.at_minute(96)
    live.post("/vitals", {"systolic_bp": 170, "diastolic_bp": 90})
    with live.database.sessionmaker() as db:
        alert = db.scalar(select(VitalAlert.id).where(VitalAlert.session_id == live.id))
    live.post(f"/alerts/{alert}/acknowledge", {"action_note": "Medical monitor informed"})
    live.at_minute(97)
    live.post("/timeline", {"code": "crying", "text": "briefly"})
    live.at_minute(490)


def _version(live) -> int:  # type: ignore[no-untyped-def]
    with live.database.sessionmaker() as db:
        return db.get(DosingSession, live.id).version


def test_discharge_signatures_and_an_addendum_that_keeps_the_original(live, world, app) -> None:  # type: ignore[no-untyped-def]
    _run_to_discharge(live, world)
    discharge = {
        "version": _version(live),
        "criteria.effects-resolved": "1",
        "criteria.psychologically-stable": "1",
        "criteria.vitals-reviewed": "1",
        "release_to": "overnight-stay",
    }
    response = live.post("/discharge", {**discharge, "version": _version(live) - 1})
    assert response.status_code == 409
    assert "The session record changed while you were looking at it" in response.text
    response = live.post("/discharge", discharge)
    assert response.status_code == 303, _text(response.text)[:3000]
    text = _text(live.page())
    assert "Discharged" in text
    assert "Overnight stay" in text
    assert "the minimum for this session is 8 h 00 min" in text

    assert live.post("/sign", {"version": _version(live)}).status_code == 303
    bob = browser(app, "bob")
    assert "Co-sign the session record" in live.page(bob)
    assert live.post("/cosign", {"version": _version(live)}, who=bob).status_code == 303
    text = _text(live.page())
    assert "co-signed" in text
    # Signed: the live forms are gone; a correction is an addendum and the original stays.
    assert f'action="/sessions/{live.id}/vitals"' not in live.page()
    assert live.post("/vitals", {"heart_rate": 80}).status_code == 409
    response = live.post("/addenda", {"text": "The crying at 10:37 lasted ten minutes."})
    assert response.status_code == 303
    text = _text(live.page())
    assert "The crying at 10:37 lasted ten minutes." in text
    assert "Crying : briefly" in text or "Crying: briefly" in text
    assert live.count(SessionAddendum) == 1


def test_the_printed_record_lists_every_event_in_time_order(live, world, app) -> None:  # type: ignore[no-untyped-def]
    _run_to_discharge(live, world)
    # An adverse event through the at-session checklist, linked to the session.
    form = live.alice.get(
        f"/clients/{world.clients['alice']}/adverse-events/checklist?dosing_session_id={live.id}"
    )
    assert f'name="dosing_session_id" value="{live.id}"' in form.text
    live.at_minute(300)
    response = live.alice.post(
        f"/clients/{world.clients['alice']}/adverse-events/checklist",
        {"items": ["euphoria"], "substance": "mdma", "dosing_session_id": live.id},
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/sessions/{live.id}?recorded=1#adverse-events"
    assert "Euphoria" in _text(live.page())
    live.at_minute(490)
    live.post(
        "/discharge",
        {
            "version": _version(live),
            "criteria.effects-resolved": "1",
            "criteria.psychologically-stable": "1",
            "criteria.vitals-reviewed": "1",
            "release_to": "overnight-stay",
        },
    )
    record = live.alice.get(live.url + "/record")
    assert record.status_code == 200
    rows = [
        [_text(cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
        for row in re.findall(r'<tr class="record-line">(.*?)</tr>', record.text, flags=re.S)
    ]
    times = [row[0] for row in rows]
    assert times == sorted(times)
    assert [row[1] for row in rows] == [
        "Session started",
        "Arrived",
        "Arrived",
        *["Pre-dose checklist"] * 6,
        "Vital signs",
        "Initial dose",
        "Supplemental dose",
        "Vital signs",
        "Vital-sign alert",
        "Alert acknowledged",
        "Observation",
        "Adverse event",
        "Left",  # the discharge closes who was still present
        "Left",
        "Session ended",
        "Discharged",
    ]
    by_what = {row[1]: row for row in rows}
    assert by_what["Initial dose"][3] == "Alice Abbott"
    assert by_what["Alert acknowledged"][2] == "Medical monitor informed"
    assert by_what["Observation"][2] == "Crying: briefly"
    text = _text(record.text)
    dose = "120 mg mdma-hcl (mdma), Midomafetamine HCl capsules, lot LOT-42, oral"
    assert f"{dose}; witnessed by Bob Baker" in text
    assert "Euphoria" in text
    assert "@media print" not in record.text  # styles live in the stylesheet


def test_the_view_model_composes_the_record_with_the_rules(live, world) -> None:  # type: ignore[no-untyped-def]
    _run_to_discharge(live, world)
    with acting(live.database, world.users["alice"], START + timedelta(minutes=490)) as ctx:
        view = session_view(ctx.db, ctx.actor, live.id, ctx.now)
        assert view.checklist_complete
        assert [d.row.kind for d in view.doses] == ["initial", "supplemental"]
        [limit] = view.limits
        assert (limit.actual.describe(), limit.exceeded) == ("180 mg mdma-hcl", False)
        sup = view.supplemental
        assert sup.state == "decided"
        assert (sup.opens_at, sup.closes_at) == (
            START + timedelta(minutes=92),
            START + timedelta(minutes=122),
        )
        assert view.duration.required_minutes == 480
        assert view.duration.elapsed_minutes == 490
        assert view.duration.remaining_minutes == 0
        assert len(view.vitals.acknowledged_alerts) == 1
        assert not view.vitals.open_alerts
        assert view.staffing is not None
        assert view.staffing.ok
        lines = session_record(view)
        assert [line.at for line in lines] == sorted(line.at for line in lines)


def test_sessions_in_progress_on_the_dashboard_and_the_client_page(live, world, app) -> None:  # type: ignore[no-untyped-def]
    live.post("/vitals", {"systolic_bp": 175, "diastolic_bp": 90})
    for name in ("alice", "mara"):
        home = _text(browser(app, name).get("/").text)
        assert "Dosing sessions in progress" in home
        assert "1 open vital-sign alert" in home
    client_page = live.alice.get(f"/clients/{world.clients['alice']}").text
    assert 'id="panel-dosing-sessions"' in client_page
    assert f'href="/sessions/{live.id}"' in client_page
    carol_home = browser(app, "carol").get("/").text
    assert "Dosing sessions in progress" not in carol_home


def test_an_oregon_session_shows_its_conversions_limits_and_minimum(
    app, database, world, clock, screenings
) -> None:  # type: ignore[no-untyped-def]
    """Carol's client at the Oregon service centre: a dose entered in µg of total psilocin is
    shown in mg and as psilocybin analyte (Oregon's basis), against the 50 mg cap and the
    duration table (OAR 333-333-5250: 25 up to 35 mg, 5 hours)."""
    course_id = oregon_ready_course(database, world, screenings)
    clock._at = at(OREGON_DAY, 9)
    carol = browser(app, "carol")
    started = carol.post(f"/courses/{course_id}/visits/administration/session", {})
    assert started.status_code == 303, _text(started.text)[:1500]
    url = started.headers["location"]
    answers = {
        "answer.cif-reviewed": "yes",
        "answer.transport-plan-confirmed": "yes",
        "text.medications-today": "None",
        "answer.consent-reconfirmed": "yes",
    }
    assert carol.post(url + "/checklist", answers).status_code == 303
    response = carol.post(
        url + "/doses",
        {
            "kind": "initial",
            "product": "Psilocybe cubensis, dried",
            "lot_or_unique_id": "OR-PSI-7",
            "basis": "total-psilocin",
            "amount": "18000",
            "unit": "µg",
            "given_by_id": world.users["carol"],
        },
    )
    assert response.status_code == 303, _text(response.text)[:3000]
    clock._at = at(OREGON_DAY, 9) + timedelta(minutes=10)
    text = _text(carol.get(url).text)
    assert "= 18 mg total-psilocin" in text
    assert "18 mg total-psilocin = 25.048 mg psilocybin-analyte (factor 1.3915: psilocybin" in text
    assert "so far 25.048 mg psilocybin-analyte" in text
    assert "minimum 5 h 00 min" in text
    # Oregon: a licensee representative on the premises throughout; nobody has arrived as one.
    assert "Staffing gap 09:00–now: 1 licensee-representative short (0 of 1 present)" in text


def test_a_session_does_not_start_while_the_gate_is_unmet(
    app, database, world, clock, screenings
) -> None:  # type: ignore[no-untyped-def]
    course_id = ready_course(database, world, screenings, pregnancy_on=None)
    clock._at = START
    alice = browser(app, "alice")
    gate = alice.get(f"/courses/{course_id}/visits/dosing-1/gate")
    assert "Start session" not in gate.text
    response = alice.post(f"/courses/{course_id}/visits/dosing-1/session", {})
    assert response.status_code == 409
    text = _text(response.text)
    assert "The dosing session was not started" in text
    assert "pregnancy test" in text
    with database.sessionmaker() as db:
        assert db.scalar(select(func.count()).select_from(DosingSession)) == 0


def test_the_facilitators_can_be_changed_until_signing(live, world) -> None:  # type: ignore[no-untyped-def]
    data = {
        "version": _version(live),
        "lead_facilitator_id": world.users["alice"],
        "second_facilitator_id": world.users["alice"],
    }
    response = live.post("/facilitators", data)
    assert response.status_code == 422
    assert "second facilitator id:" in _text(response.text)
    data["second_facilitator_id"] = world.users["mara"]
    assert live.post("/facilitators", data).status_code == 303
    assert "second Mara Medina" in _text(live.page())


def test_adverse_events_link_only_to_a_session_of_the_same_client(live, world) -> None:  # type: ignore[no-untyped-def]
    path = f"/clients/{world.clients['alice']}/adverse-events/checklist"
    response = live.alice.post(
        path, {"items": ["nausea"], "substance": "mdma", "dosing_session_id": live.id + 1}
    )
    assert response.status_code == 422
    assert "not a dosing session of this client" in response.text
    with live.database.sessionmaker() as db:
        assert db.scalar(select(func.count()).select_from(AdverseEvent)) == 0
    response = live.alice.post(
        path, {"items": ["nausea"], "substance": "mdma", "dosing_session_id": live.id}
    )
    assert response.status_code == 303
    with live.database.sessionmaker() as db:
        assert db.scalar(select(AdverseEvent.dosing_session_id)) == live.id


def test_a_reading_entered_after_the_fact_keeps_both_times(live) -> None:  # type: ignore[no-untyped-def]
    live.at_minute(40)
    future = live.post("/vitals", {"heart_rate": 80, "at": f"{DOSING_DAY.isoformat()}T09:55"})
    assert future.status_code == 422
    assert "future" in _text(future.text)
    assert live.count(VitalReading) == 0
    earlier = live.post("/vitals", {"heart_rate": 80, "at": f"{DOSING_DAY.isoformat()}T09:20"})
    assert earlier.status_code == 303
    record = _text(live.alice.get(live.url + "/record").text)
    assert f"{DOSING_DAY.isoformat()} 09:20 Vital signs HR 80 bpm" in record
    assert f"{DOSING_DAY.isoformat()} 09:40 (entered later)" in record


def test_sessions_in_progress_are_those_the_actor_may_see(live, world) -> None:  # type: ignore[no-untyped-def]
    live.post("/vitals", {"heart_rate": 120})
    seen = {}
    for name in ("alice", "mara", "carol", "rita", "ana"):
        with acting(live.database, world.users[name], START) as ctx:
            seen[name] = [
                (r.session.id, r.open_alerts) for r in sessions_in_progress(ctx.db, ctx.actor)
            ]
    assert seen["alice"] == seen["mara"] == [(live.id, 1)]
    assert seen["carol"] == seen["rita"] == seen["ana"] == []


def test_a_supplemental_dose_never_decided_reads_not_given_once_the_session_ends(live) -> None:  # type: ignore[no-untyped-def]
    live.post("/checklist", CHECKLIST)
    live.dose()
    live.at_minute(100)
    assert "open now" in _text(live.page())
    live.at_minute(490)
    assert live.post("/end", {"version": _version(live)}).status_code == 303
    text = _text(live.page())
    assert "not given" in text
    assert "open now" not in text


def test_opening_the_record_is_audited_and_polling_is_not(live, world) -> None:  # type: ignore[no-untyped-def]
    def views() -> int:
        return len(events(live.database, action="view", entity_type="dosing_session"))

    before = views()
    live.page()
    live.alice.get(live.url + "/record")
    assert views() == before + 2
    live.alice.get(live.url + "/status")
    assert views() == before + 2


def test_seeing_a_client_is_not_seeing_the_session(app, database, world, clock, screenings) -> None:  # type: ignore[no-untyped-def]
    """Alice also administers the Oregon site: she sees its clients, not their session records."""
    course_id = oregon_ready_course(database, world, screenings)
    clock._at = at(OREGON_DAY, 9)
    carol = browser(app, "carol")
    started = carol.post(f"/courses/{course_id}/visits/administration/session", {})
    url = started.headers["location"]
    with acting(database, world.users["admin"]) as ctx:
        accounts.set_role(ctx, world.users["alice"], world.sites["B"], Role.ADMIN)
    alice = browser(app, "alice")
    assert alice.get(f"/clients/{world.clients['carol']}").status_code == 200
    for path in ("", "/status", "/record"):
        assert alice.get(url + path).status_code == 403, path
    assert alice.post(url + "/vitals", {"heart_rate": 80}).status_code == 403


def test_withholding_the_supplemental_dose_needs_a_reason(live) -> None:  # type: ignore[no-untyped-def]
    live.post("/checklist", CHECKLIST)
    live.dose()
    live.at_minute(95)
    response = live.post("/supplemental", {"status": "withheld"}, htmx=True)
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<section id="panel-doses"')
    assert "reason: a reason is required when the supplemental dose is withheld" in _text(
        response.text
    )
    reason = "Systolic 172 mmHg at 10:30"
    response = live.post("/supplemental", {"status": "withheld", "reason": reason})
    assert response.status_code == 303
    text = _text(live.page())
    assert f"Withheld, within the window (1 h 35 min after the initial dose): {reason}" in text
    assert "Record the decision" not in text
