"""Encryption at rest for third-party secrets (users' Anthropic keys and the like).

Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from the server secret
by HKDF, labelled by purpose. Secrets leave the server only as a masked preview.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


@lru_cache(maxsize=8)
def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"learngraph-secrets-at-rest").derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(secret_key: str, plaintext: str) -> bytes:
    return _fernet(secret_key).encrypt(plaintext.encode())


def decrypt(secret_key: str, ciphertext: bytes) -> str | None:
    """The plaintext, or None when it cannot be decrypted (the server key changed)."""
    try:
        return _fernet(secret_key).decrypt(ciphertext).decode()
    except InvalidToken:
        return None


def mask(secret: str) -> str:
    """``sk-...ab12``: the first three and last four characters."""
    if len(secret) <= 8:
        return "..." + secret[-2:]
    return f"{secret[:3]}...{secret[-4:]}"
