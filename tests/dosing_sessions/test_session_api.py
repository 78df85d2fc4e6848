"""The dosing-session record through the JSON API, at the Oregon service centre.

Carol leads the administration session of her client's Oregon course on OREGON_DAY from 09:00
UTC; Dave is the second facilitator and the licensee representative.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from mendwell.store.models import DosingSession, SessionDischarge
from support.dosing import OREGON_DAY, at, oregon_ready_course
from support.tokens import issue_token
from support.web import api_client

START = at(OREGON_DAY, 9)
CHECKLIST = (
    {"item_id": "cif-reviewed", "answer": "yes"},
    {"item_id": "transport-plan-confirmed", "answer": "yes"},
    {"item_id": "medications-today", "text": "Lisinopril 10 mg at 07:00"},
    {"item_id": "consent-reconfirmed", "answer": "yes"},
)


class Api:
    def __init__(self, app, database, world, clock, course_id: int) -> None:  # type: ignore[no-untyped-def]
        self.world, self.clock, self.database = world, clock, database
        self.course_id = course_id
        self.clients = {
            name: api_client(app, issue_token(database, world.users[name]))
            for name in ("carol", "dave", "rita", "mara")
        }
        self.session: dict[str, Any] = {}

    def at_minute(self, minute: int) -> None:
        self.clock.advance(
            seconds=(START + timedelta(minutes=minute) - self.clock.now()).total_seconds()
        )

    def post(
        self, path: str, body: dict[str, Any], who: str = "carol", minute: int | None = None
    ) -> Any:
        if minute is not None:
            self.at_minute(minute)
        response = self.clients[who].post(
            f"/api/v1/dosing-sessions/{self.session['id']}{path}", json=body
        )
        if response.status_code == 200:
            self.session = response.json()
        return response

    def start(self) -> Any:
        self.at_minute(0)
        body = {"visit_id": "administration", "second_facilitator_id": self.world.users["dave"]}
        response = self.clients["carol"].post(
            f"/api/v1/courses/{self.course_id}/dosing-sessions", json=body
        )
        assert response.status_code == 201, response.text
        self.session = response.json()
        return response

    def dose(self, amount: str = "25", unit: str = "mg", minute: int = 5, **extra: Any) -> Any:
        body = {
            "product": "Psilocybin capsules, 5 x 5 mg",
            "lot_or_unique_id": "OR-2026-0042",
            "amount": amount,
            "unit": unit,
            "given_by_id": self.world.users["carol"],
            "witnessed_by_id": self.world.users["dave"],
            **extra,
        }
        return self.post("/administrations", body, minute=minute)

    def discharge(self, minute: int, **extra: Any) -> Any:
        body = {
            "version": self.session["version"],
            "criteria": {"leaves-per-transport-plan": True, "completion-certified": True},
            "release_to": "named-adult",
            "released_to_name": "Jordan Sample",
            **extra,
        }
        return self.post("/discharge", body, minute=minute)


@pytest.fixture
def api(app, database, world, clock, screenings) -> Api:  # type: ignore[no-untyped-def]
    course_id = oregon_ready_course(database, world, screenings)
    api = Api(app, database, world, clock, course_id)
    api.start()
    for answer in CHECKLIST:
        assert api.post("/checklist", answer).status_code == 200
    return api


def test_a_started_session_reads_back_whole(api) -> None:  # type: ignore[no-untyped-def]
    session = api.clients["carol"].get(f"/api/v1/dosing-sessions/{api.session['id']}").json()
    assert session["status"] == "in_progress"
    assert session["protocol"] == {"id": "oregon-service-centre", "version": "1.1.0"}
    assert session["lead_facilitator"]["id"] == api.world.users["carol"]
    assert [c["complete"] for c in session["checklist"] if c["required"]] == [True] * 4
    listed = api.clients["carol"].get(
        f"/api/v1/clients/{api.world.clients['carol']}/dosing-sessions"
    )
    assert [s["id"] for s in listed.json()] == [session["id"]]


def test_a_rater_gets_403_for_every_part_of_a_session(api) -> None:  # type: ignore[no-untyped-def]
    rita = api.clients["rita"]
    assert rita.get(f"/api/v1/dosing-sessions/{api.session['id']}").status_code == 403
    assert api.post("/vitals", {"heart_rate": 80}, who="rita").status_code == 403


def test_bad_input_is_a_422_naming_each_field_and_writes_nothing(api) -> None:  # type: ignore[no-untyped-def]
    response = api.dose(amount="-1", unit="kg")
    assert response.status_code == 422
    fields = {".".join(str(p) for p in e["loc"][1:]) for e in response.json()["detail"]}
    assert fields == {"amount", "unit"}
    response = api.post("/vitals", {"systolic_bp": 120, "at": "2026-02-13T09:30:00"})
    assert response.status_code == 422
    assert "UTC offset" in response.text
    session = api.clients["carol"].get(f"/api/v1/dosing-sessions/{api.session['id']}").json()
    assert (session["administrations"], session["vitals"]) == ([], [])


def test_a_dose_in_micrograms_shows_its_conversion(api) -> None:  # type: ignore[no-untyped-def]
    response = api.dose(amount="25000", unit="mcg")
    assert response.status_code == 200, response.text
    [dose] = response.json()["administrations"]
    assert (dose["amount"], dose["unit"], dose["basis"]) == ("25000", "µg", "psilocybin-analyte")
    assert dose["checks"]["amount_mg"] == "25"
    assert "25000 µg psilocybin-analyte = 25 mg psilocybin-analyte" in dose["checks"]["conversions"]


def test_oregons_session_cap_needs_a_reason(api) -> None:  # type: ignore[no-untyped-def]
    # us-or sessions.yaml: 50 mg psilocybin analyte per administration session (OAR 333-333-5250).
    api.dose(amount="40")
    over = api.post(
        "/administrations",
        {
            "kind": "supplemental",
            "product": "Psilocybin capsules",
            "lot_or_unique_id": "OR-2026-0043",
            "amount": "10.5",
            "unit": "mg",
            "given_by_id": api.world.users["carol"],
            "witnessed_by_id": api.world.users["dave"],
        },
        minute=60,
    )
    assert over.status_code == 422
    messages = {e["loc"][1]: e["msg"] for e in over.json()["detail"]}
    assert "50.5 mg psilocybin-analyte exceeds 50 mg psilocybin-analyte" in messages["amount"]
    assert "reason" in messages


@pytest.mark.parametrize(
    ("amount", "minimum"),
    # OAR 333-333-5250: 10 up to 25 mg: 4 h; 25 up to 35 mg: 5 h; 35 mg falls in both
    # (e) and (f): the stricter 6 h applies.
    [("24.9", 240), ("25", 300), ("35", 360)],
)
def test_discharge_is_checked_against_oregons_duration_table(api, amount, minimum) -> None:  # type: ignore[no-untyped-def]
    api.dose(amount=amount, minute=0)
    short = api.discharge(minimum - 1)
    assert short.status_code == 422
    detail = {e["loc"][1]: e["msg"] for e in short.json()["detail"]}
    assert f"1 min short of the {minimum} min minimum" in detail["discharged_at"]
    with api.database.sessionmaker() as db:
        assert db.scalar(select(func.count()).select_from(SessionDischarge)) == 0
        assert db.get(DosingSession, api.session["id"]).status == "in_progress"
    done = api.discharge(minimum)
    assert done.status_code == 200, done.text
    check = done.json()["discharge"]["duration_check"]
    assert (check["required_minutes"], check["shortfall_minutes"], check["ok"]) == (
        minimum,
        0,
        True,
    )
    assert done.json()["status"] == "ended"


def test_a_stale_version_is_409(api) -> None:  # type: ignore[no-untyped-def]
    stale = api.session["version"]
    api.post("/timeline", {"code": "anxiety", "text": "Settled with breathing"}, minute=20)
    response = api.post("/end", {"version": stale}, minute=30)
    assert response.status_code == 409


def test_sign_co_sign_then_only_addenda(api) -> None:  # type: ignore[no-untyped-def]
    api.post("/presence", {"user_id": api.world.users["dave"], "role": "licensee-representative"})
    api.dose()
    assert api.discharge(300).status_code == 200
    assert api.session["staffing"]["ok"] is True
    assert api.post("/sign", {"version": api.session["version"]}, minute=310).status_code == 200
    assert api.post("/cosign", {"version": api.session["version"]}, minute=311).status_code == 409
    assert api.post("/cosign", {"version": api.session["version"]}, who="dave").status_code == 200
    assert api.session["status"] == "cosigned"
    refused = api.post("/vitals", {"heart_rate": 80}, minute=320)
    assert refused.status_code == 409
    assert refused.json()["reasons"] == ["add an addendum instead"]
    added = api.post("/addenda", {"text": "Client called the next day: well."}, minute=1500)
    assert added.status_code == 200
    assert added.json()["addenda"][0]["by"]["id"] == api.world.users["carol"]


def test_a_staffing_gap_without_cover_is_kept(api) -> None:  # type: ignore[no-untyped-def]
    # Oregon: a facilitator present throughout; a break of 5 minutes or less only with cover.
    carol, dave = api.world.users["carol"], api.world.users["dave"]

    def open_presence(user_id: int) -> int:
        return next(
            p["id"]
            for p in api.session["presence"]
            if p["user"]["id"] == user_id and p["left_at"] is None
        )

    api.post("/presence", {"user_id": dave, "role": "licensee-representative"})
    api.post(f"/presence/{open_presence(carol)}/leave", {"note": "Restroom"}, minute=60)
    api.post("/presence", {"user_id": carol, "role": "facilitator"}, minute=64)
    api.post(f"/presence/{open_presence(dave)}/leave", {}, minute=100)
    api.post(f"/presence/{open_presence(carol)}/leave", {}, minute=120)
    api.post("/presence", {"user_id": carol, "role": "facilitator"}, minute=124)
    api.post("/end", {"version": api.session["version"]}, minute=200)
    staffing = api.session["staffing"]
    assert [b["start"] for b in staffing["covered_breaks"]] == [
        (START + timedelta(minutes=60)).isoformat()
    ]
    gaps = {(g["requirement_id"], g["reason"], g["minutes"]) for g in staffing["gaps"]}
    assert gaps == {
        ("oregon-facilitator-present", "break-not-covered", 4),
        ("oregon-licensee-representative", "break-too-long", 100),
    }


def test_the_second_facilitator_must_be_assigned_to_the_client(
    app, database, world, clock, screenings
) -> None:  # type: ignore[no-untyped-def]
    # At the Oregon site facilitators see only their own clients: Dave is not Casey's.
    course_id = oregon_ready_course(database, world, screenings, with_dave=False)
    api = Api(app, database, world, clock, course_id)
    api.at_minute(0)
    body = {"visit_id": "administration", "second_facilitator_id": world.users["dave"]}
    response = api.clients["carol"].post(f"/api/v1/courses/{course_id}/dosing-sessions", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "second_facilitator_id"]
    with database.sessionmaker() as db:
        assert db.scalar(select(func.count()).select_from(DosingSession)) == 0
