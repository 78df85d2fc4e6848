"""The screening pages: who may do what, the form and its findings, signing, panels, print."""

from __future__ import annotations

import re
from typing import Any, get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from sqlalchemy import func, select
from starlette.datastructures import FormData

from mendwell.clinical.screening import ScreeningRecord
from mendwell.store.models import Screening, ScreeningSignature, ScreeningVersion
from mendwell.web import screening_form as sf
from support.screening import count, record, stored_events
from support.web import Browser
from support.world import PASSWORD

DOB = "1985-04-12"  # the world's client of alice


def _browser(app, username: str) -> Browser:  # type: ignore[no-untyped-def]
    browser = Browser(app)
    assert browser.login(username).status_code == 303
    return browser


def _form(data: dict[str, Any] | None = None, **config: str) -> dict[str, Any]:
    """The form fields for a record, as the page would post them."""
    values = sf.form_values(data if data is not None else record(), {})
    values.pop("medication_count", None)
    return {"substance": "mdma", "protocol_id": "mdma-at-phase3", **values, **config}


def _start(browser: Browser, client_id: int, data: dict[str, Any] | None = None) -> str:
    response = browser.post(f"/clients/{client_id}/screenings", _form(data, intent="save"))
    assert response.status_code == 303, response.text
    return response.headers["location"].split("?")[0]


def _finding_rows(html: str) -> list[str]:
    return re.findall(r'data-finding="([^"]+)"', html)


# --- the form ------------------------------------------------------------------------------------


def _leaves(model: type[BaseModel], prefix: str = "") -> set[str]:
    out = set()
    for name, info in model.model_fields.items():
        nested = [
            a
            for a in get_args(info.annotation) or (info.annotation,)
            if isinstance(a, type) and issubclass(a, BaseModel)
        ]
        if name == "medications":
            out |= {f"medications.0.{k}" for k in sf.MEDICATION_FIELDS}
        elif nested and nested[0].__name__ == "LabValue":
            out.add(f"{prefix}{name}")
        elif nested:
            out |= _leaves(nested[0], f"{prefix}{name}.")
        else:
            out.add(f"{prefix}{name}")
    return out


def test_the_form_asks_for_every_part_of_the_record() -> None:
    on_form = {f.path for f in sf.all_fields()} | {
        f"medications.0.{k}" for k in sf.MEDICATION_FIELDS
    }
    # Age comes from the client's registered date of birth, not from the form.
    assert _leaves(ScreeningRecord) - {"date_of_birth", "age_years"} == on_form


def test_form_values_and_the_record_round_trip() -> None:
    data = record(
        medical_history__hypertension=None,
        medications=[{"name": "Paxil", "dose": "20 mg", "last_dose_date": "2026-01-01"}],
    )
    values = sf.form_values(data, {})
    form = FormData([(k, str(v)) for k, v in values.items()])
    again = ScreeningRecord.model_validate(sf.record_from_form(form))
    assert again == ScreeningRecord.model_validate(data)


QUESTIONS = [f.path for f in sf.all_fields() if isinstance(f, sf.Question)]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from([True, False, None]), min_size=len(QUESTIONS), max_size=len(QUESTIONS))
)
def test_every_tri_state_answer_survives_the_form(answers: list[bool | None]) -> None:
    data: dict[str, Any] = {}
    for path, answer in zip(QUESTIONS, answers, strict=True):
        *parents, leaf = path.split(".")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = answer
    form = FormData([(k, str(v)) for k, v in sf.form_values(data, {}).items()])
    parsed = sf.record_from_form(form)
    for path, answer in zip(QUESTIONS, answers, strict=True):
        node: Any = parsed
        for part in path.split("."):
            node = node[part]
        assert node is answer, path


def test_unasked_questions_and_an_unasked_medication_list_stay_unknown() -> None:
    form = FormData([("medical_history.hypertension", ""), ("pregnant", "")])
    parsed = sf.record_from_form(form)
    assert parsed["medical_history"]["hypertension"] is None
    assert "medications" not in parsed  # not asked, which is not the same as none
    asked = sf.record_from_form(FormData([("medications_recorded", "yes")]))
    assert asked["medications"] == []


