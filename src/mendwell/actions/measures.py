"""Entering and correcting measures, self-report links, safety alerts, licensed instruments.

Scores are computed when a submission is stored and kept with the instrument version that
produced them. Submissions are never changed: a correction is a new version with a reason.
Every safety flag in a score raises an alert that stays open until acknowledged with a note.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from mendwell.actions import audit
from mendwell.actions.context import ActionContext, Actor, writes_allowed
from mendwell.actions.errors import (
    Conflict,
    FieldError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Refused,
)
from mendwell.clinical.instruments import (
    AnswerError,
    Instrument,
    Item,
    ScoreResult,
    ScoringOptionError,
    ScoringOptions,
    score,
    validate_instrument_text,
)
from mendwell.permissions import Permission
from mendwell.queries import measures as q
from mendwell.queries.scope import get_visible_client
from mendwell.queries.site_calendar import site_today
from mendwell.schemas.measures import AlertAcknowledge, Correction, LinkCreate, MeasureEntry
from mendwell.security.tokens import new_token, token_hash
from mendwell.settings import get_settings
from mendwell.store.models import (
    Client,
    CustomInstrument,
    MeasureSubmission,
    SafetyAlert,
    SelfReportLink,
    Site,
)
from mendwell.store.models.measures import ENTERED_BY_CLINICIAN, ENTERED_VIA_LINK

ENTITY = "measure_submission"
LINK_ENTITY = "self_report_link"
ALERT_ENTITY = "safety_alert"
INSTRUMENT_ENTITY = "custom_instrument"
DEFAULT_LINK_EXPIRY = timedelta(days=7)
LONGEST_LINK_EXPIRY = timedelta(days=30)
SELF_REPORT_USERNAME = "self-report link"

Answers = Mapping[str, int | None]


def self_report_actor(ip: str | None) -> Actor:
    """Who acts when a client fills a private link: nobody signed in, named in the audit trail."""
    return Actor(user_id=None, username=SELF_REPORT_USERNAME, ip=ip)


def link_path(token: str) -> str:
    return f"/r/{token}"


# --- shared checks ----------------------------------------------------------------------------


def respondent_of(instrument: Instrument) -> str:
    return "clinician" if instrument.respondent == "clinician" else "client"


def check_answers(
    instrument: Instrument,
    answers: Answers,
    options: ScoringOptions | None = None,
    loc: tuple[str, ...] = ("answers",),
) -> tuple[dict[str, int | None], ScoreResult]:
    """Every item of the instrument with its answer (None when blank), and the score.

    Unknown items and values the instrument does not allow are errors naming the item.
    """
    result = score_or_invalid(instrument, answers, options or ScoringOptions(), loc)
    return {item.id: answers.get(item.id) for item in instrument.items}, result


def is_asked(item: Item, answers: Answers) -> bool:
    """Whether the item applies, given the answer its skip logic depends on."""
    return item.asked_if is None or answers.get(item.asked_if.item) in item.asked_if.values


def missing_required(instrument: Instrument, answers: Answers) -> list[str]:
    """Items that should have an answer and have none (skipped items are not missing)."""
    return [
        i.id
        for i in instrument.items
        if not i.optional and answers.get(i.id) is None and is_asked(i, answers)
    ]


def scoring_options_for(client: Client) -> ScoringOptions:
    return ScoringOptions(sex_at_birth=client.sex_at_birth)


def score_or_invalid(
    instrument: Instrument,
    answers: Answers,
    options: ScoringOptions,
    loc: tuple[str, ...] = ("answers",),
) -> ScoreResult:
    """Score answers; a value the instrument does not allow is an error naming the item."""
    try:
        return score(instrument, answers, options=options)
    except AnswerError as exc:
        raise InvalidInput([FieldError((*loc, item), msg) for item, msg in exc.errors]) from exc
    except ScoringOptionError as exc:
        where, _, message = str(exc).partition(": ")
        raise InvalidInput([FieldError(tuple(where.split(".")), message or str(exc))]) from exc


def snapshot(sub: MeasureSubmission) -> dict[str, Any]:
    """The audited state of a submission."""
    result = q.stored_score(sub)
    return {
        "instrument_id": sub.instrument_id,
        "instrument_version": sub.instrument_version,
        "administered_on": sub.administered_on,
        "answers": sub.answers,
        "total": sub.total,
        "band": result.band.label if result.band else None,
        "safety_flags": [f.code for f in result.safety_flags],
        "entered_via": sub.entered_via,
    }


def _record(
    ctx: ActionContext,
    action: str,
    entity_type: str,
    row: MeasureSubmission | SafetyAlert | SelfReportLink,
    **fields: Any,
) -> None:
    """Audit an event about one of a client's measure records."""
    audit.record(
        ctx,
        action=action,
        entity_type=entity_type,
        entity_id=row.id,
        site_id=row.site_id,
        client_id=row.client_id,
        **fields,
    )


