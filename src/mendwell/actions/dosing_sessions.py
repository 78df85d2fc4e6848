"""Recording a dosing session: start, presence, pre-dose checklist, doses, the supplemental dose,
vital signs and alerts, the timeline, end, discharge, signatures and addenda.

Every action needs ``session.record`` at the session's site (acknowledging a vital alert needs
``alert.acknowledge``), writes in one transaction with its audit event, and refuses a session
that has been signed: after signing, a change is an addendum.

Times default to the server's time; an explicit earlier time is back-entry (never in the future,
never before the session started). Appending writes may pass the session version last seen
(a stale one is a Conflict); ending, discharge, signing and co-signing must.
"""

from __future__ import annotations

from mendwell.actions.context import ActionContext
from mendwell.schemas.dosing_sessions import (
    AddendumInput,
    AdministrationInput,
    ArrivalInput,
    ChecklistAnswerInput,
    DischargeInput,
    EndSessionInput,
    FacilitatorsInput,
    LeavingInput,
    SignInput,
    StartSession,
    SupplementalInput,
    TimelineInput,
    VitalAlertAcknowledgement,
    VitalsInput,
)
from mendwell.store.models import (
    DoseAdministration,
    DosingSession,
    PreDoseAnswer,
    SessionAddendum,
    SessionDischarge,
    SessionPresence,
    SupplementalDecision,
    TimelineEntry,
    VitalAlert,
    VitalReading,
)


def start_session(ctx: ActionContext, course_id: int, data: StartSession) -> DosingSession:
    """Start the session of a dosing visit; the acting user is the lead facilitator.

    The dosing gate is checked and recorded (with any overrides in ``data``); the session starts
    only if it passes. The resolved session rules are stored with the session. Refused for a
    visit that is not a dosing visit, not open, or that already has a session.
    """
    raise NotImplementedError


def set_facilitators(ctx: ActionContext, session_id: int, data: FacilitatorsInput) -> DosingSession:
    """Name the lead and the second facilitator (two different people at the site)."""
    raise NotImplementedError


def record_arrival(ctx: ActionContext, session_id: int, data: ArrivalInput) -> SessionPresence:
    """A staff member joins the session in a role; opens a presence interval."""
    raise NotImplementedError


def record_leaving(
    ctx: ActionContext, session_id: int, presence_id: int, data: LeavingInput
) -> SessionPresence:
    """Close a presence interval; staffing gaps follow from the intervals and are kept."""
    raise NotImplementedError


def answer_checklist(
    ctx: ActionContext, session_id: int, data: ChecklistAnswerInput
) -> PreDoseAnswer:
    """Answer a pre-dose checklist item; a later answer to the same item supersedes it."""
    raise NotImplementedError


def record_administration(
    ctx: ActionContext, session_id: int, data: AdministrationInput
) -> DoseAdministration:
    """Record a dose given, with the conversions shown and the limit and plan checks.

    The initial dose is refused until every required checklist item is answered acceptably. A
    dose beyond a limit (protocol or jurisdiction), different from the plan, or a supplemental
    dose outside its window is refused unless ``data.reason`` says why; with a reason it is
    recorded and flagged. A supplemental dose also records the supplemental decision "given".
    """
    raise NotImplementedError


def record_supplemental(
    ctx: ActionContext, session_id: int, data: SupplementalInput
) -> SupplementalDecision:
    """The supplemental dose offered, declined or withheld (a reason where the rules need one)."""
    raise NotImplementedError


def record_vitals(ctx: ActionContext, session_id: int, data: VitalsInput) -> VitalReading:
    """Record a set of vital signs; each value beyond a threshold raises a vital alert."""
    raise NotImplementedError


def acknowledge_vital_alert(
    ctx: ActionContext, session_id: int, alert_id: int, data: VitalAlertAcknowledgement
) -> VitalAlert:
    """Acknowledge a vital-sign alert with the action taken (once)."""
    raise NotImplementedError


def add_timeline_entry(ctx: ActionContext, session_id: int, data: TimelineInput) -> TimelineEntry:
    """An observation (from the observation list) or a free-text note, at minute resolution."""
    raise NotImplementedError


def end_session(ctx: ActionContext, session_id: int, data: EndSessionInput) -> DosingSession:
    """End the session; open presence intervals close and the staffing check is kept."""
    raise NotImplementedError


def record_discharge(ctx: ActionContext, session_id: int, data: DischargeInput) -> SessionDischarge:
    """Record the discharge with the criteria and the minimum-duration check.

    Ends the session at the discharge time if it is still running. A discharge with unmet
    criteria or before the minimum duration needs ``data.reason``; it is kept with its problems.
    """
    raise NotImplementedError


def sign_session(ctx: ActionContext, session_id: int, data: SignInput) -> DosingSession:
    """The lead facilitator signs the ended, discharged session (vital alerts acknowledged)."""
    raise NotImplementedError


def cosign_session(ctx: ActionContext, session_id: int, data: SignInput) -> DosingSession:
    """The second facilitator (a different person) co-signs; the record is then locked."""
    raise NotImplementedError


def add_addendum(ctx: ActionContext, session_id: int, data: AddendumInput) -> SessionAddendum:
    """Add an addendum to a signed session; the original record stays as it was."""
    raise NotImplementedError