def test_a_facilitator_enters_a_screening_and_each_save_is_a_version(app, database, world) -> None:  # type: ignore[no-untyped-def]
    alice = _browser(app, "alice")
    client_id = world.clients["alice"]
    page = alice.get(f"/clients/{client_id}/screenings/new")
    assert page.status_code == 200
    assert 'name="medical_history.hypertension"' in page.text
    assert "Review and sign" not in page.text
    path = _start(alice, client_id)
    first = alice.get(path + "?saved=1")
    assert "Saved as version 1" in first.text
    assert "Outcome: <strong>Eligible</strong>" in first.text
    paxil = record(medications=[{"name": "Paxil", "last_dose_date": "2026-01-01"}])
    saved = alice.post(path, _form(paxil, intent="save", based_on_version="1"))
    assert saved.status_code == 303
    second = alice.get(path)
    assert "mdma.ssri:paroxetine" in _finding_rows(second.text)
    assert "2026-01-13" in second.text  # paroxetine: 12-day washout from 1 January
    older = alice.get(path + "/versions/1")
    assert "This is version 1, an earlier version" in older.text
    assert "Paxil" not in older.text
    with database.sessionmaker() as db:
        assert db.scalar(select(func.count()).select_from(ScreeningVersion)) == 2
    assert [
        e.action
        for e in stored_events(database, entity_type="screening", username="alice")
        if e.action != "view"
    ] == ["create", "update"]


def test_check_findings_without_javascript_saves_nothing(app, database, world) -> None:  # type: ignore[no-untyped-def]
    alice = _browser(app, "alice")
    data = record(psychiatric_history__psychosis=True)
    page = alice.post(f"/clients/{world.clients['alice']}/screenings", _form(data, intent="check"))
    assert page.status_code == 200
    assert "mdma.psychosis" in _finding_rows(page.text)
    assert "Outcome: <strong>Ineligible</strong>" in page.text
    assert 'value="yes" checked' in page.text  # what was entered is shown again
    assert count(database, Screening) == 0


def test_bad_input_is_shown_next_to_the_field_and_nothing_is_written(app, database, world) -> None:  # type: ignore[no-untyped-def]
    alice = _browser(app, "alice")
    data = record(vitals__diastolic_bp_mmhg=150)
    page = alice.post(f"/clients/{world.clients['alice']}/screenings", _form(data, intent="save"))
    assert page.status_code == 422
    assert 'id="f-vitals.diastolic_bp_mmhg-error"' in page.text
    assert "must be lower than systolic_bp_mmhg" in page.text
    assert 'value="150"' in page.text
    lab = _form({**record(), "labs": {"sodium": {"value": 140, "unit": "mg/dL"}}}, intent="save")
    page = alice.post(f"/clients/{world.clients['alice']}/screenings", lab)
    assert page.status_code == 422
    assert 'id="f-labs.sodium.value-error"' in page.text
    assert "is not accepted for sodium" in page.text
    assert count(database, Screening) == 0


def test_a_stale_save_shows_what_changed_and_keeps_the_entries(app, database, world) -> None:  # type: ignore[no-untyped-def]
    alice, bob = _browser(app, "alice"), _browser(app, "bob")
    path = _start(alice, world.clients["alice"])
    assert (
        bob.post(
            path, _form(record(mushroom_allergy=True), intent="save", based_on_version="1")
        ).status_code
        == 303
    )
    page = alice.post(path, _form(record(prior_mdma_use=True), intent="save", based_on_version="1"))
    assert page.status_code == 409
    assert "Someone else saved this screening" in page.text
    assert "record.mushroom_allergy" in page.text
    assert 'name="based_on_version" value="2"' in page.text
    assert count(database, ScreeningVersion) == 2


