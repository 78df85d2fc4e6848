"""Answers for the shipped instruments and helpers for the measure and self-report pages."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from mendwell.store.models import AuditEvent

LINK = re.compile(r'value="(https?://[^"]+/r/([A-Za-z0-9_-]+))"')
FORM_TOKEN = re.compile(r'name="form_token" value="([0-9a-f]+)"')


def answers(prefix: str, count: int, value: int = 1, **overrides: int | None) -> dict[str, Any]:
    """``count`` items ``<prefix>_01``… all answered ``value``, with some answers replaced."""
    out: dict[str, Any] = {f"{prefix}_{n:02d}": value for n in range(1, count + 1)}
    out.update(overrides)
    return out


def pcl5(value: int = 2, **overrides: int | None) -> dict[str, Any]:
    return answers("pcl5", 20, value, **overrides)


def phq9(value: int = 1, item9: int = 0, **overrides: int | None) -> dict[str, Any]:
    return answers("phq9", 9, value, phq9_09=item9, **overrides)


def gad7(value: int = 1) -> dict[str, Any]:
    return answers("gad7", 7, value)


def count(database, model, **where: Any) -> int:  # type: ignore[no-untyped-def]
    with database.sessionmaker() as db:
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return int(db.scalar(query) or 0)


def rows(database, model, **where: Any) -> list[Any]:  # type: ignore[no-untyped-def]
    with database.sessionmaker() as db:
        query = select(model).order_by(model.id)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return list(db.scalars(query))


def events(database, **where: Any) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with database.sessionmaker() as db:
        query = select(AuditEvent).order_by(AuditEvent.seq)
        for key, value in where.items():
            query = query.where(getattr(AuditEvent, key) == value)
        return list(db.scalars(query))


def entered(api, client_id: int, instrument_id: str, given: dict, kind: str = "measures") -> dict:  # type: ignore[no-untyped-def, type-arg]
    """Enter a measure over the API (``kind`` "ratings" for an independent rater's entry)."""
    response = api.post(
        f"/api/v1/clients/{client_id}/{kind}",
        json={"instrument_id": instrument_id, "answers": given},
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def prefixed(instrument_id: str, given: dict[str, Any]) -> dict[str, Any]:
    """Answers as the self-report form names its fields (``<instrument>.<item>``)."""
    return {f"{instrument_id}.{k}": v for k, v in given.items()}
