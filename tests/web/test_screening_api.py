"""The screening JSON API: the issue's case table through the stateless evaluation, and storage.

The server's day is 6 January 2026 (the test clock).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from mendwell.clinical.screening import ScreeningSettings
from mendwell.store.models import AuditEvent, ScreeningSignature
from support.screening import draft, record
from support.tokens import issue_token
from support.web import api_client
from support.world import AUDIT_KEY, PASSWORD

EVALUATE = "/api/v1/screening/evaluate"


def _api(app, database, world, username: str):  # type: ignore[no-untyped-def]
    return api_client(app, issue_token(database, world.users[username]))


@dataclass(frozen=True)
class Case:
    """A case from the issue, what the rules must conclude, and the source that says so."""

    name: str
    request: dict[str, Any]
    outcome: str
    findings: dict[str, str]
    source: str
    earliest_dosing_date: str | None = None


def _req(substance: str, protocol_id: str | None = None, **changes: Any) -> dict[str, Any]:
    return {
        "substance": substance,
        "protocol_id": protocol_id,
        "record": record(age_years=changes.pop("age_years", 40), **changes),
    }


CASES = [
    Case(
        "phenelzine + MDMA",
        _req("mdma", medications=[{"name": "Nardil", "dose": "15 mg three times a day"}]),
        "ineligible",
        {"mdma.maoi:phenelzine": "contraindicated"},
        "Silins et al. 2007 hierarchy of risk (MAOIs with MDMA highest); MDMA-moclobemide deaths "
        "(Pilgrim 2012): clinical-protocols.md §5, Interactions; still taken, so the 14-day "
        "irreversible-MAOI interval of the labels runs from today's proposed stop",
        earliest_dosing_date="2026-01-20",
    ),
    Case(
        "lithium within 30 days + psilocybin",
        _req("psilocybin", medications=[{"name": "Lithobid", "last_dose_date": "2025-12-20"}]),
        "ineligible",
        {"psilocybin.lithium:lithium": "contraindicated"},
        "Nayak et al., Pharmacopsychiatry 2021;54:240-245 (seizures in 47% of lithium reports); "
        "OAR 333-333-5050(3)(a), lithium in the last 30 days: last dose 20 December, so day 31 "
        "is 20 January",
        earliest_dosing_date="2026-01-20",
    ),
    Case(
        "paroxetine + MDMA: washout with a computed date",
        _req("mdma", medications=[{"name": "Paxil", "last_dose_date": "2026-01-01"}]),
        "needs_review",
        {"mdma.ssri:paroxetine": "requires_washout"},
        "Farré et al., J Pharmacol Exp Ther 2007;323:954-962 (paroxetine attenuates MDMA); "
        "PAXIL label mean half-life ~21 h: 5 x 21 h -> 5 days + 7 days margin -> 13 January",
        earliest_dosing_date="2026-01-13",
    ),
    Case(
        "history of psychosis",
        _req("mdma", psychiatric_history__psychosis=True),
        "ineligible",
        {"mdma.psychosis": "contraindicated"},
        "MAPP1 (Mitchell et al., Nat Med 2021), exclusion criteria: primary psychotic disorder",
    ),
    Case(
        "controlled hypertension",
        _req(
            "mdma",
            medical_history__hypertension=True,
            medical_history__hypertension_controlled=True,
        ),
        "needs_review",
        {"mdma.controlled_hypertension": "caution"},
        "MAPP1 excludes uncontrolled hypertension only; Vizeli & Liechti 2017 (MDMA raises BP)",
    ),
    Case(
        "Oregon client aged 20",
        _req("psilocybin", "oregon-service-centre", age_years=20),
        "ineligible",
        {"us-or.age_21": "contraindicated"},
        "Oregon Health Authority, Psilocybin Services: clients must be 21 or older",
    ),
    Case(
        "no findings",
        _req("mdma", "mdma-at-phase3"),
        "eligible",
        {},
        "MAPP1/MAPP2 criteria all met: no rule fires",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_table_through_the_stateless_api(app, database, world, case: Case) -> None:  # type: ignore[no-untyped-def]
    response = _api(app, database, world, "mara").post(EVALUATE, json=case.request)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["outcome"] == case.outcome, case.source
    assert {f["id"]: f["severity"] for f in body["findings"]} == case.findings, case.source
    assert body["earliest_dosing_date"] == case.earliest_dosing_date, case.source
    assert body["as_of"] == "2026-01-06"
    for finding in body["findings"]:
        assert finding["sources"], finding["id"]
        assert finding["rule_set_version"], finding["id"]


def test_evaluation_stores_nothing_and_never_echoes_the_record(app, database, world) -> None:  # type: ignore[no-untyped-def]
    payload = {**_req("mdma"), "record": {**record(), "date_of_birth": "1977-02-03"}}
    response = _api(app, database, world, "admin").post(EVALUATE, json=payload)
    assert response.status_code == 200  # screening.view is enough: nothing stored is disclosed
    assert "1977-02-03" not in response.text
    with database.sessionmaker() as db:
        assert db.scalar(select(func.count()).select_from(ScreeningSignature)) == 0


@pytest.mark.parametrize(
    ("payload", "loc"),
    [
        (
            _req("mdma", vitals__systolic_bp_mmhg=400),
            ["body", "record", "vitals", "systolic_bp_mmhg"],
        ),
        ({**_req("mdma"), "substance": "ketamine"}, ["body", "substance"]),
        (_req("mdma", "mdma-phase-2"), ["body", "protocol_id"]),
        ({**_req("mdma"), "jurisdiction": "us-co"}, ["body", "jurisdiction"]),
        (
            {**_req("mdma"), "overrides": [{"finding_id": "mdma.psychosis", "reason": "x"}]},
            ["body", "overrides", 0, "finding_id"],
        ),
        ({**_req("mdma"), "settings": {"qtc_max_ms": 500}}, ["body", "settings"]),
    ],
)
def test_bad_input_gets_422_naming_the_field(app, database, world, payload, loc) -> None:  # type: ignore[no-untyped-def]
    response = _api(app, database, world, "mara").post(EVALUATE, json=payload)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc


@pytest.mark.parametrize("username", ["rita", "ana"])
def test_raters_and_analysts_may_not_evaluate(app, database, world, username: str) -> None:  # type: ignore[no-untyped-def]
    response = _api(app, database, world, username).post(EVALUATE, json=_req("mdma"))
    assert response.status_code == 403


def test_clinical_numbers_come_from_the_settings(settings, engine, clock, database, world) -> None:  # type: ignore[no-untyped-def]
    from mendwell.web.app import create_app

    strict = settings.model_copy(update={"screening": ScreeningSettings(qtc_max_ms=400)})
    app = create_app(strict, engine=engine, clock=clock, audit_key=AUDIT_KEY)
    body = _api(app, database, world, "mara").post(EVALUATE, json=_req("mdma")).json()
    (finding,) = body["findings"]
    assert finding["id"] == "mdma.qtc_measured"
    assert finding["unconfirmed"] is True
    assert body["settings"]["qtc_max_ms"] == 400


def test_medication_search(app, database, world) -> None:  # type: ignore[no-untyped-def]
    found = _api(app, database, world, "alice").get("/api/v1/screening/medications?q=zolo")
    assert [m["name"] for m in found.json()] == ["sertraline"]


# --- stored screenings ---------------------------------------------------------------------------


def test_a_screening_through_the_api_from_draft_to_signature(app, database, world) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients["alice"]
    base = f"/api/v1/clients/{client_id}/screenings"
    alice, mara = _api(app, database, world, "alice"), _api(app, database, world, "mara")
    assert mara.get(base + "/signed").status_code == 404
    created = alice.post(base, json=draft())
    assert created.status_code == 201, created.text
    screening = created.json()
    url = created.headers["location"]
    assert screening["status"] == "draft"
    assert screening["current"]["record"]["date_of_birth"] == "1985-04-12"
    assert alice.post(base, json=draft()).status_code == 409  # one at a time
    paxil = record(medications=[{"name": "Paxil", "last_dose_date": "2026-01-01"}])
    saved = alice.put(url, json={**draft(record=paxil), "based_on_version": 1})
    assert saved.json()["latest_version"] == 2
    assert [v["outcome"] for v in saved.json()["versions"]] == ["eligible", "needs_review"]
    stale = alice.put(url, json={**draft(), "based_on_version": 1})
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    sign = {"version": 2, "decision": "eligible", "password": PASSWORD}
    assert alice.post(url + "/sign", json=sign).status_code == 403
    wrong = mara.post(url + "/sign", json={**sign, "password": "nope"})
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["loc"] == ["body", "password"]
    with database.sessionmaker() as db:
        failed = db.scalars(
            select(AuditEvent).where(AuditEvent.action == "sign", AuditEvent.outcome == "failure")
        ).all()
        assert [e.username for e in failed] == ["mara"]
    override = {"finding_id": "mdma.ssri:paroxetine", "reason": ""}
    no_reason = mara.post(url + "/sign", json={**sign, "overrides": [override]})
    assert no_reason.status_code == 422
    assert no_reason.json()["detail"][0]["loc"] == ["body", "overrides", 0, "reason"]
    override["reason"] = "Taper agreed with the prescriber"
    signed = mara.post(url + "/sign", json={**sign, "overrides": [override]})
    assert signed.status_code == 200, signed.text
    signature = signed.json()["signature"]
    assert signature["decision"] == "eligible"
    assert signature["meaning"] == "I have reviewed these findings and decide: eligible"
    assert signature["overrides"][0]["reason"] == "Taper agreed with the prescriber"
    assert signature["earliest_dosing_date"] == "2026-01-13"
    contract = mara.get(base + "/signed").json()
    assert contract["decision"] == "eligible"
    assert contract["earliest_dosing_date"] == "2026-01-13"
    assert [w["medication"] for w in contract["washout"]] == ["Paxil"]
    listed = alice.get(base).json()
    assert [s["status"] for s in listed] == ["signed"]
    assert alice.put(url, json={**draft(), "based_on_version": 2}).status_code == 409


def test_site_b_cannot_reach_site_a_screenings_through_the_api(app, database, world) -> None:  # type: ignore[no-untyped-def]
    base = f"/api/v1/clients/{world.clients['alice']}/screenings"
    created = _api(app, database, world, "alice").post(base, json=draft())
    carol = _api(app, database, world, "carol")
    assert carol.get(base).status_code == 404
    assert carol.get(created.headers["location"]).status_code == 404
    assert carol.post(base, json=draft()).status_code == 404


def test_an_oregon_client_under_21_is_ineligible_when_stored(app, database, world) -> None:  # type: ignore[no-untyped-def]
    # Casey Sample (site B, Oregon) is 40: the registry's date of birth decides the age, so
    # an age sent in the record is ignored.
    base = f"/api/v1/clients/{world.clients['carol']}/screenings"
    payload = {
        "substance": "psilocybin",
        "protocol_id": "oregon-service-centre",
        "record": record(age_years=20),
    }
    created = _api(app, database, world, "carol").post(base, json=payload)
    assert created.status_code == 201, created.text
    current = created.json()["current"]
    assert current["jurisdiction"] == "us-or"
    assert current["site_jurisdiction"] == "us-or"
    assert current["outcome"] == "eligible"
    assert date.fromisoformat(current["record"]["date_of_birth"]) == date(1985, 4, 12)
