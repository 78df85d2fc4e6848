"""Safety screening pages: the form with its live findings panel, signing, versions, print.

Also registers the client-page panel (latest decision, draft, history) and the dashboard panel
of screenings awaiting a medical signature.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from mendwell.actions import screening as screening_actions
from mendwell.actions.errors import Conflict, FieldError, InvalidInput, NotFound
from mendwell.clinical.screening import (
    CssrsTriage,
    Evaluation,
    Outcome,
    Severity,
    Substance,
    default_knowledge,
    search_medications,
)
from mendwell.permissions import Permission
from mendwell.queries.clients import age_on
from mendwell.queries.scope import get_visible_client
from mendwell.queries.screening import (
    awaiting_signature,
    client_screenings,
    latest_signed_screening,
    open_findings,
    signature_intact,
    stored_evaluation,
    visible_screening,
)
from mendwell.queries.site_calendar import site_today
from mendwell.schemas.common import parse
from mendwell.schemas.screening import (
    DECISION_LABELS,
    NO_JURISDICTION,
    SITE_JURISDICTION,
    STATUS_LABELS,
    Decision,
    ScreeningInput,
    ScreeningStatus,
    ScreeningUpdate,
    SignatureInput,
    meaning_of,
)
from mendwell.store.models import Client, Screening, ScreeningVersion, Site
from mendwell.web import screening_form as sf
from mendwell.web.access import Db, Principal, action_context, requires
from mendwell.web.extensions import Panel, PanelRequest, client_panel, dashboard_panel
from mendwell.web.forms import posted_form
from mendwell.web.templating import render

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, requires(Permission.SCREENING_VIEW)]
Editor = Annotated[Principal, requires(Permission.SCREENING_EDIT)]
Signer = Annotated[Principal, requires(Permission.SCREENING_SIGN)]

OUTCOME_LABELS = {
    Outcome.ELIGIBLE.value: "Eligible",
    Outcome.NEEDS_REVIEW.value: "Needs review",
    Outcome.INELIGIBLE.value: "Ineligible",
}
SEVERITY_LABELS = {
    Severity.CONTRAINDICATED.value: "Contraindicated",
    Severity.REQUIRES_WASHOUT.value: "Requires washout",
    Severity.CAUTION.value: "Caution",
}
SUBSTANCE_LABELS = {Substance.MDMA.value: "MDMA", Substance.PSILOCYBIN.value: "Psilocybin"}
LABELS = {
    "outcome": OUTCOME_LABELS,
    "severity": SEVERITY_LABELS,
    "substance": SUBSTANCE_LABELS,
    "decision": {d.value: label for d, label in DECISION_LABELS.items()},
    "status": {s.value: label for s, label in STATUS_LABELS.items()},
}


def _base(site: Site, **extra: Any) -> dict[str, Any]:
    knowledge = default_knowledge()
    return {
        "site": site,
        "labels": LABELS,
        "sections": sf.SECTIONS,
        "protocols": sorted(knowledge.protocols().items()),
        "jurisdictions": sorted(knowledge.jurisdictions()),
        "SITE_JURISDICTION": SITE_JURISDICTION,
        "NO_JURISDICTION": NO_JURISDICTION,
        "cssrs": list(CssrsTriage),
        **extra,
    }


def _today(site: Site, request: Request) -> date:
    return site_today(site, request.app.state.clock.now())


def _oregon_applies(values: dict[str, Any], site: Site, evaluation: Evaluation | None) -> bool:
    if evaluation is not None and evaluation.jurisdiction == "us-or":
        return True
    choice = values.get("jurisdiction") or SITE_JURISDICTION
    return choice == "us-or" or (choice == SITE_JURISDICTION and site.jurisdiction == "us-or")


def _form_page(
    request: Request,
    principal: Principal,
    client: Client,
    *,
    screening: Screening | None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    evaluation: Evaluation | None = None,
    conflict: Conflict | None = None,
    saved: bool = False,
    status_code: int = 200,
) -> Response:
    site = client.site
    return render(
        request,
        "screening/form.html",
        _base(
            site,
            client=client,
            screening=screening,
            values=values,
            errors=errors or {},
            evaluation=evaluation,
            eval_errors=[],
            conflict=conflict,
            saved=saved,
            age=age_on(client.date_of_birth, _today(site, request)),
            medication_rows=sf.medication_row_count(values),
            oregon_open=_oregon_applies(values, site, evaluation),
            may_sign=principal.actor.can(Permission.SCREENING_SIGN, client.site_id),
            action=(
                f"/clients/{client.id}/screenings/{screening.id}"
                if screening
                else f"/clients/{client.id}/screenings"
            ),
        ),
        status_code=status_code,
    )


def _initial_values(site: Site) -> dict[str, Any]:
    if site.jurisdiction == "us-or":
        return {"substance": "psilocybin", "protocol_id": "oregon-service-centre"}
    return {}


def _draft_input(form: FormData) -> dict[str, Any]:
    return {**sf.config_from_form(form), "record": sf.record_from_form(form)}


def _fetch(
    request: Request,
    db: Session,
    principal: Principal,
    client_id: int,
    screening_id: int | None,
    permission: Permission,
) -> tuple[Client, Screening | None]:
    """The client (and screening) if visible (else 404) and ``permission`` is held there."""
    client = get_visible_client(db, principal.actor, client_id)
    action_context(request, db, principal).require(permission, client.site_id)
    if screening_id is None:
        return client, None
    return client, visible_screening(db, principal.actor, client_id, screening_id)


def _signable(
    request: Request, db: Session, principal: Principal, client_id: int, screening_id: int
) -> tuple[Client, Screening]:
    """The client and a screening the user may sign there."""
    client, screening = _fetch(
        request, db, principal, client_id, screening_id, Permission.SCREENING_SIGN
    )
    assert screening is not None
    return client, screening


def _evaluate(request: Request, client: Client, data: ScreeningInput) -> Evaluation:
    return screening_actions.evaluate_input(
        data,
        date_of_birth=client.date_of_birth,
        site_jurisdiction=client.site.jurisdiction,
        today=_today(client.site, request),
        settings=request.app.state.settings.screening,
    ).evaluation


@router.get("/clients/{client_id}/screenings/new")
def new_screening(request: Request, db: Db, principal: Editor, client_id: int) -> Response:
    client, _ = _fetch(request, db, principal, client_id, None, Permission.SCREENING_EDIT)
    draft = screening_actions.open_draft(action_context(request, db, principal), client.id)
    if draft is not None:
        return RedirectResponse(f"/clients/{client.id}/screenings/{draft.id}", status_code=303)
    return _form_page(
        request, principal, client, screening=None, values=_initial_values(client.site)
    )


def _submit(
    request: Request, db: Session, principal: Principal, client_id: int, screening_id: int | None
) -> Response:
    """Start or save a screening, or (intent=check) only show its findings."""
    form = posted_form(request)
    edit = Permission.SCREENING_EDIT
    client, screening = _fetch(request, db, principal, client_id, screening_id, edit)
    values = sf.submitted_values(form)
    payload = _draft_input(form)
    ctx = action_context(request, db, principal)
    settings = request.app.state.settings
    try:
        if form.get("intent") == "check":
            evaluation = _evaluate(request, client, parse(ScreeningInput, payload))
            return _form_page(
                request,
                principal,
                client,
                screening=screening,
                values=values,
                evaluation=evaluation,
            )
        if screening is None:
            data = parse(ScreeningInput, payload)
            screening = screening_actions.start_screening(ctx, settings, client_id, data)
        else:
            based_on = form.get("based_on_version")
            update = parse(ScreeningUpdate, {**payload, "based_on_version": based_on})
            screening_actions.save_screening(ctx, settings, client_id, screening.id, update)
    except InvalidInput as exc:
        db.rollback()
        client, screening = _fetch(request, db, principal, client_id, screening_id, edit)
        return _form_page(
            request,
            principal,
            client,
            screening=screening,
            values=values,
            errors=sf.errors_by_path(exc.errors),
            status_code=422,
        )
    except Conflict as exc:
        db.rollback()
        client, screening = _fetch(request, db, principal, client_id, screening_id, edit)
        assert screening is not None
        # Keep what the user typed and show what changed; saving again applies it over.
        return _form_page(
            request,
            principal,
            client,
            screening=screening,
            values={**values, "based_on_version": screening.latest_version},
            conflict=exc,
            status_code=409,
        )
    return RedirectResponse(
        f"/clients/{client_id}/screenings/{screening.id}?saved=1", status_code=303
    )


@router.post("/clients/{client_id}/screenings")
def create_screening(request: Request, db: Db, principal: Editor, client_id: int) -> Response:
    return _submit(request, db, principal, client_id, None)


@router.post("/clients/{client_id}/screenings/{screening_id}")
def save_screening(
    request: Request, db: Db, principal: Editor, client_id: int, screening_id: int
) -> Response:
    return _submit(request, db, principal, client_id, screening_id)


def _version_config(version: ScreeningVersion) -> dict[str, Any]:
    return {
        "substance": version.substance,
        "protocol_id": version.protocol_id,
        "jurisdiction": version.jurisdiction_choice,
        "proposed_stop_date": version.proposed_stop_date.isoformat()
        if version.proposed_stop_date
        else None,
    }


def _fresh_evaluation(request: Request, client: Client, version: ScreeningVersion) -> Evaluation:
    """A saved version evaluated as of today (washouts and ages move with the calendar)."""
    config = {**_version_config(version), "record": version.record}
    return _evaluate(request, client, parse(ScreeningInput, config))


def _client_of(db: Session, screening: Screening) -> Client:
    client = db.get(Client, screening.client_id)
    assert client is not None
    return client


@router.get("/clients/{client_id}/screenings/{screening_id}")
def screening_page(
    request: Request,
    db: Db,
    principal: Viewer,
    client_id: int,
    screening_id: int,
    saved: bool = False,
) -> Response:
    ctx = action_context(request, db, principal)
    screening = screening_actions.view_screening(ctx, client_id, screening_id)
    client = _client_of(db, screening)
    editable = screening.status == ScreeningStatus.DRAFT and principal.actor.can(
        Permission.SCREENING_EDIT, client.site_id
    )
    if not editable:
        return _view_page(request, principal, client, screening, screening.current)
    version = screening.current
    values = sf.form_values(version.record, _version_config(version))
    values["based_on_version"] = version.number
    return _form_page(
        request,
        principal,
        client,
        screening=screening,
        values=values,
        evaluation=_fresh_evaluation(request, client, version),
        saved=saved,
    )


def _view_page(
    request: Request,
    principal: Principal,
    client: Client,
    screening: Screening,
    version: ScreeningVersion,
    *,
    printable: bool = False,
) -> Response:
    signature = screening.signature
    if signature is not None and signature.screening_version_id != version.id:
        signature = None  # an earlier version: shown as it was saved
    evaluation = stored_evaluation(signature.evaluation if signature else version.evaluation)
    draft = screening.status == ScreeningStatus.DRAFT
    return render(
        request,
        "screening/view.html",
        _base(
            client.site,
            client=client,
            screening=screening,
            shown=version,
            values=sf.form_values(version.record, _version_config(version)),
            evaluation=evaluation,
            eval_errors=[],
            signature=signature,
            intact=signature_intact(signature) if signature else None,
            oregon_open=evaluation.jurisdiction == "us-or",
            printable=printable,
            may_edit=draft and principal.actor.can(Permission.SCREENING_EDIT, client.site_id),
            may_sign=draft and principal.actor.can(Permission.SCREENING_SIGN, client.site_id),
        ),
    )


@router.get("/clients/{client_id}/screenings/{screening_id}/versions/{number}")
def version_page(
    request: Request, db: Db, principal: Viewer, client_id: int, screening_id: int, number: int
) -> Response:
    ctx = action_context(request, db, principal)
    what = f"version {number}"
    screening = screening_actions.view_screening(ctx, client_id, screening_id, what=what)
    version = next((v for v in screening.versions if v.number == number), None)
    if version is None:
        raise NotFound("screening version", f"{screening_id}/{number}")
    return _view_page(request, principal, _client_of(db, screening), screening, version)


@router.get("/clients/{client_id}/screenings/{screening_id}/print")
def print_page(
    request: Request, db: Db, principal: Viewer, client_id: int, screening_id: int
) -> Response:
    ctx = action_context(request, db, principal)
    screening = screening_actions.view_screening(ctx, client_id, screening_id, what="print")
    client = _client_of(db, screening)
    return _view_page(request, principal, client, screening, screening.current, printable=True)


# --- signing -----------------------------------------------------------------------------------


def _sign_page(
    request: Request,
    client: Client,
    screening: Screening,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    version = screening.current
    return render(
        request,
        "screening/sign.html",
        _base(
            client.site,
            client=client,
            screening=screening,
            shown=version,
            values=sf.form_values(version.record, _version_config(version)),
            sign_values=values or {},
            errors=errors or {},
            notice=notice,
            evaluation=_fresh_evaluation(request, client, version),
            eval_errors=[],
            oregon_open=version.jurisdiction == "us-or",
            decisions=[(d, meaning_of(d)) for d in Decision],
        ),
        status_code=status_code,
    )


@router.get("/clients/{client_id}/screenings/{screening_id}/sign")
def sign_form(
    request: Request, db: Db, principal: Signer, client_id: int, screening_id: int
) -> Response:
    ctx = action_context(request, db, principal)
    screening = screening_actions.view_screening(ctx, client_id, screening_id, what="sign")
    ctx.require(Permission.SCREENING_SIGN, screening.site_id)
    if screening.status != ScreeningStatus.DRAFT:
        return RedirectResponse(f"/clients/{client_id}/screenings/{screening_id}", status_code=303)
    return _sign_page(request, _client_of(db, screening), screening)


def _signature_payload(form: FormData) -> tuple[dict[str, Any], dict[int, int], list[FieldError]]:
    """The signature input, which form row each override came from, and form-level problems."""
    overrides: list[dict[str, str]] = []
    rows: dict[int, int] = {}
    problems: list[FieldError] = []
    indices = sorted(
        {
            int(k.split(".")[1])
            for k in form
            if k.startswith("overrides.") and k.split(".")[1].isdigit()
        }
    )
    for i in indices:
        finding_id = str(form.get(f"overrides.{i}.finding_id") or "")
        reason = str(form.get(f"overrides.{i}.reason") or "").strip()
        if form.get(f"overrides.{i}.apply"):
            rows[len(overrides)] = i
            overrides.append({"finding_id": finding_id, "reason": reason})
        elif reason:
            problems.append(
                FieldError(
                    ("overrides", i, "reason"),
                    "tick 'Override this finding' to apply the reason, or clear it",
                )
            )
    payload = {
        "version": form.get("version"),
        "decision": form.get("decision"),
        "password": form.get("password") or "",
        "comment": form.get("comment") or None,
        "overrides": overrides,
    }
    return payload, rows, problems


def _sign_errors(errors: list[FieldError], rows: dict[int, int]) -> dict[str, str]:
    out: dict[str, str] = {}
    for err in errors:
        loc = list(err.loc)
        if loc[:1] == ["overrides"] and len(loc) > 1 and isinstance(loc[1], int):
            loc[1] = rows.get(loc[1], loc[1])
        out.setdefault(".".join(str(p) for p in loc), err.msg)
    return out


@router.post("/clients/{client_id}/screenings/{screening_id}/sign")
def sign(
    request: Request, db: Db, principal: Signer, client_id: int, screening_id: int
) -> Response:
    form = posted_form(request)
    _signable(request, db, principal, client_id, screening_id)
    payload, rows, problems = _signature_payload(form)
    kept = {k: v for k, v in sf.submitted_values(form).items() if k != "password"}
    errors: dict[str, str] = {}
    notice = None
    status_code = 422
    try:
        if problems:
            raise InvalidInput(problems)
        screening_actions.sign_screening(
            action_context(request, db, principal),
            request.app.state.settings,
            client_id,
            screening_id,
            parse(SignatureInput, payload),
        )
        return RedirectResponse(f"/clients/{client_id}/screenings/{screening_id}", status_code=303)
    except screening_actions.ReauthenticationFailed as exc:
        # The failed attempt is in the audit trail: keep this transaction, write nothing else.
        errors = _sign_errors(exc.errors, rows)
    except InvalidInput as exc:
        db.rollback()
        errors = _sign_errors(exc.errors, rows)
    except Conflict:
        db.rollback()
        kept.pop("version", None)
        notice = (
            "A newer version was saved while you were reviewing. Nothing was signed: review "
            "the findings below and sign again."
        )
        status_code = 409
    client, screening = _signable(request, db, principal, client_id, screening_id)
    return _sign_page(
        request,
        client,
        screening,
        values=kept,
        errors=errors,
        notice=notice,
        status_code=status_code,
    )


# --- stateless helpers for the form ------------------------------------------------------------


@router.post("/screening/findings")
def findings_fragment(request: Request, db: Db, principal: Viewer) -> Response:
    """The findings panel for what the form holds now; stores nothing (htmx)."""
    form = posted_form(request)
    site = _form_site(db, principal, form.get("site_id"))
    today = _today(site, request) if site else request.app.state.clock.now().date()
    errors: list[str] = []
    evaluation = None
    try:
        data = parse(ScreeningInput, _draft_input(form))
        birth = _birth_date(form.get("date_of_birth"))
        evaluation = screening_actions.evaluate_input(
            data,
            date_of_birth=birth,
            site_jurisdiction=site.jurisdiction if site else None,
            today=today,
            settings=request.app.state.settings.screening,
        ).evaluation
    except InvalidInput as exc:
        errors = [f"{name}: {msg}" for name, msg in sf.errors_by_path(exc.errors).items()]
    return render(
        request,
        "screening/_findings.html",
        {"evaluation": evaluation, "eval_errors": errors, "labels": LABELS},
    )


def _birth_date(raw: object) -> date | None:
    if not isinstance(raw, str) or not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput.single("date_of_birth", "is not a date (YYYY-MM-DD)") from None


def _form_site(db: Session, principal: Principal, raw: object) -> Site | None:
    """The site the form is for, if the user works there (for its date and jurisdiction)."""
    if not isinstance(raw, str) or not raw.isdigit():
        return None
    site_id = int(raw)
    if not principal.actor.can(Permission.SCREENING_VIEW, site_id):
        return None
    return db.get(Site, site_id)


@router.get("/screening/medications")
def medication_search(request: Request, principal: Viewer) -> Response:
    """Medication names for the form's autocomplete (htmx), or a lookup page without JS."""
    params = request.query_params
    query = params.get("q") or next(
        (v for k, v in params.items() if k.startswith("medications.") and k.endswith(".name")),
        "",
    )
    matches = search_medications(query[:100], limit=12) if query.strip() else []
    template = (
        "screening/_medication_options.html"
        if request.headers.get("hx-request")
        else "screening/medications.html"
    )
    return render(
        request,
        template,
        {"q": query, "matches": matches, "class_labels": sf.class_labels},
    )


