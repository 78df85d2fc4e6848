"""Reading measures: the instrument catalogue, a client's submissions and their versions,
progress over time, safety alerts, self-report links, and the recompute check."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from mendwell.actions.context import Actor
from mendwell.actions.errors import NotFound
from mendwell.clinical.instruments import (
    ChangeResult,
    Instrument,
    ScoreResult,
    ScoringOptions,
    UnknownInstrument,
    classify_change,
    get_instrument,
    list_instruments,
    score,
    validate_instrument_text,
)
from mendwell.permissions import Permission, Role
from mendwell.queries.scope import client_visibility
from mendwell.queries.session_records import session_dates
from mendwell.security.tokens import token_hash
from mendwell.store.models import (
    Client,
    ClientAssignment,
    CustomInstrument,
    MeasureSubmission,
    SafetyAlert,
    SelfReportLink,
)

# --- instruments ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedInstrument:
    """An instrument definition and where it comes from (a shipped file or an upload)."""

    instrument: Instrument
    custom_id: int | None = None

    @property
    def custom(self) -> bool:
        return self.custom_id is not None


@lru_cache(maxsize=256)
def parse_custom_text(text: str) -> Instrument:
    """A stored custom instrument (validated when it was uploaded)."""
    instrument, problems = validate_instrument_text(text)
    if instrument is None:
        raise ValueError("stored instrument file no longer validates: " + "; ".join(problems))
    return instrument


def _custom_rows(
    db: Session, organisation_id: int, *, active_only: bool = True
) -> list[CustomInstrument]:
    query = select(CustomInstrument).where(CustomInstrument.organisation_id == organisation_id)
    if active_only:
        query = query.where(CustomInstrument.active)
    return list(db.scalars(query.order_by(CustomInstrument.instrument_id, CustomInstrument.id)))


def custom_instruments(db: Session, organisation_id: int) -> list[CustomInstrument]:
    """Every uploaded version, active or not."""
    return _custom_rows(db, organisation_id, active_only=False)


def instrument_catalogue(db: Session, organisation_id: int) -> list[ResolvedInstrument]:
    """Shipped instruments and the organisation's active licensed ones."""
    custom = {row.id: parse_custom_text(row.text) for row in _custom_rows(db, organisation_id)}
    by_custom_key = {(i.id, i.version): cid for cid, i in custom.items()}
    return [
        ResolvedInstrument(i, by_custom_key.get((i.id, i.version)))
        for i in list_instruments(include_custom=custom.values())
    ]


def resolve_instrument(
    db: Session,
    organisation_id: int,
    instrument_id: str,
    version: str | None = None,
    *,
    custom_id: int | None = None,
) -> ResolvedInstrument:
    """An instrument by id: the current one, or exactly ``version`` (NotFound otherwise).

    A stored submission names its custom upload (``custom_id``), so any uploaded version,
    active or not, can score it again.
    """
    if custom_id is not None:
        row = db.get(CustomInstrument, custom_id)
        if row is None or row.organisation_id != organisation_id:
            raise NotFound("instrument", instrument_id)
        return ResolvedInstrument(parse_custom_text(row.text), row.id)
    try:
        shipped = get_instrument(instrument_id)
    except UnknownInstrument:
        shipped = None
    if shipped is not None:
        if version is not None and shipped.version != version:
            raise NotFound("instrument", f"{instrument_id} version {version}")
        return ResolvedInstrument(shipped)
    query = select(CustomInstrument).where(
        CustomInstrument.organisation_id == organisation_id,
        CustomInstrument.instrument_id == instrument_id,
    )
    query = (
        query.where(CustomInstrument.version == version)
        if version is not None
        else query.where(CustomInstrument.active)
    )
    row = db.scalars(query.order_by(CustomInstrument.id.desc())).first()
    if row is None:
        raise NotFound("instrument", instrument_id)
    return ResolvedInstrument(parse_custom_text(row.text), row.id)


# --- submissions ------------------------------------------------------------------------------


def is_current() -> ColumnElement[bool]:
    """Submissions that no later version corrects."""
    later = aliased(MeasureSubmission)
    return ~exists().where(later.corrects_id == MeasureSubmission.id)


def client_submissions(
    db: Session, client_id: int, *, current_only: bool = False
) -> list[MeasureSubmission]:
    """A client's submissions, oldest first; ``current_only`` leaves out corrected versions."""
    query = select(MeasureSubmission).where(MeasureSubmission.client_id == client_id)
    if current_only:
        query = query.where(is_current())
    return list(db.scalars(query.order_by(MeasureSubmission.administered_on, MeasureSubmission.id)))


def superseded_ids(db: Session, client_id: int) -> set[int]:
    """Ids of the client's submissions that a later version corrects."""
    return {
        i
        for i in db.scalars(
            select(MeasureSubmission.corrects_id).where(
                MeasureSubmission.client_id == client_id,
                MeasureSubmission.corrects_id.is_not(None),
            )
        )
        if i is not None
    }


def get_client_submission(db: Session, client: Client, submission_id: int) -> MeasureSubmission:
    found = db.get(MeasureSubmission, submission_id)
    if found is None or found.client_id != client.id:
        raise NotFound("measure submission", submission_id)
    return found


def submission_chain(db: Session, submission: MeasureSubmission) -> list[MeasureSubmission]:
    """Every version of the submission, first to latest."""
    root = submission.chain_id
    return list(
        db.scalars(
            select(MeasureSubmission)
            .where(or_(MeasureSubmission.id == root, MeasureSubmission.original_id == root))
            .order_by(MeasureSubmission.version_number)
        )
    )


def stored_score(submission: MeasureSubmission) -> ScoreResult:
    return ScoreResult.model_validate(submission.score)


