"""Screening storage and actions on both backends: versions, signing, locking, supersede, audit."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from mendwell.actions import screening as actions
from mendwell.actions.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Refused
from mendwell.queries.screening import latest_signed_screening, signature_intact
from mendwell.schemas.common import parse
from mendwell.schemas.screening import ScreeningInput, ScreeningUpdate, SignatureInput
from mendwell.store.models import (
    Client,
    ClientStatusChange,
    LoginAttempt,
    Screening,
    ScreeningSignature,
    ScreeningVersion,
    ScreeningWashout,
)
from support.screening import acting, draft, events, record
from support.world import PASSWORD, TEST_START

DAY = timedelta(days=1)


def _start(database, settings, world, username="alice", **payload):  # type: ignore[no-untyped-def]
    with acting(database, world.users[username]) as ctx:
        data = parse(ScreeningInput, {**draft(), **payload})
        return actions.start_screening(ctx, settings, world.clients["alice"], data).id


def _save(database, settings, world, screening_id, based_on, username="alice", **payload):  # type: ignore[no-untyped-def]
    with acting(database, world.users[username]) as ctx:
        data = parse(ScreeningUpdate, {**draft(), "based_on_version": based_on, **payload})
        return actions.save_screening(ctx, settings, world.clients["alice"], screening_id, data)


def _sign(database, settings, world, screening_id, username="mara", now=TEST_START, **payload):  # type: ignore[no-untyped-def]
    with acting(database, world.users[username], now) as ctx:
        data = parse(
            SignatureInput,
            {"version": 1, "decision": "eligible", "password": PASSWORD, **payload},
        )
        return actions.sign_screening(ctx, settings, world.clients["alice"], screening_id, data)


def _client_status(database, world) -> str:  # type: ignore[no-untyped-def]
    with database.sessionmaker() as db:
        return db.get(Client, world.clients["alice"]).status  # type: ignore[union-attr]


# --- drafts and versions ------------------------------------------------------------------------


def test_starting_a_screening_stores_version_one_and_moves_a_referred_client(
    database, settings, world
) -> None:  # type: ignore[no-untyped-def]
    screening_id = _start(database, settings, world)
    with database.sessionmaker() as db:
        screening = db.get(Screening, screening_id)
        assert screening.status == "draft"
        assert screening.latest_version == 1
        version = screening.current
        assert version.substance == "mdma"
        assert version.protocol_id == "mdma-at-phase3"
        assert version.outcome == "eligible"
        assert version.record["date_of_birth"] == "1985-04-12"  # from the registry
        assert {r["id"] for r in version.evaluation["rule_sets"]} >= {"mdma-exclusions"}
        assert all(r["version"] for r in version.evaluation["rule_sets"])
        created = events(db, action="create", entity_type="screening")
        assert created[-1].changes["record.vitals.systolic_bp_mmhg"] == [None, 118]
        assert created[-1].changes["version"] == [None, 1]
        moves = events(db, action="status_change", client_id=world.clients["alice"])
        assert [e.changes["status"] for e in moves] == [["referred", "screening"]]


def test_each_save_is_a_new_version_and_earlier_versions_are_kept(
    database, settings, world
) -> None:  # type: ignore[no-untyped-def]
    screening_id = _start(database, settings, world)
    changed = record(medications=[{"name": "Paxil"}])
    _save(database, settings, world, screening_id, 1, username="mara", record=changed)
    with database.sessionmaker() as db:
        versions = db.scalars(
            select(ScreeningVersion)
            .where(ScreeningVersion.screening_id == screening_id)
            .order_by(ScreeningVersion.number)
        ).all()
        assert [(v.number, v.outcome) for v in versions] == [(1, "eligible"), (2, "needs_review")]
        assert versions[0].record["medications"] == []
        assert versions[1].record["medications"][0]["name"] == "Paxil"
        update = events(db, action="update", entity_type="screening")[-1]
        assert update.username == "mara"
        assert update.changes["record.medications"] == [[], None]
        assert update.changes["record.medications.0.name"] == [None, "Paxil"]
        assert update.changes["version"] == [1, 2]


def test_saving_unchanged_data_adds_no_version(database, settings, world) -> None:  # type: ignore[no-untyped-def]
    screening_id = _start(database, settings, world)
    _save(database, settings, world, screening_id, 1)
    with database.sessionmaker() as db:
        assert db.get(Screening, screening_id).latest_version == 1  # type: ignore[union-attr]
        assert events(db, action="update", entity_type="screening") == []


def test_a_stale_save_is_a_conflict_that_names_what_changed(database, settings, world) -> None:  # type: ignore[no-untyped-def]
    screening_id = _start(database, settings, world)
    _save(
        database, settings, world, screening_id, 1, username="bob", proposed_stop_date="2026-01-20"
    )
    with pytest.raises(Conflict) as caught:
        _save(database, settings, world, screening_id, 1, record=record(mushroom_allergy=True))
    assert caught.value.current_version == 2
    assert caught.value.changed_since[0].by == "bob"
    assert "proposed_stop_date" in caught.value.changed_since[0].changes
    with database.sessionmaker() as db:
        assert db.get(Screening, screening_id).latest_version == 2  # type: ignore[union-attr]


def test_only_one_screening_is_in_progress_at_a_time(database, settings, world) -> None:  # type: ignore[no-untyped-def]
    _start(database, settings, world)
    with pytest.raises(Refused):
        _start(database, settings, world, username="mara")


@pytest.mark.parametrize(
    ("username", "error"),
    [
        ("rita", PermissionDenied),
        ("ana", PermissionDenied),
        ("admin", PermissionDenied),
        ("carol", NotFound),
    ],
)
def test_who_may_not_enter_screening_data(database, settings, world, username, error) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error):
        _start(database, settings, world, username=username)


def test_bad_record_data_names_the_field_and_writes_nothing(database, settings, world) -> None:  # type: ignore[no-untyped-def]
    bad = record(vitals__diastolic_bp_mmhg=150)
    with pytest.raises(InvalidInput) as caught:
        _start(database, settings, world, record=bad)
    assert caught.value.errors[0].loc == ("record", "vitals", "diastolic_bp_mmhg")
    with pytest.raises(InvalidInput) as caught:
        _start(database, settings, world, protocol_id="oregon-service-centre")
    assert caught.value.errors[0].loc == ("protocol_id",)
    with database.sessionmaker() as db:
        assert db.scalar(select(func.count()).select_from(Screening)) == 0


# --- signing ------------------------------------------------------------------------------------


def test_a_facilitator_cannot_sign(database, settings, world) -> None:  # type: ignore[no-untyped-def]
    screening_id = _start(database, settings, world)
    with pytest.raises(PermissionDenied):
        _sign(database, settings, world, screening_id, username="alice")


def test_a_wrong_password_is_refused_audited_and_counts_towards_throttling(
    database, settings, world
) -> None:  # type: ignore[no-untyped-def]
    screening_id = _start(database, settings, world)
    with acting(database, world.users["mara"]) as ctx:
        data = parse(SignatureInput, {"version": 1, "decision": "eligible", "password": "guess"})
        with pytest.raises(actions.ReauthenticationFailed) as caught:
            actions.sign_screening(ctx, settings, world.clients["alice"], screening_id, data)
        # The failure is recorded and committed even though signing is refused.
    assert caught.value.errors[0].loc == ("password",)
    with database.sessionmaker() as db:
        assert db.get(Screening, screening_id).status == "draft"  # type: ignore[union-attr]
        failed = events(db, action="sign", outcome="failure")
        assert failed[-1].username == "mara"
        assert failed[-1].detail == {"reason": "wrong password"}
        assert db.scalar(select(func.count()).select_from(ScreeningSignature)) == 0
        attempts = db.scalars(select(LoginAttempt).where(LoginAttempt.username == "mara")).all()
        assert [a.succeeded for a in attempts][-1] is False


def test_signing_eligible_with_an_open_contraindication_is_refused_until_overridden(
    database, settings, world
) -> None:  # type: ignore[no-untyped-def]
    screening_id = _start(
        database, settings, world, record=record(medical_history__arrhythmia=True)
    )
    with pytest.raises(InvalidInput) as caught:
        _sign(database, settings, world, screening_id)
    assert caught.value.errors[0].loc == ("decision",)
    assert "History of arrhythmia" in caught.value.errors[0].msg
    reason = "Single benign PVC in 2019; cardiology cleared, Holter normal"
    _sign(
        database,
        settings,
        world,
        screening_id,
        overrides=[{"finding_id": "mdma.arrhythmia", "reason": reason}],
    )
    with database.sessionmaker() as db:
        signature = db.scalar(select(ScreeningSignature))
        assert signature.decision == "eligible"
        assert signature.outcome == "eligible"
        assert signature.overrides[0]["reason"] == reason
        assert signature.overrides[0]["clinician"] == "Mara Medina"
        override = events(db, action="override")[-1]
        assert override.reason == reason
        assert override.detail["rule_id"] == "mdma.arrhythmia"


def test_an_override_needs_a_reason() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(
            SignatureInput,
            {
                "version": 1,
                "decision": "eligible",
                "password": "x",
                "overrides": [{"finding_id": "mdma.arrhythmia", "reason": "  "}],
            },
        )
    assert caught.value.errors[0].loc == ("overrides", 0, "reason")


def test_deferred_is_always_allowed_and_leaves_the_client_in_screening(
    database, settings, world
) -> None:  # type: ignore[no-untyped-def]
    screening_id = _start(
        database, settings, world, record=record(psychiatric_history__psychosis=True)
    )
    _sign(database, settings, world, screening_id, decision="deferred")
    assert _client_status(database, world) == "screening"
    assert latest_signed_screening_for(database, world).decision == "deferred"


def latest_signed_screening_for(database, world):  # type: ignore[no-untyped-def]
    with database.sessionmaker() as db:
        return latest_signed_screening(db, world.clients["alice"])


def test_signing_locks_the_screening(database, settings, world) -> None:  # type: ignore[no-untyped-def]
    screening_id = _start(database, settings, world)
    _sign(database, settings, world, screening_id)
    with pytest.raises(Refused):
        _save(database, settings, world, screening_id, 1, record=record(mushroom_allergy=True))
    with pytest.raises(Refused):
        _sign(database, settings, world, screening_id)
    # The database itself refuses to change a saved version or a signature.
    with database.engine.connect() as conn:
        for statement in (
            "UPDATE screening_version SET outcome = 'ineligible'",
            "DELETE FROM screening_signature",
        ):
            with pytest.raises(DBAPIError, match="append-only"):
                conn.execute(text(statement))
            conn.rollback()


def test_an_ineligible_decision_moves_the_client_once_with_the_reason(
    database, settings, world
) -> None:  # type: ignore[no-untyped-def]
    screening_id = _start(
        database, settings, world, record=record(psychiatric_history__bipolar_i=True)
    )
    _sign(database, settings, world, screening_id, decision="ineligible")
    with database.sessionmaker() as db:
        changes = db.scalars(
            select(ClientStatusChange)
            .where(ClientStatusChange.client_id == world.clients["alice"])
            .order_by(ClientStatusChange.id)
        ).all()
        assert [c.to_status for c in changes] == ["referred", "screening", "ineligible"]
        assert (
            changes[-1].reason == f"Screening {screening_id} signed ineligible: Bipolar I disorder"
        )
        moves = events(db, action="status_change", client_id=world.clients["alice"])
        assert moves[-1].changes["status"] == ["screening", "ineligible"]
        assert len(moves) == 2


def test_an_ineligible_decision_without_a_contraindication_needs_a_comment(
    database, settings, world
) -> None:  # type: ignore[no-untyped-def]
    screening_id = _start(database, settings, world)
    with pytest.raises(InvalidInput) as caught:
        _sign(database, settings, world, screening_id, decision="ineligible")
    assert caught.value.errors[0].loc == ("comment",)
    _sign(
        database, settings, world, screening_id, decision="ineligible", comment="Declined the taper"
    )
    assert _client_status(database, world) == "ineligible"


def test_the_signature_records_meaning_time_signer_and_a_verifiable_hash(
    database, settings, world
) -> None:  # type: ignore[no-untyped-def]
    screening_id = _start(database, settings, world)
    _sign(database, settings, world, screening_id)
    with database.sessionmaker() as db:
        signature = db.scalar(select(ScreeningSignature))
        assert signature.meaning == "I have reviewed these findings and decide: eligible"
        assert signature.signer_name == "Mara Medina"
        assert signature.signed_at == TEST_START
        assert len(signature.content_hash) == 64
        assert signature_intact(signature)
        signature.comment = "altered after signing"  # in memory only: the hash no longer fits
        assert not signature_intact(signature)
        db.rollback()
        sign = events(db, action="sign", outcome="success")[-1]
        assert sign.changes == {"status": ["draft", "signed"], "decision": [None, "eligible"]}
        assert sign.detail["content_hash"] == signature.content_hash
    assert _client_status(database, world) == "eligible"


# --- washout plan and the scheduler's contract -------------------------------------------------


def test_the_washout_plan_is_stored_and_returned_by_the_contract_query(
    database, settings, world
) -> None:  # type: ignore[no-untyped-def]
    # Paroxetine last taken 1 January 2026: 5 x 21 h -> 5 days + 7 days margin = 12 days
    # (PAXIL label half-life; washout formula per docs/screening.md) -> 13 January.
    paroxetine = {"name": "Paxil", "dose": "20 mg", "last_dose_date": "2026-01-01"}
    screening_id = _start(database, settings, world, record=record(medications=[paroxetine]))
    overrides = [
        {"finding_id": f, "reason": "Taper agreed with the prescriber"}
        for f in ("mdma.ssri:paroxetine", "mdma-at-phase3.psychiatric_medication_taper:paroxetine")
    ]
    _sign(database, settings, world, screening_id, overrides=overrides)
    signed = latest_signed_screening_for(database, world)
    assert signed.screening_id == screening_id
    assert signed.decision == "eligible"
    assert signed.earliest_dosing_date == date(2026, 1, 13)
    (entry,) = signed.washout
    assert (entry.medication, entry.generic_name, entry.from_date) == (
        "Paxil",
        "paroxetine",
        date(2026, 1, 1),
    )
    assert entry.washout_days == 12
    assert entry.earliest_dosing_date == date(2026, 1, 13)
    assert set(entry.rule_ids) == {"mdma.ssri", "mdma-at-phase3.psychiatric_medication_taper"}
    assert not signed.allows_dosing_on(date(2026, 1, 12))
    assert signed.allows_dosing_on(date(2026, 1, 13))
    with database.sessionmaker() as db:
        assert db.scalar(select(func.count()).select_from(ScreeningWashout)) == 1


def test_no_signed_screening_means_none(database, settings, world) -> None:  # type: ignore[no-untyped-def]
    assert latest_signed_screening_for(database, world) is None
    _start(database, settings, world)
    assert latest_signed_screening_for(database, world) is None


def test_a_later_signed_screening_supersedes_the_earlier_one(database, settings, world) -> None:  # type: ignore[no-untyped-def]
    first = _start(database, settings, world)
    _sign(database, settings, world, first)
    later = TEST_START + 30 * DAY
    with acting(database, world.users["mara"], later) as ctx:
        maoi = record(medications=[{"name": "Nardil", "dose": "15 mg three times a day"}])
        data = parse(ScreeningInput, draft(record=maoi))
        second = actions.start_screening(ctx, settings, world.clients["alice"], data).id
    pending = latest_signed_screening_for(database, world)
    assert (pending.screening_id, pending.newer_draft_id) == (first, second)
    _sign(database, settings, world, second, now=later, decision="ineligible")
    with database.sessionmaker() as db:
        old, new = db.get(Screening, first), db.get(Screening, second)
        assert (old.status, old.superseded_by_id, old.superseded_at) == (
            "superseded",
            second,
            later,
        )
        assert new.status == "signed"
        assert db.get(ScreeningSignature, old.signature.id).decision == "eligible"  # kept
        supersede = events(db, action="supersede")[-1]
        assert supersede.entity_id == str(first)
    current = latest_signed_screening_for(database, world)
    assert (current.screening_id, current.decision, current.newer_draft_id) == (
        second,
        "ineligible",
        None,
    )
    assert _client_status(database, world) == "ineligible"


def test_signing_a_stale_version_is_a_conflict(database, settings, world) -> None:  # type: ignore[no-untyped-def]
    screening_id = _start(database, settings, world)
    _save(database, settings, world, screening_id, 1, record=record(mushroom_allergy=True))
    with pytest.raises(Conflict):
        _sign(database, settings, world, screening_id, version=1)


def test_the_header_refuses_a_lost_update(database, settings, world) -> None:  # type: ignore[no-untyped-def]
    screening_id = _start(database, settings, world)
    with database.sessionmaker() as db:
        screening = db.get(Screening, screening_id)
        stale_version = screening.version  # type: ignore[union-attr]
    _save(database, settings, world, screening_id, 1, record=record(mushroom_allergy=True))
    with database.sessionmaker() as db, db.begin():
        from mendwell.actions.context import writes_allowed

        with writes_allowed(db):
            result = db.execute(
                update(Screening)
                .where(Screening.id == screening_id, Screening.version == stale_version)
                .values(status="signed")
                .execution_options(synchronize_session=False)
            )
        assert result.rowcount == 0
