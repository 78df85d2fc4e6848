"""Jinja2 environment and page rendering."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from mendwell import __version__
from mendwell.clinical import registry as vocab
from mendwell.permissions import ROLE_LABELS, Permission, Role
from mendwell.web.access import CSRF_FIELD, Principal
from mendwell.web.extensions import nav_items

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


def _local(value: datetime | None, tz: str = "UTC", fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo(tz)).strftime(fmt)


def _isodate(value: date | None) -> str:
    return value.isoformat() if value else ""


def _label(value: Any, labels: dict[Any, str]) -> str:
    if value is None:
        return ""
    try:
        return labels.get(value, str(value))
    except TypeError:
        return str(value)


env = templates.env
env.filters["localtime"] = _local
env.filters["isodate"] = _isodate
env.filters["label"] = _label
env.globals.update(
    version=__version__,
    Permission=Permission,
    Role=Role,
    ROLE_LABELS=ROLE_LABELS,
    vocab=vocab,
    CSRF_FIELD=CSRF_FIELD,
    nav_items=nav_items,
)


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    principal: Principal | None = None,
) -> HTMLResponse:
    principal = principal or getattr(request.state, "principal", None)
    ctx: dict[str, Any] = {
        "principal": principal,
        "user": principal.info if principal else None,
        "actor": principal.actor if principal else None,
        "csrf_token": principal.csrf_token if principal else None,
        "can": (lambda p: principal.actor.can_anywhere(p)) if principal else (lambda p: False),
        "is_htmx": request.headers.get("hx-request") == "true",
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, template, ctx, status_code=status_code)