def _site(ctx: ActionContext, site_id: int) -> Site:
    site = ctx.db.get(Site, site_id)
    assert site is not None
    return site


@dataclass(frozen=True)
class Scored:
    """Checked answers (every item, None when blank), their score and the options used."""

    answers: dict[str, int | None]
    result: ScoreResult
    options: ScoringOptions


def _scored(
    client: Client, instrument: Instrument, answers: Answers, loc: tuple[str, ...] = ("answers",)
) -> Scored:
    options = scoring_options_for(client)
    checked, result = check_answers(instrument, answers, options, loc)
    return Scored(checked, result, options)


def _clinician_entry(
    ctx: ActionContext,
    client: Client,
    instrument: Instrument,
    answers: Answers,
    administered_on: date | None,
) -> tuple[date, Scored]:
    """The date of a clinician's entry (today at the site unless given; never later) and its
    checked, scored answers."""
    today = site_today(_site(ctx, client.site_id), ctx.now)
    administered_on = administered_on or today
    if administered_on > today:
        raise InvalidInput.single("administered_on", "cannot be in the future")
    return administered_on, _scored(client, instrument, answers)


def _new_submission(
    ctx: ActionContext,
    client: Client,
    resolved: q.ResolvedInstrument,
    scored: Scored,
    **fields: Any,
) -> MeasureSubmission:
    """Store a submission; entered by the acting clinician unless ``fields`` say otherwise."""
    fields.setdefault("entered_via", ENTERED_BY_CLINICIAN)
    fields.setdefault("entered_by_id", ctx.actor.user_id)
    result = scored.result
    instrument = resolved.instrument
    sub = MeasureSubmission(
        site_id=client.site_id,
        client_id=client.id,
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        custom_instrument_id=resolved.custom_id,
        answers=scored.answers,
        scoring_options=scored.options.model_dump(mode="json"),
        score=result.model_dump(mode="json"),
        total=result.total if result.scored else None,
        recorded_at=ctx.now,
        respondent=respondent_of(instrument),
        **fields,
    )
    ctx.db.add(sub)
    ctx.db.flush()
    return sub


def _raise_alerts(
    ctx: ActionContext, sub: MeasureSubmission, result: ScoreResult, already: Iterable[str] = ()
) -> list[SafetyAlert]:
    """An alert per safety flag in the result (not repeating codes already raised for earlier
    versions of the same submission)."""
    skip = set(already)
    alerts = []
    for flag in result.safety_flags:
        if flag.code in skip:
            continue
        skip.add(flag.code)
        alert = SafetyAlert(
            site_id=sub.site_id,
            client_id=sub.client_id,
            submission_id=sub.id,
            instrument_id=sub.instrument_id,
            flag_code=flag.code,
            severity=flag.severity,
            item_id=flag.item_id,
            message=flag.message,
            raised_at=ctx.now,
        )
        ctx.db.add(alert)
        alerts.append(alert)
    ctx.db.flush()
    return alerts


def _audit_alerts(ctx: ActionContext, alerts: list[SafetyAlert]) -> None:
    for alert in alerts:
        _record(
            ctx,
            "raise",
            ALERT_ENTITY,
            alert,
            changes=audit.diff(
                None,
                {
                    "flag_code": alert.flag_code,
                    "severity": alert.severity,
                    "submission_id": alert.submission_id,
                },
            ),
        )


# --- clinician entry and correction -----------------------------------------------------------


def _require_entry(
    ctx: ActionContext, site_id: int, instrument: Instrument, as_rater: bool
) -> None:
    """``measure.enter`` for any instrument; ``measure.rate`` for clinician-rated ones only."""
    if not as_rater:
        ctx.require(Permission.MEASURE_ENTER, site_id)
        return
    ctx.require(Permission.MEASURE_RATE, site_id)
    if instrument.respondent != "clinician":
        raise PermissionDenied(str(Permission.MEASURE_ENTER), site_id)


