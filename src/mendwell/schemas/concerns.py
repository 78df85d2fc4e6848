"""Concern-report input models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from mendwell.schemas.common import InputModel, ShortText

CONCERN_CATEGORIES: dict[str, str] = {
    "boundary": "Boundary concern",
    "protocol-deviation": "Protocol deviation",
    "misconduct": "Misconduct",
    "other": "Other",
}
CONCERN_STATUSES: dict[str, str] = {
    "open": "Open",
    "under-review": "Under review",
    "closed": "Closed",
}
Description = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=8000)
]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
ClientCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, max_length=20)]


class ConcernCreate(InputModel):
    site_id: int = Field(title="Site")
    category: Literal["boundary", "protocol-deviation", "misconduct", "other"] = Field(
        title="Kind of concern"
    )
    description: Description = Field(title="What happened")
    about_user_id: int | None = Field(None, title="About a staff member")
    about_text: ShortText | None = Field(None, title="About (if not a staff member listed)")
    client_code: ClientCode | None = Field(None, title="Client code (optional)")


class ConcernReview(InputModel):
    note: Note = Field(title="Note")
    status: Literal["open", "under-review", "closed"] | None = Field(None, title="New status")
    version: int = Field(ge=1, title="Version you read")
