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
    Permission.USER_MANAGE: "Create users, set roles, disable accounts",
    Permission.SITE_MANAGE: "Create and configure sites",
    Permission.AUDIT_VIEW: "Read the audit trail",
    Permission.AUDIT_EXPORT: "Export the audit trail as CSV (itself audited)",
    Permission.ANALYTICS_VIEW: "See de-identified outcome analyses",
}

_P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(
        {
            _P.CLIENT_LIST,
            _P.CLIENT_VIEW_IDENTIFYING,
            _P.CLIENT_VIEW_CLINICAL,
            _P.CLIENT_CREATE,
            _P.CLIENT_EDIT,
            _P.CLIENT_CHANGE_STATUS,
            _P.CLIENT_ASSIGN,
            _P.USER_MANAGE,
            _P.SITE_MANAGE,
            _P.AUDIT_VIEW,
            _P.AUDIT_EXPORT,
            _P.ANALYTICS_VIEW,
        }
    ),
    Role.FACILITATOR: frozenset(
        {
            _P.CLIENT_LIST,
            _P.CLIENT_VIEW_IDENTIFYING,
            _P.CLIENT_VIEW_CLINICAL,
            _P.CLIENT_CREATE,
            _P.CLIENT_EDIT,
            _P.CLIENT_CHANGE_STATUS,
        }
    ),
    Role.MEDICAL: frozenset(
        {
            _P.CLIENT_LIST,
            _P.CLIENT_VIEW_IDENTIFYING,
            _P.CLIENT_VIEW_CLINICAL,
            _P.CLIENT_CREATE,
            _P.CLIENT_EDIT,
            _P.CLIENT_CHANGE_STATUS,
            _P.CLIENT_ASSIGN,
            _P.ANALYTICS_VIEW,
        }
    ),
    # A rater schedules and rates assessments: who and how to reach them, nothing clinical.
    Role.RATER: frozenset({_P.CLIENT_LIST, _P.CLIENT_VIEW_IDENTIFYING}),
    Role.ANALYST: frozenset({_P.CLIENT_LIST, _P.ANALYTICS_VIEW}),
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
