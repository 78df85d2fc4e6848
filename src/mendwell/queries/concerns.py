"""Confidential concern reports as a reviewer may see them.

A report is readable by users whose role at its site allows ``concern.view`` (admin and
medical), except by the staff member the report is about.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import Session, selectinload

from mendwell.actions.context import Actor
from mendwell.actions.errors import NotFound
from mendwell.permissions import Permission
from mendwell.store.models import ConcernNote, ConcernReport


def concern_visibility(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause selecting the reports ``actor`` may read."""
    if actor.system:
        return true()
    sites = actor.sites_with(Permission.CONCERN_VIEW)
    if not sites:
        return false()
    not_about_me = or_(
        ConcernReport.about_user_id.is_(None), ConcernReport.about_user_id != actor.user_id
    )
    return and_(ConcernReport.site_id.in_(sites), not_about_me)


def _loaded() -> list[object]:
    return [
        selectinload(ConcernReport.site),
        selectinload(ConcernReport.client),
        selectinload(ConcernReport.reporter),
        selectinload(ConcernReport.about_user),
        selectinload(ConcernReport.notes).selectinload(ConcernNote.author),
    ]


def list_concerns(db: Session, actor: Actor, *, status: str | None = None) -> list[ConcernReport]:
    """Readable reports, open ones first, newest first."""
    query = (
        select(ConcernReport)
        .where(concern_visibility(actor))
        .options(*_loaded())
        .order_by((ConcernReport.status == "closed"), ConcernReport.reported_at.desc())
    )
    if status:
        query = query.where(ConcernReport.status == status)
    return list(db.scalars(query))


def get_visible_concern(db: Session, actor: Actor, concern_id: int) -> ConcernReport:
    """The report, or NotFound if it does not exist or the actor may not read it."""
    report = db.scalar(
        select(ConcernReport)
        .where(ConcernReport.id == concern_id, concern_visibility(actor))
        .options(*_loaded())
    )
    if report is None:
        raise NotFound("concern_report", concern_id)
    return report
