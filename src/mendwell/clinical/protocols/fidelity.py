"""Therapy fidelity: which checklist items a preparation or integration note covered."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from mendwell.clinical.protocols.schema import FidelityItem, Protocol


@dataclass(frozen=True)
class FidelityResult:
    protocol_id: str
    protocol_version: str
    note_kind: str
    covered: tuple[str, ...]
    missing: tuple[FidelityItem, ...]

    @property
    def adherence(self) -> float | None:
        """Share of items covered (None when the protocol has no checklist for this note)."""
        total = len(self.covered) + len(self.missing)
        return None if total == 0 else len(self.covered) / total


def check_fidelity(
    protocol: Protocol,
    note_kind: Literal["preparation", "integration"],
    ticked: Mapping[str, bool],
) -> FidelityResult:
    """Compare a note's ticked items with the protocol's checklist; unknown item ids are errors."""
    items = getattr(protocol.fidelity, note_kind)
    ids = {i.id for i in items}
    unknown = sorted(set(ticked) - ids)
    if unknown:
        raise ValueError(f"ticked: unknown {note_kind} checklist item(s) {', '.join(unknown)}")
    covered = tuple(i.id for i in items if ticked.get(i.id, False))
    missing = tuple(i for i in items if not ticked.get(i.id, False))
    return FidelityResult(protocol.id, protocol.version, note_kind, covered, missing)
