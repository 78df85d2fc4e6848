"""One-time codes against RFC 6238's own test vectors; drift, replay and recovery codes."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mendwell.security import totp

# RFC 6238 Appendix B: the SHA-1 seed is the ASCII string "12345678901234567890"; the RFC lists
# 8-digit codes, and a 6-digit code is the same number modulo 10^6 (RFC 4226 §5.3).
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
RFC_VECTORS = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


@pytest.mark.parametrize(("unix_time", "eight_digits"), RFC_VECTORS)
def test_codes_match_rfc_6238_appendix_b(unix_time: int, eight_digits: str) -> None:
    when = datetime.fromtimestamp(unix_time, UTC)
    assert totp.code_at(RFC_SECRET, when) == eight_digits[-6:]
    assert totp.matching_step(RFC_SECRET, eight_digits[-6:], when, None) == unix_time // 30


NOW = datetime(2026, 3, 2, 9, 0, 15, tzinfo=UTC)


def test_one_step_of_drift_either_way_is_accepted_two_is_not() -> None:
    secret = totp.new_secret()
    step = int(NOW.timestamp()) // 30
    for offset, accepted in ((-2, False), (-1, True), (0, True), (1, True), (2, False)):
        code = totp.code_at(secret, NOW + timedelta(seconds=30 * offset))
        found = totp.matching_step(secret, code, NOW, None)
        assert (found == step + offset) if accepted else (found is None), offset


def test_a_used_step_and_older_ones_are_refused() -> None:
    secret = totp.new_secret()
    code = totp.code_at(secret, NOW)
    step = totp.matching_step(secret, code, NOW, None)
    assert step is not None
    assert totp.matching_step(secret, code, NOW, step) is None  # replay
    earlier = totp.code_at(secret, NOW - timedelta(seconds=30))
    assert totp.matching_step(secret, earlier, NOW, step) is None
    later = totp.code_at(secret, NOW + timedelta(seconds=30))
    assert totp.matching_step(secret, later, NOW + timedelta(seconds=30), step) == step + 1


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_malformed_codes_are_refused(code: str) -> None:
    assert totp.matching_step(totp.new_secret(), code, NOW, None) is None


def test_spaces_and_dashes_in_a_typed_code_are_ignored() -> None:
    secret = totp.new_secret()
    code = totp.code_at(secret, NOW)
    assert totp.matching_step(secret, f"{code[:3]} {code[3:]}", NOW, None) is not None


@given(st.integers(min_value=0, max_value=999_999))
def test_any_six_digit_guess_is_accepted_only_if_it_is_a_current_code(guess: int) -> None:
    secret = RFC_SECRET
    code = f"{guess:06d}"
    current = {totp.code_at(secret, NOW + timedelta(seconds=30 * k)) for k in (-1, 0, 1)}
    assert (totp.matching_step(secret, code, NOW, None) is not None) == (code in current)


def test_secrets_are_160_bit_base32_and_differ() -> None:
    secrets = {totp.new_secret() for _ in range(50)}
    assert len(secrets) == 50
    for secret in secrets:
        assert len(base64.b32decode(secret)) == 20


def test_recovery_codes_are_ten_distinct_80_bit_codes() -> None:
    codes = totp.new_recovery_codes()
    assert len(codes) == len(set(codes)) == 10
    for code in codes:
        assert re.fullmatch(r"[0-9a-f]{5}(-[0-9a-f]{5}){3}", code)


def test_the_qr_code_is_inline_svg_without_script_or_external_reference() -> None:
    uri = totp.provisioning_uri(RFC_SECRET, "alice", "Northside Clinic")
    assert uri.startswith("otpauth://totp/Northside%20Clinic:alice?secret=")
    svg = totp.qr_svg(uri)
    assert svg.startswith("<svg")
    assert "<script" not in svg
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")
