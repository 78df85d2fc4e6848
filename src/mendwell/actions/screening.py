"""Safety screenings: start a draft, save new versions, sign the decision (21 CFR 11.50/11.200).

Every save of a draft is a new immutable version. Signing re-asks for the signer's password,
records the meaning of the signature and a SHA-256 of the signed content, stores the washout
plan, locks the screening, supersedes the client's earlier signed screening and moves the
client's status through :func:`mendwell.actions.clients.change_status`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from mendwell.actions import audit
from mendwell.actions.auth import is_throttled
from mendwell.actions.clients import change_status, changes_since
from mendwell.actions.context import ActionContext, writes_allowed
from mendwell.actions.errors import Conflict, FieldError, InvalidInput, Refused
from mendwell.clinical.registry import ClientStatus
from mendwell.clinical.screening import (
    Evaluation,
    FindingStatus,
    Override,
    RecordValidationError,
    ScreeningConfigurationError,
    ScreeningRecord,
    ScreeningSettings,
    Severity,
    UnknownFindingError,
    apply_overrides,
    default_knowledge,
    evaluate,
    parse_record,
)
from mendwell.permissions import Permission
from mendwell.queries.scope import get_visible_client
from mendwell.queries.screening import signed_content, visible_screening
from mendwell.queries.site_calendar import site_today
from mendwell.schemas.clients import StatusChange
from mendwell.schemas.screening import (
    NO_JURISDICTION,
    SITE_JURISDICTION,
    Decision,
    ScreeningInput,
    ScreeningStatus,
    ScreeningUpdate,
    SignatureInput,
    meaning_of,
)
from mendwell.security.passwords import verify_password
from mendwell.settings import Settings
from mendwell.store.models import (
    Client,
    LoginAttempt,
    Screening,
    ScreeningSignature,
    ScreeningVersion,
    ScreeningWashout,
    Site,
    User,
)

ENTITY = "screening"
# A signed decision moves the client's status only while they are still being screened.
_SCREENING_STAGES = {
    ClientStatus.REFERRED,
    ClientStatus.SCREENING,
    ClientStatus.ELIGIBLE,
    ClientStatus.INELIGIBLE,
}
_STATUS_FOR = {
    Decision.ELIGIBLE: ClientStatus.ELIGIBLE,
    Decision.INELIGIBLE: ClientStatus.INELIGIBLE,
}


class ReauthenticationFailed(InvalidInput):
    """The password given to sign was wrong (or attempts are throttled).

    The failure is recorded in the audit trail before this is raised, so callers must commit,
    not roll back, the transaction.
    """

    def __init__(self, message: str) -> None:
        super().__init__([FieldError(("password",), message)])


@dataclass(frozen=True)
class Evaluated:
    """A validated record and its evaluation."""

    record: ScreeningRecord
    evaluation: Evaluation


def resolve_jurisdiction(choice: str, site_jurisdiction: str | None) -> str | None:
    """The jurisdiction to evaluate for: the site's (if it has eligibility rules), none, or one."""
    if choice == NO_JURISDICTION:
        return None
    if choice == SITE_JURISDICTION:
        known = default_knowledge().jurisdictions()
        return site_jurisdiction if site_jurisdiction in known else None
    return choice


def evaluate_input(
    data: ScreeningInput,
    *,
    date_of_birth: date | None,
    site_jurisdiction: str | None,
    today: date,
    settings: ScreeningSettings,
) -> Evaluated:
    """Validate and evaluate a draft; nothing is stored. Errors name the field (``record.…``)."""
    raw = dict(data.record)
    if date_of_birth is not None:
        raw.pop("age_years", None)
        raw["date_of_birth"] = date_of_birth.isoformat()
    try:
        record = parse_record(raw)
    except RecordValidationError as exc:
        raise InvalidInput(
            [FieldError(("record", *_path(e.field)), e.message) for e in exc.errors]
        ) from None
    try:
        evaluation = evaluate(
            record,
            substance=data.substance,
            protocol_id=data.protocol_id,
            jurisdiction=resolve_jurisdiction(data.jurisdiction, site_jurisdiction),
            today=today,
            settings=settings,
            proposed_stop_date=data.proposed_stop_date,
        )
    except ScreeningConfigurationError as exc:
        raise InvalidInput.single(exc.field, exc.message) from None
    return Evaluated(record, evaluation)


