"""New-password rules: length, and no common or predictable passwords (ASVS 6.2.4, NIST SP
800-63B 3.1.1.2: check against lists of commonly used and compromised passwords)."""

from __future__ import annotations

import pytest

from mendwell.security.passwords import hash_password, password_problem, verify_password


@pytest.mark.parametrize(
    "password",
    [
        "qwertyuiop123",  # on zxcvbn's list of the 30,000 most common passwords
        "1qaz2wsx3edc",  # common and a keyboard walk
        "leavemealone",
        "123456789012",  # a sequence
        "passwordpassword",  # a repeat
        "Password1234",
    ],
)
def test_common_and_predictable_passwords_are_refused(password: str) -> None:
    problem = password_problem(password, min_length=12)
    assert problem is not None
    assert problem.startswith("is too easy to guess")


@pytest.mark.parametrize(
    "password", ["correct horse battery staple", "velvet otter kettle", "another long passphrase"]
)
def test_passphrases_of_unrelated_words_are_accepted(password: str) -> None:
    assert password_problem(password, min_length=12) is None


def test_the_users_own_name_counts_against_the_password() -> None:
    password = "quillfeather2026"
    assert password_problem(password, min_length=12) is None
    assert password_problem(password, min_length=12, personal=["Zephyrine Quillfeather"])


@pytest.mark.parametrize(
    ("password", "message"),
    [("short pass", "must be at least 12 characters"), ("x" * 257, "must be at most 256")],
)
def test_length_limits_name_the_rule(password: str, message: str) -> None:
    assert message in (password_problem(password, min_length=12) or "")


def test_hashes_verify_and_are_salted() -> None:
    first, second = hash_password("velvet otter kettle"), hash_password("velvet otter kettle")
    assert first != second
    assert first.startswith("$argon2id$")
    assert verify_password(first, "velvet otter kettle")
    assert not verify_password(first, "velvet otter kettles")
    assert not verify_password(None, "velvet otter kettle")
