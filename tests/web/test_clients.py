"""The client registry through pages and API: who sees what, validation, conflicts, audit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from mendwell.store.models import AuditEvent, Client, ClientStatusChange
from support.tokens import issue_token
from support.web import Browser, api_client
from support.world import client_payload


def _count(database, model) -> int:  # type: ignore[no-untyped-def]
    with database.sessionmaker() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


def _events(database, **where):  # type: ignore[no-untyped-def]
    with database.sessionmaker() as db:
        query = select(AuditEvent).order_by(AuditEvent.seq)
        for key, value in where.items():
            query = query.where(getattr(AuditEvent, key) == value)
        return db.scalars(query).all()


def _api(app, database, world, username: str):  # type: ignore[no-untyped-def]
    return api_client(app, issue_token(database, world.users[username]))


# --- who sees what ----------------------------------------------------------------------------


def test_a_site_b_user_gets_404_for_a_site_a_client(app, database, world) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients["alice"]
    carol = Browser(app)
    carol.login("carol")
    assert carol.get(f"/clients/{client_id}").status_code == 404
    assert carol.get(f"/clients/{client_id}/edit").status_code == 404
    assert carol.post(f"/clients/{client_id}/status", {"status": "screening"}).status_code == 404
    api = _api(app, database, world, "carol")
    assert api.get(f"/api/v1/clients/{client_id}").status_code == 404
    assert api.put(f"/api/v1/clients/{client_id}", json={"version": 1}).status_code in (404, 422)
    listed = api.get("/api/v1/clients").json()
    assert client_id not in [c["id"] for c in listed["items"]]
    failed = _events(database, action="access_failed", username="carol")
    assert failed
    assert all(e.outcome == "not_found" for e in failed)


def test_nonexistent_and_invisible_clients_look_the_same(app, database, world) -> None:  # type: ignore[no-untyped-def]
    api = _api(app, database, world, "carol")
    hidden = api.get(f"/api/v1/clients/{world.clients['alice']}")
    missing = api.get("/api/v1/clients/987654")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"].replace(str(world.clients["alice"]), "N") == missing.json()[
        "detail"
    ].replace("987654", "N")


def test_oregon_site_facilitators_see_only_their_assigned_clients(app, database, world) -> None:  # type: ignore[no-untyped-def]
    carols = world.clients["carol"]
    assert _api(app, database, world, "carol").get(f"/api/v1/clients/{carols}").status_code == 200
    dave = _api(app, database, world, "dave")
    assert dave.get(f"/api/v1/clients/{carols}").status_code == 404
    assert dave.get("/api/v1/clients").json()["total"] == 0
    assert _api(app, database, world, "admin").get(f"/api/v1/clients/{carols}").status_code == 200


def test_at_an_open_site_facilitators_see_every_site_client(app, database, world) -> None:  # type: ignore[no-untyped-def]
    bob = _api(app, database, world, "bob")
    assert bob.get(f"/api/v1/clients/{world.clients['alice']}").status_code == 200


def test_a_rater_sees_scheduling_details_and_nothing_clinical(app, database, world) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients["alice"]
    body = _api(app, database, world, "rita").get(f"/api/v1/clients/{client_id}").json()
    assert body["legal_name"] == "Avery Example"
    assert "phone" in body
    for hidden in (
        "date_of_birth",
        "trauma_types",
        "ptsd_diagnosis_status",
        "address",
        "prior_medications",
        "facilitator_ids",
    ):
        assert hidden not in body
    rita = Browser(app)
    rita.login("rita")
    page = rita.get(f"/clients/{client_id}").text
    assert "Avery Example" in page
    assert "Clinical background" not in page
    assert "Timeline" not in page
    assert "Combat" not in page


def test_an_analyst_sees_no_identifying_data_anywhere(app, database, world) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients["alice"]
    api = _api(app, database, world, "ana")
    body = api.get(f"/api/v1/clients/{client_id}").json()
    assert set(body) == {
        "id",
        "code",
        "site_id",
        "status",
        "sex_at_birth",
        "age_years",
        "trauma_types",
        "ptsd_diagnosis_status",
        "treatment_resistant",
        "prior_psychedelic_use",
    }
    listed = api.get("/api/v1/clients").json()["items"]
    assert listed
    assert all("legal_name" not in c and "date_of_birth" not in c for c in listed)
    assert api.get("/api/v1/clients", params={"q": "Avery"}).json()["total"] == 0
    ana = Browser(app)
    ana.login("ana")
    assert "0 clients" in ana.get("/clients?q=Avery").text
    for path in ("/clients", f"/clients/{client_id}", "/"):
        html = ana.get(path).text
        for identifying in ("Avery", "Example", "1985-04-12", "rowan@example.org", "555 0101"):
            assert identifying not in html, (path, identifying)


def test_ages_over_89_are_reported_as_90_plus_to_analysts(app, database, world, clock) -> None:  # type: ignore[no-untyped-def]
    admin = _api(app, database, world, "admin")
    created = admin.post(
        "/api/v1/clients",
        json=client_payload(world.sites["A"], "Elder Example", date_of_birth="1930-01-01"),
    )
    assert created.status_code == 201
    body = _api(app, database, world, "ana").get(f"/api/v1/clients/{created.json()['id']}").json()
    assert body["age_years"] == "90+"


# --- create, edit, conflicts ------------------------------------------------------------------


def test_create_and_edit_are_audited_with_old_and_new_values(app, database, world) -> None:  # type: ignore[no-untyped-def]
    alice = Browser(app)
    alice.login("alice")
    response = alice.post("/clients", client_payload(world.sites["A"], "Jules Sample"))
    assert response.status_code == 303
    client_id = int(response.headers["location"].rsplit("/", 1)[1])
    form = {
        **client_payload(world.sites["A"], "Jules Sample"),
        "version": 1,
        "phone": "+1 503 555 0142",
        "facilitator_ids": [world.users["alice"]],
    }
    form.pop("site_id")
    assert alice.post(f"/clients/{client_id}", form).status_code == 303
    created = _events(database, entity_type="client", entity_id=str(client_id), action="create")
    assert created[0].changes["legal_name"] == [None, "Jules Sample"]
    assert created[0].username == "alice"
    assert created[0].role == "facilitator"
    updated = _events(database, entity_type="client", entity_id=str(client_id), action="update")
    assert updated[0].changes["phone"] == ["+1 503 555 0101", "+1 503 555 0142"]
    assert updated[0].changes["version"] == [1, 2]
    page = alice.get(f"/clients/{client_id}").text
    assert "+1 503 555 0142" in page
    assert _events(database, entity_id=str(client_id), action="view")


def test_a_facilitator_registering_a_client_becomes_its_facilitator(app, database, world) -> None:  # type: ignore[no-untyped-def]
    api = _api(app, database, world, "carol")
    created = api.post("/api/v1/clients", json=client_payload(world.sites["B"], "Kai Fixture"))
    assert created.status_code == 201
    assert created.json()["facilitator_ids"] == [world.users["carol"]]
    assert api.get(f"/api/v1/clients/{created.json()['id']}").status_code == 200


def test_a_stale_form_edit_gets_a_conflict_and_loses_nothing(app, database, world) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients["alice"]
    alice, bob = Browser(app), Browser(app)
    alice.login("alice")
    bob.login("bob")
    base = {
        **client_payload(world.sites["A"], "Avery Example"),
        "facilitator_ids": [world.users["alice"]],
        "version": 1,
    }
    base.pop("site_id")
    assert (
        alice.post(f"/clients/{client_id}", {**base, "phone": "+1 503 555 0177"}).status_code == 303
    )
    stale = bob.post(f"/clients/{client_id}", {**base, "email": "avery.new@example.org"})
    assert stale.status_code == 409
    assert "changed this record while you were editing" in stale.text
    assert "+1 503 555 0177" in stale.text  # what alice changed
    assert "avery.new@example.org" in stale.text  # bob's typing is kept
    with database.sessionmaker() as db:
        client = db.get(Client, client_id)
        assert (client.phone, client.email, client.version) == (
            "+1 503 555 0177",
            "rowan@example.org",
            2,
        )
    # Having seen the change, bob saves on top of the new version.
    retry = bob.post(
        f"/clients/{client_id}",
        {**base, "version": 2, "phone": "+1 503 555 0177", "email": "avery.new@example.org"},
    )
    assert retry.status_code == 303
    with database.sessionmaker() as db:
        client = db.get(Client, client_id)
        assert (client.phone, client.email, client.version) == (
            "+1 503 555 0177",
            "avery.new@example.org",
            3,
        )


def test_a_stale_api_edit_gets_409_with_what_changed(app, database, world) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients["alice"]
    alice = _api(app, database, world, "alice")
    mara = _api(app, database, world, "mara")
    current = alice.get(f"/api/v1/clients/{client_id}")
    assert current.headers["etag"] == '"1"'
    body = {
        k: v
        for k, v in current.json().items()
        if k not in ("id", "code", "site_id", "status", "version", "created_at", "updated_at")
    }
    first = mara.put(
        f"/api/v1/clients/{client_id}",
        json={**body, "preferred_name": "Ave"},
        headers={"if-match": '"1"'},
    )
    assert first.status_code == 200
    assert first.headers["etag"] == '"2"'
    second = alice.put(
        f"/api/v1/clients/{client_id}", json={**body, "version": 1, "preferred_name": "Avy"}
    )
    assert second.status_code == 409
    conflict = second.json()
    assert conflict["current_version"] == 2
    assert conflict["changed_since"][0]["by"] == "mara"
    assert conflict["changed_since"][0]["changes"]["preferred_name"] == [None, "Ave"]
    assert alice.get(f"/api/v1/clients/{client_id}").json()["preferred_name"] == "Ave"


BAD_FIELDS = [
    ("legal_name", "   "),
    ("legal_name", "12345"),
    ("date_of_birth", "2999-01-01"),
    ("date_of_birth", "not a date"),
    ("date_of_birth", "1850-06-01"),
    ("sex_at_birth", "unknown-value"),
    ("gender_identity", "x" * 150),
    ("email", "not-an-email"),
    ("phone", "12"),
    ("phone", "call me maybe"),
    ("address", "x" * 600),
    ("emergency_contact_name", "x" * 250),
    ("emergency_contact_phone", "abc"),
    ("emergency_contact_relationship", "x" * 150),
    ("trauma_types", ["earthquake-ish"]),
    ("trauma_types", ["combat", "combat"]),
    ("ptsd_diagnosis_status", "maybe"),
    ("ptsd_diagnosis_source", ""),
    ("prior_psychotherapies", ["hypnosis"]),
    ("prior_medications", "x" * 2100),
    ("treatment_resistant", "perhaps"),
    ("prior_psychedelic_use", "lots"),
    ("prior_psychedelic_details", "x" * 2100),
    ("referral_source", "x" * 250),
    ("preferred_name", "x" * 150),
    ("facilitator_ids", ["not-a-number"]),
    ("site_id", "abc"),
]


@pytest.mark.parametrize(
    ("field", "value"), BAD_FIELDS, ids=[f"{f}-{i}" for i, (f, _) in enumerate(BAD_FIELDS)]
)
def test_bad_input_names_the_field_and_writes_nothing(
    app, database, world, field: str, value: object
) -> None:  # type: ignore[no-untyped-def]
    clients_before = _count(database, Client)
    events_before = _count(database, AuditEvent)
    payload = {**client_payload(world.sites["A"], "Quinn Placeholder"), field: value}
    api = _api(app, database, world, "mara")
    response = api.post("/api/v1/clients", json=payload)
    assert response.status_code == 422, response.text
    assert field in [
        e["loc"][-1] if not isinstance(e["loc"][-1], int) else e["loc"][-2]
        for e in response.json()["detail"]
    ]
    alice = Browser(app)
    alice.login("alice")
    page = alice.post("/clients", payload)
    assert page.status_code == 422
    assert f'id="f-{field}-error"' in page.text
    assert 'class="error-summary"' in page.text
    assert _count(database, Client) == clients_before
    # Only the sign-in and token issue were recorded; no client was created.
    assert not [
        e for e in _events(database, entity_type="client", action="create") if e.seq > events_before
    ]


def test_facilitators_must_work_at_the_clients_site(app, database, world) -> None:  # type: ignore[no-untyped-def]
    api = _api(app, database, world, "mara")
    response = api.post(
        "/api/v1/clients",
        json={
            **client_payload(world.sites["A"], "Sky Sample"),
            "facilitator_ids": [world.users["carol"]],
        },
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "facilitator_ids"]


def test_a_facilitator_cannot_register_a_client_at_another_site(app, database, world) -> None:  # type: ignore[no-untyped-def]
    api = _api(app, database, world, "alice")
    response = api.post("/api/v1/clients", json=client_payload(world.sites["B"], "Noor Notreal"))
    assert response.status_code == 403
    assert _events(database, action="permission_denied", username="alice")


# --- status -----------------------------------------------------------------------------------


def test_withdrawal_needs_a_reason_and_is_kept_in_the_history(app, database, world) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients["alice"]
    alice = Browser(app)
    alice.login("alice")
    refused = alice.post(f"/clients/{client_id}/status", {"status": "withdrawn"})
    assert refused.status_code == 422
    assert 'id="f-reason-error"' in refused.text
    assert (
        alice.post(
            f"/clients/{client_id}/status",
            {"status": "withdrawn", "reason": "Moved abroad", "effective_date": "2026-01-04"},
        ).status_code
        == 303
    )
    with database.sessionmaker() as db:
        history = db.scalars(
            select(ClientStatusChange)
            .where(ClientStatusChange.client_id == client_id)
            .order_by(ClientStatusChange.id)
        ).all()
    assert [(h.from_status, h.to_status) for h in history] == [
        (None, "referred"),
        ("referred", "withdrawn"),
    ]
    assert history[-1].reason == "Moved abroad"
    event = _events(database, action="status_change", client_id=client_id)[-1]
    assert event.reason == "Moved abroad"
    assert event.changes["status"] == ["referred", "withdrawn"]
    page = alice.get(f"/clients/{client_id}").text
    assert "Moved abroad" in page


def test_search_finds_by_name_and_code_and_filters_by_status(app, database, world) -> None:  # type: ignore[no-untyped-def]
    api = _api(app, database, world, "admin")
    code = api.get(f"/api/v1/clients/{world.clients['alice']}").json()["code"]
    assert api.get("/api/v1/clients", params={"q": "avery"}).json()["total"] == 1
    assert api.get("/api/v1/clients", params={"q": code[-4:]}).json()["total"] == 1
    assert api.get("/api/v1/clients", params={"status": "withdrawn"}).json()["total"] == 0
    assert api.get("/api/v1/clients", params={"site_id": world.sites["B"]}).json()["total"] == 1
    by_facilitator = api.get("/api/v1/clients", params={"facilitator_id": world.users["carol"]})
    assert [c["id"] for c in by_facilitator.json()["items"]] == [world.clients["carol"]]
    searches = _events(database, action="search", username="admin")
    assert searches[-1].detail["filters"] == {"facilitator_id": world.users["carol"]}
