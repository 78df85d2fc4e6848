"""HTML pages."""

from mendwell.web.routes import (
    account,
    admin,
    auth,
    caseload,
    clients,
    course_notes,
    courses,
    dashboard,
    health,
    protocols,
)

ROUTERS = [
    health.router,
    auth.router,
    dashboard.router,
    clients.router,
    admin.router,
    account.router,
    courses.router,
    course_notes.router,
    caseload.router,
    protocols.router,
]
