"""Fixtures for dosing-session tests."""

from __future__ import annotations

import pytest

from support.courses import ScreeningDesk, medical_at_site_b


@pytest.fixture
def screenings(database, world, settings) -> ScreeningDesk:  # type: ignore[no-untyped-def]
    """Signs screenings with the screening module's actions (a medical reviewer at both sites)."""
    medical_at_site_b(database, world)
    return ScreeningDesk(database, world, settings)
