"""Who may do what: the one place where roles are mapped to permissions.

A user holds a role per site. What they may do at a site is the union of their roles' permissions
there. Routes declare the permission they need (see ``mendwell.web.access``); object-level scoping
(which clients a user sees) is in ``mendwell.queries.scope``. The table in docs/roles.md is checked
against this module by a test.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    FACILITATOR = "facilitator"
    MEDICAL = "medical"
    RATER = "rater"
    ANALYST = "analyst"


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "Program admin",
    Role.FACILITATOR: "Facilitator / therapist",
    Role.MEDICAL: "Medical (prescriber / medical monitor)",
    Role.RATER: "Independent rater (blinded)",
    Role.ANALYST: "Analyst (de-identified data only)",
}


class Permission(StrEnum):
    CLIENT_LIST = "client.list"
    CLIENT_VIEW_IDENTIFYING = "client.view_identifying"
    CLIENT_VIEW_CLINICAL = "client.view_clinical"
    CLIENT_CREATE = "client.create"
    CLIENT_EDIT = "client.edit"
    CLIENT_CHANGE_STATUS = "client.change_status"
    CLIENT_ASSIGN = "client.assign"
    SCREENING_VIEW = "screening.view"
    SCREENING_EDIT = "screening.edit"
    SCREENING_SIGN = "screening.sign"
    MEASURE_VIEW = "measure.view"
    MEASURE_ENTER = "measure.enter"
    MEASURE_RATE = "measure.rate"
    ALERT_ACKNOWLEDGE = "alert.acknowledge"
    COURSE_VIEW = "course.view"
    COURSE_MANAGE = "course.manage"
    NOTE_VIEW = "note.view"
    NOTE_WRITE = "note.write"
    GATE_OVERRIDE = "gate.override"
    SESSION_VIEW = "session.view"
    SESSION_RECORD = "session.record"
    ADVERSE_EVENT_VIEW = "adverse_event.view"
    ADVERSE_EVENT_RECORD = "adverse_event.record"
    CONCERN_REPORT = "concern.report"
    CONCERN_VIEW = "concern.view"
    KNOWLEDGE_MANAGE = "knowledge.manage"
    USER_MANAGE = "user.manage"
    SITE_MANAGE = "site.manage"
    AUDIT_VIEW = "audit.view"
    AUDIT_EXPORT = "audit.export"
    ANALYTICS_VIEW = "analytics.view"


PERMISSION_DESCRIPTIONS: dict[Permission, str] = {
    Permission.CLIENT_LIST: "See the client list of the site (fields as the role allows)",
    Permission.CLIENT_VIEW_IDENTIFYING: "See names and contact details (to arrange visits)",
    Permission.CLIENT_VIEW_CLINICAL: "See birth date, trauma, diagnosis, treatment and timeline",
    Permission.CLIENT_CREATE: "Register a new client",
    Permission.CLIENT_EDIT: "Edit a client's registry record",
    Permission.CLIENT_CHANGE_STATUS: "Change a client's status (with a reason where required)",
    Permission.CLIENT_ASSIGN: "Assign facilitators to a client",
    Permission.SCREENING_VIEW: "See safety screenings, findings and washout plans",
    Permission.SCREENING_EDIT: "Enter and update screening data before it is signed",
    Permission.SCREENING_SIGN: "Sign the eligibility decision and override findings",
    Permission.MEASURE_VIEW: "See measure scores, safety flags and progress charts",
    Permission.MEASURE_ENTER: "Enter any measure and send self-report links",
    Permission.MEASURE_RATE: "Enter clinician-rated measures as an independent rater",
    Permission.ALERT_ACKNOWLEDGE: "Acknowledge safety alerts with a note",
    Permission.COURSE_VIEW: "See treatment courses and visit schedules (raters: assessments)",
    Permission.COURSE_MANAGE: "Enrol, reschedule, record missed visits, withdraw",
    Permission.NOTE_VIEW: "Read preparation and integration session notes",
    Permission.NOTE_WRITE: "Write, sign and add addenda to session notes",
    Permission.GATE_OVERRIDE: "Override an unmet dosing precondition with a reason",
    Permission.SESSION_VIEW: "See dosing-session records",
    Permission.SESSION_RECORD: "Record dosing sessions: presence, doses, vitals, discharge",
    Permission.ADVERSE_EVENT_VIEW: "See adverse events and their reporting clocks",
    Permission.ADVERSE_EVENT_RECORD: "Record and follow up adverse events",
    Permission.CONCERN_REPORT: "File a confidential concern report",
    Permission.CONCERN_VIEW: "Read confidential concern reports",
    Permission.KNOWLEDGE_MANAGE: "Add licensed instruments and custom protocols",
    Permission.USER_MANAGE: "Create users, set roles, disable accounts",
    Permission.SITE_MANAGE: "Create and configure sites",
    Permission.AUDIT_VIEW: "Read the audit trail",
    Permission.AUDIT_EXPORT: "Export the audit trail as CSV (itself audited)",
    Permission.ANALYTICS_VIEW: "See de-identified outcome analyses",
}

_P = Permission
_CLINICIAN = {
    _P.CLIENT_LIST,
    _P.CLIENT_VIEW_IDENTIFYING,
    _P.CLIENT_VIEW_CLINICAL,
    _P.CLIENT_CREATE,
    _P.CLIENT_EDIT,
    _P.CLIENT_CHANGE_STATUS,
    _P.SCREENING_VIEW,
    _P.SCREENING_EDIT,
    _P.MEASURE_VIEW,
    _P.MEASURE_ENTER,
    _P.ALERT_ACKNOWLEDGE,
    _P.COURSE_VIEW,
    _P.COURSE_MANAGE,
    _P.NOTE_VIEW,
    _P.NOTE_WRITE,
    _P.SESSION_VIEW,
    _P.SESSION_RECORD,
    _P.ADVERSE_EVENT_VIEW,
    _P.ADVERSE_EVENT_RECORD,
    _P.CONCERN_REPORT,
}
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # Program admins run the program; they do not read therapy notes or session records.
    Role.ADMIN: frozenset(
        {
            _P.CLIENT_LIST,
            _P.CLIENT_VIEW_IDENTIFYING,
            _P.CLIENT_VIEW_CLINICAL,
            _P.CLIENT_CREATE,
            _P.CLIENT_EDIT,
            _P.CLIENT_CHANGE_STATUS,
            _P.CLIENT_ASSIGN,
            _P.SCREENING_VIEW,
            _P.MEASURE_VIEW,
            _P.COURSE_VIEW,
            _P.COURSE_MANAGE,
            _P.ADVERSE_EVENT_VIEW,
            _P.CONCERN_REPORT,
            _P.CONCERN_VIEW,
            _P.KNOWLEDGE_MANAGE,
            _P.USER_MANAGE,
            _P.SITE_MANAGE,
            _P.AUDIT_VIEW,
            _P.AUDIT_EXPORT,
            _P.ANALYTICS_VIEW,
        }
    ),
    Role.FACILITATOR: frozenset(_CLINICIAN),
    Role.MEDICAL: frozenset(
        _CLINICIAN
        | {
            _P.CLIENT_ASSIGN,
            _P.SCREENING_SIGN,
            _P.MEASURE_RATE,
            _P.GATE_OVERRIDE,
            _P.CONCERN_VIEW,
            _P.ANALYTICS_VIEW,
        }
    ),
    # A blinded rater schedules and rates assessments: who and how to reach them, when the
    # assessments are due, and the rated measures; never doses, arms, notes or session records.
    Role.RATER: frozenset(
        {
            _P.CLIENT_LIST,
            _P.CLIENT_VIEW_IDENTIFYING,
            _P.COURSE_VIEW,
            _P.MEASURE_RATE,
            _P.CONCERN_REPORT,
        }
    ),
    Role.ANALYST: frozenset({_P.CLIENT_LIST, _P.ANALYTICS_VIEW, _P.CONCERN_REPORT}),
}


def permissions_for(roles: Iterable[Role]) -> frozenset[Permission]:
    out: set[Permission] = set()
    for role in roles:
        out |= ROLE_PERMISSIONS[role]
    return frozenset(out)


def sites_with(roles_by_site: Mapping[int, Iterable[Role]], permission: Permission) -> set[int]:
    """The sites at which a user holds ``permission``."""
    return {
        site_id for site_id, roles in roles_by_site.items() if permission in permissions_for(roles)
    }
