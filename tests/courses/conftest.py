"""Fixtures for treatment-course tests."""

from __future__ import annotations

import pytest

from mendwell.queries import course_facts
from support.courses import ScreeningDesk


@pytest.fixture
def screenings(monkeypatch: pytest.MonkeyPatch) -> ScreeningDesk:
    """Signed screening decisions, read by courses through their screening seam."""
    desk = ScreeningDesk()
    monkeypatch.setattr(course_facts, "screening_facts", desk.facts)
    return desk
