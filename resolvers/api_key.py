"""API keys a user mints for programs: the secret is shown once, only its hash is kept."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import false, func, select

from core import ratelimit
from core.auth import api_keys
from core.auth.viewer import Viewer, viewer_for_api_key
from core.context import Context
from core.db import xact_lock
from core.errors import Forbidden, NotFound, Unauthenticated, Validation
from core.planning import VIEWER_ID, viewer_params
from models.organization import OrganizationGuest, OrganizationMember
from models.user import ApiKey

SCOPE = re.compile(r"^[a-z][a-z0-9_.:*-]{0,79}$")
MAX_KEYS_PER_USER = 50
MAX_SCOPES = 20


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


async def _is_org_admin(session, user_id: uuid.UUID) -> bool:
    is_admin = (await session.execute(select(OrganizationMember.is_admin).where(
        OrganizationMember.user_id == user_id))).scalar_one_or_none()
    return bool(is_admin)


async def create(ctx: Context, *, name: str, scopes: list[str] | None = None) -> CreatedKey:
    """Mint a key for the viewer (default scopes when none are named); its secret is
    returned once and never stored. ``org:*`` scopes need an organization admin."""
    user_id = ctx.viewer.require_user()
    if ctx.viewer.is_api_key:
        raise Forbidden("API keys are minted from a signed-in session, not with another key")
    name, scopes = _check(name, list(api_keys.DEFAULT_SCOPES) if scopes is None else scopes)
    if len(scopes) > MAX_SCOPES:
        raise Validation(f"At most {MAX_SCOPES} scopes per key", details={"field": "scopes"})
    async with ctx.db.transaction() as session:
        if any(s.startswith("org:") for s in scopes) and \
                not await _is_org_admin(session, user_id):
            raise Forbidden("Only an organization admin may give a key org:* scopes",
                            details={"field": "scopes"})
        # Mints of one user take turns, so two cannot both see room for one more key.
        await xact_lock(session, f"api_keys:{user_id}")
        active = (await session.execute(select(func.count()).select_from(ApiKey).where(
            ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None)))).scalar_one()
        if active >= MAX_KEYS_PER_USER:
            raise Validation(f"At most {MAX_KEYS_PER_USER} active API keys per user")
        minted = api_keys.mint("sk")
        key = ApiKey(prefix=minted.prefix, secret_hash=minted.secret_hash, last4=minted.last4,
                     name=name, scopes=scopes, user_id=user_id,
                     rate_limit=api_keys.DEFAULT_RATE_LIMIT)
        session.add(key)
    return CreatedKey(key=key, token=minted.token)


def listed_rule(viewer: Viewer):
    """The keys the viewer lists (its own, not revoked), as a SQL condition."""
    if viewer.user_id is None:
        return false()
    return (ApiKey.user_id == VIEWER_ID) & ApiKey.revoked_at.is_(None)


async def get_all(ctx: Context) -> list[ApiKey]:
    """The viewer's keys that are not revoked, newest first."""
    ctx.viewer.require_user()
    async with ctx.db.session() as session:
        return list((await session.execute(select(ApiKey).where(listed_rule(ctx.viewer))
                                           .order_by(ApiKey.created_at.desc(), ApiKey.id),
                                           viewer_params(ctx.viewer))).scalars())


async def _administers_guest(session, user_id: uuid.UUID, guest_id: uuid.UUID) -> bool:
    found = (await session.execute(select(func.count()).select_from(OrganizationGuest).join(
        OrganizationMember, OrganizationMember.organization_id
        == OrganizationGuest.organization_id).where(
        OrganizationGuest.id == guest_id, OrganizationMember.user_id == user_id,
        OrganizationMember.is_admin.is_(True)))).scalar_one()
    return found > 0


async def revoke(ctx: Context, *, key_id: uuid.UUID) -> None:
    """Revoke one of the viewer's keys, or a guest key of an organization the viewer
    administers; it stops working at once."""
    user_id = ctx.viewer.require_user()
    async with ctx.db.transaction() as session:
        key = await session.get(ApiKey, key_id)
        mine = key is not None and (key.user_id == user_id or (
            key.guest_id is not None and await _administers_guest(session, user_id,
                                                                  key.guest_id)))
        if not mine or key.revoked_at is not None:
            raise NotFound("API key not found")
        key.revoked_at = datetime.now(UTC)


def request_count(viewer: Viewer) -> tuple[str, int, int] | None:
    """The per-minute count a request of the viewer's key takes: its key, limit and
    window in seconds; None for other credentials (not counted)."""
    if viewer.api_key_id is None:
        return None
    return f"api_key:{viewer.api_key_id}", viewer.rate_limit or api_keys.DEFAULT_RATE_LIMIT, 60


async def count_request(ctx: Context) -> None:
    """Count one request against the viewer's key's per-minute limit (shared by every
    instance); RateLimited past it. Other credentials are not counted here."""
    count = request_count(ctx.viewer)
    if count is None:
        return
    key, limit, window = count
    await ratelimit.hit(ctx.db, key=key, limit=limit, window_seconds=window,
                        message=f"Rate limit exceeded: {limit} requests per minute")


async def authenticate(ctx: Context, *, token: str) -> None:
    """Make the key ``token`` the context's viewer (a key given in a URL, as MCP does)."""
    if not api_keys.looks_like_api_key(token) or len(token) > 200:
        raise Unauthenticated("Invalid API key")
    ctx.viewer = await viewer_for_api_key(ctx.db, token)
