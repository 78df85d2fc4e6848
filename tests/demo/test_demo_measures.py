"""The demo's measures: plausible, internally consistent longitudinal scores for every stage."""

from __future__ import annotations

from collections import defaultdict
from statistics import mean

import pytest

from demo.conftest import TODAY
from mendwell.queries.measures import recompute
from mendwell.store.models import Client, MeasureSubmission, SafetyAlert, SelfReportLink, User


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_demo_measures_are_consistent_and_improve_on_average(demo_db) -> None:  # type: ignore[no-untyped-def]
    with demo_db.sessionmaker() as db:
        subs = db.query(MeasureSubmission).order_by(MeasureSubmission.id).all()
        assert {s.instrument_id for s in subs} == {"pcl5", "phq9", "gad7", "caps5-past-month"}
        organisation = db.query(Client).first().organisation_id  # type: ignore[union-attr]
        for sub in subs:  # every total is the instrument's own score of its answers
            assert recompute(db, sub, organisation).equal, sub.id
            assert sub.administered_on <= TODAY
        rita = db.query(User).filter_by(username="rita").one()
        caps = [s for s in subs if s.instrument_id == "caps5-past-month"]
        assert caps
        assert all(s.entered_by_id == rita.id and s.independent_rater for s in caps)
        assert any(s.entered_via == "self_report_link" for s in subs)

        series: dict[int, list[float]] = defaultdict(list)
        for sub in subs:
            if sub.instrument_id == "pcl5":
                series[sub.client_id].append(sub.total or 0)
        statuses = dict(db.query(Client.id, Client.status).all())
        finished = [v for c, v in series.items() if statuses[c] == "completed"]
        assert finished
        changes = [v[-1] - v[0] for v in finished]
        assert mean(changes) < -15  # improving on average
        assert any(c > -10 for c in changes)  # and some do not respond
        assert all(len(v) == 1 for c, v in series.items() if statuses[c] == "ineligible")
        assert not any(statuses[c] == "referred" for c in series)

        alerts = db.query(SafetyAlert).all()
        assert sorted((a.flag_code, a.acknowledged_at is None) for a in alerts) == [
            ("phq9_item9", False),
            ("phq9_item9", True),
        ]
        acknowledged = next(a for a in alerts if a.acknowledged_at)
        assert acknowledged.acknowledgement_note
        links = db.query(SelfReportLink).all()
        waiting = [link for link in links if link.submitted_at is None]
        assert len(waiting) == 1
        assert waiting[0].saved_answers["pcl5"]
