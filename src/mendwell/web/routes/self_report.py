"""The client's private self-report page at /r/{token}: fill, save and finish later, submit once.

Nothing here needs a signed-in user: the unguessable token is the credential. An unknown,
expired, used or revoked token gets one and the same plain page, which names nobody and no
questionnaire. The form carries its own anti-forgery token, derived from the link, so a page
elsewhere cannot post answers into a link even if it knew the address.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from mendwell.actions import measures as actions
from mendwell.actions.context import ActionContext
from mendwell.actions.errors import FieldError, InvalidInput, Refused
from mendwell.clinical.instruments import Instrument
from mendwell.queries import measures as q
from mendwell.security.tokens import tokens_equal
from mendwell.store.models import SelfReportLink, Site
from mendwell.web.access import Db, MaybeUser, client_ip
from mendwell.web.forms import posted_form
from mendwell.web.measure_forms import answers_from_form, messages, problem_list
from mendwell.web.templating import render

router = APIRouter(include_in_schema=False)

FORM_TOKEN_FIELD = "form_token"  # noqa: S105 (a field name, not a secret)
THANK_YOU_PATH = "/self-report/thank-you"
CLOSED_STATUS = 404


def form_token(key: bytes, link: SelfReportLink) -> str:
    """The link page's own anti-forgery token (an HMAC of the link's token hash)."""
    message = b"mendwell self-report form\x00" + link.token_hash.encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _closed(request: Request) -> Response:
    return render(request, "self_report/closed.html", {}, status_code=CLOSED_STATUS)


def _context(request: Request, db: Db) -> ActionContext:
    state = request.app.state
    return ActionContext(
        db=db,
        actor=actions.self_report_actor(client_ip(request)),
        now=state.clock.now(),
        audit_key=state.audit_key,
    )


def _prefix(instrument: Instrument) -> str:
    return f"{instrument.id}."


def _form(
    request: Request,
    db: Db,
    link: SelfReportLink,
    token: str,
    instruments: list[Instrument],
    *,
    answers: dict[str, dict[str, int | None]],
    errors: dict[str, str] | None = None,
    only_missing: bool = False,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    errors = errors or {}
    site = db.get(Site, link.site_id)
    assert site is not None
    total = sum(len(i.items) for i in instruments)
    answered = sum(v is not None for a in answers.values() for v in a.values())
    return render(
        request,
        "self_report/form.html",
        {
            "token": token,
            "form_token": form_token(request.app.state.audit_key, link),
            "first_name": link.first_name,
            "instruments": instruments,
            "answers": answers,
            "errors": errors,
            "problems": problem_list(instruments, errors, {i.id: _prefix(i) for i in instruments}),
            "only_missing": only_missing,
            "notice": notice,
            "answered": answered,
            "total": total,
            "expires_at": link.expires_at,
            "timezone": site.timezone,
        },
        status_code=status_code,
    )


@router.get("/r/{token}")
def fill(request: Request, db: Db, principal: MaybeUser, token: str) -> Response:
    ctx = _context(request, db)
    link = q.open_link(db, token, ctx.now)
    if link is None:
        return _closed(request)
    try:
        instruments = actions.link_instruments(ctx, link)
    except Refused:
        return _closed(request)
    notice = (
        "Your answers are saved. You can close this page and come back to the same link to finish."
        if request.query_params.get("saved") == "1"
        else None
    )
    return _form(
        request,
        db,
        link,
        token,
        instruments,
        answers=dict(link.saved_answers),
        notice=notice,
    )


@router.post("/r/{token}")
def post(request: Request, db: Db, principal: MaybeUser, token: str) -> Response:
    ctx = _context(request, db)
    link = q.open_link(db, token, ctx.now)
    if link is None:
        return _closed(request)
    form = posted_form(request)
    try:
        instruments = actions.link_instruments(ctx, link)
    except Refused:
        return _closed(request)
    answers: dict[str, dict[str, int | None]] = {}
    problems: list[FieldError] = []
    for instrument in instruments:
        given, bad = answers_from_form(form, instrument, _prefix(instrument))
        answers[instrument.id] = given
        problems.extend(FieldError((instrument.id, e.loc[-1]), e.msg) for e in bad)
    show = partial(_form, request, db, link, token, instruments, answers=answers)
    sent = form.get(FORM_TOKEN_FIELD)
    if not isinstance(sent, str) or not tokens_equal(
        sent, form_token(request.app.state.audit_key, link)
    ):
        notice = "This form could not be accepted. Please press the button again."
        return show(notice=notice, status_code=403)
    action = form.get("action")
    try:
        if problems:
            raise InvalidInput(problems)
        if action == "save":
            actions.save_link_answers(ctx, link, answers)
            return RedirectResponse(f"/r/{token}?saved=1", status_code=303)
        actions.submit_link(ctx, link, answers, allow_missing=action == "submit_anyway")
    except InvalidInput as exc:
        db.rollback()
        only_missing = all(e.type == "missing" for e in exc.errors)
        return show(errors=messages(exc.errors), only_missing=only_missing, status_code=422)
    except Refused:
        db.rollback()
        return _closed(request)
    return RedirectResponse(THANK_YOU_PATH, status_code=303)


@router.get(THANK_YOU_PATH)
def thank_you(request: Request, principal: MaybeUser) -> Response:
    return render(request, "self_report/thank_you.html", {})
