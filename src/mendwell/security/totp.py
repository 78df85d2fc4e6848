"""Time-based one-time passwords (RFC 6238) and recovery codes for two-factor sign-in.

Codes are six digits over 30-second steps (what authenticator apps use by default). A code is
accepted one step either side of now, to allow for clock drift, and each step can be used only
once: a code seen on the wire cannot be replayed.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import pyotp
import segno

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10


def new_secret() -> str:
    """A random 160-bit secret, base32 as authenticator apps expect (RFC 4226 recommends 160)."""
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer
    )


def qr_svg(uri: str) -> str:
    """The address as an inline SVG QR code (no script, no external reference)."""
    return str(segno.make(uri, error="m").svg_inline(scale=4, border=2, title="QR code"))


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code if not ch.isspace() and ch != "-").lower()


def matching_step(secret: str, code: str, now: datetime, last_used_step: int | None) -> int | None:
    """The time step ``code`` belongs to, or None when it is wrong, too old or already used."""
    code = normalise_code(code)
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        expected = totp.generate_otp(step)
        if secrets.compare_digest(expected, code):
            if last_used_step is not None and step <= last_used_step:
                return None
            return step
    return None


def code_at(secret: str, when: datetime) -> str:
    """The code an authenticator app shows at ``when`` (for tests and support staff tools)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).at(when)


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """Single-use recovery codes of 80 random bits each, grouped for reading aloud."""
    codes = []
    for _ in range(count):
        raw = secrets.token_hex(10)
        codes.append("-".join(raw[i : i + 5] for i in range(0, 20, 5)))
    return codes
