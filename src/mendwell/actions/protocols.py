"""Custom protocols: an admin uploads a protocol file, validated before it is stored."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from mendwell.actions import audit
from mendwell.actions.context import ActionContext, writes_allowed
from mendwell.actions.errors import FieldError, InvalidInput, NotFound
from mendwell.clinical.protocols.schema import shipped_protocols, validate_protocol_text
from mendwell.permissions import Permission
from mendwell.schemas.courses import ProtocolUpload
from mendwell.store.models import ProtocolDefinition

ENTITY = "protocol_definition"


def upload_protocol(
    ctx: ActionContext, organisation_id: int, data: ProtocolUpload
) -> ProtocolDefinition:
    """Store a new custom protocol version; every problem in the file is reported by field."""
    ctx.require_anywhere(Permission.KNOWLEDGE_MANAGE)
    check = validate_protocol_text(data.text)
    if check.protocol is None:
        raise InvalidInput([FieldError(("text",), problem) for problem in check.problems])
    protocol = check.protocol
    if protocol.id in shipped_protocols():
        raise InvalidInput.single(
            "text",
            f"id: {protocol.id!r} is a protocol shipped with Mendwell; give your version its "
            "own id (for example 'site-" + protocol.id + "')",
        )
    taken = ctx.db.scalar(
        select(ProtocolDefinition.id).where(
            ProtocolDefinition.organisation_id == organisation_id,
            ProtocolDefinition.protocol_id == protocol.id,
            ProtocolDefinition.version == protocol.version,
        )
    )
    if taken is not None:
        raise InvalidInput.single(
            "text",
            f"version: {protocol.id} {protocol.version} is already stored; "
            "a changed protocol needs a new version",
        )
    with writes_allowed(ctx.db):
        row = ProtocolDefinition(
            organisation_id=organisation_id,
            protocol_id=protocol.id,
            version=protocol.version,
            title=protocol.title,
            source="custom",
            text=data.text,
            sha256=hashlib.sha256(data.text.encode()).hexdigest(),
            uploaded_by_id=ctx.actor.user_id,
            uploaded_at=ctx.now,
            is_active=True,
        )
        ctx.db.add(row)
    audit.record(
        ctx,
        action="create",
        entity_type=ENTITY,
        entity_id=row.id,
        changes=audit.diff(
            None,
            {
                "protocol_id": protocol.id,
                "version": protocol.version,
                "title": protocol.title,
                "sha256": row.sha256,
            },
        ),
    )
    return row


def set_protocol_active(
    ctx: ActionContext, organisation_id: int, definition_id: int, active: bool
) -> ProtocolDefinition:
    """Offer a custom protocol version for new enrolments, or stop offering it."""
    ctx.require_anywhere(Permission.KNOWLEDGE_MANAGE)
    row = ctx.db.get(ProtocolDefinition, definition_id)
    if row is None or row.organisation_id != organisation_id or row.source != "custom":
        raise NotFound("custom protocol", definition_id)
    if row.is_active != active:
        with writes_allowed(ctx.db):
            row.is_active = active
        audit.record(
            ctx,
            action="update",
            entity_type=ENTITY,
            entity_id=row.id,
            changes={"is_active": [not active, active]},
        )
    return row
