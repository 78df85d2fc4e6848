"""The program outcomes page, its HTML report and CSV: who may see them, filters, the arms and
single-arm analyses, de-identification, and bad filter values."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, time, timedelta

import pytest

from mendwell.actions import clients as client_actions
from mendwell.actions import measures as measure_actions
from mendwell.schemas.clients import ClientCreate
from mendwell.schemas.common import parse
from mendwell.schemas.measures import MeasureEntry
from mendwell.store.models import AuditEvent, Client
from support.courses import TODAY, ScreeningDesk, enrol, medical_at_site_b, visits_by_id
from support.measures import pcl5
from support.screening import acting
from support.web import Browser
from support.world import client_payload

LATER = datetime.combine(TODAY + timedelta(days=400), time(12), UTC)
# (name, protocol, arm, PCL-5 item value at each pcl5 visit after screening)
COHORT = (
    ("Mira Quill", "mdma-at-phase3", "MDMA-AT", (3, 1, 1)),
    ("Otto Vance", "mdma-at-phase3", "MDMA-AT", (3, 2, 1)),
    ("Lena Frost", "mdma-at-phase3", "MDMA-AT", (4, 2, 1)),
    ("Ivo Marsh", "mdma-at-phase3", "MDMA-AT", (3, 1, 0)),
    ("Tess Rowe", "mdma-at-phase3", "placebo-AT", (3, 3, 2)),
    ("Abel Stone", "mdma-at-phase3", "placebo-AT", (3, 2, 3)),
    ("Nina Holt", "mdma-at-phase3", "placebo-AT", (4, 3, 3)),
    ("Cyril Dunn", "mdma-at-phase3", "placebo-AT", (3, 3, 2)),
    ("Pia Lund", "psilocybin-single-25mg", None, (3, 1, 1, 2)),
    ("Rex Bauer", "psilocybin-single-25mg", None, (4, 2, 2, 1)),
    ("Uma Kerr", "psilocybin-single-25mg", None, (3, 3, 2, 2)),
)


@pytest.fixture
def program(database, world, settings):  # type: ignore[no-untyped-def]
    """Courses at site A with PCL-5 totals entered at their measure visits (after baseline the
    MDMA courses have two arms; the psilocybin courses none), and one course at site B."""
    medical_at_site_b(database, world)
    desk = ScreeningDesk(database, world, settings)
    names = {}
    for n, (name, protocol, arm, values) in enumerate(COHORT):
        with acting(database, world.users["alice"]) as ctx:
            data = parse(
                ClientCreate,
                client_payload(world.sites["A"], name, facilitator_ids=[world.users["alice"]]),
                context={"today": TODAY},
            )
            client_id = client_actions.create_client(ctx, data).id
        substance = "mdma" if protocol.startswith("mdma") else "psilocybin"
        desk.sign(client_id, substance=substance)
        course_id = enrol(database, world.users["alice"], client_id, protocol, arm=arm)
        visits = [
            v
            for v in visits_by_id(database, course_id).values()
            if v.visit_id not in ("screening",)
            and v.kind in ("baseline", "assessment", "follow_up")
        ]
        visits.sort(key=lambda v: v.sequence)
        for visit, value in zip(visits, values, strict=False):
            with acting(database, world.users["alice"], LATER) as ctx:
                entry = MeasureEntry(
                    instrument_id="pcl5",
                    answers=pcl5(value, pcl5_01=min(4, value + n % 2)),
                    administered_on=visit.target_date,
                )
                measure_actions.enter_measure(ctx, client_id, entry)
        names[client_id] = name
    desk.sign(world.clients["carol"], substance="psilocybin")
    enrol(database, world.users["carol"], world.clients["carol"], "oregon-service-centre")
    with database.sessionmaker() as db:
        codes = [c.code for c in db.query(Client).all()]
    return {"names": [*names.values(), "Avery Example", "Casey Sample"], "codes": codes}


def _browser(app, username: str) -> Browser:  # type: ignore[no-untyped-def]
    browser = Browser(app)
    assert browser.login(username).status_code == 303
    return browser


def _cells(html: str, table_id: str) -> list[list[str]]:
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert table, table_id
    body = table.group(0).split("<tbody>", 1)[1]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in rows]
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in row] for row in cells]


@pytest.mark.parametrize("username", ["facilitator", "rater"])
def test_facilitators_and_raters_may_not_see_outcomes(app, world, username) -> None:  # type: ignore[no-untyped-def]
    browser = _browser(app, {"facilitator": "alice", "rater": "rita"}[username])
    for path in ("/outcomes", "/outcomes/report.html", "/outcomes/data.csv"):
        assert browser.get(path).status_code == 403, path
    assert 'href="/outcomes"' not in browser.get("/").text


@pytest.mark.parametrize("username", ["admin", "mara", "ana"])
def test_admin_medical_and_analyst_have_the_nav_item_and_page(app, world, username) -> None:  # type: ignore[no-untyped-def]
    browser = _browser(app, username)
    assert 'href="/outcomes"' in browser.get("/").text
    assert browser.get("/outcomes").status_code == 200


def test_programs_with_arms_get_the_mmrm_and_single_arm_programs_the_within_group_change(
    app, world, program
) -> None:  # type: ignore[no-untyped-def]
    ana = _browser(app, "ana")
    page = ana.get("/outcomes").text
    assert "Program with arms</strong> (MDMA-AT, placebo-AT)" in page
    assert "3 courses without an arm are left out" in page
    assert "Arm comparison (MMRM)" in page
    differences = _cells(page, "differences-table")
    assert [row[:2] for row in differences] == [
        ["Primary endpoint (about 18 weeks after baseline)", "MDMA-AT"],
        ["Follow-up 6 months after the primary endpoint", "MDMA-AT"],
    ]
    assert all(re.fullmatch(r"−?\d+\.\d\d", row[2]) for row in differences)
    assert float(differences[-1][2].replace("−", "-")) < 0  # the MDMA-AT arm improves more
    assert 'class="mean-line"' in page
    assert page.count('class="bar"') == 8

    single = ana.get("/outcomes?protocol=psilocybin-single-25mg").text
    assert "Single-arm program" in single
    assert "Arm comparison (MMRM)" not in single
    change = _cells(single, "change-table")
    assert [row[0] for row in change] == [
        "Follow-up 3 weeks after dosing",
        "Follow-up 6 weeks after dosing",
        "Follow-up 12 weeks after dosing",
    ]
    assert [row[1] for row in change] == ["3", "3", "3"]
    assert all(re.match(r"d(_z)? = −?\d\.\d\d \(", row[-1]) for row in change), change
    assert single.count('class="bar"') == 3


def test_filters_narrow_the_courses_and_the_actor_sees_only_their_sites(
    app, world, program
) -> None:  # type: ignore[no-untyped-def]
    admin = _browser(app, "admin")
    everything = admin.get("/outcomes").text
    # Courses without an arm are left out when others have arms.
    assert "8 treatment courses of 8 clients" in everything
    assert "4 courses without an arm are left out" in everything
    site_a = admin.get(f"/outcomes?site={world.sites['A']}").text
    assert "3 courses without an arm are left out" in site_a
    psilocybin = admin.get("/outcomes?substance=psilocybin").text
    assert "4 treatment courses of 4 clients" in psilocybin  # three at site A, one at site B
    both = admin.get(f"/outcomes?substance=psilocybin&site={world.sites['A']}").text
    assert "3 treatment courses of 3 clients" in both
    site_b = admin.get(f"/outcomes?site={world.sites['B']}").text
    assert "1 treatment course of 1 client;" in site_b
    assert "No clients match with PCL-5 data" in site_b
    late = admin.get(f"/outcomes?from={(TODAY + timedelta(days=1)).isoformat()}").text
    assert "No clients match" in late
    assert 'id="outcomes-empty"' in late
    assert "Download report" not in late
    # The analyst works at site A only: site B is not offered and not counted.
    ana = _browser(app, "ana")
    assert "3 courses without an arm are left out" in ana.get("/outcomes").text
    assert "3 treatment courses of 3 clients" in ana.get("/outcomes?substance=psilocybin").text
    refused = ana.get(f"/outcomes?site={world.sites['B']}")
    assert refused.status_code == 422
    assert "site: must be one of the sites you may analyse" in refused.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-13-01", "from: must be a date as YYYY-MM-DD"),
        ("from=2026-02-01&to=2026-01-01", "to: cannot be before the start of the range"),
        ("instrument=phq9", "instrument: must be one of pcl5, caps5-past-month"),
        ("protocol=nope", "protocol: must be one of"),
        ("threshold=nope", "threshold: must be one of"),
        ("site=abc", "site: must be one of the sites you may analyse"),
    ],
)
def test_bad_filter_values_name_the_field(app, world, query, message) -> None:  # type: ignore[no-untyped-def]
    admin = _browser(app, "admin")
    for path in ("/outcomes", "/outcomes/report.html", "/outcomes/data.csv"):
        response = admin.get(f"{path}?{query}")
        assert response.status_code == 422, path
        assert message in response.text


def test_the_analyst_sees_no_names_or_codes_in_the_page_report_or_csv(app, world, program) -> None:  # type: ignore[no-untyped-def]
    ana = _browser(app, "ana")
    outputs = [
        ana.get(p).text for p in ("/outcomes", "/outcomes/report.html", "/outcomes/data.csv")
    ]
    outputs.append(ana.get("/outcomes?protocol=psilocybin-single-25mg").text)
    for text in outputs:
        for secret in program["names"] + program["codes"]:
            assert secret not in text
    rows = list(csv.DictReader(io.StringIO(outputs[2])))
    assert rows
    assert set(rows[0]) == {
        "subject", "site", "protocol", "substance", "arm", "visit", "visit_order", "instrument",
        "total", "baseline", "change", "diagnosis", "baseline_diagnosis", "is_baseline",
    }  # fmt: skip
    assert {r["subject"] for r in rows} == {f"S{n:03d}" for n in range(1, 9)}  # the two arms
    assert any(r["change"].startswith("-") for r in rows)  # numbers stay numbers
    assert all(not re.search(r"\d{4}-\d{2}-\d{2}", ",".join(r.values())) for r in rows)


def test_the_report_is_a_self_contained_attachment(app, world, program, database) -> None:  # type: ignore[no-untyped-def]
    admin = _browser(app, "admin")
    response = admin.get("/outcomes/report.html?protocol=mdma-at-phase3")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    html = response.text
    assert "<script" not in html.lower()
    assert not re.search(r"https?://", html)
    assert "<link" not in html.lower()
    assert "@media print" in html  # the stylesheet is inlined
    assert "page-break-before" in html
    assert html.count("<svg") == 2
    assert "Arm comparison (MMRM)" in html
    assert "UNCONFIRMED" in html  # the PCL-5 responder threshold is not confirmed
    with database.sessionmaker() as db:
        exports = db.query(AuditEvent).filter_by(entity_type="program_outcomes", action="export")
        assert [e.detail["format"] for e in exports] == ["html"]


def test_csv_cells_that_look_like_formulas_are_quoted() -> None:
    from mendwell.queries.outcomes import safe_cell

    assert safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert safe_cell("@SUM") == "'@SUM"
    assert safe_cell("-x") == "'-x"
    assert safe_cell(-12.0) == "-12"
    assert safe_cell(float("nan")) == ""
    assert safe_cell(True) == "yes"