def _path(dotted: str) -> tuple[str | int, ...]:
    return tuple(int(p) if p.isdigit() else p for p in dotted.split("."))


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested data as ``{"vitals.systolic_bp_mmhg": 118, "medications.0.name": ...}``."""
    if isinstance(data, Mapping):
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(flatten(value, f"{prefix}{key}."))
        return out
    if isinstance(data, list | tuple):
        out = {}
        for i, value in enumerate(data):
            out.update(flatten(value, f"{prefix}{i}."))
        return out or {prefix.rstrip("."): []}
    return {prefix.rstrip("."): data}


def _state(
    substance: str,
    protocol_id: str | None,
    jurisdiction_choice: str,
    proposed_stop_date: date | None,
    record: Mapping[str, Any],
) -> dict[str, Any]:
    """The audited, comparable content of a version."""
    return {
        "substance": substance,
        "protocol_id": protocol_id,
        "jurisdiction": jurisdiction_choice,
        "proposed_stop_date": proposed_stop_date,
        **{f"record.{k}": v for k, v in flatten(record).items()},
    }


def _version_state(version: ScreeningVersion) -> dict[str, Any]:
    return _state(
        version.substance,
        version.protocol_id,
        version.jurisdiction_choice,
        version.proposed_stop_date,
        version.record,
    )


def _new_version(
    ctx: ActionContext,
    screening: Screening,
    number: int,
    data: ScreeningInput,
    evaluated: Evaluated,
    site: Site,
) -> ScreeningVersion:
    version = ScreeningVersion(
        site_id=screening.site_id,
        client_id=screening.client_id,
        number=number,
        substance=data.substance.value,
        protocol_id=data.protocol_id,
        jurisdiction=evaluated.evaluation.jurisdiction,
        site_jurisdiction=site.jurisdiction,
        jurisdiction_choice=data.jurisdiction,
        proposed_stop_date=data.proposed_stop_date,
        record=evaluated.record.model_dump(mode="json"),
        as_of=evaluated.evaluation.as_of,
        outcome=evaluated.evaluation.outcome.value,
        evaluation=evaluated.evaluation.model_dump(mode="json"),
        created_at=ctx.now,
        created_by_id=ctx.actor.user_id,
    )
    screening.versions.append(version)
    return version


def open_draft(ctx: ActionContext, client_id: int) -> Screening | None:
    return ctx.db.scalar(
        select(Screening).where(
            Screening.client_id == client_id, Screening.status == ScreeningStatus.DRAFT
        )
    )


def _evaluate_for(
    client: Client, data: ScreeningInput, ctx: ActionContext, settings: Settings
) -> Evaluated:
    return evaluate_input(
        data,
        date_of_birth=client.date_of_birth,
        site_jurisdiction=client.site.jurisdiction,
        today=site_today(client.site, ctx.now),
        settings=settings.screening,
    )


def start_screening(
    ctx: ActionContext, settings: Settings, client_id: int, data: ScreeningInput
) -> Screening:
    """Start a screening (version 1). A referred client moves to 'screening'."""
    client = get_visible_client(ctx.db, ctx.actor, client_id)
    ctx.require(Permission.SCREENING_EDIT, client.site_id)
    draft = open_draft(ctx, client.id)
    if draft is not None:
        raise Refused(
            "A screening of this client is already in progress; continue it instead.",
            [f"screening {draft.id}"],
        )
    evaluated = _evaluate_for(client, data, ctx, settings)
    with writes_allowed(ctx.db):
        screening = Screening(
            site_id=client.site_id,
            client_id=client.id,
            status=ScreeningStatus.DRAFT,
            latest_version=1,
            created_at=ctx.now,
            created_by_id=ctx.actor.user_id,
            updated_at=ctx.now,
        )
        ctx.db.add(screening)
        version = _new_version(ctx, screening, 1, data, evaluated, client.site)
    changes = audit.diff(None, {"status": screening.status, **_version_state(version)})
    changes["version"] = [None, 1]
    audit.record(
        ctx,
        action="create",
        entity_type=ENTITY,
        entity_id=screening.id,
        site_id=client.site_id,
        client_id=client.id,
        changes=changes,
        detail={"outcome": version.outcome},
    )
    if client.status == ClientStatus.REFERRED:
        change_status(
            ctx,
            client.id,
            StatusChange(
                status=ClientStatus.SCREENING, reason=f"Safety screening {screening.id} started"
            ),
        )
    return screening


def _conflict(ctx: ActionContext, screening: Screening, expected: int) -> Conflict:
    return Conflict(
        ENTITY,
        screening.id,
        expected_version=expected,
        current_version=screening.latest_version,
        changed_since=changes_since(ctx, ENTITY, screening.id, expected),
    )


def _draft(
    ctx: ActionContext, client_id: int, screening_id: int, permission: Permission, version: int
) -> Screening:
    """A visible draft the actor may work on, at the version they saw (else Conflict)."""
    screening = visible_screening(ctx.db, ctx.actor, client_id, screening_id)
    ctx.require(permission, screening.site_id)
    if screening.status != ScreeningStatus.DRAFT:
        raise Refused(
            f"Screening {screening.id} is {screening.status} and locked. Start a new screening "
            "to record changes; once signed it supersedes this one.",
            [f"status: {screening.status}"],
        )
    if version != screening.latest_version:
        raise _conflict(ctx, screening, version)
    return screening


def save_screening(
    ctx: ActionContext,
    settings: Settings,
    client_id: int,
    screening_id: int,
    data: ScreeningUpdate,
) -> Screening:
    """Save a draft as a new version; earlier versions are kept. Unchanged data saves nothing."""
    screening = _draft(
        ctx, client_id, screening_id, Permission.SCREENING_EDIT, data.based_on_version
    )
    client = ctx.db.get(Client, screening.client_id)
    assert client is not None
    evaluated = _evaluate_for(client, data, ctx, settings)
    before = _version_state(screening.current)
    after = _state(
        data.substance.value,
        data.protocol_id,
        data.jurisdiction,
        data.proposed_stop_date,
        evaluated.record.model_dump(mode="json"),
    )
    if after == before:
        return screening
    number = screening.latest_version + 1
    try:
        with writes_allowed(ctx.db):
            version = _new_version(ctx, screening, number, data, evaluated, client.site)
            screening.latest_version = number
            screening.updated_at = ctx.now
    except StaleDataError:
        ctx.db.rollback()
        raise Conflict(
            ENTITY, screening_id, expected_version=number - 1, current_version=number
        ) from None
    changes = audit.diff(before, after)
    changes["version"] = [number - 1, number]
    audit.record(
        ctx,
        action="update",
        entity_type=ENTITY,
        entity_id=screening.id,
        site_id=screening.site_id,
        client_id=screening.client_id,
        changes=changes,
        detail={"outcome": version.outcome},
    )
    return screening


def _reauthenticate(
    ctx: ActionContext, settings: Settings, screening: Screening, password: str
) -> User:
    """Check the signer's password again (21 CFR 11.200(a)); a failure is audited and throttled."""
    user = ctx.db.get(User, ctx.actor.user_id) if ctx.actor.user_id is not None else None
    if user is None or not user.is_active:
        raise Refused("Only a signed-in user can sign.")
    ip = ctx.actor.ip or "unknown"
    throttled = is_throttled(ctx.db, settings, user.username, ip, ctx.now)
    if not throttled and verify_password(user.password_hash, password):
        return user
    if not throttled:
        with writes_allowed(ctx.db):
            ctx.db.add(
                LoginAttempt(username=user.username, ip=ip, attempted_at=ctx.now, succeeded=False)
            )
    audit.record(
        ctx,
        action="sign",
        entity_type=ENTITY,
        entity_id=screening.id,
        site_id=screening.site_id,
        client_id=screening.client_id,
        outcome="throttled" if throttled else "failure",
        detail={"reason": "too many failed attempts" if throttled else "wrong password"},
    )
    if throttled:
        raise ReauthenticationFailed(
            "Too many failed attempts. Wait a few minutes before signing again."
        )
    raise ReauthenticationFailed("The password is not correct. The signature was not applied.")


