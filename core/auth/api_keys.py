"""API keys: a prefix, an underscore and a random secret, stored as a SHA-256 hash.

The secret has 256 bits of entropy, so a fast hash is enough (no password
stretching is needed) and lookup is a unique-index probe on the hash.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

PREFIXES = ("sk", "gsk")

# The agent API's scopes. Member keys get the defaults; ``org:*`` is only for
# organization admins; guest keys always get the guest set.
WORKSPACES_READ, WORKSPACES_WRITE = "workspaces:read", "workspaces:write"
GHL_READ, GHL_WRITE = "ghl:read", "ghl:write"
ORG_READ, ORG_WRITE = "org:read", "org:write"
DEFAULT_SCOPES = (WORKSPACES_READ, WORKSPACES_WRITE, GHL_READ, GHL_WRITE)
ORG_SCOPES = (ORG_READ, ORG_WRITE)
GUEST_SCOPES = DEFAULT_SCOPES
DEFAULT_RATE_LIMIT = 120  # requests per minute per key


@dataclass(frozen=True)
class MintedKey:
    token: str  # shown to its owner once, never stored
    prefix: str
    secret_hash: str
    last4: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def mint(prefix: str = "sk") -> MintedKey:
    """A new key with ``prefix`` (``sk`` for organisation keys, ``gsk`` for guests)."""
    if prefix not in PREFIXES:
        raise ValueError(f"unknown API key prefix {prefix!r}")
    token = f"{prefix}_{secrets.token_urlsafe(32)}"
    return MintedKey(token=token, prefix=prefix, secret_hash=hash_token(token), last4=token[-4:])


def looks_like_api_key(token: str) -> bool:
    return any(token.startswith(f"{p}_") for p in PREFIXES)


def preview(prefix: Any, last4: Any) -> Any:
    """How a key is shown: its prefix and last four characters (of strings, or of
    columns as a SQL expression)."""
    return prefix + "_..." + last4
