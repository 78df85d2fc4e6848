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
    measures,
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
    measures.router,
    self_report.router,
]
