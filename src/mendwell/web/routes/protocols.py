"""Protocol templates: the shipped ones, and custom protocols an admin uploads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from starlette.datastructures import UploadFile

from mendwell.actions import protocols as protocol_actions
from mendwell.actions.errors import InvalidInput
from mendwell.clinical.protocols.schedule import plan_schedule, render_schedule
from mendwell.clinical.protocols.schema import shipped_protocols
from mendwell.permissions import Permission
from mendwell.queries.courses import protocol_of, users_by_id
from mendwell.schemas.common import parse
from mendwell.schemas.courses import PROTOCOL_TEXT_LIMIT, ProtocolUpload
from mendwell.store.models import Course, ProtocolDefinition
from mendwell.web.access import Db, Principal, action_context, requires
from mendwell.web.extensions import NavItem, nav_item
from mendwell.web.forms import posted_form
from mendwell.web.templating import render

router = APIRouter(include_in_schema=False)

Admin = Annotated[Principal, requires(Permission.KNOWLEDGE_MANAGE)]


def _page(
    request: Request,
    db: Db,
    principal: Principal,
    *,
    problems: list[str] | None = None,
    text: str = "",
    status_code: int = 200,
) -> Response:
    now = action_context(request, db, principal).now
    org = principal.info.organisation_id
    stored = list(
        db.scalars(
            select(ProtocolDefinition)
            .where(ProtocolDefinition.organisation_id == org)
            .order_by(ProtocolDefinition.protocol_id, ProtocolDefinition.uploaded_at)
        )
    )
    in_use = dict(
        db.execute(
            select(Course.protocol_definition_id, func.count()).group_by(
                Course.protocol_definition_id
            )
        ).all()
    )
    rows: list[dict[str, Any]] = []
    for p in shipped_protocols().values():
        rows.append({"protocol": p, "source": "shipped", "definition": None})
    for d in stored:
        if d.source == "custom":
            rows.append({"protocol": protocol_of(d), "source": "custom", "definition": d})
    for row in rows:
        row["schedule"] = render_schedule(plan_schedule(row["protocol"], now.date()))
        definition = row["definition"] or next(
            (
                d
                for d in stored
                if d.protocol_id == row["protocol"].id and d.version == row["protocol"].version
            ),
            None,
        )
        row["courses"] = in_use.get(definition.id, 0) if definition else 0
    return render(
        request,
        "admin/protocols.html",
        {
            "rows": rows,
            "people": users_by_id(db, {d.uploaded_by_id for d in stored}),
            "problems": problems or [],
            "text": text,
            "today": now.date(),
        },
        status_code=status_code,
    )


@router.get("/admin/protocols")
def protocols(request: Request, db: Db, principal: Admin) -> Response:
    return _page(request, db, principal)


@router.post("/admin/protocols")
def upload(request: Request, db: Db, principal: Admin) -> Response:
    form = posted_form(request)
    upload_file = form.get("file")
    text = ""
    if isinstance(upload_file, UploadFile) and upload_file.filename:
        raw = upload_file.file.read(PROTOCOL_TEXT_LIMIT + 1)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return _page(
                request, db, principal, problems=["file: is not UTF-8 text"], status_code=422
            )
    if not text.strip():
        pasted = form.get("text")
        text = pasted if isinstance(pasted, str) else ""
    ctx = action_context(request, db, principal)
    try:
        protocol_actions.upload_protocol(
            ctx, principal.info.organisation_id, parse(ProtocolUpload, {"text": text})
        )
    except InvalidInput as exc:
        db.rollback()
        problems = [e.msg if e.field == "text" else f"{e.field}: {e.msg}" for e in exc.errors]
        return _page(request, db, principal, problems=problems, text=text, status_code=422)
    return RedirectResponse("/admin/protocols", status_code=303)


@router.post("/admin/protocols/{definition_id}/active")
def set_active(request: Request, db: Db, principal: Admin, definition_id: int) -> Response:
    form = posted_form(request)
    active = str(form.get("active", "")) in {"1", "true", "on"}
    protocol_actions.set_protocol_active(
        action_context(request, db, principal),
        principal.info.organisation_id,
        definition_id,
        active,
    )
    return RedirectResponse("/admin/protocols", status_code=303)


nav_item(NavItem("Protocols", "/admin/protocols", Permission.KNOWLEDGE_MANAGE, order=905))
