"""Health check and the published API schema."""

from __future__ import annotations

from support.web import Browser


def test_healthz_reports_the_database(app, backend: str) -> None:  # type: ignore[no-untyped-def]
    response = Browser(app).get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response.json()["backend"] == backend


def test_healthz_answers_503_when_the_database_is_down(settings) -> None:  # type: ignore[no-untyped-def]
    from mendwell.store.db import make_engine
    from mendwell.web.app import create_app
    from support.world import AUDIT_KEY

    broken = make_engine(
        "postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1}
    )
    app = create_app(settings, engine=broken, audit_key=AUDIT_KEY)
    response = Browser(app).get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


def test_openapi_lists_the_json_api_and_no_pages(app) -> None:  # type: ignore[no-untyped-def]
    schema = Browser(app).get("/openapi.json").json()
    paths = set(schema["paths"])
    assert {
        "/api/v1/clients",
        "/api/v1/clients/{client_id}",
        "/api/v1/users",
        "/api/v1/sites",
        "/api/v1/audit",
        "/healthz",
    } <= paths
    assert not any(p.startswith(("/admin", "/clients", "/login")) for p in paths)
