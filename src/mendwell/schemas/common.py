"""Shared field types and conversion of validation errors to field errors."""

from __future__ import annotations

import re
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, ValidationError

from mendwell.actions.errors import FieldError, InvalidInput

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_PHONE_CHARS = re.compile(r"^[0-9+()\-. ]+$")


def _email(value: str | None) -> str | None:
    if value is None:
        return None
    if not _EMAIL.match(value):
        raise ValueError("is not an email address (expected name@example.org)")
    return value.lower()


def _phone(value: str | None) -> str | None:
    if value is None:
        return None
    digits = sum(ch.isdigit() for ch in value)
    if not _PHONE_CHARS.match(value) or not 6 <= digits <= 15:
        raise ValueError("is not a phone number (6 to 15 digits; + ( ) - . and spaces allowed)")
    return value


def _has_letter(value: str) -> str:
    if not any(ch.isalpha() for ch in value):
        raise ValueError("must contain letters")
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_has_letter),
]
Email = Annotated[
    str | None, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(_email)
]
Phone = Annotated[
    str | None, StringConstraints(strip_whitespace=True, max_length=40), AfterValidator(_phone)
]


class InputModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _friendly(err: dict[str, Any]) -> str:
    msg = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    return msg


def field_errors(exc: ValidationError) -> list[FieldError]:
    return [
        FieldError(tuple(err["loc"]), _friendly(dict(err)), str(err["type"]))
        for err in exc.errors()
    ]


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: Any, *, context: dict[str, Any] | None = None) -> M:
    """Validate ``data`` into ``model``, raising InvalidInput whose errors name each field."""
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise InvalidInput(field_errors(exc)) from exc
