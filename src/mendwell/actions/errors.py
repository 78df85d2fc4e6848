"""Errors raised by actions; the web layer maps each to one HTTP status."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class ActionError(Exception):
    """Base for errors an action reports to its caller."""


@dataclass
class FieldError:
    loc: tuple[str | int, ...]
    msg: str
    type: str = "value_error"

    @property
    def field(self) -> str:
        return ".".join(str(p) for p in self.loc)


class InvalidInput(ActionError):
    """Input that fails validation; each problem names its field."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.msg}" for e in errors))
        self.errors = errors

    @classmethod
    def single(cls, field_name: str, msg: str) -> InvalidInput:
        return cls([FieldError((field_name,), msg)])


class PermissionDenied(ActionError):
    def __init__(self, permission: str, site_id: int | None = None) -> None:
        super().__init__(f"permission {permission} is required")
        self.permission = permission
        self.site_id = site_id


class NotFound(ActionError):
    """The object does not exist or is not visible to this user (the two are not told apart)."""

    def __init__(self, entity: str, ident: object) -> None:
        super().__init__(f"{entity} {ident} not found")
        self.entity = entity
        self.ident = ident


@dataclass
class ChangeSummary:
    at: str
    by: str | None
    changes: dict[str, Any]


class Conflict(ActionError):
    """A stale write: the record changed since the caller read it. Nothing was written."""

    def __init__(
        self,
        entity: str,
        ident: object,
        *,
        expected_version: int,
        current_version: int,
        changed_since: list[ChangeSummary] | None = None,
        current: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            f"{entity} {ident} was changed by someone else "
            f"(you edited version {expected_version}, it is now version {current_version})"
        )
        self.entity = entity
        self.ident = ident
        self.expected_version = expected_version
        self.current_version = current_version
        self.changed_since = changed_since or []
        self.current = current or {}


@dataclass
class Refused(ActionError):
    """A request that is valid in form but not allowed in the record's current state."""

    message: str
    reasons: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.message)
