"""Safety screening over JSON: a stateless evaluation, and a client's screenings.

``POST /api/v1/screening/evaluate`` needs ``screening.view``: it stores nothing and discloses no
stored record, so anyone who may read screenings may use it (for example a program admin
checking the settings). The server supplies today's date (UTC) and the program's settings.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.responses import JSONResponse

from mendwell.actions import screening as screening_actions
from mendwell.actions.errors import FieldError, InvalidInput, NotFound
from mendwell.clinical.screening import (
    Match,
    ScreeningConfigurationError,
    UnknownFindingError,
    search_medications,
)
from mendwell.clinical.screening.api_models import (
    ScreeningEvaluateRequest,
    ScreeningEvaluateResponse,
    evaluate_request,
)
from mendwell.permissions import Permission
from mendwell.queries.screening import client_screenings, latest_signed_screening, screening_out
from mendwell.schemas.common import parse
from mendwell.schemas.screening import (
    ScreeningInput,
    ScreeningOut,
    ScreeningUpdate,
    SignatureInput,
    SignedScreening,
)
from mendwell.web.access import Db, Principal, action_context, requires

router = APIRouter(prefix="/api/v1", tags=["screening"])

Viewer = Annotated[Principal, requires(Permission.SCREENING_VIEW)]
Editor = Annotated[Principal, requires(Permission.SCREENING_EDIT)]
Signer = Annotated[Principal, requires(Permission.SCREENING_SIGN)]
Payload = Annotated[dict, Body()]  # type: ignore[type-arg]

_EVALUATE_EXAMPLE = {
    "substance": "mdma",
    "protocol_id": "mdma-at-phase3",
    "record": {
        "age_years": 41,
        "psychiatric_history": {"psychosis": False, "bipolar_i": False},
        "medications": [{"name": "Paxil", "dose": "20 mg", "last_dose_date": "2026-01-01"}],
    },
}


@router.post("/screening/evaluate", response_model=ScreeningEvaluateResponse)
def evaluate(
    request: Request,
    principal: Viewer,
    payload: Annotated[dict, Body(examples=[_EVALUATE_EXAMPLE])],  # type: ignore[type-arg]
) -> ScreeningEvaluateResponse:
    """Evaluate a screening record for a substance, protocol and jurisdiction; nothing is stored.

    The response lists each finding with its rule, rule-set version, severity, sources and
    UNCONFIRMED flag, the outcome and the washout plan. Bad input gets 422 naming the field.
    """
    data = parse(ScreeningEvaluateRequest, payload)
    try:
        return evaluate_request(
            data,
            today=request.app.state.clock.now().date(),
            settings=request.app.state.settings.screening,
        )
    except ScreeningConfigurationError as exc:
        raise InvalidInput.single(exc.field, exc.message) from None
    except UnknownFindingError as exc:
        index = next(i for i, o in enumerate(data.overrides) if o.finding_id == exc.finding_id)
        raise InvalidInput(
            [FieldError(("overrides", index, "finding_id"), "no such finding in this evaluation")]
        ) from None


@router.get("/screening/medications", response_model=list[Match])
def medications(
    principal: Viewer, q: Annotated[str, Query(min_length=1, max_length=100)]
) -> list[Match]:
    """Medications whose generic name, brand or synonym matches ``q`` (for autocomplete)."""
    return search_medications(q, limit=20)


@router.get("/clients/{client_id}/screenings", response_model=list[ScreeningOut])
def list_screenings(
    request: Request, db: Db, principal: Viewer, client_id: int
) -> list[ScreeningOut]:
    """Every screening of the client, newest first, with versions and signature."""
    ctx = action_context(request, db, principal)
    client = screening_actions.view_client_screenings(ctx, client_id)
    return [screening_out(db, s) for s in client_screenings(db, client.id)]


@router.get("/clients/{client_id}/screenings/signed", response_model=SignedScreening)
def signed_screening(
    request: Request, db: Db, principal: Viewer, client_id: int
) -> SignedScreening:
    """The decision in force (the latest signed screening) and its washout plan; 404 if none."""
    ctx = action_context(request, db, principal)
    client = screening_actions.view_client_screenings(ctx, client_id)
    signed = latest_signed_screening(db, client.id)
    if signed is None:
        raise NotFound("signed screening for client", client_id)
    return signed


@router.get("/clients/{client_id}/screenings/{screening_id}", response_model=ScreeningOut)
def get_screening(
    request: Request, db: Db, principal: Viewer, client_id: int, screening_id: int
) -> ScreeningOut:
    ctx = action_context(request, db, principal)
    return screening_out(db, screening_actions.view_screening(ctx, client_id, screening_id))


@router.post("/clients/{client_id}/screenings", response_model=ScreeningOut, status_code=201)
def create_screening(
    request: Request,
    db: Db,
    response: Response,
    principal: Editor,
    client_id: int,
    payload: Payload,
) -> ScreeningOut:
    """Start a screening (version 1) for the client; 409 if one is already in progress."""
    ctx = action_context(request, db, principal)
    screening = screening_actions.start_screening(
        ctx, request.app.state.settings, client_id, parse(ScreeningInput, payload)
    )
    response.headers["location"] = f"/api/v1/clients/{client_id}/screenings/{screening.id}"
    return screening_out(db, screening)


@router.put("/clients/{client_id}/screenings/{screening_id}", response_model=ScreeningOut)
def save_screening(
    request: Request,
    db: Db,
    principal: Editor,
    client_id: int,
    screening_id: int,
    payload: Payload,
) -> ScreeningOut:
    """Save a draft as a new version. Send ``based_on_version``; a stale one gets 409."""
    ctx = action_context(request, db, principal)
    screening = screening_actions.save_screening(
        ctx, request.app.state.settings, client_id, screening_id, parse(ScreeningUpdate, payload)
    )
    return screening_out(db, screening)


@router.post(
    "/clients/{client_id}/screenings/{screening_id}/sign",
    response_model=ScreeningOut,
    responses={422: {"description": "Invalid input, or the password is not correct"}},
)
def sign_screening(
    request: Request,
    db: Db,
    principal: Signer,
    client_id: int,
    screening_id: int,
    payload: Payload,
) -> Any:
    """Sign the decision on the latest version with your password; the screening is locked.

    Body: ``version``, ``decision`` (eligible, ineligible, deferred), ``password``,
    ``overrides`` (``finding_id`` and ``reason`` each) and an optional ``comment``.
    """
    ctx = action_context(request, db, principal)
    try:
        screening = screening_actions.sign_screening(
            ctx, request.app.state.settings, client_id, screening_id, parse(SignatureInput, payload)
        )
    except screening_actions.ReauthenticationFailed as exc:
        # Answer here so the audited failure is committed with the request.
        detail = [{"loc": ["body", *e.loc], "msg": e.msg, "type": e.type} for e in exc.errors]
        return JSONResponse({"detail": detail}, status_code=422)
    return screening_out(db, screening)
