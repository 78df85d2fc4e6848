"""The dosing gate: may this client's dosing session start today?

The gate lists every unmet condition (never only the first), each with a stable code, a message
and what is needed. An authorised clinician may override an overridable condition with a recorded
reason; naming a condition the gate does not know, or one that may not be overridden, is an error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from mendwell.clinical.protocols.schema import PreparationRule, Protocol
from mendwell.clinical.spans import midnight
from mendwell.clinical.validation import citations
from mendwell.knowledge.sources import Sourced

NOT_APPLICABLE: Literal["not-applicable"] = "not-applicable"


@dataclass(frozen=True)
class PreparationSession:
    """A preparation session held, and when its note was signed (None: not signed yet)."""

    visit_id: str
    held_on: date
    signed_on: date | None
    held_at: datetime | None = None


@dataclass(frozen=True)
class ScreeningRecord:
    outcome: Literal["eligible", "not-eligible", "pending"]
    signed_on: date | None


@dataclass(frozen=True)
class ConsentRecord:
    consent_id: str
    signed_on: date
    withdrawn_on: date | None = None


@dataclass(frozen=True)
class PregnancyTest:
    result: Literal["negative", "positive"]
    taken_on: date


@dataclass(frozen=True)
class Override:
    """A clinician's decision to proceed despite one unmet condition."""

    condition: str
    reason: str
    authorised_by: str


@dataclass(frozen=True)
class GateState:
    """What is known about the client on the day of a planned dosing session."""

    preparation_sessions: tuple[PreparationSession, ...] = ()
    screening: ScreeningRecord | None = None
    washout_safe_from: Mapping[str, date] = field(default_factory=dict)
    consents: tuple[ConsentRecord, ...] = ()
    pregnancy_test: PregnancyTest | Literal["not-applicable"] | None = None
    dosing_sessions_completed: int = 0
    overrides: tuple[Override, ...] = ()


@dataclass(frozen=True)
class GateCondition:
    """One condition of the gate that is not met."""

    code: str
    message: str
    needed: str
    overridable: bool
    sources: tuple[str, ...]
    unconfirmed: bool = False


@dataclass(frozen=True)
class AppliedOverride:
    condition: GateCondition
    override: Override


@dataclass(frozen=True)
class GateResult:
    protocol_id: str
    protocol_version: str
    unmet: tuple[GateCondition, ...]
    overridden: tuple[AppliedOverride, ...]
    met: tuple[str, ...]
    unused_overrides: tuple[Override, ...]

    @property
    def ready(self) -> bool:
        """True when nothing is unmet (overridden conditions do not block)."""
        return not self.unmet


class GateOverrideError(ValueError):
    """An override names an unknown or non-overridable condition, or lacks a reason."""


def _condition(
    code: str, message: str, needed: str, rule: Sourced, overridable: bool
) -> GateCondition:
    return GateCondition(code, message, needed, overridable, citations(rule), rule.unconfirmed)


def _preparation_timing_ok(
    rule: PreparationRule, session: PreparationSession, today: date, now: datetime | None
) -> bool:
    """Whether one signed session lies between the rule's bounds before the dosing moment.

    Without recorded times the check is done by date, conservatively: the session is taken as
    held at the end of its day and the dosing at whichever end of today is stricter.
    """
    if now is not None and session.held_at is not None:
        held_early = held_late = session.held_at
        dose_early = dose_late = now
    else:
        held_early, held_late = midnight(session.held_on), midnight(session.held_on + timedelta(1))
        dose_early, dose_late = midnight(today), midnight(today + timedelta(1))
    least, most = rule.at_least_before_dosing, rule.at_most_before_dosing
    if least is not None and least.add_to(held_late) > dose_early:
        return False
    return not (most is not None and most.add_to(held_early) < dose_late)