def enter_measure(
    ctx: ActionContext, client_id: int, data: MeasureEntry, *, as_rater: bool = False
) -> MeasureSubmission:
    """Store and score one instrument for a client; ``as_rater`` records an independent rating."""
    client = get_visible_client(ctx.db, ctx.actor, client_id)
    try:
        resolved = q.resolve_instrument(ctx.db, client.organisation_id, data.instrument_id)
    except NotFound:
        raise InvalidInput.single("instrument_id", "is not an instrument here") from None
    instrument = resolved.instrument
    _require_entry(ctx, client.site_id, instrument, as_rater)
    administered_on, scored = _clinician_entry(
        ctx, client, instrument, data.answers, data.administered_on
    )
    clinician_rated = instrument.respondent == "clinician"
    with writes_allowed(ctx.db):
        sub = _new_submission(
            ctx,
            client,
            resolved,
            scored,
            administered_on=administered_on,
            rater_id=ctx.actor.user_id if clinician_rated else None,
            independent_rater=as_rater,
        )
        alerts = _raise_alerts(ctx, sub, scored.result)
    _record(
        ctx,
        "create",
        ENTITY,
        sub,
        changes=audit.diff(None, snapshot(sub)),
        detail={"independent_rater": True} if as_rater else None,
    )
    _audit_alerts(ctx, alerts)
    return sub


def correct_submission(
    ctx: ActionContext,
    client_id: int,
    submission_id: int,
    data: Correction,
    *,
    as_rater: bool = False,
) -> MeasureSubmission:
    """Store corrected answers as a new version of the submission; the earlier version stays.

    Only the latest version can be corrected (a stale correction is a conflict). A rater may
    correct only ratings they entered.
    """
    client = get_visible_client(ctx.db, ctx.actor, client_id)
    target = q.get_client_submission(ctx.db, client, submission_id)
    if as_rater:
        ctx.require(Permission.MEASURE_RATE, client.site_id)
        if target.entered_by_id != ctx.actor.user_id or not target.independent_rater:
            raise NotFound("measure submission", submission_id)
    else:
        ctx.require(Permission.MEASURE_ENTER, client.site_id)
    chain = q.submission_chain(ctx.db, target)
    latest = chain[-1]
    if latest.id != target.id:
        raise Conflict(
            ENTITY,
            submission_id,
            expected_version=target.version_number,
            current_version=latest.version_number,
        )
    try:
        resolved = q.resolve_instrument(
            ctx.db,
            client.organisation_id,
            latest.instrument_id,
            latest.instrument_version,
            custom_id=latest.custom_instrument_id,
        )
    except NotFound:
        # The version that scored the original is gone: score the correction with today's.
        resolved = q.resolve_instrument(ctx.db, client.organisation_id, latest.instrument_id)
    administered_on, scored = _clinician_entry(
        ctx,
        client,
        resolved.instrument,
        data.answers,
        data.administered_on or latest.administered_on,
    )
    if scored.answers == latest.answers and administered_on == latest.administered_on:
        raise InvalidInput.single("answers", "are the same as the current version")
    raised_before = {
        a.flag_code
        for a in ctx.db.scalars(
            select(SafetyAlert).where(SafetyAlert.submission_id.in_([s.id for s in chain]))
        )
    }
    try:
        with writes_allowed(ctx.db):
            sub = _new_submission(
                ctx,
                client,
                resolved,
                scored,
                administered_on=administered_on,
                rater_id=latest.rater_id,
                independent_rater=latest.independent_rater,
                version_number=latest.version_number + 1,
                original_id=latest.chain_id,
                corrects_id=latest.id,
                correction_reason=data.reason,
            )
            alerts = _raise_alerts(ctx, sub, scored.result, raised_before)
    except IntegrityError:
        # Someone corrected the same version at the same moment.
        ctx.db.rollback()
        raise Conflict(
            ENTITY,
            submission_id,
            expected_version=latest.version_number,
            current_version=latest.version_number + 1,
        ) from None
    changes = audit.diff(snapshot(latest), snapshot(sub))
    changes["version_number"] = [latest.version_number, sub.version_number]
    _record(
        ctx,
        "correct",
        ENTITY,
        sub,
        changes=changes,
        reason=data.reason,
        detail={"corrects": latest.id, "original": latest.chain_id},
    )
    _audit_alerts(ctx, alerts)
    return sub


