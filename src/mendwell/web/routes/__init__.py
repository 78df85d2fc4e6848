"""HTML pages."""

from mendwell.web.routes import account, admin, auth, clients, dashboard, health, screening

ROUTERS = [
    health.router,
    auth.router,
    dashboard.router,
    clients.router,
    screening.router,
    admin.router,
    account.router,
]
