"""Preparation and integration session notes: the draft form, signing, and addenda."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from mendwell.actions import notes as note_actions
from mendwell.clinical.courses import VisitStatus
from mendwell.permissions import Permission
from mendwell.queries.courses import users_by_id
from mendwell.schemas.courses import AddendumInput, NoteInput
from mendwell.store.models import SessionNote
from mendwell.web.access import Db, Principal, action_context, requires
from mendwell.web.forms import form_data, posted_form
from mendwell.web.routes.courses import (
    OK,
    Feedback,
    PageRenderer,
    course_context,
    submit_values,
)
from mendwell.web.templating import render

router = APIRouter(include_in_schema=False)

Reader = Annotated[Principal, requires(Permission.NOTE_VIEW)]
Writer = Annotated[Principal, requires(Permission.NOTE_WRITE)]


def _note_values(note: SessionNote) -> dict[str, Any]:
    values = {name: getattr(note, name) for name in note_actions.NOTE_FIELDS}
    values["fidelity"] = [k for k, ticked in (note.fidelity or {}).items() if ticked]
    values["version"] = note.version
    return values


def _note_page(
    request: Request,
    db: Db,
    principal: Principal,
    course_id: int,
    visit_id: str,
    feedback: Feedback = OK,
) -> Response:
    ctx = action_context(request, db, principal)
    course, visit, note = note_actions.view_note(ctx, course_id, visit_id)
    base = course_context(db, principal, course, ctx.now)
    is_author = note is not None and note.author_id == principal.info.id
    editable = base["may_write_notes"] and (
        (note is None and base["active"]) or (note is not None and not note.signed_at and is_author)
    )
    form_values = feedback.values.get("note") or (_note_values(note) if note else {})
    people = users_by_id(
        db,
        ({note.author_id} if note else set())
        | {a.author_id for a in (note.addenda if note else [])},
    )
    return render(
        request,
        "courses/note.html",
        {
            **base,
            "visit": visit,
            "note": note,
            "is_author": is_author,
            "editable": editable,
            "needs_held_on": visit.status != VisitStatus.COMPLETED,
            "checklist": getattr(base["protocol"].fidelity, visit.kind),
            "visit_duration": base["protocol"].visit(visit.visit_id).duration.total_minutes,
            "people": people,
            "form": form_values,
            **feedback.context(),
        },
        status_code=feedback.status_code,
    )


def _renderer(
    request: Request, db: Db, principal: Principal, course_id: int, visit_id: str
) -> PageRenderer:
    return lambda feedback: _note_page(request, db, principal, course_id, visit_id, feedback)


@router.get("/courses/{course_id}/visits/{visit_id}/note")
def note_page(
    request: Request, db: Db, principal: Reader, course_id: int, visit_id: str
) -> Response:
    return _note_page(request, db, principal, course_id, visit_id)


@router.post("/courses/{course_id}/visits/{visit_id}/note")
def save_note(
    request: Request, db: Db, principal: Writer, course_id: int, visit_id: str
) -> Response:
    ctx = action_context(request, db, principal)
    values = form_data(posted_form(request), NoteInput)
    return submit_values(
        db,
        NoteInput,
        values,
        "note",
        _renderer(request, db, principal, course_id, visit_id),
        lambda data: note_actions.save_note(ctx, course_id, visit_id, data),
        f"/courses/{course_id}/visits/{visit_id}/note",
    )


class _SignForm(BaseModel):
    version: int | None = None


@router.post("/courses/{course_id}/visits/{visit_id}/note/sign")
def sign_note(
    request: Request, db: Db, principal: Writer, course_id: int, visit_id: str
) -> Response:
    ctx = action_context(request, db, principal)
    values = form_data(posted_form(request), _SignForm)
    return submit_values(
        db,
        _SignForm,
        values,
        "sign",
        _renderer(request, db, principal, course_id, visit_id),
        lambda data: note_actions.sign_note(ctx, course_id, visit_id, data.version),
        f"/courses/{course_id}/visits/{visit_id}/note",
    )


@router.post("/courses/{course_id}/visits/{visit_id}/note/addenda")
def add_addendum(
    request: Request, db: Db, principal: Writer, course_id: int, visit_id: str
) -> Response:
    ctx = action_context(request, db, principal)
    values = form_data(posted_form(request), AddendumInput)
    return submit_values(
        db,
        AddendumInput,
        values,
        "addendum",
        _renderer(request, db, principal, course_id, visit_id),
        lambda data: note_actions.add_addendum(ctx, course_id, visit_id, data),
        f"/courses/{course_id}/visits/{visit_id}/note#addenda",
    )
