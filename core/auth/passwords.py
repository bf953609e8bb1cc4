"""argon2id password hashing, off the event loop.

argon2-cffi's defaults (argon2id, t=3, m=64 MiB, p=4) are above OWASP's
minimum (m >= 19 MiB, t >= 2). Verification always hashes, even for an
unknown email, so timing does not reveal which emails have accounts.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("an unguessable placeholder password")


async def hash_password(password: str) -> str:
    """argon2id hash of ``password``."""
    return await asyncio.to_thread(_hasher.hash, password)


def _verify(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _dummy_hash(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored``; costs the same when ``stored`` is None."""
    return await asyncio.to_thread(_verify, stored, password)


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)
