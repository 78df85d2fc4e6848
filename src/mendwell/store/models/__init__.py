"""All models, imported here so metadata is complete for migrations."""

from mendwell.store.models.accounts import (
    ApiToken,
    LoginAttempt,
    Organisation,
    RoleAssignment,
    Site,
    User,
    UserSession,
)
from mendwell.store.models.audit import AuditEvent
from mendwell.store.models.clients import Client, ClientAssignment, ClientStatusChange
from mendwell.store.models.screening import (
    Screening,
    ScreeningSignature,
    ScreeningVersion,
    ScreeningWashout,
)

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Client",
    "ClientAssignment",
    "ClientStatusChange",
    "LoginAttempt",
    "Organisation",
    "RoleAssignment",
    "Screening",
    "ScreeningSignature",
    "ScreeningVersion",
    "ScreeningWashout",
    "Site",
    "User",
    "UserSession",
]
