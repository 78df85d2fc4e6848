"""Viewing and downloading program outcomes is an auditable access (downloads as exports)."""

from __future__ import annotations

from typing import Any

from mendwell.actions import audit
from mendwell.actions.context import ActionContext

ENTITY = "program_outcomes"


def record_access(
    ctx: ActionContext, filters: dict[str, Any], courses: int, *, export: str | None = None
) -> None:
    """The filters used and how many courses they selected; ``export`` names a download format."""
    audit.record(
        ctx,
        action="export" if export else "search",
        entity_type=ENTITY,
        detail={"filters": filters, "courses": courses} | ({"format": export} if export else {}),
    )
