"""API keys: a prefix, an underscore and a random secret, stored as a SHA-256 hash.

The secret has 256 bits of entropy, so a fast hash is enough (no password
stretching is needed) and lookup is a unique-index probe on the hash.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

PREFIXES = ("sk", "gsk")


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


def preview(prefix: str, last4: str) -> str:
    return f"{prefix}_...{last4}"
