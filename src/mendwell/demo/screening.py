"""Demo safety screenings that match each client's stage.

Clients past screening have a screening signed eligible by the medical monitor (a few with a
washout plan for an SSRI, one re-screened after a deferral); ineligible clients have one signed
ineligible for the reason in their status history; clients in screening have drafts, some
waiting for a signature. Site A screens for MDMA (phase 3 protocol), the Oregon site for
psilocybin at a service centre.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from mendwell.actions import screening as screening_actions
from mendwell.clinical.registry import ClientStatus
from mendwell.demo.builder import DEMO_PASSWORD, DemoClient, DemoContext, demo_step
from mendwell.schemas.common import parse
from mendwell.schemas.screening import ScreeningInput, ScreeningUpdate, SignatureInput
from mendwell.store.models import Client

MEDICAL = "mara"
_NO = dict.fromkeys(
    (
        "psychosis",
        "bipolar_i",
        "bipolar_ii",
        "dissociative_identity_disorder",
        "eating_disorder_with_purging",
        "substance_use_disorder_current",
    ),
    False,
)
_CIF_NO = dict.fromkeys(
    (
        "lithium_last_30_days",
        "current_healthcare_treatment",
        "mushroom_allergy_reaction",
        "medications_during_session",
        "needs_interpreter",
        "needs_physical_support_person",
        "needs_communication_support_person",
        "current_harm_thoughts",
        "history_of_harm",
    ),
    False,
)
TAPER = "Taper agreed with the prescriber; no dosing before the washout date."


def _config(demo: DemoClient) -> dict[str, Any]:
    if demo.site_key == "B":
        return {"substance": "psilocybin", "protocol_id": "oregon-service-centre"}
    return {"substance": "mdma", "protocol_id": "mdma-at-phase3"}


def _record(ctx: DemoContext, client: Client) -> dict[str, Any]:
    """A complete record with nothing of note, varied within normal ranges."""
    rng = ctx.rng
    systolic = rng.randint(104, 134)
    female = client.sex_at_birth == "female"
    return {
        "medical_history": dict.fromkeys(
            (
                "cardiovascular_disease",
                "hypertension",
                "arrhythmia",
                "qtc_prolongation",
                "stroke",
                "liver_disease",
                "seizures",
                "hyponatraemia",
                "hyperthermia",
            ),
            False,
        ),
        "reproductive": {
            "pregnant": False,
            "breastfeeding": False,
            "can_become_pregnant": female,
            "contraception": True if female else None,
        },
        "psychiatric_history": dict(_NO),
        "family_psychiatric_history": dict(_NO),
        "suicidality": {"current_ideation": False, "cssrs_triage": "none"},
        "vitals": {
            "systolic_bp_mmhg": systolic,
            "diastolic_bp_mmhg": rng.randint(62, min(86, systolic - 30)),
            "heart_rate_bpm": rng.randint(56, 90),
            "temperature_c": round(rng.uniform(36.3, 37.1), 1),
            "weight_kg": round(rng.uniform(52, 104), 1),
        },
        "ecg": {"qtc_ms": rng.randint(388, 438)},
        "labs": {
            "alt": {"value": rng.randint(12, 45), "unit": "U/L"},
            "ast": {"value": rng.randint(12, 40), "unit": "U/L"},
            "bilirubin": {"value": rng.randint(4, 18), "unit": "µmol/L"},
            "sodium": {"value": rng.randint(136, 144), "unit": "mmol/L"},
        },
        "medications": [],
        "prior_psychedelic_use": client.prior_psychedelic_use in ("psychedelics", "both"),
        "prior_mdma_use": client.prior_psychedelic_use in ("mdma", "both"),
        "mushroom_allergy": False,
        "ptsd": {
            "diagnosis": True,
            "duration_months": rng.randint(14, 240),
            "caps5_total": rng.randint(38, 58),
        },
        "oregon_cif": dict(_CIF_NO),
    }


def _status_day(client: Client, status: ClientStatus) -> date | None:
    for change in client.status_history:
        if change.to_status == status:
            return change.effective_date
    return None


def _start(
    ctx: DemoContext, demo: DemoClient, day: date, record: dict[str, Any], **config: Any
) -> int:
    settings = ctx.database.settings
    data = parse(ScreeningInput, {**_config(demo), **config, "record": record})
    who = ctx.as_user(demo.facilitator, ctx.at(day, 10))
    return screening_actions.start_screening(who, settings, demo.client_id, data).id


def _sign(
    ctx: DemoContext,
    demo: DemoClient,
    screening_id: int,
    day: date,
    decision: str,
    *,
    overrides: list[dict[str, str]] | None = None,
    comment: str | None = None,
) -> None:
    data = parse(
        SignatureInput,
        {
            "version": 1,
            "decision": decision,
            "password": DEMO_PASSWORD,
            "overrides": overrides or [],
            "comment": comment,
        },
    )
    who = ctx.as_user(MEDICAL, ctx.at(day, 15))
    screening_actions.sign_screening(who, ctx.database.settings, demo.client_id, screening_id, data)


def _ssri_plan(ctx: DemoContext, demo: DemoClient, record: dict[str, Any], day: date) -> list:  # type: ignore[type-arg]
    """An SSRI to stop a week after screening, and the overrides that accept its taper."""
    name, generic = ctx.rng.choice((("Zoloft", "sertraline"), ("Paxil", "paroxetine")))
    record["medications"] = [
        {
            "name": name,
            "dose": "50 mg daily" if generic == "sertraline" else "20 mg daily",
            "start_date": (day - timedelta(days=700)).isoformat(),
            "last_dose_date": (day + timedelta(days=7)).isoformat(),
        }
    ]
    if demo.site_key == "B":
        return [
            {"finding_id": f"psilocybin.serotonergic_antidepressant:{generic}", "reason": TAPER}
        ]
    return [
        {"finding_id": f"mdma.ssri:{generic}", "reason": TAPER},
        {"finding_id": f"mdma-at-phase3.psychiatric_medication_taper:{generic}", "reason": TAPER},
    ]


def _eligible(ctx: DemoContext, demo: DemoClient, client: Client, n: int) -> None:
    started = _status_day(client, ClientStatus.SCREENING) or demo.referred_on
    decided = _status_day(client, ClientStatus.ELIGIBLE) or started
    record = _record(ctx, client)
    start = started
    if n == 1:
        # Deferred at the first visit (raised blood pressure), eligible at the second.
        first = _record(ctx, client)
        first["vitals"] = {**first["vitals"], "systolic_bp_mmhg": 152, "diastolic_bp_mmhg": 94}
        screening_id = _start(ctx, demo, started, first)
        comment = "Blood pressure raised at the first visit; repeat readings in a week."
        _sign(ctx, demo, screening_id, started + timedelta(days=1), "deferred", comment=comment)
        start = started + timedelta(days=2)
    overrides = _ssri_plan(ctx, demo, record, start) if n % 4 == 0 else []
    screening_id = _start(ctx, demo, start, record)
    _sign(ctx, demo, screening_id, max(decided, start), "eligible", overrides=overrides)


_INELIGIBLE_FINDINGS = {
    "Bipolar I disorder history": {"psychiatric_history": {**_NO, "bipolar_i": True}},
    "Uncontrolled hypertension": {
        "medical_history": {"hypertension": True, "hypertension_controlled": False},
        "vitals": {"systolic_bp_mmhg": 164, "diastolic_bp_mmhg": 99},
    },
}


def _ineligible(ctx: DemoContext, demo: DemoClient, client: Client) -> None:
    started = _status_day(client, ClientStatus.SCREENING) or demo.referred_on
    decided = _status_day(client, ClientStatus.INELIGIBLE) or started
    reason = (
        next(
            (c.reason for c in client.status_history if c.to_status == ClientStatus.INELIGIBLE),
            None,
        )
        or "Bipolar I disorder history"
    )
    record = _record(ctx, client)
    for part, values in _INELIGIBLE_FINDINGS.get(reason, {}).items():
        record[part] = {**record[part], **values}
    if reason.startswith("Lithium"):
        record["medications"] = [
            {
                "name": "lithium carbonate",
                "dose": "600 mg daily",
                "last_dose_date": (started - timedelta(days=9)).isoformat(),
            }
        ]
        record["oregon_cif"] = {**record["oregon_cif"], "lithium_last_30_days": True}
    screening_id = _start(ctx, demo, started, record)
    _sign(ctx, demo, screening_id, max(decided, started), "ineligible", comment=reason)


def _draft(ctx: DemoContext, demo: DemoClient, client: Client, n: int) -> None:
    started = _status_day(client, ClientStatus.SCREENING) or demo.referred_on
    record = _record(ctx, client)
    kind = n % 4
    if kind == 0:
        # Only the medical history so far; everything else is still to be asked.
        partial = {"medical_history": record["medical_history"]}
        screening_id = _start(ctx, demo, started, partial)
        more = {**partial, "reproductive": record["reproductive"], "vitals": record["vitals"]}
        data = parse(ScreeningUpdate, {**_config(demo), "based_on_version": 1, "record": more})
        who = ctx.as_user(demo.facilitator, ctx.at(started + timedelta(days=2), 14))
        screening_actions.save_screening(
            who, ctx.database.settings, demo.client_id, screening_id, data
        )
        return
    if kind == 1:
        _ssri_plan(ctx, demo, record, started)
    elif kind == 2:
        record["medical_history"] = {
            **record["medical_history"],
            "hypertension": True,
            "hypertension_controlled": True,
        }
        record["medications"] = [{"name": "amlodipine", "dose": "5 mg daily"}]
    _start(ctx, demo, started, record)


@demo_step
def screenings(ctx: DemoContext) -> None:
    """Screenings for every client past referral, consistent with their stage."""
    counts = {"signed": 0, "drafts": 0}
    seen: dict[str, int] = {}
    for demo in ctx.clients:
        client = ctx.client(demo)
        n = seen.get(demo.stage, 0)
        seen[demo.stage] = n + 1
        if demo.stage == ClientStatus.REFERRED:
            continue
        if demo.stage == ClientStatus.SCREENING:
            _draft(ctx, demo, client, n)
            counts["drafts"] += 1
        elif demo.stage == ClientStatus.INELIGIBLE:
            _ineligible(ctx, demo, client)
            counts["signed"] += 1
        else:
            _eligible(ctx, demo, client, n)
            counts["signed"] += 1
    ctx.counts["signed screenings"] = counts["signed"]
    ctx.counts["draft screenings"] = counts["drafts"]


def sign_eligible(ctx: DemoContext, demo: DemoClient, day: date, **config: Any) -> None:
    """A screening with nothing of note for ``config`` (substance, protocol), signed eligible."""
    screening_id = _start(ctx, demo, day, _record(ctx, ctx.client(demo)), **config)
    _sign(ctx, demo, screening_id, day, "eligible")