def _final_evaluation(
    ctx: ActionContext, settings: Settings, screening: Screening, data: SignatureInput, user: User
) -> Evaluation:
    """The saved version evaluated as of the signing day, with the signer's overrides."""
    version = screening.current
    client = ctx.db.get(Client, screening.client_id)
    assert client is not None
    stored = ScreeningInput(
        substance=version.substance,  # type: ignore[arg-type]
        protocol_id=version.protocol_id,
        jurisdiction=version.jurisdiction_choice,
        proposed_stop_date=version.proposed_stop_date,
        record=version.record,
    )
    evaluation = _evaluate_for(client, stored, ctx, settings).evaluation
    overrides = [
        Override(finding_id=o.finding_id, reason=o.reason, clinician=user.full_name)
        for o in data.overrides
    ]
    for i, override in enumerate(overrides):
        try:
            apply_overrides(evaluation, [override])
        except UnknownFindingError:
            raise InvalidInput(
                [
                    FieldError(
                        ("overrides", i, "finding_id"),
                        f"no open finding {override.finding_id!r} in this screening any more; "
                        "review the findings again",
                    )
                ]
            ) from None
    return apply_overrides(evaluation, overrides)


def open_contraindications(evaluation: Evaluation, *, triggered_only: bool = False) -> list[str]:
    """Titles of contraindicated findings not overridden: triggered, or (unless
    ``triggered_only``) undecided because an answer is not recorded."""
    return [
        f.title
        for f in evaluation.findings
        if f.severity is Severity.CONTRAINDICATED
        and f.override is None
        and (f.status is FindingStatus.TRIGGERED or not triggered_only)
    ]


