"""Adverse events: grades, seriousness, expedited-report clocks, checklist, Oregon categories."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mendwell.clinical.sessions.adverse_events import (
    EVENT_CATEGORIES,
    AdverseEvent,
    AdverseEventError,
    OregonReactionFacts,
    assess_adverse_event,
    classify_oregon_reaction,
    clock_statuses,
    shipped_vocabulary,
    unanswered_checklist,
)

VOCAB = shipped_vocabulary()
AWARE = date(2025, 1, 1)


def test_ctcae_grades_carry_their_ncit_codes():
    # HL7 THO value set adverse-event-clinical-research-grades.
    assert {g.grade: g.ncit for g in VOCAB.grades} == {
        1: "C41338",
        2: "C41339",
        3: "C41340",
        4: "C41337",
        5: "C48275",
    }


def test_vocabulary_has_the_six_criteria_and_five_relatedness_levels():
    assert [c.id for c in VOCAB.seriousness_criteria] == [
        "results-in-death",
        "life-threatening",
        "hospitalization",
        "persistent-disability",
        "congenital-anomaly",
        "important-medical-event",
    ]
    assert len(VOCAB.relatedness.terms) == 5
    assert {s.id for s in VOCAB.special_interest} == {
        "suicidality-self-harm",
        "cardiovascular",
        "psychiatric-psychotic",
        "abuse-potential-misuse",
        "boundary-violation-misconduct",
    }


def test_checklist_asks_about_positive_mood_alongside_unpleasant_events():
    # FDA's complete response letter: the MAPP2 manual excluded positive or favourable effects.
    items = {c.id: c for c in VOCAB.session_checklist}
    assert items["euphoria"].group == items["elevated-mood"].group == "positive-mood"
    assert {"nausea", "headache"} <= set(items)
    assert "abuse-potential-misuse" in items["euphoria"].special_interest


@pytest.mark.parametrize(
    ("criteria", "serious", "fatal_lt"),
    [
        ((), False, False),
        (("hospitalization",), True, False),
        (("important-medical-event",), True, False),
        (("life-threatening",), True, True),
        (("results-in-death",), True, True),
    ],
)
def test_seriousness_is_derived_from_the_criteria(criteria, serious, fatal_lt):
    a = assess_adverse_event(AdverseEvent("x", AWARE, seriousness_criteria=criteria))
    assert (a.serious, a.fatal_or_life_threatening) == (serious, fatal_lt)


def susar(*criteria, **kw):
    data = {"relatedness": "probably", "expectedness": "unexpected"} | kw
    return AdverseEvent("event", AWARE, seriousness_criteria=criteria, **data)


def test_fatal_or_life_threatening_susar_7_then_15_days():
    # ICH E2A: within 7 calendar days of first knowledge (day 0), complete report within 8 more.
    a = assess_adverse_event(susar("life-threatening"))
    assert a.expedited == "yes"
    assert [(c.days, c.due_on) for c in a.clocks] == [
        (7, date(2025, 1, 8)),
        (15, date(2025, 1, 16)),
    ]
    assert not any(c.provisional for c in a.clocks)


def test_other_serious_susar_15_days():
    a = assess_adverse_event(susar("hospitalization"))
    assert [(c.id, c.due_on) for c in a.clocks] == [("susar-other", date(2025, 1, 16))]


@pytest.mark.parametrize(
    "event",
    [
        susar(),  # not serious
        susar("hospitalization", expectedness="expected"),
        susar("hospitalization", relatedness="unlikely"),
        susar("hospitalization", relatedness="not-related"),
    ],
)
def test_no_expedited_report(event):
    a = assess_adverse_event(event)
    assert a.expedited == "no"
    assert a.clocks == ()


def test_unassessed_serious_event_runs_provisional_clocks():
    a = assess_adverse_event(AdverseEvent("x", AWARE, seriousness_criteria=("life-threatening",)))
    assert a.expedited == "pending-assessment"
    assert a.suspected is None
    assert a.unexpected is None
    assert [c.days for c in a.clocks] == [7, 15]
    assert all(c.provisional for c in a.clocks)


@pytest.mark.parametrize(
    ("today", "submitted", "state", "left"),
    [
        (date(2025, 1, 5), None, "pending", 3),
        (date(2025, 1, 8), None, "due-today", 0),
        (date(2025, 1, 9), None, "overdue", -1),
        (date(2025, 1, 20), date(2025, 1, 8), "submitted", -12),
        (date(2025, 1, 20), date(2025, 1, 9), "submitted-late", -12),
    ],
)
def test_clock_status(today, submitted, state, left):
    clocks = assess_adverse_event(susar("life-threatening")).clocks
    sent = {} if submitted is None else {"susar-fatal-initial": submitted}
    status = clock_statuses(clocks, today, sent)[0]
    assert (status.state, status.days_left) == (state, left)
    assert status.overdue is (state in ("overdue", "submitted-late"))


def test_unknown_submitted_clock_is_an_error():
    clocks = assess_adverse_event(susar("hospitalization")).clocks
    with pytest.raises(AdverseEventError, match="submitted"):
        clock_statuses(clocks, AWARE, {"susar-fatal-initial": AWARE})


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"seriousness_criteria": ("hospitalisation",)}, "seriousness_criteria"),
        ({"relatedness": "maybe"}, "relatedness"),
        ({"expectedness": "surprising"}, "expectedness"),
        ({"action_taken": "dose-doubled"}, "action_taken"),
        ({"outcome": "better"}, "outcome"),
        ({"special_interest": ("cardiac",)}, "special_interest"),
        ({"checklist_item": "giggles"}, "checklist_item"),
        ({"grade": 6}, "grade"),
    ],
)
def test_unknown_codes_name_the_field(change, field):
    with pytest.raises(AdverseEventError, match=f"^{field}:"):
        assess_adverse_event(AdverseEvent("x", AWARE, **change))


def test_checklist_item_adds_its_special_interest_and_grade_code():
    a = assess_adverse_event(
        AdverseEvent("Suicidal thoughts", AWARE, grade=2, checklist_item="suicidal-ideation")
    )
    assert a.special_interest == ("suicidality-self-harm",)
    assert a.grade_ncit == "C41339"
    assert (a.vocabulary_id, a.vocabulary_version) == ("adverse-event-vocabulary", VOCAB.version)


def test_grade_and_criteria_inconsistencies_are_noted():
    assert assess_adverse_event(AdverseEvent("x", AWARE, grade=5)).notes
    assert assess_adverse_event(
        AdverseEvent("x", AWARE, grade=3, seriousness_criteria=("results-in-death",))
    ).notes
    assert assess_adverse_event(AdverseEvent("x", AWARE, grade=4)).notes
    assert not assess_adverse_event(
        AdverseEvent("x", AWARE, grade=5, seriousness_criteria=("results-in-death",))
    ).notes


def test_unanswered_checklist_items():
    ids = [c.id for c in VOCAB.session_checklist]
    answers = dict.fromkeys(ids, False)
    del answers["euphoria"]
    assert unanswered_checklist(answers) == ["euphoria"]
    with pytest.raises(AdverseEventError, match="answers"):
        unanswered_checklist({"bliss": True})


# OAR 333-333-1010 (2)-(4).
@pytest.mark.parametrize(
    ("facts", "categories"),
    [
        (
            OregonReactionFacts(True, "behavioral", True, False, False),
            ("adverse-behavioral-reaction", "adverse-reaction"),
        ),
        (
            OregonReactionFacts(True, "medical", False, True, False),
            ("adverse-medical-reaction", "adverse-reaction"),
        ),
        (OregonReactionFacts(True, "medical", True, True, True), ("adverse-medical-reaction",)),
        (OregonReactionFacts(True, "behavioral", False, False, False), ()),
        (OregonReactionFacts(False, "medical", True, True, True), ()),
    ],
)
def test_oregon_adverse_reaction_categories(facts, categories):
    result = classify_oregon_reaction(facts)
    assert result.ids == categories
    assert result.jurisdiction == "us-or"
    for c in result.categories:
        assert c.sources[0].citation == "OAR 333-333-1010"


def test_oregon_nature_is_needed_only_when_the_reaction_falls_in_a_category():
    # OAR 333-333-1010 (3)-(4): behavioral or medical only matters with emergency services or care.
    assert classify_oregon_reaction(OregonReactionFacts(True, None, False, False, False)).ids == ()
    with pytest.raises(AdverseEventError, match=r"^nature:"):
        classify_oregon_reaction(OregonReactionFacts(True, None, False, True, False))


def test_special_interest_given_twice_counts_once():
    a = assess_adverse_event(
        AdverseEvent(
            "Euphoria",
            AWARE,
            special_interest=("abuse-potential-misuse", "abuse-potential-misuse"),
            checklist_item="euphoria",
        )
    )
    assert a.special_interest == ("abuse-potential-misuse",)


def test_every_checklist_group_is_an_event_category():
    assert {c.group for c in VOCAB.session_checklist} <= set(EVENT_CATEGORIES) - {"other"}


@given(
    aware=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)),
    fatal=st.booleans(),
    offset=st.integers(min_value=-30, max_value=30),
)
def test_clocks_count_calendar_days_from_awareness(aware, fatal, offset):
    # ICH E2A: day 0 is first knowledge; each clock is due `days` calendar days later.
    criterion = "life-threatening" if fatal else "hospitalization"
    event = AdverseEvent(
        "x",
        aware,
        seriousness_criteria=(criterion,),
        relatedness="possibly",
        expectedness="unexpected",
    )
    clocks = assess_adverse_event(event).clocks
    assert [c.due_on - aware for c in clocks] == [timedelta(days=c.days) for c in clocks]
    today = aware + timedelta(days=offset)
    for status in clock_statuses(clocks, today):
        assert status.days_left == (status.clock.due_on - today).days
        expected = (
            "pending"
            if status.days_left > 0
            else "due-today"
            if status.days_left == 0
            else "overdue"
        )
        assert status.state == expected
