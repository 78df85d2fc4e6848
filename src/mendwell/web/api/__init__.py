"""The JSON API under /api/v1."""

from mendwell.web.api import accounts, audit, clients, measures

ROUTERS = [clients.router, accounts.router, audit.router, measures.router]
