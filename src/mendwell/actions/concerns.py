"""Filing and reviewing confidential concern reports.

Any staff member may file a report about a boundary, a protocol deviation or misconduct. The
audit trail records who filed or reviewed a report, when, its category and its status changes;
what happened and whom it is about stay in the report itself, which only admin and medical users
at its site (other than the person it is about) can read. The audit event carries no client, so a
report never appears on a client's timeline.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from mendwell.actions import audit
from mendwell.actions.context import ActionContext, writes_allowed
from mendwell.actions.errors import Conflict, FieldError, InvalidInput
from mendwell.permissions import Permission
from mendwell.queries.concerns import get_visible_concern
from mendwell.queries.scope import visible_clients
from mendwell.schemas.concerns import ConcernCreate, ConcernReview
from mendwell.store.models import Client, ConcernNote, ConcernReport, RoleAssignment, Site

ENTITY = "concern_report"


def file_concern(ctx: ActionContext, data: ConcernCreate) -> ConcernReport:
    """File a report at one of the reporter's sites."""
    problems: list[FieldError] = []
    site = ctx.db.get(Site, data.site_id)
    if (
        site is None
        or not site.is_active
        or not ctx.actor.can(Permission.CONCERN_REPORT, data.site_id)
    ):
        raise InvalidInput.single("site_id", "is not one of your sites")
    client = None
    if data.client_code:
        client = ctx.db.scalar(
            visible_clients(ctx.db, ctx.actor).where(
                Client.code == data.client_code, Client.site_id == site.id
            )
        )
        if client is None:
            problems.append(
                FieldError(("client_code",), "no client with this code at this site that you see")
            )
    if data.about_user_id is not None:
        at_site = ctx.db.scalar(
            select(RoleAssignment.id).where(
                RoleAssignment.user_id == data.about_user_id, RoleAssignment.site_id == site.id
            )
        )
        if at_site is None:
            problems.append(FieldError(("about_user_id",), "is not a staff member at this site"))
    if problems:
        raise InvalidInput(problems)
    with writes_allowed(ctx.db):
        report = ConcernReport(
            site_id=site.id,
            client_id=client.id if client else None,
            category=data.category,
            description=data.description,
            about_user_id=data.about_user_id,
            about_text=data.about_text,
            reporter_id=ctx.actor.user_id,
            reported_at=ctx.now,
            status="open",
            status_changed_at=ctx.now,
            updated_at=ctx.now,
        )
        ctx.db.add(report)
    audit.record(
        ctx,
        action="create",
        entity_type=ENTITY,
        entity_id=report.id,
        site_id=site.id,
        changes={"category": [None, data.category], "status": [None, "open"]},
    )
    return report


def view_concern(ctx: ActionContext, concern_id: int) -> ConcernReport:
    """Fetch a readable report and record that it was read."""
    report = get_visible_concern(ctx.db, ctx.actor, concern_id)
    audit.record(
        ctx, action="view", entity_type=ENTITY, entity_id=report.id, site_id=report.site_id
    )
    return report


def review_concern(ctx: ActionContext, concern_id: int, data: ConcernReview) -> ConcernReport:
    """Add a reviewer's note, optionally moving the report to a new status."""
    report = get_visible_concern(ctx.db, ctx.actor, concern_id)
    ctx.require(Permission.CONCERN_VIEW, report.site_id)
    if data.version != report.version:
        raise Conflict(
            ENTITY, report.id, expected_version=data.version, current_version=report.version
        )
    new_status = data.status if data.status and data.status != report.status else None
    old_status, old_version = report.status, report.version
    with writes_allowed(ctx.db):
        ctx.db.add(
            ConcernNote(
                report=report,
                site_id=report.site_id,
                note=data.note,
                status_from=old_status if new_status else None,
                status_to=new_status,
                author_id=ctx.actor.user_id,
                written_at=ctx.now,
            )
        )
        report.updated_at = ctx.now
        if new_status:
            report.status = new_status
            report.status_changed_at = ctx.now
    changes: dict[str, Any] = {"version": [old_version, report.version]}
    if new_status:
        changes["status"] = [old_status, new_status]
    audit.record(
        ctx,
        action="status_change" if new_status else "update",
        entity_type=ENTITY,
        entity_id=report.id,
        site_id=report.site_id,
        changes=changes,
        detail={"note_added": True},
    )
    return report
