"""HTML pages."""

from mendwell.web.routes import (
    account,
    admin,
    auth,
    clients,
    dashboard,
    health,
    measures,
    self_report,
)

ROUTERS = [
    health.router,
    auth.router,
    dashboard.router,
    clients.router,
    admin.router,
    account.router,
    measures.router,
    self_report.router,
]
