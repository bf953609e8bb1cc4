"""argon2id password hashing, off the event loop.

New hashes use the cost in ``Settings.password_hash_cost``: argon2-cffi's
defaults (argon2id, t=3, m=64 MiB, p=4), above OWASP's minimum (m >= 19 MiB,
t >= 2). It is not read from the environment, so a deployment always hashes at
that cost; the test suite builds its Settings with a cheap one. Verification
reads the cost from the stored hash, and always hashes, even for an unknown
email (against a placeholder hashed at the configured cost), so timing does not
reveal which emails have accounts.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# (time cost, memory in KiB, parallelism): argon2-cffi's defaults.
DEFAULT_COST = (3, 64 * 1024, 4)


@lru_cache(maxsize=4)
def _hasher(cost: tuple[int, int, int]) -> PasswordHasher:
    time_cost, memory_kib, parallelism = cost
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


@lru_cache(maxsize=4)
def _dummy_hash(cost: tuple[int, int, int]) -> str:
    return _hasher(cost).hash("an unguessable placeholder password")


async def hash_password(password: str, *, cost: tuple[int, int, int] = DEFAULT_COST) -> str:
    """argon2id hash of ``password`` at ``cost`` (time, memory KiB, parallelism)."""
    return await asyncio.to_thread(_hasher(cost).hash, password)


def _verify(stored: str | None, password: str, cost: tuple[int, int, int]) -> bool:
    hasher = _hasher(cost)
    try:
        return hasher.verify(stored or _dummy_hash(cost), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify_password(stored: str | None, password: str, *,
                          cost: tuple[int, int, int] = DEFAULT_COST) -> bool:
    """True when ``password`` matches ``stored``; costs the same when ``stored`` is None
    (a placeholder hashed at ``cost`` is verified instead)."""
    return await asyncio.to_thread(_verify, stored, password, cost)


def needs_rehash(stored: str, *, cost: tuple[int, int, int] = DEFAULT_COST) -> bool:
    return _hasher(cost).check_needs_rehash(stored)