def record_measures_view(ctx: ActionContext, client: Client, what: str) -> None:
    """Reading a client's scores is an auditable access."""
    audit.record(
        ctx,
        action="view",
        entity_type=ENTITY,
        site_id=client.site_id,
        client_id=client.id,
        detail={"what": what},
    )


# --- safety alerts ----------------------------------------------------------------------------


def acknowledge_alert(
    ctx: ActionContext, client_id: int, alert_id: int, data: AlertAcknowledge
) -> SafetyAlert:
    """Close an alert with a note saying what was done."""
    client = get_visible_client(ctx.db, ctx.actor, client_id)
    ctx.require(Permission.ALERT_ACKNOWLEDGE, client.site_id)
    alert = q.get_client_alert(ctx.db, client, alert_id)
    if alert.acknowledged_at is not None:
        raise Refused("This alert has already been acknowledged.")
    if data.version is not None and data.version != alert.version:
        raise Conflict(
            ALERT_ENTITY, alert_id, expected_version=data.version, current_version=alert.version
        )
    try:
        with writes_allowed(ctx.db):
            alert.acknowledged_at = ctx.now
            alert.acknowledged_by_id = ctx.actor.user_id
            alert.acknowledgement_note = data.note
    except StaleDataError:
        ctx.db.rollback()
        raise Conflict(
            ALERT_ENTITY, alert_id, expected_version=alert.version, current_version=alert.version
        ) from None
    _record(
        ctx,
        "acknowledge",
        ALERT_ENTITY,
        alert,
        changes={
            "acknowledged_at": [None, audit.jsonable(ctx.now)],
            "acknowledgement_note": [None, data.note],
        },
        reason=data.note,
        detail={"flag_code": alert.flag_code, "submission_id": alert.submission_id},
    )
    return alert


# --- self-report links ------------------------------------------------------------------------


def _battery(
    ctx: ActionContext, client: Client, instrument_ids: Sequence[str]
) -> list[q.ResolvedInstrument]:
    if not instrument_ids:
        raise InvalidInput.single("instrument_ids", "choose at least one questionnaire")
    if len(set(instrument_ids)) != len(instrument_ids):
        raise InvalidInput.single("instrument_ids", "lists the same questionnaire twice")
    out = []
    for instrument_id in instrument_ids:
        try:
            resolved = q.resolve_instrument(ctx.db, client.organisation_id, instrument_id)
        except NotFound:
            raise InvalidInput.single(
                "instrument_ids", f"{instrument_id} is not an instrument here"
            ) from None
        if resolved.instrument.respondent != "self":
            raise InvalidInput.single(
                "instrument_ids",
                f"{resolved.instrument.short_title} is clinician-rated, not a self-report",
            )
        out.append(resolved)
    return out


def create_link(
    ctx: ActionContext,
    client_id: int,
    instrument_ids: Sequence[str],
    *,
    expires_in: timedelta = DEFAULT_LINK_EXPIRY,
    first_name: str | None = None,
    base_url: str | None = None,
) -> tuple[str, SelfReportLink]:
    """Create a private self-report link for a battery of instruments; returns its address
    (shown once: only a hash of the token is stored) and the link."""
    client = get_visible_client(ctx.db, ctx.actor, client_id)
    ctx.require(Permission.MEASURE_ENTER, client.site_id)
    _battery(ctx, client, instrument_ids)
    if not timedelta(hours=1) <= expires_in <= LONGEST_LINK_EXPIRY:
        raise InvalidInput.single("expires_in_days", "must be between 1 and 30 days")
    first_name = (first_name or "").strip() or None
    if first_name is not None and len(first_name) > 100:
        raise InvalidInput.single("first_name", "must be at most 100 characters")
    token = new_token()
    with writes_allowed(ctx.db):
        link = SelfReportLink(
            site_id=client.site_id,
            client_id=client.id,
            token_hash=token_hash(token),
            instrument_ids=list(instrument_ids),
            first_name=first_name,
            created_by_id=ctx.actor.user_id,
            created_at=ctx.now,
            expires_at=ctx.now + expires_in,
            saved_answers={},
        )
        ctx.db.add(link)
    _record(
        ctx,
        "create",
        LINK_ENTITY,
        link,
        changes=audit.diff(
            None,
            {
                "instrument_ids": link.instrument_ids,
                "expires_at": link.expires_at,
                "first_name": link.first_name,
            },
        ),
    )
    base = (base_url or get_settings().base_url).rstrip("/")
    return base + link_path(token), link


