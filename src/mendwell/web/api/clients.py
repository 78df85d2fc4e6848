"""Clients over JSON."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Header, Query, Request, Response
from pydantic import BaseModel

from mendwell.actions import clients as client_actions
from mendwell.actions.errors import InvalidInput
from mendwell.clinical.registry import ClientStatus
from mendwell.permissions import Permission
from mendwell.queries.clients import ClientFilter, client_view, search_clients
from mendwell.schemas.clients import (
    ClientCreate,
    ClientDeidentified,
    ClientFull,
    ClientScheduling,
    ClientUpdate,
    StatusChange,
)
from mendwell.schemas.common import parse
from mendwell.web.access import Db, Principal, action_context, requires

router = APIRouter(prefix="/api/v1/clients", tags=["clients"])

ClientOut = ClientFull | ClientScheduling | ClientDeidentified


class ClientPage(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[ClientOut]


def _etag(version: int) -> str:
    return f'"{version}"'


@router.get("", response_model=ClientPage)
def list_clients(
    request: Request,
    db: Db,
    principal: Annotated[Principal, requires(Permission.CLIENT_LIST)],
    q: Annotated[str | None, Query(max_length=100)] = None,
    status: ClientStatus | None = None,
    site_id: int | None = None,
    facilitator_id: int | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ClientPage:
    """Clients you may see, with the fields your role allows (analysts: de-identified)."""
    f = ClientFilter(
        q=q,
        status=status,
        site_id=site_id,
        facilitator_id=facilitator_id,
        page=page,
        per_page=per_page,
    )
    ctx = action_context(request, db, principal)
    rows, total = search_clients(db, principal.actor, f)
    client_actions.record_search(ctx, f.as_dict(), total)
    today = ctx.now.date()
    return ClientPage(
        total=total,
        page=page,
        per_page=per_page,
        items=[client_view(c, principal.actor, today) for c in rows],
    )


@router.post("", response_model=ClientFull, status_code=201)
def create_client(
    request: Request,
    db: Db,
    response: Response,
    principal: Annotated[Principal, requires(Permission.CLIENT_CREATE)],
    payload: Annotated[
        dict,
        Body(
            examples=[
                {  # type: ignore[type-arg]
                    "site_id": 1,
                    "legal_name": "Rowan Example",
                    "date_of_birth": "1984-03-02",
                    "sex_at_birth": "female",
                    "trauma_types": ["combat"],
                }
            ]
        ),
    ],
) -> ClientFull | ClientScheduling | ClientDeidentified:
    """Register a client. Errors name each field (422)."""
    ctx = action_context(request, db, principal)
    client = client_actions.create_client(
        ctx, parse(ClientCreate, payload, context={"today": ctx.now.date()})
    )
    response.headers["etag"] = _etag(client.version)
    response.headers["location"] = f"/api/v1/clients/{client.id}"
    return client_view(client, principal.actor, ctx.now.date())


@router.get("/{client_id}", response_model=ClientOut)
def get_client(
    request: Request,
    db: Db,
    response: Response,
    client_id: int,
    principal: Annotated[Principal, requires(Permission.CLIENT_LIST)],
) -> ClientOut:
    """One client (404 if it is not visible to you). The ETag carries the record's version."""
    ctx = action_context(request, db, principal)
    client = client_actions.view_client(ctx, client_id)
    response.headers["etag"] = _etag(client.version)
    return client_view(client, principal.actor, ctx.now.date())


def _version_from(if_match: str | None, payload: dict) -> dict:  # type: ignore[type-arg]
    if if_match and "version" not in payload:
        tag = if_match.strip().removeprefix("W/").strip('"')
        if not tag.isdigit():
            raise InvalidInput.single("version", "If-Match must be the ETag of the record")
        return {**payload, "version": int(tag)}
    return payload


@router.put("/{client_id}", response_model=ClientFull)
def update_client(
    request: Request,
    db: Db,
    response: Response,
    client_id: int,
    principal: Annotated[Principal, requires(Permission.CLIENT_EDIT)],
    payload: Annotated[dict, Body()],  # type: ignore[type-arg]
    if_match: Annotated[str | None, Header()] = None,
) -> ClientOut:
    """Replace the registry fields. Send the version you edited (body `version` or If-Match);
    a stale version gets 409 with what changed since, and nothing is written."""
    ctx = action_context(request, db, principal)
    data = parse(ClientUpdate, _version_from(if_match, payload), context={"today": ctx.now.date()})
    client = client_actions.update_client(ctx, client_id, data)
    response.headers["etag"] = _etag(client.version)
    return client_view(client, principal.actor, ctx.now.date())


@router.post("/{client_id}/status", response_model=ClientOut)
def change_status(
    request: Request,
    db: Db,
    response: Response,
    client_id: int,
    principal: Annotated[Principal, requires(Permission.CLIENT_CHANGE_STATUS)],
    payload: Annotated[
        dict,
        Body(
            examples=[
                {  # type: ignore[type-arg]
                    "status": "withdrawn",
                    "reason": "moved away",
                }
            ]
        ),
    ],
) -> ClientOut:
    """Change the status; withdrawn, lost to follow-up and ineligible need a reason."""
    ctx = action_context(request, db, principal)
    client = client_actions.change_status(ctx, client_id, parse(StatusChange, payload))
    response.headers["etag"] = _etag(client.version)
    return client_view(client, principal.actor, ctx.now.date())
