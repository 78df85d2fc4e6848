"""HTML pages."""

from mendwell.web.routes import (
    account,
    admin,
    adverse_events,
    auth,
    clients,
    concerns,
    dashboard,
    health,
    screening,
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
]
