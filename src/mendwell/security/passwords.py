"""Password hashing with Argon2id (OWASP Password Storage Cheat Sheet parameters)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.low_level import Type

# OWASP: m = 19 MiB, t = 2, p = 1 for Argon2id. Set explicitly so a library default change
# cannot weaken them; changing these makes stored hashes "need rehash" at the next sign-in.
MEMORY_COST_KIB = 19456
TIME_COST = 2
PARALLELISM = 1
# zxcvbn's "safely unguessable" level (score 3): 10^8 guesses.
MIN_GUESSES_LOG10 = 8

_hasher = PasswordHasher(
    time_cost=TIME_COST,
    memory_cost=MEMORY_COST_KIB,
    parallelism=PARALLELISM,
    hash_len=32,
    salt_len=16,
    type=Type.ID,
)
# Verified against when the account does not exist, so timing does not reveal that.
_DUMMY_HASH = _hasher.hash("mendwell-no-such-account")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True if ``password`` matches; spends the same effort when there is no stored hash."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def password_problem(password: str, *, min_length: int, personal: Sequence[str] = ()) -> str | None:
    """Why a new password is not acceptable, or None. No composition rules (ASVS 6.2.5).

    A password that zxcvbn estimates can be guessed in fewer than 10^8 tries is refused: that
    covers its list of the 30,000 most common passwords (ASVS 6.2.4, NIST SP 800-63B 3.1.1.2)
    and predictable patterns (repeats, keyboard walks, dates, the user's own name).
    """
    if len(password) < min_length:
        return f"must be at least {min_length} characters"
    if len(password) > 256:
        return "must be at most 256 characters"
    if len(set(password)) < 4:
        return "is too repetitive"
    # Imported here: its word lists take a while to load and only new passwords need them.
    from zxcvbn import zxcvbn

    # zxcvbn's cost grows with length; the first 100 characters decide the estimate.
    words = [w for text in personal for w in re.split(r"[^\w]+", text.lower()) if w]
    estimate = zxcvbn(password[:100], user_inputs=[*words, "mendwell"])
    if estimate["guesses_log10"] < MIN_GUESSES_LOG10:
        warning = str(estimate["feedback"].get("warning") or "").rstrip(".")
        detail = f" ({warning[0].lower()}{warning[1:]})" if warning else ""
        return f"is too easy to guess{detail}; a few unrelated words make a strong passphrase"
    return None
