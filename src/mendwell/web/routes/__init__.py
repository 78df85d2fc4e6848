"""HTML pages."""

from mendwell.web.routes import account, admin, auth, clients, dashboard, health

ROUTERS = [
    health.router,
    auth.router,
    dashboard.router,
    clients.router,
    admin.router,
    account.router,
]
