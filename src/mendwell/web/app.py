"""The FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from mendwell import __version__
from mendwell.actions.context import install_write_guard
from mendwell.clock import Clock
from mendwell.security.keys import load_audit_key
from mendwell.settings import Settings, get_settings
from mendwell.store.db import make_engine, make_sessionmaker
from mendwell.web import api, routes
from mendwell.web.errors import install_error_handlers
from mendwell.web.headers import SecurityHeadersMiddleware
from mendwell.web.templating import STATIC_DIR


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    clock: Clock | None = None,
    audit_key: bytes | None = None,
) -> FastAPI:
    """Build the app. Tests pass their own engine, clock and key; production reads settings."""
    settings = settings or get_settings()
    engine = engine or make_engine(settings.effective_database_url)
    factory = make_sessionmaker(engine)
    install_write_guard(factory)

    app = FastAPI(
        title="Mendwell",
        version=__version__,
        summary="Clinical records for psychedelic-assisted therapy programs.",
        description="JSON API. Authenticate with a personal API token "
        "(`Authorization: Bearer mw_…`), created on your account page; it carries your "
        "own permissions.",
        docs_url=None,  # the hosted Swagger/ReDoc pages load scripts from a CDN
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = factory
    app.state.clock = clock or Clock()
    app.state.audit_key = audit_key or load_audit_key(settings)

    app.add_middleware(SecurityHeadersMiddleware)
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in (*routes.ROUTERS, *api.ROUTERS):
        app.include_router(router)
    return app