def test_the_findings_panel_is_evaluated_on_the_fly_and_stores_nothing(
    app, database, world
) -> None:  # type: ignore[no-untyped-def]
    alice = _browser(app, "alice")
    data = record(medical_history__hypertension=True, medical_history__hypertension_controlled=True)
    fields = {**_form(data), "site_id": world.sites["A"], "date_of_birth": DOB}
    fragment = alice.post("/screening/findings", fields, headers={"hx-request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert _finding_rows(fragment.text) == ["mdma.controlled_hypertension"]
    assert "Needs review" in fragment.text
    assert "Vizeli" in fragment.text  # the finding names its source
    bad = alice.post("/screening/findings", {**fields, "vitals.heart_rate_bpm": "fast"})
    assert bad.status_code == 200
    assert "Cannot evaluate yet" in bad.text
    assert "vitals.heart_rate_bpm" in bad.text
    assert count(database, Screening) == 0


def test_unconfirmed_findings_are_labelled(app, world) -> None:  # type: ignore[no-untyped-def]
    alice = _browser(app, "alice")
    fields = {**_form(record(ecg__qtc_ms=470)), "date_of_birth": DOB}
    fragment = alice.post("/screening/findings", fields)
    assert _finding_rows(fragment.text) == ["mdma.qtc_measured"]
    assert "UNCONFIRMED" in fragment.text
    assert "setting qtc_max_ms" in fragment.text


def test_oregon_questions_are_open_where_oregon_rules_apply(app, world) -> None:  # type: ignore[no-untyped-def]
    carol = _browser(app, "carol")
    page = carol.get(f"/clients/{world.clients['carol']}/screenings/new")
    assert '<details class="oregon" open>' in page.text
    assert '<option value="psilocybin" selected>' in page.text
    alice = _browser(app, "alice")
    assert (
        '<details class="oregon" >'
        in alice.get(f"/clients/{world.clients['alice']}/screenings/new").text
    )


def test_medication_names_are_suggested_and_can_be_looked_up(app, world) -> None:  # type: ignore[no-untyped-def]
    alice = _browser(app, "alice")
    options = alice.get(
        "/screening/medications",
        params={"medications.0.name": "parox"},
        headers={"hx-request": "true"},
    )
    assert (
        '<option value="paroxetine">paroxetine · Selective serotonin reuptake inhibitor (SSRI)'
        in options.text
    )
    page = alice.get("/screening/medications", params={"q": "Nardil"})
    assert "phenelzine" in page.text
    assert "<h1>Medication lookup</h1>" in page.text


# --- who may do what -----------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["rita", "ana"])
def test_raters_and_analysts_see_no_screenings(app, world, username: str) -> None:  # type: ignore[no-untyped-def]
    path = _start(_browser(app, "alice"), world.clients["alice"])
    browser = _browser(app, username)
    assert browser.get(path).status_code == 403
    assert browser.get(path + "/print").status_code == 403
    assert browser.post("/screening/findings", _form()).status_code == 403
    assert 'id="panel-screening"' not in browser.get(f"/clients/{world.clients['alice']}").text


def test_carol_at_site_b_gets_404(app, database, world) -> None:  # type: ignore[no-untyped-def]
    path = _start(_browser(app, "alice"), world.clients["alice"])
    carol = _browser(app, "carol")
    for url in (
        path,
        path + "/versions/1",
        path + "/print",
        f"/clients/{world.clients['alice']}/screenings/new",
    ):
        assert carol.get(url).status_code == 404, url
    assert carol.post(path, _form(intent="save", based_on_version="1")).status_code == 404
    assert stored_events(database, action="access_failed", username="carol")


def test_an_admin_may_read_but_not_enter_or_sign(app, world) -> None:  # type: ignore[no-untyped-def]
    path = _start(_browser(app, "alice"), world.clients["alice"])
    admin = _browser(app, "admin")
    page = admin.get(path)
    assert page.status_code == 200
    assert "<form" not in page.text.split('<main id="main"')[1]  # a read-only view
    assert admin.get(f"/clients/{world.clients['alice']}/screenings/new").status_code == 403
    assert admin.get(path + "/sign").status_code == 403


def test_a_facilitator_cannot_sign(app, database, world) -> None:  # type: ignore[no-untyped-def]
    alice = _browser(app, "alice")
    path = _start(alice, world.clients["alice"])
    assert alice.get(path + "/sign").status_code == 403
    refused = alice.post(
        path + "/sign", {"version": 1, "decision": "eligible", "password": PASSWORD}
    )
    assert refused.status_code == 403
    assert count(database, ScreeningSignature) == 0
    denied = stored_events(database, action="permission_denied", username="alice")
    assert denied[-1].detail["permission"] == "screening.sign"


def test_viewing_a_screening_is_audited(app, database, world) -> None:  # type: ignore[no-untyped-def]
    alice = _browser(app, "alice")
    path = _start(alice, world.clients["alice"])
    admin = _browser(app, "admin")
    admin.get(path + "/print")
    views = stored_events(database, action="view", entity_type="screening", username="admin")
    assert views[-1].detail == {"what": "print"}
    assert views[-1].client_id == world.clients["alice"]


# --- signing -------------------------------------------------------------------------------------


def _sign(browser: Browser, path: str, **fields: Any) -> Any:
    return browser.post(
        path + "/sign", {"version": 1, "decision": "eligible", "password": PASSWORD, **fields}
    )


def test_the_medical_user_overrides_a_finding_with_a_reason_and_signs(app, database, world) -> None:  # type: ignore[no-untyped-def]
    path = _start(
        _browser(app, "alice"), world.clients["alice"], record(medical_history__arrhythmia=True)
    )
    mara = _browser(app, "mara")
    page = mara.get(path + "/sign")
    assert "I have reviewed these findings and decide: eligible" in page.text
    assert 'name="overrides.0.finding_id" value="mdma.arrhythmia"' in page.text
    # Eligible is refused while the contraindication is open.
    refused = _sign(mara, path)
    assert refused.status_code == 422
    assert 'id="f-decision-error"' in refused.text
    # Ticking the override without a reason is refused next to the reason.
    no_reason = _sign(
        mara, path, **{"overrides.0.finding_id": "mdma.arrhythmia", "overrides.0.apply": "1"}
    )
    assert no_reason.status_code == 422
    assert 'id="f-overrides.0.reason-error"' in no_reason.text
    assert count(database, ScreeningSignature) == 0
    reason = "Childhood SVT ablated in 2004; cardiology review 2025 normal"
    signed = _sign(
        mara,
        path,
        **{
            "overrides.0.finding_id": "mdma.arrhythmia",
            "overrides.0.apply": "1",
            "overrides.0.reason": reason,
        },
    )
    assert signed.status_code == 303
    view = mara.get(path)
    assert "Decision: Eligible" in view.text
    assert "Signed by <strong>Mara Medina</strong> (mara)" in view.text
    assert f"Overridden by Mara Medina: {reason}" in view.text
    assert '<span class="badge ok">verified</span>' in view.text
    assert "<form" not in view.text.split('<main id="main"')[1]  # locked: no editing form
    override = stored_events(database, action="override")[-1]
    assert override.reason == reason
    assert override.username == "mara"


def test_a_wrong_password_is_refused_and_the_attempt_is_in_the_audit_trail(
    app, database, world
) -> None:  # type: ignore[no-untyped-def]
    path = _start(_browser(app, "alice"), world.clients["alice"])
    mara = _browser(app, "mara")
    page = _sign(mara, path, password="not my password")
    assert page.status_code == 422
    assert 'id="f-password-error"' in page.text
    assert "not my password" not in page.text
    assert count(database, ScreeningSignature) == 0
    failed = stored_events(database, action="sign", outcome="failure")
    assert [e.username for e in failed] == ["mara"]


def test_a_signed_screening_is_locked_and_a_new_one_supersedes_it(app, database, world) -> None:  # type: ignore[no-untyped-def]
    alice, mara = _browser(app, "alice"), _browser(app, "mara")
    client_id = world.clients["alice"]
    path = _start(alice, client_id)
    assert _sign(mara, path).status_code == 303
    locked = alice.post(
        path, _form(record(mushroom_allergy=True), intent="save", based_on_version="1")
    )
    assert locked.status_code == 409
    assert "locked" in locked.text
    assert alice.get(path + "/sign").status_code == 403
    assert mara.get(path + "/sign").status_code == 303  # nothing left to sign
    later = _start(alice, client_id, record(psychiatric_history__bipolar_i=True))
    assert _sign(mara, later, decision="ineligible").status_code == 303
    old = mara.get(path)
    assert "Superseded on" in old.text
    client_page = mara.get(f"/clients/{client_id}").text
    assert re.search(r'badge decision-ineligible">Ineligible', client_page)
    assert client_page.count("Superseded") == 1


def test_the_printable_summary_carries_the_signature_and_washout_plan(app, world) -> None:  # type: ignore[no-untyped-def]
    paxil = record(medications=[{"name": "Paxil", "dose": "20 mg", "last_dose_date": "2026-01-01"}])
    path = _start(_browser(app, "alice"), world.clients["alice"], paxil)
    mara = _browser(app, "mara")
    overrides = {
        "overrides.0.finding_id": "mdma.ssri:paroxetine",
        "overrides.0.apply": "1",
        "overrides.0.reason": "Taper agreed",
    }
    assert _sign(mara, path, **overrides).status_code == 303
    page = mara.get(path + "/print").text
    assert "data-print" in page
    assert "/static/screening.js" in page
    assert "Meaning: <q>I have reviewed these findings and decide: eligible</q>" in page
    assert "SHA-256 of the signed content" in page
    assert "Earliest dosing date: <strong>2026-01-13</strong>" in page
    assert "Paxil (paroxetine)" in page


# --- panels and forms ----------------------------------------------------------------------------


def test_the_client_page_panel_follows_the_screening(app, world) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients["alice"]
    alice, mara = _browser(app, "alice"), _browser(app, "mara")
    page = alice.get(f"/clients/{client_id}").text
    assert 'id="panel-screening"' in page
    assert "No screening has been signed." in page
    assert f'href="/clients/{client_id}/screenings/new">Start the screening' in page
    paxil = record(medications=[{"name": "Paxil", "last_dose_date": "2026-01-01"}])
    path = _start(alice, client_id, paxil)
    page = alice.get(f"/clients/{client_id}").text
    assert "Continue the screening" in page
    assert "2 open findings" in page
    dashboard = mara.get("/").text
    assert "Screenings awaiting your signature" in dashboard
    assert f'href="{path}/sign"' in dashboard
    assert "Screenings awaiting your signature" not in alice.get("/").text
    _sign(
        mara,
        path,
        **{
            "overrides.0.finding_id": "mdma.ssri:paroxetine",
            "overrides.0.apply": "1",
            "overrides.0.reason": "Taper agreed",
        },
    )
    page = alice.get(f"/clients/{client_id}").text
    assert "Earliest dosing date: <strong>2026-01-13</strong>" in page
    assert "Paxil: not before 2026-01-13" in page
    assert "Start a new screening" in page
    assert "No screening is waiting for a signature." in mara.get("/").text


def test_every_screening_form_carries_the_csrf_token(app, world) -> None:  # type: ignore[no-untyped-def]
    mara = _browser(app, "mara")
    path = _start(mara, world.clients["alice"])
    checked = 0
    for url in (f"/clients/{world.clients['alice']}", path, path + "/sign"):
        html = mara.get(url).text
        for form in re.findall(r'<form[^>]*method="post"[^>]*>(.*?)</form>', html, re.S):
            assert f'name="csrf_token" value="{mara.csrf}"' in form, url
            checked += 1
    assert checked >= 4
