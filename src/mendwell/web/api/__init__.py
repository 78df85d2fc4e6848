"""The JSON API under /api/v1."""

from mendwell.web.api import accounts, adverse_events, audit, clients, screening

ROUTERS = [
    clients.router,
    screening.router,
    adverse_events.router,
    accounts.router,
    audit.router,
]
