"""Entitlement checks: may this account or learner use the paid reading platform?

The rule of the reference: entitlement grants first, then subscriptions, and the most
permissive answer wins. Here, every source still valid now is gathered in that order:
- grants to the id (not revoked, not expired);
- the subscription of the account with that id (its trial included);
- for a learner (a student's ``learner_service_id``), the subscriptions of the
  child's parent and of the teacher whose class the child is in.
The answer takes the best tier (``full`` over ``trial``), then the latest expiry (none
is latest), earlier sources winning ties; ``features`` is the union over every valid
source. An id with no valid source, known or not, is ``allowed: false`` with tier
``none``: the caller asks about ids it holds, and an unknown one is simply not entitled.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import Field
from sqlalchemy import or_, select

from core.context import Context
from core.errors import NotFound, Validation
from models.billing import BillingSubscription, EntitlementGrant
from models.roster import SchoolClass, Student
from models.user import User
from resolvers import billing, portal_roles
from resolvers.reading import Input, require_internal

# Subscription tiers as entitlement tiers.
_TIERS = {"trial": "trial", "parent": "full", "school": "full"}
_RANK = {"none": 0, "trial": 1, "full": 2}
FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Entitlement:
    allowed: bool
    tier: str
    expires_at: datetime | None
    features: tuple[str, ...]


@dataclass(frozen=True)
class _Source:
    tier: str
    expires_at: datetime | None
    features: tuple[str, ...]


class GrantIn(Input):
    """Access to give an account or learner outside Stripe."""

    subject_id: uuid.UUID
    tier: str = Field(pattern=r"^(trial|full)$")
    features: list[str] | None = Field(default=None, max_length=len(billing.ALL_FEATURES))
    expires_at: datetime | None = None
    reason: str = Field(default="", max_length=500)


async def _payers(session, subject_id: uuid.UUID) -> list[uuid.UUID]:
    """Accounts whose subscription covers ``subject_id``: itself, and for a child of a
    class, the child's parent and the class's teacher."""
    row = (await session.execute(
        select(Student.parent_id, SchoolClass.teacher_id)
        .join(SchoolClass, SchoolClass.id == Student.class_id)
        .where(Student.user_id == subject_id))).first()
    return [subject_id, *(payer for payer in (row or ()) if payer is not None)]


async def _sources(ctx: Context, subject_id: uuid.UUID, now: datetime) -> list[_Source]:
    sources: list[_Source] = []
    async with ctx.db.read() as session:
        grants = (await session.execute(select(EntitlementGrant).where(
            EntitlementGrant.subject_id == subject_id, EntitlementGrant.revoked_at.is_(None),
            or_(EntitlementGrant.expires_at.is_(None), EntitlementGrant.expires_at > now))
            .order_by(EntitlementGrant.id))).scalars().all()
        for grant in grants:
            features = tuple(grant.features) or (billing.ALL_FEATURES if grant.tier == "full"
                                                 else billing.FEATURES["trial"])
            sources.append(_Source(grant.tier, grant.expires_at, features))
        payers = await _payers(session, subject_id)
        rows = (await session.execute(
            select(User, BillingSubscription)
            .outerjoin(BillingSubscription, BillingSubscription.user_id == User.id)
            .where(User.id.in_(payers), User.is_active.is_(True)))).all()
    by_id = {user.id: (user, row) for user, row in rows}
    for payer in payers:
        if payer not in by_id:
            continue
        user, row = by_id[payer]
        if row is None and not portal_roles.PAYING & set(user.roles):
            continue  # only the platform's paying roles start with a trial
        state = billing.describe(row, trial_ends_at=billing.trial_end(ctx.settings, user),
                                 now=now)
        tier = _TIERS.get(state.tier)
        if tier:
            expires = state.trial_ends_at if tier == "trial" else state.current_period_end
            sources.append(_Source(tier, expires, state.features))
    return sources


def most_permissive(sources: list[_Source]) -> Entitlement:
    """The best of ``sources`` (see the module docstring)."""
    if not sources:
        return Entitlement(allowed=False, tier="none", expires_at=None, features=())
    best = max(enumerate(sources), key=lambda pair: (
        _RANK[pair[1].tier], pair[1].expires_at or FAR_FUTURE, -pair[0]))[1]
    features = tuple(f for f in billing.ALL_FEATURES if any(f in s.features for s in sources))
    return Entitlement(allowed=True, tier=best.tier, expires_at=best.expires_at,
                       features=features)


async def check(ctx: Context, *, subject_id: uuid.UUID) -> Entitlement:
    """Whether ``subject_id`` (an account or a learner) may use the paid platform now."""
    require_internal(ctx)
    now = datetime.now(UTC)
    return most_permissive(await _sources(ctx, subject_id, now))


async def grant(ctx: Context, *, grant: GrantIn) -> int:
    """Give access outside Stripe (platform admins); the grant's id."""
    ctx.viewer.require_role("PLATFORM_ADMIN")
    row = EntitlementGrant(subject_id=grant.subject_id, tier=grant.tier,
                           features=list(dict.fromkeys(grant.features or [])),
                           expires_at=grant.expires_at, reason=grant.reason,
                           created_by=ctx.viewer.user_id)
    unknown = set(row.features) - set(billing.ALL_FEATURES)
    if unknown:
        raise Validation("Unknown feature", details={"fields": [
            {"field": "features", "problem": f"unknown feature {sorted(unknown)[0][:40]}"}]})
    async with ctx.db.transaction() as session:
        session.add(row)
        await session.flush()
        return row.id


async def revoke(ctx: Context, *, grant_id: int) -> None:
    """Withdraw a grant (platform admins); NotFound for an unknown one."""
    ctx.viewer.require_role("PLATFORM_ADMIN")
    async with ctx.db.transaction() as session:
        row = await session.get(EntitlementGrant, grant_id, with_for_update=True)
        if row is None:
            raise NotFound("Grant not found")
        row.revoked_at = row.revoked_at or datetime.now(UTC)
