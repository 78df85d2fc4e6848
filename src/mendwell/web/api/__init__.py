"""The JSON API under /api/v1."""

from mendwell.web.api import accounts, audit, clients, courses

ROUTERS = [clients.router, accounts.router, audit.router, courses.router]