@dataclass(frozen=True)
class RecomputeCheck:
    """Whether scoring the stored answers again, with the stored instrument version, gives the
    stored result."""

    submission_id: int
    equal: bool
    stored: ScoreResult
    recomputed: ScoreResult | None
    problem: str | None = None


def recompute(db: Session, submission: MeasureSubmission, organisation_id: int) -> RecomputeCheck:
    stored = stored_score(submission)
    try:
        resolved = resolve_instrument(
            db,
            organisation_id,
            submission.instrument_id,
            submission.instrument_version,
            custom_id=submission.custom_instrument_id,
        )
    except NotFound:
        return RecomputeCheck(
            submission.id,
            False,
            stored,
            None,
            f"{submission.instrument_id} version {submission.instrument_version} is not available",
        )
    options = ScoringOptions.model_validate(submission.scoring_options)
    again = score(resolved.instrument, submission.answers, options=options)
    equal = again.model_dump(mode="json") == submission.score
    return RecomputeCheck(submission.id, equal, stored, again)


# --- progress ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgressPoint:
    submission: MeasureSubmission
    result: ScoreResult
    change: ChangeResult | None  # against the baseline; None for the baseline itself


@dataclass
class InstrumentProgress:
    """One instrument's current scores over time, with change from the first (baseline)."""

    instrument: Instrument
    points: list[ProgressPoint] = field(default_factory=list)

    @property
    def scored(self) -> list[ProgressPoint]:
        return [p for p in self.points if p.result.scored and p.result.total is not None]

    @property
    def baseline(self) -> ProgressPoint | None:
        scored = self.scored
        return scored[0] if scored else None

    @property
    def latest(self) -> ProgressPoint | None:
        scored = self.scored
        return scored[-1] if scored else None


def progress(
    submissions: Iterable[MeasureSubmission], catalogue: Iterable[ResolvedInstrument]
) -> list[InstrumentProgress]:
    """Per instrument (in catalogue order), the current submissions with change from baseline."""
    by_id = {r.instrument.id: r.instrument for r in catalogue}
    grouped: dict[str, InstrumentProgress] = {}
    for sub in submissions:
        instrument = by_id.get(sub.instrument_id)
        if instrument is None:
            continue
        entry = grouped.setdefault(sub.instrument_id, InstrumentProgress(instrument))
        result = stored_score(sub)
        base = entry.baseline
        change = None
        if base is not None and result.scored and result.total is not None:
            change = classify_change(instrument, base.result, result)
        entry.points.append(ProgressPoint(sub, result, change))
    order = list(by_id)
    return sorted(grouped.values(), key=lambda p: order.index(p.instrument.id))


def dosing_dates_for(db: Session, client_id: int) -> list[date]:
    """Dates of the client's dosing sessions (in the site's calendar), marked on progress charts."""
    return session_dates(db, client_id)


# --- alerts -----------------------------------------------------------------------------------


def client_alerts(db: Session, client_id: int, *, open_only: bool = False) -> list[SafetyAlert]:
    query = select(SafetyAlert).where(SafetyAlert.client_id == client_id)
    if open_only:
        query = query.where(SafetyAlert.acknowledged_at.is_(None))
    return list(db.scalars(query.order_by(SafetyAlert.raised_at.desc(), SafetyAlert.id.desc())))


def get_client_alert(db: Session, client: Client, alert_id: int) -> SafetyAlert:
    found = db.get(SafetyAlert, alert_id)
    if found is None or found.client_id != client.id:
        raise NotFound("safety alert", alert_id)
    return found


def dashboard_alerts(db: Session, actor: Actor) -> list[tuple[SafetyAlert, Client]]:
    """Open alerts for the clients this user cares for: clients assigned to them, and every
    visible client at sites where they are the medical user."""
    sites = actor.sites_with(Permission.ALERT_ACKNOWLEDGE)
    if not sites:
        return []
    medical_sites = [s for s in sites if actor.roles_by_site.get(s) == Role.MEDICAL]
    assigned = exists().where(
        ClientAssignment.client_id == Client.id, ClientAssignment.user_id == actor.user_id
    )
    mine = or_(assigned, Client.site_id.in_(medical_sites)) if medical_sites else assigned
    rows = db.execute(
        select(SafetyAlert, Client)
        .join(Client, Client.id == SafetyAlert.client_id)
        .where(
            SafetyAlert.acknowledged_at.is_(None),
            Client.site_id.in_(sites),
            and_(client_visibility(db, actor), mine),
        )
        .order_by(SafetyAlert.raised_at.desc(), SafetyAlert.id.desc())
    ).all()
    return [(alert, client) for alert, client in rows]


# --- self-report links ------------------------------------------------------------------------


def client_links(db: Session, client_id: int) -> list[SelfReportLink]:
    return list(
        db.scalars(
            select(SelfReportLink)
            .where(SelfReportLink.client_id == client_id)
            .order_by(SelfReportLink.created_at.desc(), SelfReportLink.id.desc())
        )
    )


def get_client_link(db: Session, client: Client, link_id: int) -> SelfReportLink:
    found = db.get(SelfReportLink, link_id)
    if found is None or found.client_id != client.id:
        raise NotFound("self-report link", link_id)
    return found


def open_link(db: Session, token: str, now: datetime) -> SelfReportLink | None:
    """The link for ``token`` if it can still be filled; None for expired, used, revoked or
    unknown tokens alike."""
    if not token or len(token) > 200:
        return None
    link = db.scalar(select(SelfReportLink).where(SelfReportLink.token_hash == token_hash(token)))
    if link is None or link.state(now) != "pending":
        return None
    return link
