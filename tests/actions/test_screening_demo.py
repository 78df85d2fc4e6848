"""The demo's screenings match each client's stage."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from mendwell.bootstrap import open_database
from mendwell.demo import build_demo
from mendwell.queries.screening import latest_signed_screening, signature_intact
from mendwell.settings import load_settings
from mendwell.store import migrate
from mendwell.store.models import Client, Screening, ScreeningSignature

# (decision in force, drafts) by client status; every later stage passed an eligible screening.
EXPECTED = {"referred": (None, 0), "screening": (None, 1), "ineligible": ("ineligible", 0)}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_demo_screenings_are_consistent_with_each_stage(
    fresh_url: str, tmp_path: Path, backend: str
) -> None:
    settings = load_settings(database_url=fresh_url, data_dir=tmp_path, audit_key="demo-test")
    database = open_database(settings)
    migrate.upgrade(database.engine)
    summary = build_demo(database, today=date(2026, 6, 1))
    assert summary.counts["signed screenings"] > 30
    with database.sessionmaker() as db:
        washouts = 0
        for client in db.scalars(select(Client)):
            signed = latest_signed_screening(db, client.id)
            drafts = db.scalars(
                select(Screening).where(
                    Screening.client_id == client.id, Screening.status == "draft"
                )
            ).all()
            got = (signed.decision.value if signed else None, len(drafts))
            assert got == EXPECTED.get(client.status, ("eligible", 0)), client.code
            washouts += bool(signed and signed.washout)
        assert washouts >= 3  # some were tapering an SSRI
        assert all(signature_intact(s) for s in db.scalars(select(ScreeningSignature)))
        superseded = db.scalars(select(Screening).where(Screening.status == "superseded")).all()
        assert superseded
        # A deferral screened again, or an eligible MDMA screening followed by a screening for
        # the psilocybin programme (treatment-course demo).
        for s in superseded:
            later = db.get(Screening, s.superseded_by_id)
            assert later is not None
            assert s.decision == "deferred" or (
                s.decision == "eligible" and later.current.substance != s.current.substance
            ), s.id
    database.engine.dispose()
