"""The JSON API under /api/v1."""

from mendwell.web.api import (
    accounts,
    adverse_events,
    audit,
    clients,
    courses,
    measures,
    screening,
)

ROUTERS = [
    clients.router,
    screening.router,
    measures.router,
    adverse_events.router,
    courses.router,
    accounts.router,
    audit.router,
]
