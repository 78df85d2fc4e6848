"""Registry of knowledge kinds, so `mendwell knowledge check` validates every file of every kind.

Each domain module declares its kind with :func:`knowledge_kind`; the module is listed in
``DOMAIN_MODULES`` so that checking imports it. A kind validates one file and raises
:class:`~mendwell.knowledge.sources.KnowledgeFileError` (or a pydantic ``ValidationError``) on a
problem; it may also check the whole set (cross-file references) in ``check_set``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from mendwell.knowledge.sources import KNOWLEDGE_DIR, KnowledgeFileError

# Modules that register a knowledge kind. Add yours here.
DOMAIN_MODULES: list[str] = [
    "mendwell.clinical.protocols.schema",
    "mendwell.clinical.sessions.doses",
    "mendwell.clinical.sessions.observations",
    "mendwell.clinical.sessions.jurisdiction",
    "mendwell.clinical.sessions.adverse_events",
    "mendwell.clinical.screening.medications",
    "mendwell.clinical.screening.rules",
    "mendwell.clinical.instruments.registry",
]


@dataclass(frozen=True)
class KnowledgeKind:
    name: str
    directory: str
    description: str
    validate_file: Callable[[Path], object]
    check_set: Callable[[list[object]], list[str]] | None = None
    pattern: str = "*.yaml"


_KINDS: dict[str, KnowledgeKind] = {}


def knowledge_kind(kind: KnowledgeKind) -> KnowledgeKind:
    """Register a kind (idempotent for the same name)."""
    _KINDS[kind.name] = kind
    return kind


def kinds() -> list[KnowledgeKind]:
    for module in DOMAIN_MODULES:
        importlib.import_module(module)
    return sorted(_KINDS.values(), key=lambda k: k.name)


@dataclass
class CheckReport:
    files_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def describe_error(path: Path, exc: Exception) -> str:
    """One readable line per problem, naming the file and the field."""
    if isinstance(exc, ValidationError):
        parts = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "(file)"
            parts.append(f"{path}: {loc}: {err['msg']}")
        return "\n".join(parts)
    if isinstance(exc, KnowledgeFileError):
        return str(exc)
    return f"{path}: {exc}"


def check_files(kind: KnowledgeKind, paths: Iterable[Path]) -> CheckReport:
    report = CheckReport()
    loaded: list[object] = []
    for path in sorted(paths):
        report.files_checked += 1
        try:
            loaded.append(kind.validate_file(path))
        except (ValidationError, KnowledgeFileError, ValueError) as exc:
            report.problems.append(describe_error(path, exc))
    if kind.check_set is not None and loaded:
        report.problems.extend(kind.check_set(loaded))
    return report


def check_all(root: Path = KNOWLEDGE_DIR) -> CheckReport:
    """Validate every shipped knowledge file of every registered kind."""
    total = CheckReport()
    for kind in kinds():
        sub = check_files(kind, (root / kind.directory).rglob(kind.pattern))
        total.files_checked += sub.files_checked
        total.problems.extend(sub.problems)
    return total
