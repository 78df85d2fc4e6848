"""Sending email through the configured SMTP server (stdlib ``smtplib`` and ``email``).

``SMTP`` is the connection class used; tests replace it with a recording fake.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from mendwell.settings import Settings

SMTP = smtplib.SMTP
TIMEOUT_SECONDS = 30


class MailError(RuntimeError):
    """Email is not configured, or the server refused the message."""


def mail_enabled(settings: Settings) -> bool:
    return bool(settings.smtp_host and settings.smtp_from)


def compose(settings: Settings, to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text message from the configured sender."""
    message = EmailMessage()
    message["From"] = settings.smtp_from or ""
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=(settings.smtp_from or "").rpartition("@")[2] or None)
    message.set_content(body)
    return message


def send(settings: Settings, message: EmailMessage) -> None:
    """Send one message; a refusal or connection failure is a MailError naming the cause."""
    if not mail_enabled(settings):
        raise MailError("email is not configured (MENDWELL_SMTP_HOST and MENDWELL_SMTP_FROM)")
    assert settings.smtp_host is not None
    secret = settings.smtp_password
    try:
        with SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                smtp.login(settings.smtp_username, secret.get_secret_value() if secret else "")
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"the mail server did not accept the message: {exc}") from exc
