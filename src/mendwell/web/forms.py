"""Turning submitted HTML forms into input models, and errors back into per-field messages."""

from __future__ import annotations

import types
import typing
from typing import Any, get_args, get_origin

from fastapi import Request
from pydantic import BaseModel
from starlette.datastructures import FormData

from mendwell.actions.errors import FieldError

TRUE_VALUES = {"on", "true", "1", "yes"}
FALSE_VALUES = {"", "off", "false", "0", "no"}


def _is_list(annotation: Any) -> bool:
    if get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_is_list(a) for a in get_args(annotation))
    return get_origin(annotation) is list


def _is_bool(annotation: Any) -> bool:
    return annotation is bool


def form_data(
    form: FormData, model: type[BaseModel], *, skip: set[str] | None = None
) -> dict[str, Any]:
    """Form fields as a dict for ``model``: lists from repeated fields, checkboxes as booleans,
    blank text as missing."""
    skip = skip or set()
    data: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        if _is_list(info.annotation):
            data[name] = [v for v in form.getlist(name) if isinstance(v, str) and v.strip()]
        elif _is_bool(info.annotation):
            # An unticked checkbox sends nothing; anything unexpected is left for validation.
            raw = str(form.get(name, "")).strip().lower()
            data[name] = True if raw in TRUE_VALUES else False if raw in FALSE_VALUES else raw
        else:
            value = form.get(name)
            if isinstance(value, str) and value.strip():
                data[name] = value
    return data


def posted_form(request: Request) -> FormData:
    """The form posted with this request (read by the route's access dependency)."""
    form = getattr(request.state, "form", None)
    return form if form is not None else FormData()


def errors_by_field(errors: list[FieldError]) -> dict[str, str]:
    out: dict[str, str] = {}
    for err in errors:
        key = str(err.loc[0]) if err.loc else "__all__"
        out.setdefault(key, err.msg)
    return out
