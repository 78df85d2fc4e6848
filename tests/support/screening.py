"""Screening records and helpers for the storage, page and API tests."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mendwell.actions.auth import actor_for
from mendwell.actions.context import ActionContext
from mendwell.bootstrap import Database
from mendwell.store.db import transaction
from mendwell.store.models import AuditEvent, User
from support.world import TEST_START

_NONE_OF_THEM = {
    "psychosis": False,
    "bipolar_i": False,
    "bipolar_ii": False,
    "dissociative_identity_disorder": False,
    "eating_disorder_with_purging": False,
    "substance_use_disorder_current": False,
}

# Everything asked, nothing of note: no rule fires for MDMA (phase 3) or psilocybin (Oregon).
UNREMARKABLE: dict[str, Any] = {
    "medical_history": {
        "cardiovascular_disease": False,
        "hypertension": False,
        "arrhythmia": False,
        "qtc_prolongation": False,
        "stroke": False,
        "liver_disease": False,
        "seizures": False,
        "hyponatraemia": False,
        "hyperthermia": False,
    },
    "reproductive": {
        "pregnant": False,
        "breastfeeding": False,
        "can_become_pregnant": False,
    },
    "psychiatric_history": dict(_NONE_OF_THEM),
    "family_psychiatric_history": dict(_NONE_OF_THEM),
    "suicidality": {"current_ideation": False, "cssrs_triage": "none"},
    "vitals": {
        "systolic_bp_mmhg": 118,
        "diastolic_bp_mmhg": 76,
        "heart_rate_bpm": 68,
        "temperature_c": 36.7,
        "weight_kg": 72,
    },
    "ecg": {"qtc_ms": 412},
    "labs": {
        "alt": {"value": 24, "unit": "U/L"},
        "ast": {"value": 21, "unit": "U/L"},
        "bilirubin": {"value": 9, "unit": "µmol/L"},
        "sodium": {"value": 140, "unit": "mmol/L"},
    },
    "medications": [],
    "prior_psychedelic_use": False,
    "prior_mdma_use": False,
    "mushroom_allergy": False,
    "ptsd": {"diagnosis": True, "duration_months": 24, "caps5_total": 40},
    "oregon_cif": {
        "lithium_last_30_days": False,
        "current_healthcare_treatment": False,
        "mushroom_allergy_reaction": False,
        "medications_during_session": False,
        "needs_interpreter": False,
        "needs_physical_support_person": False,
        "needs_communication_support_person": False,
        "current_harm_thoughts": False,
        "history_of_harm": False,
    },
}


def record(**changes: Any) -> dict[str, Any]:
    """The unremarkable record with ``changes`` (``__`` nests: ``vitals__heart_rate_bpm``)."""
    data = copy.deepcopy(UNREMARKABLE)
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return data


def draft(
    substance: str = "mdma", protocol_id: str | None = "mdma-at-phase3", **extra: Any
) -> dict[str, Any]:
    """A draft payload (for the actions and the API)."""
    return {"substance": substance, "protocol_id": protocol_id, "record": record(), **extra}


@contextmanager
def acting(
    database: Database, user_id: int, now: datetime = TEST_START, ip: str = "testclient"
) -> Iterator[ActionContext]:
    """An action context for a user, committed at the end."""
    with transaction(database.sessionmaker) as db:
        user = db.get(User, user_id)
        assert user is not None
        yield ActionContext(db=db, actor=actor_for(user, ip), now=now, audit_key=database.audit_key)


def events(db: Session, **where: Any) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.seq)
    for key, value in where.items():
        query = query.where(getattr(AuditEvent, key) == value)
    return list(db.scalars(query))