def _check_decision(data: SignatureInput, evaluation: Evaluation) -> None:
    blocking = open_contraindications(evaluation)
    if data.decision is Decision.ELIGIBLE and blocking:
        raise InvalidInput.single(
            "decision",
            "cannot be 'eligible' while contraindicated findings are open ("
            + "; ".join(blocking)
            + "). Override each with a reason, or decide 'ineligible' or 'deferred'.",
        )
    triggered = open_contraindications(evaluation, triggered_only=True)
    if data.decision is Decision.INELIGIBLE and not triggered and not data.comment:
        raise InvalidInput.single(
            "comment", "no contraindication is open: say why the client is ineligible"
        )


def sign_screening(
    ctx: ActionContext,
    settings: Settings,
    client_id: int,
    screening_id: int,
    data: SignatureInput,
) -> Screening:
    """Sign the decision on the latest version; the screening is locked from then on."""
    screening = _draft(ctx, client_id, screening_id, Permission.SCREENING_SIGN, data.version)
    signer = _reauthenticate(ctx, settings, screening, data.password)
    evaluation = _final_evaluation(ctx, settings, screening, data, signer)
    _check_decision(data, evaluation)
    version = screening.current
    meaning = meaning_of(data.decision)
    final = evaluation.model_dump(mode="json")
    earlier = _signed_screenings(ctx, screening.client_id, exclude=screening.id)
    with writes_allowed(ctx.db):
        signature = ScreeningSignature(
            screening_id=screening.id,
            screening_version=version,
            site_id=screening.site_id,
            client_id=screening.client_id,
            decision=data.decision.value,
            meaning=meaning,
            comment=data.comment,
            signer_id=signer.id,
            signer_name=signer.full_name,
            signer_username=signer.username,
            signed_at=ctx.now,
            overrides=[o.model_dump(mode="json") for o in evaluation.overrides],
            outcome=evaluation.outcome.value,
            evaluation=final,
            earliest_dosing_date=evaluation.earliest_dosing_date,
        )
        signature.content_hash = signed_content(signature).digest()
        ctx.db.add(signature)
        ctx.db.flush()
        for entry in evaluation.washout_plan:
            ctx.db.add(
                ScreeningWashout(
                    signature_id=signature.id,
                    screening_id=screening.id,
                    site_id=screening.site_id,
                    client_id=screening.client_id,
                    medication=entry.medication,
                    medication_id=entry.medication_id,
                    generic_name=entry.generic_name,
                    basis=entry.basis,
                    from_date=entry.from_date,
                    washout_days=entry.washout_days,
                    earliest_dosing_date=entry.earliest_dosing_date,
                    rule_ids=list(entry.rule_ids),
                )
            )
        screening.status = ScreeningStatus.SIGNED
        screening.decision = data.decision.value
        screening.signed_at = ctx.now
        screening.updated_at = ctx.now
        for old in earlier:
            old.status = ScreeningStatus.SUPERSEDED
            old.superseded_at = ctx.now
            old.superseded_by_id = screening.id
        ctx.db.flush()
    _audit_signature(ctx, screening, signature, evaluation)
    _audit_supersede(ctx, screening, earlier)
    _move_client(ctx, screening, data, evaluation)
    return screening


