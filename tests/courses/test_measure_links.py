"""Due self-report links: created through the measures seam, copied, emailed over SMTP."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from pydantic import SecretStr

from mendwell import mail
from mendwell.actions import measure_links
from mendwell.settings import Settings
from support.courses import TODAY, acting, enrol, events
from support.web import Browser


class RecordingSMTP:
    """Stands in for smtplib.SMTP: records the conversation instead of connecting."""

    sent: list[EmailMessage] = []
    calls: list[tuple[Any, ...]] = []

    def __init__(self, host: str, port: int, timeout: float) -> None:
        RecordingSMTP.calls.append(("connect", host, port))

    def __enter__(self) -> RecordingSMTP:
        return self

    def __exit__(self, *exc: object) -> None:
        RecordingSMTP.calls.append(("quit",))

    def starttls(self, context: object) -> None:
        RecordingSMTP.calls.append(("starttls",))

    def login(self, user: str, password: str) -> None:
        RecordingSMTP.calls.append(("login", user, password))

    def send_message(self, message: EmailMessage) -> None:
        RecordingSMTP.sent.append(message)


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> type[RecordingSMTP]:
    RecordingSMTP.sent, RecordingSMTP.calls = [], []
    monkeypatch.setattr(mail, "SMTP", RecordingSMTP)
    return RecordingSMTP


@pytest.fixture
def links(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, list[str]]]:
    """The measures module's link factory, as seen through the courses' seam."""
    made: list[tuple[int, list[str]]] = []

    def create_link(ctx: object, client_id: int, instrument_ids: list[str]) -> str:
        made.append((client_id, list(instrument_ids)))
        return f"https://mendwell.example/r/token-{len(made)}"

    monkeypatch.setattr(measure_links, "link_creator", lambda: create_link)
    return made


@pytest.fixture
def baseline_due(database, world, screenings) -> int:  # type: ignore[no-untyped-def]
    """Alice's client 24 days after enrolment: the baseline assessment's window is open."""
    client_id = world.clients["alice"]
    screenings.sign(client_id, signed_on=TODAY - timedelta(days=25))
    return enrol(database, world.users["alice"], client_id, anchor=TODAY - timedelta(days=24))


def _mail_on(app, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    app.state.settings = settings.model_copy(
        update={
            "smtp_host": "mail.clinic.example",
            "smtp_from": "Site A <no-reply@clinic.example>",
            "smtp_username": "mendwell",
            "smtp_password": SecretStr("s3cret"),
        }
    )


def test_a_due_visit_gets_a_link_for_its_self_report_battery_and_it_is_emailed(
    app, database, world, settings, baseline_due, links, smtp
) -> None:  # type: ignore[no-untyped-def]
    _mail_on(app, settings)
    alice = Browser(app)
    alice.login("alice")
    path = f"/courses/{baseline_due}/visits/baseline"
    page = alice.get(path).text
    assert "Due at this visit: pcl5, phq9, gad7." in page
    assert alice.post(f"{path}/link", {}).status_code == 303
    assert links == [(world.clients["alice"], ["pcl5", "phq9", "gad7"])]
    page = alice.get(path).text
    assert 'value="https://mendwell.example/r/token-1"' in page
    # Asking again reuses the visit's link.
    alice.post(f"{path}/link", {})
    assert len(links) == 1

    link_id = re.search(r'action="/courses/\d+/links/(\d+)/email"', page)
    assert link_id is not None
    sent = alice.post(
        f"/courses/{baseline_due}/links/{link_id.group(1)}/email", {"greet_by_name": "1"}
    )
    assert sent.status_code == 303
    [message] = smtp.sent
    assert message["To"] == "rowan@example.org"
    assert message["From"] == "Site A <no-reply@clinic.example>"
    body = message.get_content()
    assert "https://mendwell.example/r/token-1" in body
    assert body.startswith("Hello Avery,")
    # Nothing beyond the first name: no surname, protocol, substance or clinical detail.
    for secret in ("Example", "MDMA", "mdma", "PTSD", "baseline", "pcl5"):
        assert secret not in body
        assert secret not in message["Subject"]
    assert ("starttls",) in smtp.calls
    assert ("login", "mendwell", "s3cret") in smtp.calls
    [emailed] = events(database, action="email", entity_type="measure_link")
    assert emailed.username == "alice"
    assert "emailed" in alice.get("/caseload").text

    alice.post(f"/courses/{baseline_due}/links/{link_id.group(1)}/email", {})
    assert smtp.sent[1].get_content().startswith("Hello,\n")


def test_the_email_button_needs_smtp_settings(app, baseline_due, links) -> None:  # type: ignore[no-untyped-def]
    alice = Browser(app)
    alice.login("alice")
    path = f"/courses/{baseline_due}/visits/baseline"
    alice.post(f"{path}/link", {})
    page = alice.get(path).text
    assert "Email the link" not in page
    response = alice.post(f"/courses/{baseline_due}/links/1/email", {})
    assert response.status_code == 409
    assert "email is not configured" in response.text


def test_without_the_measures_module_links_are_not_offered(app, baseline_due) -> None:  # type: ignore[no-untyped-def]
    alice = Browser(app)
    alice.login("alice")
    path = f"/courses/{baseline_due}/visits/baseline"
    assert "Create the self-report link" not in alice.get(path).text
    response = alice.post(f"{path}/link", {})
    assert response.status_code == 409
    assert "not available in this installation" in response.text


def test_raters_cannot_send_links(app, baseline_due, links) -> None:  # type: ignore[no-untyped-def]
    rita = Browser(app)
    rita.login("rita")
    assert rita.post(f"/courses/{baseline_due}/visits/baseline/link", {}).status_code == 403
    assert links == []


def test_due_links_for_every_open_window(database, world, baseline_due, links) -> None:  # type: ignore[no-untyped-def]
    with acting(database, world.users["mara"]) as ctx:
        made = measure_links.create_due_links(ctx)
    # Baseline is due; preparation visits have no self-report measures; later ones not yet due.
    assert [link.instruments for link in made] == [["pcl5", "phq9", "gad7"]]
    with acting(database, world.users["mara"]) as ctx:
        assert measure_links.create_due_links(ctx) == []


def test_a_failing_mail_server_is_reported_and_nothing_recorded(
    app, database, settings, baseline_due, links, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    class Refusing(RecordingSMTP):
        def send_message(self, message: EmailMessage) -> None:
            import smtplib

            raise smtplib.SMTPRecipientsRefused({"rowan@example.org": (550, b"no such user")})

    monkeypatch.setattr(mail, "SMTP", Refusing)
    _mail_on(app, settings)
    alice = Browser(app)
    alice.login("alice")
    alice.post(f"/courses/{baseline_due}/visits/baseline/link", {})
    response = alice.post(f"/courses/{baseline_due}/links/1/email", {})
    assert response.status_code == 409
    assert "did not accept the message" in response.text
    assert events(database, action="email") == []
