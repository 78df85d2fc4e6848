"""Reading treatment courses: protocols in use, visible courses, and what each role sees of them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, selectinload

from mendwell.actions.context import Actor
from mendwell.actions.errors import NotFound
from mendwell.clinical.courses import CourseStatus, is_due, is_overdue
from mendwell.clinical.protocols.schedule import measure_text
from mendwell.clinical.protocols.schema import (
    PROTOCOL_DIR,
    Measure,
    Protocol,
    shipped_protocols,
    validate_protocol_text,
)
from mendwell.permissions import Permission
from mendwell.queries.scope import client_visibility
from mendwell.store.models import (
    Client,
    Consent,
    Course,
    CourseVisit,
    GateCheck,
    GateOverride,
    MeasureLink,
    PregnancyTest,
    ProtocolDefinition,
    SessionNote,
    Site,
    User,
    VisitChange,
)


@lru_cache(maxsize=64)
def _parse(text: str) -> Protocol:
    check = validate_protocol_text(text)
    if check.protocol is None:
        raise ValueError("stored protocol no longer validates: " + "; ".join(check.problems))
    return check.protocol


def protocol_of(definition: ProtocolDefinition) -> Protocol:
    """The protocol a stored definition holds (parsed once per text).

    A shipped protocol stored unchanged is the one already loaded with the shipped files.
    """
    if definition.source == "shipped":
        shipped = shipped_protocols().get(definition.protocol_id)
        if shipped is not None and _shipped_sha256(definition.protocol_id) == definition.sha256:
            return shipped
    return _parse(definition.text)


@cache
def shipped_text(protocol_id: str) -> str:
    return (PROTOCOL_DIR / f"{protocol_id}.yaml").read_text(encoding="utf-8")


@cache
def _shipped_sha256(protocol_id: str) -> str:
    return hashlib.sha256(shipped_text(protocol_id).encode()).hexdigest()


@dataclass(frozen=True)
class ProtocolChoice:
    """A protocol that can be chosen at enrolment, and its stored definition if there is one."""

    protocol: Protocol
    source: str  # "shipped" | "custom"
    definition_id: int | None

    @property
    def ref(self) -> str:
        return f"{self.protocol.id}@{self.protocol.version}"


def protocol_choices(db: Session, organisation_id: int, site: Site | None) -> list[ProtocolChoice]:
    """Shipped protocols and the organisation's active custom ones, usable at ``site``."""
    stored = {
        (d.protocol_id, d.version): d
        for d in db.scalars(
            select(ProtocolDefinition).where(ProtocolDefinition.organisation_id == organisation_id)
        )
    }
    choices = [
        ProtocolChoice(p, "shipped", getattr(stored.get((p.id, p.version)), "id", None))
        for p in shipped_protocols().values()
    ]
    choices += [
        ProtocolChoice(protocol_of(d), "custom", d.id)
        for d in sorted(stored.values(), key=lambda d: (d.protocol_id, d.uploaded_at))
        if d.source == "custom" and d.is_active
    ]
    if site is None:
        return choices
    return [c for c in choices if c.protocol.jurisdiction in (None, site.jurisdiction)]


def course_query(db: Session, actor: Actor) -> Select[tuple[Course]]:
    """Courses of the clients ``actor`` may see, at sites where they may see courses."""
    sites = actor.sites_with(Permission.COURSE_VIEW)
    query = select(Course).join(Client, Client.id == Course.client_id)
    query = query.where(client_visibility(db, actor))
    if not actor.system:
        query = query.where(Course.site_id.in_(sites))
    return query


def get_visible_course(db: Session, actor: Actor, course_id: int) -> Course:
    """The course, or NotFound when it does not exist or its client is not visible."""
    # Visits and the definition load on first use, once per session (the identity map keeps them).
    course = db.scalar(course_query(db, actor).where(Course.id == course_id))
    if course is None:
        raise NotFound("course", course_id)
    return course


def client_courses(db: Session, client_id: int) -> list[Course]:
    """A client's courses, newest first (visibility is the caller's business)."""
    return list(
        db.scalars(
            select(Course)
            .where(Course.client_id == client_id)
            .options(selectinload(Course.visits), selectinload(Course.definition))
            .order_by(Course.enrolled_at.desc(), Course.id.desc())
        )
    )


def active_course(db: Session, client_id: int) -> Course | None:
    return db.scalar(
        select(Course).where(Course.client_id == client_id, Course.status == CourseStatus.ACTIVE)
    )


def assessments_only(actor: Actor, site_id: int) -> bool:
    """A blinded rater sees the assessment visits of a course and nothing of its treatment."""
    return actor.can(Permission.COURSE_VIEW, site_id) and not actor.can(
        Permission.CLIENT_VIEW_CLINICAL, site_id
    )


