"""Liveness and database status."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from mendwell import __version__
from mendwell.web.access import open_route

router = APIRouter(tags=["health"])


@router.get("/healthz", dependencies=[open_route])
def healthz(request: Request) -> JSONResponse:
    """200 with the database status; 503 when the database does not answer."""
    engine = request.app.state.engine
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError:
        database = "unavailable"
    status = 200 if database == "ok" else 503
    return JSONResponse(
        {
            "status": "ok" if status == 200 else "degraded",
            "database": database,
            "backend": engine.dialect.name,
            "version": __version__,
        },
        status_code=status,
    )
