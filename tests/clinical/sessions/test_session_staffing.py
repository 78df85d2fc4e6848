"""Staffing gaps during dosing sessions, as intervals."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mendwell.clinical.protocols.schema import load_protocol
from mendwell.clinical.sessions.jurisdiction import (
    load_jurisdiction_sessions,
    resolve_session_rules,
)
from mendwell.clinical.sessions.rules import StaffingRequirement
from mendwell.clinical.sessions.staffing import Presence, check_requirement, check_staffing

START = datetime(2025, 4, 3, 9, 0, tzinfo=UTC)
END = START + timedelta(hours=8)


def at(hh: int, mm: int = 0) -> datetime:
    return START.replace(hour=hh, minute=mm)


MDMA_RULES = resolve_session_rules(load_protocol("mdma-at-phase3")).staffing
OREGON = load_jurisdiction_sessions("us-or")
OR_FACILITATOR = next(r for r in OREGON.staffing if r.role == "facilitator")


def test_two_facilitators_throughout_no_gap():
    presence = [
        Presence("alice", "facilitator", at(8, 45), at(17, 30)),
        Presence("bob", "facilitator", at(8, 50)),
    ]
    assert check_staffing(presence, START, END, MDMA_RULES).ok


def test_overlapping_absences_give_three_gaps():
    # Alice steps out 13:00-13:10, Bob 13:05-13:20: one facilitator, then none, then one.
    presence = [
        Presence("alice", "facilitator", START, at(13, 0)),
        Presence("alice", "facilitator", at(13, 10), END),
        Presence("bob", "facilitator", START, at(13, 5)),
        Presence("bob", "facilitator", at(13, 20), END),
    ]
    report = check_staffing(presence, START, END, MDMA_RULES)
    got = [(g.start, g.end, g.present, g.required) for g in report.gaps]
    assert got == [
        (at(13, 0), at(13, 5), 1, 2),
        (at(13, 5), at(13, 10), 0, 2),
        (at(13, 10), at(13, 20), 1, 2),
    ]
    assert report.gaps[1].missing == "2 facilitators short (0 of 2 present)"
    assert report.gaps[0].unconfirmed  # the dyad wording is UNCONFIRMED in the sources


def test_late_arrival_and_a_person_counted_once():
    presence = [
        Presence("alice", "facilitator", START),
        Presence("alice", "facilitator", at(9, 30), at(10, 0)),  # overlapping duplicate entry
        Presence("bob", "facilitator", at(9, 20)),
        Presence("nurse-nia", "medical", START),
    ]
    report = check_staffing(presence, START, END, MDMA_RULES)
    assert [(g.start, g.end) for g in report.gaps] == [(START, at(9, 20))]


# Oregon (OAR 333-333-5200(5)): a facilitator may take a restroom break of about five minutes
# or less if a licensee representative is available to monitor clients.
def oregon_presence(break_minutes: int, rep_leaves: tuple[int, int] | None = None):
    back = at(11, 0) + timedelta(minutes=break_minutes)
    people = [
        Presence("alice", "facilitator", START, at(11, 0)),
        Presence("alice", "facilitator", back, END),
    ]
    if rep_leaves is None:
        people.append(Presence("dave", "licensee-representative", START, END))
    else:
        a, b = rep_leaves
        people += [
            Presence("dave", "licensee-representative", START, at(10, a)),
            Presence("dave", "licensee-representative", at(11, b), END),
        ]
    return people


@pytest.mark.parametrize(
    ("minutes", "gap"),
    [(4, None), (5, None), (6, "break-too-long")],
)
def test_oregon_covered_break(minutes, gap):
    report = check_requirement(oregon_presence(minutes), START, END, OR_FACILITATOR)
    if gap is None:
        assert report.ok
        assert [(b.start, b.covered_by) for b in report.covered_breaks] == [(at(11, 0), ("dave",))]
    else:
        assert [(g.start, g.end, g.reason) for g in report.gaps] == [
            (at(11, 0), at(11, 0) + timedelta(minutes=minutes), gap)
        ]
        assert "OAR 333-333-5200" in report.gaps[0].sources[0]


def test_oregon_uncovered_break():
    # Dave is away 10:58-11:10, so Alice's 4-minute break has no cover.
    presence = oregon_presence(4, rep_leaves=(58, 10))
    report = check_requirement(presence, START, END, OR_FACILITATOR)
    assert [(g.start, g.end, g.reason) for g in report.gaps] == [
        (at(11, 0), at(11, 4), "break-not-covered")
    ]
    # Dave's own 12-minute absence breaks the licensee-representative rule as well.
    everything = check_staffing(presence, START, END, OREGON.staffing)
    assert {g.requirement_id for g in everything.gaps} == {
        "oregon-facilitator-present",
        "oregon-licensee-representative",
    }


def test_requirements_for_other_visit_kinds_are_skipped():
    presence = [Presence("alice", "facilitator", START, END)]
    assert check_staffing(presence, START, END, MDMA_RULES, visit_kind="integration").ok


@pytest.mark.parametrize(
    ("presence", "message"),
    [
        ([Presence("a", "facilitator", datetime(2025, 4, 3, 9))], "presence.0.arrived"),
        ([Presence("a", "facilitator", at(10), at(9))], "presence.0.left"),
    ],
)
def test_bad_presence_names_the_field(presence, message):
    with pytest.raises(ValueError, match=message):
        check_staffing(presence, START, END, MDMA_RULES)


RULES = st.sampled_from(
    [
        MDMA_RULES[0],
        OR_FACILITATOR,
        StaffingRequirement.model_validate(
            {
                "id": "three",
                "role": "facilitator",
                "minimum": 3,
                "description": "three",
                "sources": [{"citation": "test rule"}],
                "breaks": {"max_minutes": 7, "covered_by": [], "sources": [{"citation": "test"}]},
            }
        ),
    ]
)


@st.composite
def presences(draw):
    people = []
    for _ in range(draw(st.integers(0, 8))):
        a = draw(st.integers(-30, 500))
        b = draw(st.one_of(st.none(), st.integers(a, 520)))
        role = draw(st.sampled_from(["facilitator", "facilitator", "licensee-representative"]))
        person = draw(st.sampled_from(["alice", "bob", "carl", "dave"]))
        left = None if b is None else START + timedelta(minutes=b)
        people.append(Presence(person, role, START + timedelta(minutes=a), left))
    return people


def count_at(presence, role, t):
    return len(
        {p.person for p in presence if p.role == role and p.arrived <= t and (p.left or END) > t}
    )


@settings(max_examples=150)
@given(presence=presences(), req=RULES)
def test_gaps_never_overlap_presence_that_satisfies_the_rule(presence, req):
    report = check_requirement(presence, START, END, req)
    spans = sorted(
        [(g.start, g.end) for g in report.gaps] + [(b.start, b.end) for b in report.covered_breaks]
    )
    for (_a1, b1), (a2, _) in itertools.pairwise(spans):
        assert b1 <= a2  # gaps and breaks never overlap each other
    for gap in report.gaps:
        assert START <= gap.start < gap.end <= END
        mid = gap.start + (gap.end - gap.start) / 2
        assert count_at(presence, req.role, mid) == gap.present < req.minimum
    # Every instant short of the minimum is in a gap or an allowed break.
    cuts = sorted(
        {START, END} | {t for p in presence for t in (p.arrived, p.left) if t and START < t < END}
    )
    for a, b in itertools.pairwise(cuts):
        mid = a + (b - a) / 2
        if count_at(presence, req.role, mid) < req.minimum:
            assert any(s <= mid < e for s, e in spans)
