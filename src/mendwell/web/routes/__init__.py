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
    health,
    measures,
    outcomes,
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
    course_notes.router,
    caseload.router,
    protocols.router,
    measures.router,
    self_report.router,
    outcomes.router,
]
