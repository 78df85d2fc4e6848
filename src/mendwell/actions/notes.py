"""Preparation and integration session notes: drafts, signing (which locks), and addenda.

A note belongs to one preparation or integration visit. Writing it records that the session took
place, if that was not recorded yet. Its author signs it; after that it is never changed, and
anything more is an addendum shown under the original.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from mendwell.actions import audit
from mendwell.actions.clients import changes_since
from mendwell.actions.context import ActionContext, writes_allowed
from mendwell.actions.courses import course_for, course_visit, record_held
from mendwell.actions.errors import Conflict, InvalidInput, NotFound, Refused
from mendwell.clinical.courses import NOTE_KINDS, VisitStatus
from mendwell.clinical.protocols.fidelity import check_fidelity
from mendwell.permissions import Permission
from mendwell.queries.courses import protocol_of
from mendwell.schemas.courses import AddendumInput, NoteInput, VisitCompletion
from mendwell.store.models import Course, CourseVisit, SessionNote, SessionNoteAddendum

ENTITY = "session_note"
NOTE_FIELDS = (
    "attendance",
    "duration_minutes",
    "topics",
    "fidelity",
    "risk_level",
    "risk_suicidal_ideation",
    "risk_harm_to_others",
    "risk_action",
    "free_text",
)


def note_snapshot(note: SessionNote) -> dict[str, Any]:
    return {name: getattr(note, name) for name in NOTE_FIELDS}


def note_of(ctx: ActionContext, visit: CourseVisit) -> SessionNote | None:
    return ctx.db.scalar(select(SessionNote).where(SessionNote.course_visit_id == visit.id))


def _note_visit(
    ctx: ActionContext, course_id: int, visit_id: str, permission: Permission
) -> tuple[Course, CourseVisit]:
    course = course_for(ctx, course_id, permission)
    visit = course_visit(course, visit_id)
    if visit.kind not in NOTE_KINDS:
        raise NotFound("session note", visit_id)
    return course, visit


def _fidelity(course: Course, kind: str, ticked: list[str]) -> dict[str, bool]:
    protocol = protocol_of(course.definition)
    try:
        result = check_fidelity(protocol, kind, dict.fromkeys(ticked, True))  # type: ignore[arg-type]
    except ValueError as exc:
        raise InvalidInput.single("fidelity", str(exc).removeprefix("ticked: ")) from None
    items = getattr(protocol.fidelity, kind)
    return {item.id: item.id in result.covered for item in items}


def _conflict(ctx: ActionContext, note: SessionNote, expected: int) -> Conflict:
    return Conflict(
        ENTITY,
        note.id,
        expected_version=expected,
        current_version=note.version,
        changed_since=changes_since(ctx, ENTITY, note.id, expected),
        current=audit.jsonable(note_snapshot(note)),
    )


def save_note(ctx: ActionContext, course_id: int, visit_id: str, data: NoteInput) -> SessionNote:
    """Create or update the draft note of a session; the session is recorded as held if needed."""
    course, visit = _note_visit(ctx, course_id, visit_id, Permission.NOTE_WRITE)
    note = note_of(ctx, visit)
    if note is not None:
        if note.signed_at is not None:
            raise Refused("This note is signed and locked; add an addendum instead")
        if note.author_id != ctx.actor.user_id:
            raise Refused("Only the author of a draft note can change it")
        if data.version is not None and data.version != note.version:
            raise _conflict(ctx, note, data.version)
    values = data.model_dump(include=set(NOTE_FIELDS))
    values["fidelity"] = _fidelity(course, visit.kind, data.fidelity)
    if visit.status != VisitStatus.COMPLETED:
        if data.held_on is None:
            raise InvalidInput.single("held_on", "say when the session was held")
        record_held(
            ctx,
            course,
            visit.visit_id,
            VisitCompletion(held_on=data.held_on, held_time=data.held_time),
        )
    protocol = protocol_of(course.definition)
    if note is None:
        with writes_allowed(ctx.db):
            note = SessionNote(
                course_id=course.id,
                course_visit_id=visit.id,
                site_id=course.site_id,
                client_id=course.client_id,
                kind=visit.kind,
                protocol_id=protocol.id,
                protocol_version=protocol.version,
                author_id=ctx.actor.user_id,
                created_at=ctx.now,
                updated_at=ctx.now,
                **values,
            )
            ctx.db.add(note)
        audit.record_for(
            ctx,
            note,
            action="create",
            entity_type=ENTITY,
            entity_id=note.id,
            changes=audit.diff(None, note_snapshot(note)),
            detail={"course_id": course.id, "visit_id": visit.visit_id},
        )
        return note
    before, old_version = note_snapshot(note), note.version
    if before == values:
        return note
    try:
        with writes_allowed(ctx.db):
            for name, value in values.items():
                setattr(note, name, value)
            note.updated_at = ctx.now
    except StaleDataError:
        ctx.db.rollback()
        raise Conflict(
            ENTITY, note.id, expected_version=old_version, current_version=old_version + 1
        ) from None
    changes = audit.diff(before, note_snapshot(note))
    changes["version"] = [old_version, note.version]
    audit.record_for(
        ctx,
        note,
        action="update",
        entity_type=ENTITY,
        entity_id=note.id,
        changes=changes,
    )
    return note


def sign_note(
    ctx: ActionContext, course_id: int, visit_id: str, version: int | None = None
) -> SessionNote:
    """The author signs the note; it is locked from then on."""
    _course, visit = _note_visit(ctx, course_id, visit_id, Permission.NOTE_WRITE)
    note = note_of(ctx, visit)
    if note is None:
        raise Refused("There is no note to sign yet")
    if note.signed_at is not None:
        raise Refused("This note is already signed")
    if note.author_id != ctx.actor.user_id:
        raise Refused("Only the author can sign this note")
    if version is not None and version != note.version:
        raise _conflict(ctx, note, version)
    old_version = note.version
    with writes_allowed(ctx.db):
        note.signed_at = ctx.now
    audit.record_for(
        ctx,
        note,
        action="sign",
        entity_type=ENTITY,
        entity_id=note.id,
        changes={"signed_at": [None, ctx.now.isoformat()], "version": [old_version, note.version]},
    )
    return note


def add_addendum(
    ctx: ActionContext, course_id: int, visit_id: str, data: AddendumInput
) -> SessionNoteAddendum:
    """Add to a signed note; the original stays as it was signed."""
    _course, visit = _note_visit(ctx, course_id, visit_id, Permission.NOTE_WRITE)
    note = note_of(ctx, visit)
    if note is None or note.signed_at is None:
        raise Refused("Addenda are for signed notes; edit the draft instead")
    with writes_allowed(ctx.db):
        addendum = SessionNoteAddendum(
            note_id=note.id,
            site_id=note.site_id,
            client_id=note.client_id,
            author_id=ctx.actor.user_id,
            written_at=ctx.now,
            text=data.text,
        )
        ctx.db.add(addendum)
    audit.record_for(
        ctx,
        note,
        action="create",
        entity_type="session_note_addendum",
        entity_id=addendum.id,
        changes={"text": [None, data.text]},
        detail={"note_id": note.id},
    )
    return addendum


def view_note(
    ctx: ActionContext, course_id: int, visit_id: str
) -> tuple[Course, CourseVisit, SessionNote | None]:
    """The note of a session (None if not written yet), recording that it was read."""
    course, visit = _note_visit(ctx, course_id, visit_id, Permission.NOTE_VIEW)
    note = note_of(ctx, visit)
    if note is not None:
        audit.record_for(
            ctx,
            note,
            action="view",
            entity_type=ENTITY,
            entity_id=note.id,
        )
    return course, visit, note
