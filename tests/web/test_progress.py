"""The client page's measures panel: latest scores, change from baseline with reliable and
clinically meaningful change, and a chart per instrument readable without colour."""

from __future__ import annotations

from mendwell.clinical.instruments import classify_change, get_instrument, score
from support.measures import pcl5, phq9
from support.tokens import issue_token
from support.web import Browser, api_client


def _enter(api, client_id: int, instrument_id: str, given: dict, day: str) -> None:  # type: ignore[no-untyped-def, type-arg]
    response = api.post(
        f"/api/v1/clients/{client_id}/measures",
        json={"instrument_id": instrument_id, "answers": given, "administered_on": day},
    )
    assert response.status_code == 201, response.text


def test_the_panel_shows_change_from_baseline_and_a_chart(app, database, world) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients["alice"]
    api = api_client(app, issue_token(database, world.users["alice"]))
    _enter(api, client_id, "pcl5", pcl5(3), "2025-10-01")  # 60
    _enter(api, client_id, "pcl5", pcl5(2), "2025-11-01")  # 40
    _enter(api, client_id, "pcl5", pcl5(1), "2025-12-15")  # 20
    _enter(api, client_id, "phq9", phq9(2), "2025-10-01")  # 16
    instrument = get_instrument("pcl5")
    expected = classify_change(instrument, score(instrument, pcl5(3)), score(instrument, pcl5(1)))
    assert expected.change == -40

    alice = Browser(app)
    alice.login("alice")
    page = alice.get(f"/clients/{client_id}").text
    panel = page.split('id="panel-measures"')[1]
    row = panel.split('<th scope="row">PCL-5</th>')[1].split("</tr>")[0]
    assert "60" in row
    assert "20" in row
    assert "-40" in row
    yes_no = {True: "yes", False: "no", None: "no threshold"}
    assert f'"Reliable change">{yes_no[expected.reliable]}</td>' in row
    assert f'"Clinically meaningful">{yes_no[expected.clinically_meaningful]}</td>' in row
    phq_row = panel.split('<th scope="row">PHQ-9</th>')[1].split("</tr>")[0]
    assert "baseline only" in phq_row
    for used in expected.thresholds_used:
        assert used.sources[0].citation[:40] in panel
    # The chart: one labelled point per score, the cut-point as a labelled dashed line.
    assert 'role="img"' in panel
    assert "PCL-5 total over time" in panel
    assert 'class="cut-line"' in panel
    assert "cut-point 33" in panel
    chart = panel.split('id="chart-pcl5-t"')[1].split("</svg>")[0]
    assert chart.count('class="point-label"') == 3
    assert "2025-10-01 60; 2025-11-01 40; 2025-12-15 20" in chart
    # The same scores as a table, for screen readers and print.
    assert "Table of PCL-5 scores" in panel


def test_admins_see_the_panel_read_only_and_analysts_not_at_all(app, database, world) -> None:  # type: ignore[no-untyped-def]
    client_id = world.clients["alice"]
    api = api_client(app, issue_token(database, world.users["alice"]))
    _enter(api, client_id, "phq9", phq9(2), "2025-10-01")
    admin = Browser(app)
    admin.login("admin")
    page = admin.get(f"/clients/{client_id}").text
    assert 'id="panel-measures"' in page
    assert "Enter a measure" not in page
    assert f'action="/clients/{client_id}/links"' not in page
    ana = Browser(app)
    ana.login("ana")
    assert 'id="panel-measures"' not in ana.get(f"/clients/{client_id}").text
