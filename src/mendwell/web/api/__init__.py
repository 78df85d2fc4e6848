"""The JSON API under /api/v1."""

from mendwell.web.api import (
    accounts,
    adverse_events,
    audit,
    clients,
    courses,
    dosing_sessions,
    measures,
    screening,
)

ROUTERS = [
    clients.router,
    screening.router,
    measures.router,
    adverse_events.router,
    courses.router,
    dosing_sessions.router,
    accounts.router,
    audit.router,
]
