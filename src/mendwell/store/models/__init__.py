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
from mendwell.store.models.courses import (
    CalendarFeedToken,
    Consent,
    Course,
    CourseVisit,
    GateCheck,
    GateOverride,
    MeasureLink,
    PregnancyTest,
    ProtocolDefinition,
    SessionNote,
    SessionNoteAddendum,
    VisitChange,
)

__all__ = [
    "ApiToken",
    "AuditEvent",
    "CalendarFeedToken",
    "Client",
    "ClientAssignment",
    "ClientStatusChange",
    "Consent",
    "Course",
    "CourseVisit",
    "GateCheck",
    "GateOverride",
    "LoginAttempt",
    "MeasureLink",
    "Organisation",
    "PregnancyTest",
    "ProtocolDefinition",
    "RoleAssignment",
    "SessionNote",
    "SessionNoteAddendum",
    "Site",
    "User",
    "UserSession",
    "VisitChange",
]
