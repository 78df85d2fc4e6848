"""Registering and editing clients, their status and assigned facilitators."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from mendwell.actions import audit
from mendwell.actions.context import ActionContext, writes_allowed
from mendwell.actions.errors import ChangeSummary, Conflict, FieldError, InvalidInput
from mendwell.clinical.registry import STATUSES_NEEDING_REASON, ClientStatus
from mendwell.permissions import Permission, Role
from mendwell.queries.scope import get_visible_client
from mendwell.schemas.clients import ClientCreate, ClientFields, ClientUpdate, StatusChange
from mendwell.store.models import (
    AuditEvent,
    Client,
    ClientAssignment,
    ClientStatusChange,
    RoleAssignment,
    Site,
)

ENTITY = "client"
REGISTRY_FIELDS = tuple(f for f in ClientFields.model_fields if f != "facilitator_ids")
# Crockford-style alphabet without look-alikes (no I, L, O, U, 0, 1).
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_client_code(choice: Callable[[str], str] = secrets.choice) -> str:
    body = "".join(choice(_CODE_ALPHABET) for _ in range(8))
    return f"MW-{body[:4]}-{body[4:]}"


def snapshot(client: Client) -> dict[str, Any]:
    """The audited state of a client."""
    data = {name: getattr(client, name) for name in REGISTRY_FIELDS}
    data["site_id"] = client.site_id
    data["status"] = client.status
    data["facilitator_ids"] = sorted(a.user_id for a in client.assignments)
    return data


def _unique_code(ctx: ActionContext, organisation_id: int) -> str:
    for _ in range(20):
        code = new_client_code()
        taken = ctx.db.scalar(
            select(Client.id).where(Client.organisation_id == organisation_id, Client.code == code)
        )
        if taken is None:
            return code
    raise RuntimeError("could not find a free client code")


def _check_facilitators(ctx: ActionContext, site_id: int, user_ids: list[int]) -> None:
    if not user_ids:
        return
    holders = set(
        ctx.db.scalars(
            select(RoleAssignment.user_id).where(
                RoleAssignment.site_id == site_id,
                RoleAssignment.role.in_([Role.FACILITATOR, Role.MEDICAL]),
                RoleAssignment.user_id.in_(user_ids),
            )
        )
    )
    missing = [uid for uid in user_ids if uid not in holders]
    if missing:
        raise InvalidInput.single(
            "facilitator_ids",
            f"user(s) {', '.join(map(str, missing))} are not facilitators or medical staff "
            "at this site",
        )


def _set_assignments(ctx: ActionContext, client: Client, user_ids: list[int]) -> None:
    wanted = set(user_ids)
    for assignment in list(client.assignments):
        if assignment.user_id not in wanted:
            client.assignments.remove(assignment)
    have = {a.user_id for a in client.assignments}
    for uid in sorted(wanted - have):
        client.assignments.append(
            ClientAssignment(user_id=uid, site_id=client.site_id, assigned_at=ctx.now)
        )


def create_client(ctx: ActionContext, data: ClientCreate, *, code: str | None = None) -> Client:
    """Register a client; ``code`` fixes the pseudonymous code (reproducible demo data only)."""
    ctx.require(Permission.CLIENT_CREATE, data.site_id)
    site = ctx.db.get(Site, data.site_id)
    if site is None or not site.is_active:
        raise InvalidInput.single("site_id", "is not an active site")
    facilitator_ids = list(data.facilitator_ids)
    is_facilitator = ctx.actor.roles_by_site.get(site.id) == Role.FACILITATOR
    may_assign = ctx.actor.can(Permission.CLIENT_ASSIGN, site.id)
    if facilitator_ids and not may_assign and facilitator_ids != [ctx.actor.user_id]:
        raise InvalidInput.single(
            "facilitator_ids", "only medical or admin users can assign other facilitators"
        )
    if is_facilitator and ctx.actor.user_id not in facilitator_ids:
        # A facilitator who registers a client is their facilitator until reassigned.
        facilitator_ids.append(ctx.actor.user_id)  # type: ignore[arg-type]
    _check_facilitators(ctx, site.id, facilitator_ids)
    with writes_allowed(ctx.db):
        client = Client(
            organisation_id=site.organisation_id,
            site_id=site.id,
            code=code or _unique_code(ctx, site.organisation_id),
            status=ClientStatus.REFERRED,
            status_changed_at=ctx.now,
            created_at=ctx.now,
            updated_at=ctx.now,
            **data.model_dump(include=set(REGISTRY_FIELDS)),
        )
        ctx.db.add(client)
        ctx.db.flush()
        _set_assignments(ctx, client, facilitator_ids)
        ctx.db.add(
            ClientStatusChange(
                client_id=client.id,
                site_id=site.id,
                from_status=None,
                to_status=ClientStatus.REFERRED,
                effective_date=ctx.now.date(),
                changed_at=ctx.now,
                changed_by_id=ctx.actor.user_id,
            )
        )
    audit.record(
        ctx,
        action="create",
        entity_type=ENTITY,
        entity_id=client.id,
        site_id=site.id,
        client_id=client.id,
        changes=audit.diff(None, {**snapshot(client), "code": client.code}),
    )
    return client


def changes_since(
    ctx: ActionContext, entity_type: str, entity_id: int, version: int
) -> list[ChangeSummary]:
    """What others changed after ``version``, from the audit trail."""
    events = ctx.db.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.entity_type == entity_type,
            AuditEvent.entity_id == str(entity_id),
            AuditEvent.outcome == "success",
        )
        .order_by(AuditEvent.seq)
    )
    out = []
    for event in events:
        versions = (event.changes or {}).get("version")
        if versions and versions[1] is not None and versions[1] > version:
            changes = {k: v for k, v in (event.changes or {}).items() if k != "version"}
            out.append(ChangeSummary(event.occurred_at.isoformat(), event.username, changes))
    return out


def _conflict(ctx: ActionContext, client: Client, expected: int) -> Conflict:
    return Conflict(
        ENTITY,
        client.id,
        expected_version=expected,
        current_version=client.version,
        changed_since=changes_since(ctx, ENTITY, client.id, expected),
        current=audit.jsonable(snapshot(client)),
    )


def update_client(ctx: ActionContext, client_id: int, data: ClientUpdate) -> Client:
    client = get_visible_client(ctx.db, ctx.actor, client_id)
    ctx.require(Permission.CLIENT_EDIT, client.site_id)
    if data.version != client.version:
        raise _conflict(ctx, client, data.version)
    current_ids = sorted(a.user_id for a in client.assignments)
    if sorted(data.facilitator_ids) != current_ids:
        if not ctx.actor.can(Permission.CLIENT_ASSIGN, client.site_id):
            raise InvalidInput.single(
                "facilitator_ids", "only medical or admin users can change assigned facilitators"
            )
        _check_facilitators(ctx, client.site_id, data.facilitator_ids)
    before = snapshot(client)
    new_values = data.model_dump(include=set(REGISTRY_FIELDS))
    if before == {**before, **new_values, "facilitator_ids": sorted(data.facilitator_ids)}:
        return client
    old_version = client.version
    try:
        with writes_allowed(ctx.db):
            for name, value in new_values.items():
                setattr(client, name, value)
            _set_assignments(ctx, client, data.facilitator_ids)
            client.updated_at = ctx.now
            ctx.db.flush()
    except StaleDataError:
        ctx.db.rollback()
        raise Conflict(
            ENTITY, client_id, expected_version=data.version, current_version=data.version + 1
        ) from None
    changes = audit.diff(before, snapshot(client))
    changes["version"] = [old_version, client.version]
    audit.record(
        ctx,
        action="update",
        entity_type=ENTITY,
        entity_id=client.id,
        site_id=client.site_id,
        client_id=client.id,
        changes=changes,
    )
    return client


def change_status(ctx: ActionContext, client_id: int, data: StatusChange) -> Client:
    client = get_visible_client(ctx.db, ctx.actor, client_id)
    ctx.require(Permission.CLIENT_CHANGE_STATUS, client.site_id)
    if data.version is not None and data.version != client.version:
        raise _conflict(ctx, client, data.version)
    problems = []
    if data.status == client.status:
        problems.append(FieldError(("status",), f"the client is already '{client.status}'"))
    if data.status in STATUSES_NEEDING_REASON and not data.reason:
        problems.append(FieldError(("reason",), f"a reason is required for '{data.status}'"))
    effective = data.effective_date or ctx.now.date()
    if effective > ctx.now.date():
        problems.append(FieldError(("effective_date",), "cannot be in the future"))
    if problems:
        raise InvalidInput(problems)
    old_status, old_version = client.status, client.version
    with writes_allowed(ctx.db):
        client.status = data.status
        client.status_changed_at = ctx.now
        client.updated_at = ctx.now
        ctx.db.add(
            ClientStatusChange(
                client_id=client.id,
                site_id=client.site_id,
                from_status=old_status,
                to_status=data.status,
                effective_date=effective,
                reason=data.reason,
                changed_at=ctx.now,
                changed_by_id=ctx.actor.user_id,
            )
        )
        ctx.db.flush()
    audit.record(
        ctx,
        action="status_change",
        entity_type=ENTITY,
        entity_id=client.id,
        site_id=client.site_id,
        client_id=client.id,
        changes={
            "status": [old_status, str(data.status)],
            "version": [old_version, client.version],
        },
        reason=data.reason,
        detail={"effective_date": effective},
    )
    return client


def view_client(ctx: ActionContext, client_id: int, *, what: str = "record") -> Client:
    """Fetch a visible client and record that it was viewed."""
    client = get_visible_client(ctx.db, ctx.actor, client_id)
    audit.record(
        ctx,
        action="view",
        entity_type=ENTITY,
        entity_id=client.id,
        site_id=client.site_id,
        client_id=client.id,
        detail={"what": what},
    )
    return client


def record_search(ctx: ActionContext, filters: dict[str, Any], count: int) -> None:
    """A query over the client list is an auditable access too (ASTM E2147 7.1.8)."""
    audit.record(
        ctx,
        action="search",
        entity_type=ENTITY,
        detail={
            "filters": {k: v for k, v in filters.items() if v not in (None, "")},
            "count": count,
        },
    )
