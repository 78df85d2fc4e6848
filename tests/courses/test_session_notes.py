"""Session notes: drafts, signing locks, addenda keep the original; pages and permissions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from mendwell.actions import notes as note_actions
from mendwell.actions.errors import InvalidInput, Refused
from mendwell.schemas.common import parse
from mendwell.schemas.courses import AddendumInput, NoteInput
from mendwell.store.models import SessionNote, SessionNoteAddendum
from support.courses import TODAY, acting, enrol, events, visits_by_id
from support.web import Browser

NOTE = {
    "held_on": TODAY.isoformat(),
    "attendance": "attended",
    "duration_minutes": 90,
    "topics": "Trust; what the dosing day will be like",
    "fidelity": ["therapeutic-alliance", "session-expectations"],
    "risk_level": "none",
    "free_text": "Client engaged; asked about the overnight stay.",
}


@pytest.fixture
def course_id(database, world, screenings) -> int:  # type: ignore[no-untyped-def]
    screenings.sign(world.clients["alice"])
    return enrol(database, world.users["alice"], world.clients["alice"])


def _note(database, course_id: int) -> SessionNote:  # type: ignore[no-untyped-def]
    visit = visits_by_id(database, course_id)["preparation-1"]
    with database.sessionmaker() as db:
        note = db.scalar(select(SessionNote).where(SessionNote.course_visit_id == visit.id))
        assert note is not None
        _ = list(note.addenda)
        return note


def test_writing_a_note_records_the_session_and_stores_the_checklist(
    database, world, course_id
) -> None:  # type: ignore[no-untyped-def]
    with acting(database, world.users["alice"]) as ctx:
        note_actions.save_note(ctx, course_id, "preparation-1", parse(NoteInput, NOTE))
    visit = visits_by_id(database, course_id)["preparation-1"]
    assert (visit.status, visit.actual_date) == ("completed", TODAY)
    note = _note(database, course_id)
    # Every item of the protocol's preparation checklist is answered, ticked or not.
    assert note.fidelity == {
        "therapeutic-alliance": True,
        "history-and-symptoms": False,
        "session-expectations": True,
        "touch-agreement": False,
        "support-contact": False,
    }
    assert (note.protocol_id, note.signed_at) == ("mdma-at-phase3", None)
    [created] = events(database, action="create", entity_type="session_note")
    assert created.changes["duration_minutes"] == [None, 90]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"fidelity": ["made-up-item"]}, "fidelity"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"attendance": "absent"}, "attendance"),
        ({"risk_level": "moderate"}, "risk_action"),
        ({"risk_suicidal_ideation": True}, "risk_action"),
        ({"held_on": None}, "held_on"),
    ],
)
def test_bad_note_input_names_the_field_and_writes_nothing(
    database, world, course_id, change, field
) -> None:  # type: ignore[no-untyped-def]
    with acting(database, world.users["alice"]) as ctx, pytest.raises(InvalidInput) as invalid:
        note_actions.save_note(
            ctx, course_id, "preparation-1", parse(NoteInput, {**NOTE, **change})
        )
    assert [e.field for e in invalid.value.errors] == [field]
    assert visits_by_id(database, course_id)["preparation-1"].status == "planned"
    assert events(database, entity_type="session_note") == []


def test_signing_locks_the_note_and_an_addendum_keeps_the_original(
    database, world, course_id
) -> None:  # type: ignore[no-untyped-def]
    with acting(database, world.users["alice"]) as ctx:
        note_actions.save_note(ctx, course_id, "preparation-1", parse(NoteInput, NOTE))
    with acting(database, world.users["bob"]) as ctx, pytest.raises(Refused):
        note_actions.sign_note(ctx, course_id, "preparation-1")
    with acting(database, world.users["alice"]) as ctx:
        note_actions.sign_note(ctx, course_id, "preparation-1")
    signed = _note(database, course_id)
    assert signed.signed_at is not None

    edit = {**NOTE, "free_text": "Rewritten afterwards"}
    with acting(database, world.users["alice"]) as ctx, pytest.raises(Refused) as refused:
        note_actions.save_note(ctx, course_id, "preparation-1", parse(NoteInput, edit))
    assert "signed and locked" in refused.value.message

    with acting(database, world.users["bob"], ctx.now + timedelta(hours=2)) as ctx:
        note_actions.add_addendum(
            ctx,
            course_id,
            "preparation-1",
            AddendumInput(text="Client phoned: the support contact is her sister."),
        )
    note = _note(database, course_id)
    assert note.free_text == NOTE["free_text"]
    assert note.version == signed.version
    [addendum] = note.addenda
    assert (addendum.author_id, addendum.text) == (
        world.users["bob"],
        "Client phoned: the support contact is her sister.",
    )
    assert [e.action for e in events(database, entity_type="session_note")] == ["create", "sign"]
    assert events(database, entity_type="session_note_addendum")[0].username == "bob"


def test_the_database_refuses_changes_to_signed_notes_and_addenda(
    database, world, course_id
) -> None:  # type: ignore[no-untyped-def]
    with acting(database, world.users["alice"]) as ctx:
        note_actions.save_note(ctx, course_id, "preparation-1", parse(NoteInput, NOTE))
        note_actions.sign_note(ctx, course_id, "preparation-1")
        note_actions.add_addendum(ctx, course_id, "preparation-1", AddendumInput(text="More."))
    for statement in (
        "UPDATE session_note SET free_text = 'changed'",
        "DELETE FROM session_note",
        "UPDATE session_note_addendum SET text = 'changed'",
    ):
        with database.engine.connect() as conn, pytest.raises(Exception, match=r"signed|append"):
            conn.execute(text(statement))
    with database.sessionmaker() as db:
        assert db.scalar(select(SessionNote.free_text)) == NOTE["free_text"]
        assert db.scalar(select(SessionNoteAddendum.text)) == "More."


def test_a_draft_can_be_edited_by_its_author_only(database, world, course_id) -> None:  # type: ignore[no-untyped-def]
    with acting(database, world.users["alice"]) as ctx:
        note_actions.save_note(ctx, course_id, "preparation-1", parse(NoteInput, NOTE))
    with acting(database, world.users["bob"]) as ctx, pytest.raises(Refused):
        note_actions.save_note(
            ctx, course_id, "preparation-1", parse(NoteInput, {**NOTE, "free_text": "Bob's"})
        )
    with acting(database, world.users["alice"]) as ctx:
        note_actions.save_note(
            ctx, course_id, "preparation-1", parse(NoteInput, {**NOTE, "duration_minutes": 80})
        )
    [update] = events(database, action="update", entity_type="session_note")
    assert update.changes["duration_minutes"] == [90, 80]


def test_addenda_are_for_signed_notes(database, world, course_id) -> None:  # type: ignore[no-untyped-def]
    with acting(database, world.users["alice"]) as ctx, pytest.raises(Refused):
        note_actions.add_addendum(ctx, course_id, "preparation-1", AddendumInput(text="x"))


# --- through the pages -----------------------------------------------------------------------


def test_note_pages_sign_and_refuse_edits_after_signing(app, database, world, course_id) -> None:  # type: ignore[no-untyped-def]
    alice = Browser(app)
    alice.login("alice")
    path = f"/courses/{course_id}/visits/preparation-1/note"
    form = alice.get(path)
    assert form.status_code == 200
    assert "Supportive touch discussed and the agreement documented" in form.text
    bad = alice.post(path, {**NOTE, "risk_level": "high"})
    assert bad.status_code == 422
    assert 'id="f-risk_action-error"' in bad.text
    assert alice.post(path, NOTE).status_code == 303
    assert alice.post(f"{path}/sign", {"version": 1}).status_code == 303
    page = alice.get(path).text
    assert "Signed note" in page
    assert "Add an addendum" in page
    edited = alice.post(path, {**NOTE, "free_text": "changed"})
    assert edited.status_code == 409
    assert "signed and locked" in edited.text
    assert alice.post(f"{path}/addenda", {"text": "Sister is the contact."}).status_code == 303
    page = alice.get(path).text
    assert page.index(NOTE["free_text"]) < page.index("Sister is the contact.")


@pytest.mark.parametrize("username", ["rita", "admin", "ana"])
def test_roles_without_note_access_get_403(app, world, course_id, username) -> None:  # type: ignore[no-untyped-def]
    browser = Browser(app)
    browser.login(username)
    path = f"/courses/{course_id}/visits/preparation-1/note"
    assert browser.get(path).status_code == 403
    assert browser.post(path, NOTE).status_code == 403


def test_a_site_b_facilitator_gets_404_for_a_site_a_note(app, world, course_id) -> None:  # type: ignore[no-untyped-def]
    carol = Browser(app)
    carol.login("carol")
    assert carol.get(f"/courses/{course_id}/visits/preparation-1/note").status_code == 404
