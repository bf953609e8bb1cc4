"""Encryption at rest for third-party secrets (users' Anthropic keys and the like).

Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from the server secret
by HKDF, labelled by purpose. Secrets leave the server only as a masked preview.
"""

from __future__ import annotations

import base64
import binascii
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC


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


# Secrets a client encrypts with a password it shares with the server (the Codelabs
# facilitator's Gemini key, encrypted with the admin password), in a form browsers make
# with WebCrypto: "v1.<salt>.<nonce>.<ciphertext>", each part unpadded base64url;
# AES-256-GCM (the ciphertext ends with the 16-byte tag) under a key derived from the
# password's UTF-8 bytes by PBKDF2-HMAC-SHA256 with the 16-byte salt.
PASSWORD_BOX_VERSION = "v1"
PASSWORD_BOX_ITERATIONS = 600_000
PASSWORD_BOX_MAX = 4096


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@lru_cache(maxsize=64)
def _password_key(password: str, salt: bytes) -> bytes:
    return PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt,
                      iterations=PASSWORD_BOX_ITERATIONS).derive(password.encode())


def encrypt_with_password(password: str, plaintext: str) -> str:
    """``plaintext`` sealed under ``password`` (what a client sends)."""
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = AESGCM(_password_key(password, salt)).encrypt(nonce, plaintext.encode(), None)
    return ".".join((PASSWORD_BOX_VERSION, _b64(salt), _b64(nonce), _b64(sealed)))


def decrypt_with_password(password: str, token: str) -> str | None:
    """The plaintext sealed in ``token`` under ``password``; None when ``token`` is not
    such a seal (plain text, another password, altered). CPU-heavy by design: call it
    in a worker thread."""
    parts = token.split(".") if isinstance(token, str) and len(token) <= PASSWORD_BOX_MAX \
        else []
    if len(parts) != 4 or parts[0] != PASSWORD_BOX_VERSION:
        return None
    try:
        salt, nonce, sealed = (_unb64(p) for p in parts[1:])
    except (ValueError, binascii.Error):
        return None
    if len(salt) != 16 or len(nonce) != 12 or len(sealed) < 17:
        return None
    try:
        return AESGCM(_password_key(password, salt)).decrypt(nonce, sealed, None).decode()
    except (InvalidTag, UnicodeDecodeError):
        return None
