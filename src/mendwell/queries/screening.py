"""Reading safety screenings, and the contract the dosing scheduler relies on.

Scheduler contract
------------------
``latest_signed_screening(db, client_id) -> SignedScreening | None``

The client's most recent signed screening (the one not superseded), or None when no screening of
the client has been signed. It carries:

* ``decision``: ``eligible``, ``ineligible`` or ``deferred``; only ``eligible`` allows dosing;
* ``signed_at`` (UTC) and ``signed_by`` (the signer's full name);
* ``substance``, ``protocol_id`` and ``jurisdiction`` the screening was evaluated for;
* ``earliest_dosing_date``: no dosing session before this calendar day (site-local), or None
  when no medication has to be washed out;
* ``washout``: one entry per medication with its own ``earliest_dosing_date``, the date the
  washout is counted from (``from_date``, with ``basis`` ``last_dose_date`` or
  ``proposed_stop_date``), the number of days and the rules that asked for it;
* ``newer_draft_id``: a later screening in progress, not yet signed (the signed decision still
  stands until it is signed; a scheduler may want to warn);
* ``allows_dosing_on(day)``: eligible and ``day`` on or after ``earliest_dosing_date``.

It reads only what was stored when the decision was signed (signatures and washout rows are
append-only) and does not check who is asking: call it for a client already fetched through
:mod:`mendwell.queries.scope`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mendwell.actions.context import Actor
from mendwell.actions.errors import NotFound
from mendwell.clinical.screening import Evaluation, FindingStatus, Severity
from mendwell.permissions import Permission
from mendwell.queries.scope import client_visibility, get_visible_client
from mendwell.schemas.screening import (
    Decision,
    ScreeningOut,
    ScreeningStatus,
    ScreeningVersionOut,
    SignatureOut,
    SignedContent,
    SignedScreening,
    VersionSummary,
    WashoutOut,
)
from mendwell.store.models import (
    Client,
    Screening,
    ScreeningSignature,
    ScreeningVersion,
    User,
)


def visible_screening(db: Session, actor: Actor, client_id: int, screening_id: int) -> Screening:
    """A screening of a client the actor may see, or NotFound (also when it is another's)."""
    client = get_visible_client(db, actor, client_id)
    screening = db.get(Screening, screening_id)
    if screening is None or screening.client_id != client.id:
        raise NotFound("screening", screening_id)
    return screening


def latest_signed_screening(db: Session, client_id: int) -> SignedScreening | None:
    """The decision in force for the client and its washout plan (the scheduler's contract)."""
    screening = db.scalar(
        select(Screening)
        .where(Screening.client_id == client_id, Screening.status == ScreeningStatus.SIGNED)
        .options(selectinload(Screening.signature).selectinload(ScreeningSignature.washout))
        .order_by(Screening.signed_at.desc(), Screening.id.desc())
    )
    if screening is None or screening.signature is None:
        return None
    signature = screening.signature
    version = db.get(ScreeningVersion, signature.screening_version_id)
    assert version is not None
    newer = db.scalar(
        select(Screening.id).where(
            Screening.client_id == client_id,
            Screening.status == ScreeningStatus.DRAFT,
            Screening.id > screening.id,
        )
    )
    return SignedScreening(
        screening_id=screening.id,
        client_id=screening.client_id,
        site_id=screening.site_id,
        decision=Decision(signature.decision),
        signed_at=signature.signed_at,
        signed_by=signature.signer_name,
        substance=version.substance,  # type: ignore[arg-type]
        protocol_id=version.protocol_id,
        jurisdiction=signature.evaluation.get("jurisdiction"),
        earliest_dosing_date=signature.earliest_dosing_date,
        washout=tuple(WashoutOut.model_validate(w) for w in signature.washout),
        newer_draft_id=newer,
    )


def client_screenings(db: Session, client_id: int) -> list[Screening]:
    """Every screening of a client, newest first (visibility is the caller's business)."""
    return list(
        db.scalars(
            select(Screening)
            .where(Screening.client_id == client_id)
            .options(
                selectinload(Screening.versions),
                selectinload(Screening.signature).selectinload(ScreeningSignature.washout),
            )
            .order_by(Screening.id.desc())
        )
    )


@dataclass(frozen=True)
class AwaitingSignature:
    screening: Screening
    client: Client
    open_findings: int


def awaiting_signature(db: Session, actor: Actor) -> list[AwaitingSignature]:
    """Drafts of visible clients at the sites where ``actor`` may sign, oldest first."""
    sites = actor.sites_with(Permission.SCREENING_SIGN)
    if not sites:
        return []
    rows = db.execute(
        select(Screening, Client)
        .join(Client, Client.id == Screening.client_id)
        .where(
            Screening.status == ScreeningStatus.DRAFT,
            Screening.site_id.in_(sites),
            client_visibility(db, actor),
        )
        .options(selectinload(Screening.versions))
        .order_by(Screening.updated_at)
    ).all()
    return [
        AwaitingSignature(s, c, open_findings(stored_evaluation(s.current.evaluation)))
        for s, c in rows
    ]


def stored_evaluation(data: dict) -> Evaluation:  # type: ignore[type-arg]
    """An evaluation as it was stored."""
    return Evaluation.model_validate(data)


def open_findings(evaluation: Evaluation) -> int:
    """Findings not overridden (each keeps the outcome from 'eligible')."""
    return sum(1 for f in evaluation.findings if f.override is None)


def contraindications(evaluation: Evaluation) -> int:
    return sum(
        1
        for f in evaluation.findings
        if f.override is None
        and f.severity is Severity.CONTRAINDICATED
        and f.status is FindingStatus.TRIGGERED
    )


def signed_content(signature: ScreeningSignature) -> SignedContent:
    """What the signature covers, rebuilt from storage."""
    version = signature.screening_version
    return SignedContent(
        screening_id=signature.screening_id,
        client_id=signature.client_id,
        site_id=signature.site_id,
        version=version.number,
        substance=version.substance,
        protocol_id=version.protocol_id,
        jurisdiction=signature.evaluation.get("jurisdiction"),
        record=version.record,
        evaluation=signature.evaluation,
        decision=signature.decision,
        meaning=signature.meaning,
        comment=signature.comment,
        signer_id=signature.signer_id,
        signer_name=signature.signer_name,
        signed_at=signature.signed_at,
    )


def signature_intact(signature: ScreeningSignature) -> bool:
    """True when the stored content still hashes to the stored SHA-256."""
    return signed_content(signature).digest() == signature.content_hash


def _names(db: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u.full_name for u in db.scalars(select(User).where(User.id.in_(wanted)))}


def version_out(version: ScreeningVersion, names: dict[int, str]) -> ScreeningVersionOut:
    return ScreeningVersionOut(
        number=version.number,
        created_at=version.created_at,
        created_by=names.get(version.created_by_id or 0),
        outcome=version.outcome,
        as_of=version.as_of,
        substance=version.substance,  # type: ignore[arg-type]
        protocol_id=version.protocol_id,
        jurisdiction=version.jurisdiction,
        site_jurisdiction=version.site_jurisdiction,
        jurisdiction_choice=version.jurisdiction_choice,
        proposed_stop_date=version.proposed_stop_date,
        record=version.record,
        evaluation=stored_evaluation(version.evaluation),
    )


def screening_out(db: Session, screening: Screening) -> ScreeningOut:
    """A screening as the API returns it."""
    names = _names(db, {v.created_by_id for v in screening.versions})
    signature = screening.signature
    return ScreeningOut(
        id=screening.id,
        client_id=screening.client_id,
        site_id=screening.site_id,
        status=ScreeningStatus(screening.status),
        created_at=screening.created_at,
        updated_at=screening.updated_at,
        latest_version=screening.latest_version,
        superseded_at=screening.superseded_at,
        superseded_by_id=screening.superseded_by_id,
        versions=[
            VersionSummary(
                number=v.number,
                created_at=v.created_at,
                created_by=names.get(v.created_by_id or 0),
                outcome=v.outcome,
                as_of=v.as_of,
            )
            for v in screening.versions
        ],
        current=version_out(screening.current, names),
        signature=None
        if signature is None
        else SignatureOut(
            decision=Decision(signature.decision),
            meaning=signature.meaning,
            comment=signature.comment,
            signer_name=signature.signer_name,
            signer_username=signature.signer_username,
            signed_at=signature.signed_at,
            version=signature.screening_version.number,
            outcome=signature.outcome,
            overrides=signature.overrides,  # type: ignore[arg-type]
            earliest_dosing_date=signature.earliest_dosing_date,
            washout=[WashoutOut.model_validate(w) for w in signature.washout],
            content_hash=signature.content_hash,
            evaluation=stored_evaluation(signature.evaluation),
        ),
    )