def create_link_from(
    ctx: ActionContext, client_id: int, data: LinkCreate, *, base_url: str | None = None
) -> tuple[str, SelfReportLink]:
    """:func:`create_link` with the fields of the link form (or API body)."""
    return create_link(
        ctx,
        client_id,
        data.instrument_ids,
        expires_in=timedelta(days=data.expires_in_days),
        first_name=data.first_name,
        base_url=base_url,
    )


def revoke_link(ctx: ActionContext, client_id: int, link_id: int) -> SelfReportLink:
    client = get_visible_client(ctx.db, ctx.actor, client_id)
    ctx.require(Permission.MEASURE_ENTER, client.site_id)
    link = q.get_client_link(ctx.db, client, link_id)
    state = link.state(ctx.now)
    if state != "pending":
        raise Refused(f"This link can no longer be revoked: it is {state}.")
    with writes_allowed(ctx.db):
        link.revoked_at = ctx.now
        link.revoked_by_id = ctx.actor.user_id
    _record(
        ctx,
        "revoke",
        LINK_ENTITY,
        link,
        changes={"revoked_at": [None, audit.jsonable(ctx.now)]},
    )
    return link


LinkAnswers = Mapping[str, Answers]


def _link_instruments(ctx: ActionContext, link: SelfReportLink) -> list[q.ResolvedInstrument]:
    client = ctx.db.get(Client, link.client_id)
    assert client is not None
    try:
        return [
            q.resolve_instrument(ctx.db, client.organisation_id, i) for i in link.instrument_ids
        ]
    except NotFound:
        # An instrument of the battery was retired since the link was sent.
        raise Refused("This link can no longer be used.") from None


def link_instruments(ctx: ActionContext, link: SelfReportLink) -> list[Instrument]:
    """The battery of a link, in order."""
    return [r.instrument for r in _link_instruments(ctx, link)]


def _merged_answers(
    ctx: ActionContext, link: SelfReportLink, answers: LinkAnswers
) -> dict[str, dict[str, int | None]]:
    merged = {}
    for resolved in _link_instruments(ctx, link):
        instrument = resolved.instrument
        given = answers.get(instrument.id, link.saved_answers.get(instrument.id, {}))
        merged[instrument.id], _ = check_answers(instrument, given, loc=(instrument.id,))
    return merged


def _require_pending(ctx: ActionContext, link: SelfReportLink) -> None:
    if link.state(ctx.now) != "pending":
        raise Refused("This link can no longer be used.")


def save_link_answers(
    ctx: ActionContext, link: SelfReportLink, answers: LinkAnswers
) -> SelfReportLink:
    """Keep a client's answers so far, to finish later (before the link expires)."""
    _require_pending(ctx, link)
    merged = _merged_answers(ctx, link, answers)
    with writes_allowed(ctx.db):
        link.saved_answers = merged
        link.saved_at = ctx.now
    _record(
        ctx,
        "self_report_save",
        LINK_ENTITY,
        link,
        detail={
            "answered": sum(v is not None for a in merged.values() for v in a.values()),
        },
    )
    return link


def submit_link(
    ctx: ActionContext,
    link: SelfReportLink,
    answers: LinkAnswers,
    *,
    allow_missing: bool = False,
) -> list[MeasureSubmission]:
    """Score and store every instrument of the link once; the link cannot be used again.

    Unanswered questions are refused (naming each) unless ``allow_missing``: the client has
    seen which ones are blank and chose to send the answers as they are.
    """
    _require_pending(ctx, link)
    merged = _merged_answers(ctx, link, answers)
    resolved_all = _link_instruments(ctx, link)
    if not allow_missing:
        problems = [
            FieldError((r.instrument.id, item_id), "not answered", "missing")
            for r in resolved_all
            for item_id in missing_required(r.instrument, merged[r.instrument.id])
        ]
        if problems:
            raise InvalidInput(problems)
    client = ctx.db.get(Client, link.client_id)
    assert client is not None
    results = [
        (r, _scored(client, r.instrument, merged[r.instrument.id], loc=(r.instrument.id,)))
        for r in resolved_all
    ]
    today = site_today(_site(ctx, link.site_id), ctx.now)
    try:
        with writes_allowed(ctx.db):
            link.saved_answers = merged
            link.submitted_at = ctx.now
            ctx.db.flush()
            subs, alerts = [], []
            for resolved, scored in results:
                sub = _new_submission(
                    ctx,
                    client,
                    resolved,
                    scored,
                    administered_on=today,
                    entered_via=ENTERED_VIA_LINK,
                    entered_by_id=None,
                    link_id=link.id,
                )
                subs.append(sub)
                alerts.extend(_raise_alerts(ctx, sub, scored.result))
    except StaleDataError:
        ctx.db.rollback()
        raise Refused("This link can no longer be used.") from None
    for sub in subs:
        _record(
            ctx,
            "self_report",
            ENTITY,
            sub,
            changes=audit.diff(None, snapshot(sub)),
            detail={"link_id": link.id},
        )
    _record(
        ctx,
        "submit",
        LINK_ENTITY,
        link,
        changes={"submitted_at": [None, audit.jsonable(ctx.now)]},
    )
    _audit_alerts(ctx, alerts)
    return subs


