"""Due self-report links: made by the measures module for the visit's battery, shown once,
emailed over SMTP without clinical detail."""

from __future__ import annotations

import re
import smtplib
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from typer.testing import CliRunner

from mendwell import mail
from mendwell.actions import clients as client_actions
from mendwell.cli import app as cli
from mendwell.schemas.clients import ClientUpdate
from mendwell.schemas.common import parse
from mendwell.settings import Settings
from mendwell.store.models import Client, MeasureLink, SelfReportLink
from support.courses import TODAY, acting, enrol, events
from support.web import Browser
from support.world import AUDIT_KEY, client_payload


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


MAIL = {
    "smtp_host": "mail.clinic.example",
    "smtp_from": "Site A <no-reply@clinic.example>",
    "smtp_username": "mendwell",
}


def _mail_on(app, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    app.state.settings = settings.model_copy(update={**MAIL, "smtp_password": SecretStr("s3cret")})


@pytest.fixture
def baseline_due(database, world, screenings) -> int:  # type: ignore[no-untyped-def]
    """Alice's client 24 days after enrolment: the baseline assessment's window is open."""
    client_id = world.clients["alice"]
    screenings.sign(client_id, signed_on=TODAY - timedelta(days=25))
    return enrol(database, world.users["alice"], client_id, anchor=TODAY - timedelta(days=24))


def _links(database) -> int:  # type: ignore[no-untyped-def]
    with database.sessionmaker() as db:
        return int(db.scalar(select(func.count()).select_from(SelfReportLink)) or 0)


def test_a_due_visits_link_covers_its_battery_is_shown_once_and_emailed(
    app, database, world, settings, baseline_due, smtp
) -> None:  # type: ignore[no-untyped-def]
    _mail_on(app, settings)
    alice = Browser(app)
    alice.login("alice")
    path = f"/courses/{baseline_due}/visits/baseline"
    page = alice.get(path).text
    assert "Due at this visit: pcl5, phq9, gad7." in page
    assert "Email it to the client now" in page
    created = alice.post(f"{path}/link", {"email": "1", "greet_by_name": "1"})
    assert created.status_code == 200
    url = re.search(r'id="f-link-url" class="copy" readonly value="([^"]+)"', created.text)
    assert url is not None
    assert url.group(1).startswith(settings.base_url + "/r/")
    with database.sessionmaker() as db:
        link = db.scalar(select(SelfReportLink))
        assert link is not None
        assert (link.instrument_ids, link.first_name) == (["pcl5", "phq9", "gad7"], "Avery")
        row = db.scalar(select(MeasureLink))
        assert row is not None
        assert (row.self_report_link_id, row.emailed_at is not None) == (link.id, True)

    [message] = smtp.sent
    assert message["To"] == "rowan@example.org"
    assert message["From"] == "Site A <no-reply@clinic.example>"
    body = message.get_content()
    assert url.group(1) in body
    assert body.startswith("Hello Avery,")
    # Nothing beyond the first name: no surname, protocol, substance or clinical detail.
    for secret in ("Example", "MDMA", "mdma", "PTSD", "baseline", "pcl5"):
        assert secret not in body
        assert secret not in message["Subject"]
    assert ("starttls",) in smtp.calls
    assert ("login", "mendwell", "s3cret") in smtp.calls
    [audited] = events(database, action="create", entity_type="measure_link")
    assert audited.detail["emailed"] is True

    # The address is not shown again; the link's state is.
    again = alice.get(path).text
    assert url.group(1) not in again
    assert "emailed to the client; <strong>pending</strong>" in again
    # The client's page opens without signing in.
    assert Browser(app).get(url.group(1).removeprefix(settings.base_url)).status_code == 200
    assert "link pending (emailed)" in alice.get("/caseload").text


def test_a_link_to_copy_without_a_greeting(app, database, baseline_due, smtp) -> None:  # type: ignore[no-untyped-def]
    alice = Browser(app)
    alice.login("alice")
    path = f"/courses/{baseline_due}/visits/baseline"
    page = alice.get(path).text
    assert "Email it to the client now" not in page  # no mail server configured
    made = alice.post(f"{path}/link", {})
    assert made.status_code == 200
    assert 'id="f-link-url"' in made.text
    assert smtp.sent == []
    with database.sessionmaker() as db:
        assert db.scalar(select(SelfReportLink.first_name)) is None


def test_emailing_without_a_mail_server_or_an_address_writes_nothing(
    app, database, world, settings, baseline_due, smtp
) -> None:  # type: ignore[no-untyped-def]
    alice = Browser(app)
    alice.login("alice")
    path = f"/courses/{baseline_due}/visits/baseline/link"
    refused = alice.post(path, {"email": "1"})
    assert refused.status_code == 409
    assert "email is not configured" in refused.text
    _mail_on(app, settings)
    with acting(database, world.users["alice"]) as ctx:
        client = ctx.db.get(Client, world.clients["alice"])
        assert client is not None
        payload = client_payload(world.sites["A"], "Avery Example", email=None)
        payload.pop("site_id")
        client_actions.update_client(
            ctx,
            client.id,
            parse(
                ClientUpdate,
                {**payload, "facilitator_ids": [world.users["alice"]], "version": client.version},
            ),
        )
    missing = alice.post(path, {"email": "1"})
    assert missing.status_code == 422
    assert "no email address on record" in missing.text
    assert _links(database) == 0
    assert smtp.sent == []


def test_a_failing_mail_server_is_reported_and_no_link_is_kept(
    app, database, settings, baseline_due, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    class Refusing(RecordingSMTP):
        def send_message(self, message: EmailMessage) -> None:
            raise smtplib.SMTPRecipientsRefused({"rowan@example.org": (550, b"no such user")})

    monkeypatch.setattr(mail, "SMTP", Refusing)
    _mail_on(app, settings)
    alice = Browser(app)
    alice.login("alice")
    response = alice.post(f"/courses/{baseline_due}/visits/baseline/link", {"email": "1"})
    assert response.status_code == 409
    assert "did not accept the message" in response.text
    assert _links(database) == 0
    assert events(database, entity_type="measure_link") == []


@pytest.mark.parametrize("username", ["rita", "admin", "ana"])
def test_only_clinicians_who_enter_measures_make_links(app, baseline_due, username) -> None:  # type: ignore[no-untyped-def]
    browser = Browser(app)
    browser.login(username)
    assert browser.post(f"/courses/{baseline_due}/visits/baseline/link", {}).status_code == 403


def test_due_links_are_emailed_by_the_daily_command(
    test_db, tmp_path, database, baseline_due, smtp
) -> None:  # type: ignore[no-untyped-def]
    env = {
        "MENDWELL_DATABASE_URL": test_db.url,
        "MENDWELL_DATA_DIR": str(tmp_path / "data"),
        "MENDWELL_AUDIT_KEY": AUDIT_KEY.decode(),
        **{f"MENDWELL_{k.upper()}": v for k, v in MAIL.items()},
    }
    runner = CliRunner()
    first = runner.invoke(cli, ["courses", "due-links"], env=env)
    assert first.exit_code == 0, first.output
    assert "1 self-report link(s) emailed" in first.output
    assert len(smtp.sent) == 1
    with database.sessionmaker() as db:
        assert db.scalar(select(MeasureLink.instruments)) == ["pcl5", "phq9", "gad7"]
    second = runner.invoke(cli, ["courses", "due-links"], env=env)
    assert "0 self-report link(s) emailed" in second.output
    no_mail = runner.invoke(cli, ["courses", "due-links"], env={**env, "MENDWELL_SMTP_HOST": ""})
    assert no_mail.exit_code == 1
    assert "email is not configured" in no_mail.output