def _evaluate(
    protocol: Protocol, state: GateState, today: date, now: datetime | None
) -> Iterator[tuple[str, GateCondition | None]]:
    """Yield (code, unmet condition or None when met) for every condition that applies."""
    gating = protocol.gating
    first = state.dosing_sessions_completed == 0

    prep = gating.preparation
    if first:
        signed = [
            s
            for s in state.preparation_sessions
            if s.signed_on is not None and s.signed_on <= today and s.held_on <= today
        ]
        # A session recorded twice counts once.
        count = len({s.visit_id for s in signed})
        missing = prep.minimum_signed - count
        yield (
            "preparation-sessions",
            None
            if missing <= 0
            else _condition(
                "preparation-sessions",
                f"{count} of {prep.minimum_signed} required preparation sessions signed",
                f"{missing} more signed preparation session(s)",
                prep,
                prep.overridable,
            ),
        )
        if prep.at_least_before_dosing is not None or prep.at_most_before_dosing is not None:
            ok = any(_preparation_timing_ok(prep, s, today, now) for s in signed)
            least = prep.at_least_before_dosing.describe() if prep.at_least_before_dosing else "0"
            most = prep.at_most_before_dosing.describe() if prep.at_most_before_dosing else "any"
            yield (
                "preparation-timing",
                None
                if ok
                else _condition(
                    "preparation-timing",
                    f"no signed preparation session held at least {least} "
                    f"and at most {most} before this dosing session",
                    f"a preparation session at least {least} and at most {most} before dosing",
                    prep,
                    prep.overridable,
                ),
            )

    screening = gating.screening
    if screening is not None and first:
        rec = state.screening
        if rec is None or rec.signed_on is None:
            yield (
                "screening-missing",
                _condition(
                    "screening-missing",
                    "no signed screening on record",
                    "a screening signed by the medical reviewer",
                    screening,
                    False,
                ),
            )
        else:
            yield ("screening-missing", None)
            yield (
                "screening-not-eligible",
                None
                if rec.outcome == "eligible"
                else _condition(
                    "screening-not-eligible",
                    f"screening outcome is {rec.outcome!r}",
                    "a screening outcome of 'eligible'",
                    screening,
                    False,
                ),
            )
            age = (today - rec.signed_on).days
            yield (
                "screening-expired",
                None
                if age <= screening.max_age_days
                else _condition(
                    "screening-expired",
                    f"screening signed {age} days ago (limit {screening.max_age_days} days)",
                    f"a screening signed within the last {screening.max_age_days} days",
                    screening,
                    screening.overridable,
                ),
            )

    washout = gating.washout
    if washout is not None:
        for medication, safe_from in sorted(state.washout_safe_from.items()):
            code = f"washout:{medication}"
            wait = (safe_from - today).days
            yield (
                code,
                None
                if wait <= 0
                else _condition(
                    code,
                    f"{medication} washout ends {safe_from.isoformat()} ({wait} day(s) from today)",
                    f"wait until {safe_from.isoformat()} or a medical override",
                    washout,
                    washout.overridable,
                ),
            )

    for consent in gating.consents:
        code = f"consent:{consent.id}"
        valid = any(
            r.consent_id == consent.id
            and r.signed_on <= today
            and (r.withdrawn_on is None or r.withdrawn_on > today)
            for r in state.consents
        )
        yield (
            code,
            None
            if valid
            else _condition(
                code,
                f"{consent.label}: not signed, or withdrawn",
                f"a signed, current {consent.label}",
                consent,
                consent.overridable,
            ),
        )

    preg = gating.pregnancy_test
    if preg is not None:
        test = state.pregnancy_test
        if test == NOT_APPLICABLE:
            yield ("pregnancy-test", None)
            yield ("pregnancy-test-positive", None)
        elif test is None:
            yield (
                "pregnancy-test",
                _condition(
                    "pregnancy-test",
                    "no pregnancy test recorded for this session",
                    "a pregnancy test result from today, or 'not applicable'",
                    preg,
                    preg.overridable,
                ),
            )
        else:
            stale = preg.same_day and test.taken_on != today
            yield (
                "pregnancy-test",
                None
                if not stale
                else _condition(
                    "pregnancy-test",
                    f"pregnancy test dated {test.taken_on.isoformat()}, not today",
                    "a pregnancy test taken today",
                    preg,
                    preg.overridable,
                ),
            )
            yield (
                "pregnancy-test-positive",
                None
                if test.result == "negative"
                else _condition(
                    "pregnancy-test-positive",
                    "pregnancy test is positive",
                    "dosing cannot proceed",
                    preg,
                    False,
                ),
            )


def condition_codes(protocol: Protocol, state: GateState) -> tuple[str, ...]:
    """Every condition code the gate can report for this protocol and state."""
    gating = protocol.gating
    codes = ["preparation-sessions"]
    prep = gating.preparation
    if prep.at_least_before_dosing is not None or prep.at_most_before_dosing is not None:
        codes.append("preparation-timing")
    if gating.screening is not None:
        codes += ["screening-missing", "screening-not-eligible", "screening-expired"]
    if gating.washout is not None:
        codes += [f"washout:{m}" for m in sorted(state.washout_safe_from)]
    codes += [f"consent:{c.id}" for c in gating.consents]
    if gating.pregnancy_test is not None:
        codes += ["pregnancy-test", "pregnancy-test-positive"]
    return tuple(codes)


def check_dosing_gate(
    protocol: Protocol, state: GateState, *, today: date, now: datetime | None = None
) -> GateResult:
    """Evaluate every dosing precondition of `protocol` for `state` on `today`.

    `now` (timezone-aware, like the recorded preparation times) enables the hour-level check of
    preparation timing; without it that check is done by date, conservatively.
    """
    if now is not None and now.tzinfo is None:
        raise ValueError("now: must be timezone-aware")
    for i, prep in enumerate(state.preparation_sessions):
        if prep.held_at is not None and prep.held_at.tzinfo is None:
            raise ValueError(f"preparation_sessions.{i}.held_at: must be timezone-aware")
    known = set(condition_codes(protocol, state))
    evaluated = list(_evaluate(protocol, state, today, now))
    unmet = {code: cond for code, cond in evaluated if cond is not None}
    by_code: dict[str, Override] = {}
    for i, override in enumerate(state.overrides):
        if override.condition not in known:
            raise GateOverrideError(
                f"overrides.{i}.condition: unknown condition {override.condition!r}; "
                f"known: {', '.join(sorted(known))}"
            )
        if not override.reason.strip():
            raise GateOverrideError(f"overrides.{i}.reason: an override needs a reason")
        if not override.authorised_by.strip():
            raise GateOverrideError(f"overrides.{i}.authorised_by: name who authorised it")
        cond = unmet.get(override.condition)
        if cond is not None and not cond.overridable:
            raise GateOverrideError(
                f"overrides.{i}.condition: {override.condition!r} cannot be overridden"
            )
        by_code[override.condition] = override
    applied = tuple(
        AppliedOverride(c, by_code[code]) for code, c in unmet.items() if code in by_code
    )
    return GateResult(
        protocol_id=protocol.id,
        protocol_version=protocol.version,
        unmet=tuple(c for code, c in unmet.items() if code not in by_code),
        overridden=applied,
        met=tuple(code for code, cond in evaluated if cond is None),
        unused_overrides=tuple(o for code, o in by_code.items() if code not in unmet),
    )
