"""The audit-trail HMAC key, kept outside the database."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from mendwell.settings import Settings

KEY_FILE = "audit-hmac.key"


def load_audit_key(settings: Settings, *, create: bool = True) -> bytes:
    """The key from MENDWELL_AUDIT_KEY, else from the data folder (created on first use)."""
    if settings.audit_key:
        return settings.audit_key.encode()
    path = Path(settings.data_dir) / KEY_FILE
    if path.exists():
        return path.read_text().strip().encode()
    if not create:
        raise FileNotFoundError(f"audit key not found at {path} and MENDWELL_AUDIT_KEY is unset")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key.encode()
