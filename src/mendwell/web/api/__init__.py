"""The JSON API under /api/v1."""

from mendwell.web.api import accounts, audit, clients, screening

ROUTERS = [clients.router, screening.router, accounts.router, audit.router]
