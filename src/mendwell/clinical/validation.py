"""Turning schema validation errors into one readable line per problem, naming the field."""

from __future__ import annotations

from pydantic import ValidationError


def problems_from(exc: ValidationError) -> list[str]:
    """One line per problem, `field.path: message`; cross-field problems carry their own path."""
    lines: list[str] = []
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        for line in msg.splitlines():
            lines.append(line if not loc else f"{loc}: {line}")
    return lines
