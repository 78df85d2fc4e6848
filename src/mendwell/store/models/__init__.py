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
from mendwell.store.models.measures import (
    CustomInstrument,
    MeasureSubmission,
    SafetyAlert,
    SelfReportLink,
)

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Client",
    "ClientAssignment",
    "ClientStatusChange",
    "CustomInstrument",
    "LoginAttempt",
    "MeasureSubmission",
    "Organisation",
    "RoleAssignment",
    "SafetyAlert",
    "SelfReportLink",
    "Site",
    "User",
    "UserSession",
]
