"""Reading list filters from query parameters: each bad value is collected with its field's name,
and all of them are reported together."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date

from mendwell.actions.errors import FieldError, InvalidInput


class ParamReader:
    """Typed access to query parameters; ``done()`` raises InvalidInput naming every bad one."""

    def __init__(self, params: Mapping[str, str | None]) -> None:
        self.params = params
        self.problems: list[FieldError] = []

    def problem(self, name: str, message: str) -> None:
        self.problems.append(FieldError((name,), message))

    def text(self, name: str) -> str | None:
        raw = self.params.get(name)
        return raw.strip() if raw and raw.strip() else None

    def choice(self, name: str, allowed: Collection[str]) -> str | None:
        raw = self.text(name)
        if raw is not None and raw not in allowed:
            listed = ", ".join(allowed if isinstance(allowed, list) else sorted(allowed))
            self.problem(name, f"must be one of {listed or '(none)'}")
            return None
        return raw

    def whole(self, name: str, low: int, high: int) -> int | None:
        raw = self.text(name)
        if raw is None:
            return None
        if not raw.isdigit() or not low <= int(raw) <= high:
            self.problem(name, f"must be a whole number from {low} to {high}")
            return None
        return int(raw)

    def day(self, name: str) -> date | None:
        raw = self.text(name)
        if raw is None:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.problem(name, "must be a date as YYYY-MM-DD")
            return None

    def date_range(self, start: str, end: str) -> tuple[date | None, date | None]:
        since, until = self.day(start), self.day(end)
        if since and until and until < since:
            self.problem(end, "cannot be before the start of the range")
        return since, until

    def done(self) -> None:
        if self.problems:
            raise InvalidInput(self.problems)
