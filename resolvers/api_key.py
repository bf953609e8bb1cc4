"""API keys a user mints for programs: the secret is shown once, only its hash is kept."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select

from core.auth import api_keys
from core.context import Context
from core.db import xact_lock
from core.errors import NotFound, Validation
from models.user import ApiKey

SCOPE = re.compile(r"^[a-z][a-z0-9_.:*-]{0,79}$")
MAX_KEYS_PER_USER = 50


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKey
    token: str  # the only time the secret exists outside the client


def _check(name: str, scopes: list[str]) -> tuple[str, list[str]]:
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise Validation("Name must be 1 to 200 characters", details={"field": "name"})
    bad = [s for s in scopes if not SCOPE.match(s)]
    if bad:
        raise Validation(f"Invalid scope: {bad[0]}", details={"field": "scopes"})
    return name, sorted(set(scopes))


async def create(ctx: Context, *, name: str, scopes: list[str]) -> CreatedKey:
    """Mint a key for the viewer; its secret is returned once and never stored."""
    user_id = ctx.viewer.require_user()
    name, scopes = _check(name, scopes)
    async with ctx.db.transaction() as session:
        # Mints of one user take turns, so two cannot both see room for one more key.
        await xact_lock(session, f"api_keys:{user_id}")
        active = (await session.execute(select(func.count()).select_from(ApiKey).where(
            ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None)))).scalar_one()
        if active >= MAX_KEYS_PER_USER:
            raise Validation(f"At most {MAX_KEYS_PER_USER} active API keys per user")
        minted = api_keys.mint("sk")
        key = ApiKey(prefix=minted.prefix, secret_hash=minted.secret_hash, last4=minted.last4,
                     name=name, scopes=scopes, user_id=user_id)
        session.add(key)
    return CreatedKey(key=key, token=minted.token)


async def get_all(ctx: Context) -> list[ApiKey]:
    """The viewer's keys that are not revoked, newest first."""
    user_id = ctx.viewer.require_user()
    async with ctx.db.session() as session:
        return list((await session.execute(select(ApiKey).where(
            ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))
            .order_by(ApiKey.created_at.desc()))).scalars())


async def revoke(ctx: Context, *, key_id: uuid.UUID) -> None:
    """Revoke one of the viewer's keys; it stops working at once."""
    user_id = ctx.viewer.require_user()
    async with ctx.db.transaction() as session:
        key = await session.get(ApiKey, key_id)
        if key is None or key.user_id != user_id or key.revoked_at is not None:
            raise NotFound("API key not found")
        key.revoked_at = datetime.now(UTC)
