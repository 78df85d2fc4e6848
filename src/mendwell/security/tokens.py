"""Random tokens: generated from the OS CSPRNG, stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token(prefix: str = "") -> str:
    """A 256-bit random token, URL-safe."""
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    # A fast hash suffices: the token has 256 bits of entropy, unlike a password.
    return hashlib.sha256(token.encode()).hexdigest()


def tokens_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