def _signed_screenings(ctx: ActionContext, client_id: int, *, exclude: int) -> list[Screening]:
    return list(
        ctx.db.scalars(
            select(Screening).where(
                Screening.client_id == client_id,
                Screening.status == ScreeningStatus.SIGNED,
                Screening.id != exclude,
            )
        )
    )


def _audit_signature(
    ctx: ActionContext,
    screening: Screening,
    signature: ScreeningSignature,
    evaluation: Evaluation,
) -> None:
    where = {
        "entity_type": ENTITY,
        "entity_id": screening.id,
        "site_id": screening.site_id,
        "client_id": screening.client_id,
    }
    audit.record(
        ctx,
        action="sign",
        changes={
            "status": [ScreeningStatus.DRAFT.value, ScreeningStatus.SIGNED.value],
            "decision": [None, signature.decision],
        },
        reason=signature.comment,
        detail={
            "version": screening.latest_version,
            "meaning": signature.meaning,
            "outcome": signature.outcome,
            "earliest_dosing_date": signature.earliest_dosing_date,
            "content_hash": signature.content_hash,
        },
        **where,
    )
    for finding in evaluation.findings:
        if finding.override is None:
            continue
        audit.record(
            ctx,
            action="override",
            reason=finding.override.reason,
            detail={
                "finding_id": finding.id,
                "rule_id": finding.rule_id,
                "rule_set": f"{finding.rule_set_id} v{finding.rule_set_version}",
                "severity": finding.severity.value,
                "title": finding.title,
            },
            **where,
        )


def _audit_supersede(
    ctx: ActionContext, screening: Screening, earlier: Iterable[Screening]
) -> None:
    for old in earlier:
        audit.record(
            ctx,
            action="supersede",
            entity_type=ENTITY,
            entity_id=old.id,
            site_id=old.site_id,
            client_id=old.client_id,
            changes={
                "status": [ScreeningStatus.SIGNED.value, ScreeningStatus.SUPERSEDED.value],
                "superseded_by_id": [None, screening.id],
            },
        )


def _move_client(
    ctx: ActionContext, screening: Screening, data: SignatureInput, evaluation: Evaluation
) -> None:
    client = ctx.db.get(Client, screening.client_id)
    assert client is not None
    target = _STATUS_FOR.get(data.decision)
    if target is None or client.status == target or client.status not in _SCREENING_STAGES:
        return
    reason = data.comment
    if target is ClientStatus.INELIGIBLE and not reason:
        reason = "; ".join(open_contraindications(evaluation, triggered_only=True))
    change_status(
        ctx,
        client.id,
        StatusChange(
            status=target,
            reason=f"Screening {screening.id} signed {data.decision.value}"
            + (f": {reason}" if reason else ""),
        ),
    )


def view_screening(
    ctx: ActionContext, client_id: int, screening_id: int, *, what: str = "screening"
) -> Screening:
    """Fetch a visible screening and record that it was viewed."""
    screening = visible_screening(ctx.db, ctx.actor, client_id, screening_id)
    ctx.require(Permission.SCREENING_VIEW, screening.site_id)
    audit.record(
        ctx,
        action="view",
        entity_type=ENTITY,
        entity_id=screening.id,
        site_id=screening.site_id,
        client_id=screening.client_id,
        detail={"what": what},
    )
    return screening


def view_client_screenings(ctx: ActionContext, client_id: int) -> Client:
    """Fetch a visible client for a list of their screenings, and record the read."""
    client = get_visible_client(ctx.db, ctx.actor, client_id)
    ctx.require(Permission.SCREENING_VIEW, client.site_id)
    audit.record(
        ctx,
        action="view",
        entity_type=ENTITY,
        site_id=client.site_id,
        client_id=client.id,
        detail={"what": "screening list"},
    )
    return client