# --- panels ------------------------------------------------------------------------------------


def _client_panel(req: PanelRequest) -> dict[str, Any] | None:
    client = req.client
    assert client is not None
    screenings = client_screenings(req.db, client.id)
    draft = next((s for s in screenings if s.status == ScreeningStatus.DRAFT), None)
    draft_evaluation = stored_evaluation(draft.current.evaluation) if draft else None
    return {
        "client": client,
        "site": client.site,
        "screenings": screenings,
        "signed": latest_signed_screening(req.db, client.id),
        "draft": draft,
        "draft_evaluation": draft_evaluation,
        "draft_open": open_findings(draft_evaluation) if draft_evaluation else 0,
        "may_edit": req.actor.can(Permission.SCREENING_EDIT, client.site_id),
        "may_sign": req.actor.can(Permission.SCREENING_SIGN, client.site_id),
        "labels": LABELS,
    }


def _dashboard_panel(req: PanelRequest) -> dict[str, Any] | None:
    return {"waiting": awaiting_signature(req.db, req.actor), "labels": LABELS}


client_panel(
    Panel(
        "screening",
        "Safety screening",
        "screening/panel_client.html",
        Permission.SCREENING_VIEW,
        _client_panel,
        order=20,
    )
)
dashboard_panel(
    Panel(
        "screening-awaiting-signature",
        "Screenings awaiting your signature",
        "screening/panel_dashboard.html",
        Permission.SCREENING_SIGN,
        _dashboard_panel,
        order=20,
    )
)
