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

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Client",
    "ClientAssignment",
    "ClientStatusChange",
    "LoginAttempt",
    "Organisation",
    "RoleAssignment",
    "Site",
    "User",
    "UserSession",
]
