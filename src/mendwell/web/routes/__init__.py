"""HTML pages."""

from mendwell.web.routes import (
    account,
    admin,
    adverse_events,
    auth,
    caseload,
    clients,
    concerns,
    course_notes,
    courses,
    dashboard,
    dosing_sessions,
    health,
    measures,
    protocols,
    screening,
    self_report,
)

ROUTERS = [
    health.router,
    auth.router,
    dashboard.router,
    clients.router,
    screening.router,
    adverse_events.router,
    concerns.router,
    admin.router,
    account.router,
    courses.router,
    dosing_sessions.router,
    course_notes.router,
    caseload.router,
    protocols.router,
    measures.router,
    self_report.router,
]
