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
from mendwell.store.models.adverse_events import (
    AdverseEvent,
    AdverseEventAlert,
    AdverseEventFollowUp,
    AdverseEventReport,
)
from mendwell.store.models.audit import AuditEvent
from mendwell.store.models.clients import Client, ClientAssignment, ClientStatusChange
from mendwell.store.models.concerns import ConcernNote, ConcernReport
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
from mendwell.store.models.measures import (
    CustomInstrument,
    MeasureSubmission,
    SafetyAlert,
    SelfReportLink,
)
from mendwell.store.models.screening import (
    Screening,
    ScreeningSignature,
    ScreeningVersion,
    ScreeningWashout,
)
from mendwell.store.models.two_factor import (
    AuthenticatorSecret,
    RecoveryCode,
    SignInChallenge,
)

__all__ = [
    "AdverseEvent",
    "AdverseEventAlert",
    "AdverseEventFollowUp",
    "AdverseEventReport",
    "ApiToken",
    "AuditEvent",
    "AuthenticatorSecret",
    "CalendarFeedToken",
    "Client",
    "ClientAssignment",
    "ClientStatusChange",
    "ConcernNote",
    "ConcernReport",
    "Consent",
    "Course",
    "CourseVisit",
    "CustomInstrument",
    "GateCheck",
    "GateOverride",
    "LoginAttempt",
    "MeasureLink",
    "MeasureSubmission",
    "Organisation",
    "PregnancyTest",
    "ProtocolDefinition",
    "RecoveryCode",
    "RoleAssignment",
    "SafetyAlert",
    "Screening",
    "ScreeningSignature",
    "ScreeningVersion",
    "ScreeningWashout",
    "SelfReportLink",
    "SessionNote",
    "SessionNoteAddendum",
    "SignInChallenge",
    "Site",
    "User",
    "UserSession",
    "VisitChange",
]
