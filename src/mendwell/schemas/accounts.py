"""Input and output models for users, sites and tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import BaseModel, Field, StringConstraints, field_validator

from mendwell.permissions import Role
from mendwell.schemas.common import Email, InputModel, Name

Username = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        min_length=3,
        max_length=64,
        pattern=r"^[a-z0-9][a-z0-9._-]*$",
    ),
]
SiteCode = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_upper=True, min_length=2, max_length=20, pattern=r"^[A-Z0-9-]+$"
    ),
]
JURISDICTIONS = {
    "us-or": "Oregon (USA)",
    "us-co": "Colorado (USA)",
    "au": "Australia",
    "ca": "Canada",
}


class UserCreate(InputModel):
    username: Username = Field(title="Username")
    full_name: Name = Field(title="Full name")
    email: Email = Field(None, title="Email")
    password: str = Field(title="Password", min_length=1, max_length=256)
    roles: dict[int, Role] = Field(default_factory=dict, title="Roles by site")


class RoleChange(InputModel):
    site_id: int = Field(title="Site")
    role: Role | None = Field(title="Role (empty removes access to the site)")


class PasswordChange(InputModel):
    password: str = Field(title="New password", min_length=1, max_length=256)


class SiteFields(InputModel):
    name: Name = Field(title="Site name")
    code: SiteCode = Field(title="Short code")
    timezone: str = Field("UTC", title="Time zone")
    jurisdiction: str | None = Field(None, title="Jurisdiction profile")
    facilitators_see_assigned_only: bool = Field(
        False, title="Facilitators see only their assigned clients"
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value not in available_timezones():
            raise ValueError("is not a known time zone (e.g. America/Los_Angeles)")
        return value

    @field_validator("jurisdiction")
    @classmethod
    def _known_jurisdiction(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if value not in JURISDICTIONS:
            raise ValueError(f"must be one of {', '.join(sorted(JURISDICTIONS))} or empty")
        return value


class SiteCreate(SiteFields):
    pass


class SiteUpdate(SiteFields):
    version: int = Field(ge=1, title="Version you edited")
    is_active: bool = Field(True, title="Active")


class SiteOut(BaseModel):
    id: int
    name: str
    code: str
    timezone: str
    jurisdiction: str | None
    facilitators_see_assigned_only: bool
    is_active: bool
    version: int


class RoleOut(BaseModel):
    site_id: int
    role: Role


class UserOut(BaseModel):
    id: int
    username: str
    full_name: str
    email: str | None
    is_active: bool
    roles: list[RoleOut]
    last_login_at: datetime | None


class TokenCreate(InputModel):
    name: str = Field(title="Token name", min_length=1, max_length=100)


class TokenOut(BaseModel):
    id: int
    name: str
    token_prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