# --- licensed instruments ---------------------------------------------------------------------


def _require_knowledge_manager(ctx: ActionContext, organisation_id: int) -> None:
    sites = set(ctx.db.scalars(select(Site.id).where(Site.organisation_id == organisation_id)))
    if not ctx.actor.system and not (ctx.actor.sites_with(Permission.KNOWLEDGE_MANAGE) & sites):
        raise PermissionDenied(str(Permission.KNOWLEDGE_MANAGE))


def _deactivate_others(ctx: ActionContext, row: CustomInstrument) -> None:
    for other in ctx.db.scalars(
        select(CustomInstrument).where(
            CustomInstrument.organisation_id == row.organisation_id,
            CustomInstrument.instrument_id == row.instrument_id,
            CustomInstrument.id != row.id,
            CustomInstrument.active,
        )
    ):
        other.active = False


def upload_instrument(ctx: ActionContext, organisation_id: int, text: str) -> CustomInstrument:
    """Add an instrument the organisation holds a licence for, from a file of the shipped
    schema. A new version of an uploaded instrument replaces it for new entries."""
    _require_knowledge_manager(ctx, organisation_id)
    instrument, problems = validate_instrument_text(text)
    if instrument is None or problems:
        raise InvalidInput([FieldError(("file",), p) for p in problems or ["is not valid"]])
    exists = ctx.db.scalar(
        select(CustomInstrument.id).where(
            CustomInstrument.organisation_id == organisation_id,
            CustomInstrument.instrument_id == instrument.id,
            CustomInstrument.version == instrument.version,
        )
    )
    if exists is not None:
        raise InvalidInput.single(
            "file",
            f"version: {instrument.id} version {instrument.version} is already uploaded; "
            "give the changed file a new version",
        )
    with writes_allowed(ctx.db):
        row = CustomInstrument(
            organisation_id=organisation_id,
            instrument_id=instrument.id,
            version=instrument.version,
            title=instrument.title[:200],
            text=text,
            uploaded_by_id=ctx.actor.user_id,
            uploaded_at=ctx.now,
            active=True,
        )
        ctx.db.add(row)
        ctx.db.flush()
        _deactivate_others(ctx, row)
    audit.record(
        ctx,
        action="create",
        entity_type=INSTRUMENT_ENTITY,
        entity_id=row.id,
        changes=audit.diff(
            None,
            {"instrument_id": row.instrument_id, "version": row.version, "title": row.title},
        ),
        detail={"sha256": hashlib.sha256(text.encode()).hexdigest()},
    )
    return row


def set_instrument_active(
    ctx: ActionContext, organisation_id: int, custom_id: int, active: bool
) -> CustomInstrument:
    """Offer an uploaded version for new entries (retiring its other versions), or retire it.
    Stored scores keep their version either way."""
    _require_knowledge_manager(ctx, organisation_id)
    row = ctx.db.get(CustomInstrument, custom_id)
    if row is None or row.organisation_id != organisation_id:
        raise NotFound("instrument", custom_id)
    if row.active == active:
        return row
    with writes_allowed(ctx.db):
        row.active = active
        if active:
            _deactivate_others(ctx, row)
    audit.record(
        ctx,
        action="update",
        entity_type=INSTRUMENT_ENTITY,
        entity_id=row.id,
        changes={"active": [not active, active]},
        detail={"instrument_id": row.instrument_id, "version": row.version},
    )
    return row
