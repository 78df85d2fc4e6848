"""Helpers for instrument tests: answer sets and edited copies of shipped instrument files."""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache
from typing import Any

import yaml

from mendwell.clinical.instruments import validate_instrument_text
from mendwell.clinical.instruments.registry import INSTRUMENT_DIR


def answers(prefix: str, count: int, value: int | None = 0, **overrides: int | None) -> dict:
    """Every item `<prefix>_01`..`<prefix>_NN` set to `value`; keyword overrides by item number.

    `answers("pcl5", 20, 0, n03=2)` sets pcl5_03 to 2.
    """
    out: dict[str, int | None] = {f"{prefix}_{n:02d}": value for n in range(1, count + 1)}
    for key, val in overrides.items():
        out[f"{prefix}_{key.removeprefix('n')}"] = val
    return out


def with_total(prefix: str, count: int, top: int, total: int) -> dict:
    """Answers adding up to `total`: items filled with `top` in order, then the remainder."""
    given: dict[str, int | None] = {}
    for n in range(1, count + 1):
        given[f"{prefix}_{n:02d}"] = min(top, total)
        total -= min(top, total)
    assert total == 0, "total is above the instrument's maximum"
    return given


@cache
def _raw(instrument_id: str) -> dict[str, Any]:
    return yaml.safe_load((INSTRUMENT_DIR / f"{instrument_id}.yaml").read_text(encoding="utf-8"))


def raw(instrument_id: str) -> dict[str, Any]:
    """A fresh copy of a shipped file's YAML data."""
    return copy.deepcopy(_raw(instrument_id))


def problems_after(instrument_id: str, edit: Callable[[dict[str, Any]], None]) -> list[str]:
    """Validate a shipped file after an edit (under a new id, as an admin upload would be)."""
    data = raw(instrument_id)
    data["id"] = f"{instrument_id}-edited"
    edit(data)
    instrument, problems = validate_instrument_text(yaml.safe_dump(data, allow_unicode=True))
    assert (instrument is None) == bool(problems)
    return problems