def rated_visit(protocol: Protocol, visit_id: str) -> bool:
    """A visit with a measure completed by a blinded independent rater."""
    return any(m.completed_by == "blinded_rater" for m in visit_measures(protocol, visit_id))


def visit_measures(protocol: Protocol, visit_id: str) -> tuple[Measure, ...]:
    try:
        return protocol.visit(visit_id).measures
    except KeyError:
        return ()


def self_report_instruments(protocol: Protocol, visit_id: str) -> list[str]:
    """The self-report instruments due at a visit, each once, in protocol order."""
    out: list[str] = []
    for m in visit_measures(protocol, visit_id):
        if m.completed_by == "self_report" and m.instrument not in out:
            out.append(m.instrument)
    return out


def visible_visits(actor: Actor, course: Course, protocol: Protocol) -> list[CourseVisit]:
    """The visits of a course this actor may see (raters: rated assessments only)."""
    if assessments_only(actor, course.site_id):
        return [v for v in course.visits if rated_visit(protocol, v.visit_id)]
    return list(course.visits)


def in_window(visit: CourseVisit) -> bool | None:
    """Whether a held (or booked) visit falls inside its window; None when neither is known."""
    day = visit.actual_date or visit.scheduled_date
    if day is None:
        return None
    return visit.earliest_date <= day <= visit.latest_date


@dataclass(frozen=True)
class ScheduleRow:
    """One visit as the schedule shows it."""

    visit: CourseVisit
    measures: tuple[str, ...]
    self_report: tuple[str, ...]
    in_window: bool | None
    due: bool
    overdue: bool
    note: SessionNote | None
    link: MeasureLink | None


def schedule_rows(
    db: Session, actor: Actor, course: Course, protocol: Protocol, today: date
) -> list[ScheduleRow]:
    """The visits this actor may see, with measures, window, note and link state."""
    visits = visible_visits(actor, course, protocol)
    ids = [v.id for v in visits]
    notes: dict[int, SessionNote] = {}
    if actor.can(Permission.NOTE_VIEW, course.site_id) and ids:
        notes = {
            n.course_visit_id: n
            for n in db.scalars(select(SessionNote).where(SessionNote.course_visit_id.in_(ids)))
        }
    links: dict[int, MeasureLink] = {}
    if actor.can(Permission.MEASURE_VIEW, course.site_id) and ids:
        for link in db.scalars(
            select(MeasureLink).where(MeasureLink.course_visit_id.in_(ids)).order_by(MeasureLink.id)
        ):
            links[link.course_visit_id] = link
    return [
        ScheduleRow(
            visit=v,
            measures=tuple(measure_text(m) for m in visit_measures(protocol, v.visit_id)),
            self_report=tuple(self_report_instruments(protocol, v.visit_id)),
            in_window=in_window(v),
            due=is_due(v, today),
            overdue=is_overdue(v, today),
            note=notes.get(v.id),
            link=links.get(v.id),
        )
        for v in visits
    ]


def visit_history(db: Session, visit: CourseVisit) -> list[VisitChange]:
    return list(
        db.scalars(
            select(VisitChange)
            .where(VisitChange.course_visit_id == visit.id)
            .order_by(VisitChange.id.desc())
        )
    )


def course_consents(db: Session, course: Course) -> list[Consent]:
    return list(
        db.scalars(
            select(Consent)
            .where(
                Consent.client_id == course.client_id,
                or_(Consent.course_id == course.id, Consent.course_id.is_(None)),
            )
            .order_by(Consent.given_on.desc(), Consent.id.desc())
        )
    )


def course_pregnancy_tests(db: Session, course: Course) -> list[PregnancyTest]:
    return list(
        db.scalars(
            select(PregnancyTest)
            .where(PregnancyTest.course_id == course.id)
            .order_by(PregnancyTest.taken_at.desc())
        )
    )


def gate_checks(db: Session, course: Course, visit_id: str) -> list[GateCheck]:
    return list(
        db.scalars(
            select(GateCheck)
            .where(GateCheck.course_id == course.id, GateCheck.visit_id == visit_id)
            .order_by(GateCheck.id.desc())
        )
    )


def gate_overrides(db: Session, course: Course, visit_id: str) -> list[GateOverride]:
    return list(
        db.scalars(
            select(GateOverride)
            .where(GateOverride.course_id == course.id, GateOverride.visit_id == visit_id)
            .order_by(GateOverride.id)
        )
    )


def users_by_id(db: Session, ids: set[int | None]) -> dict[int, User]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {u.id: u for u in db.scalars(select(User).where(User.id.in_(wanted)))}
