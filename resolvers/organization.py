"""Organizations, their admins and guests, and the subscription tiers that unlock them.

A guest who signs up later: an account created with an email that an
organization knows as a guest (registration on any face, or a first GitHub
sign-in) becomes a member of that organization, not an admin; if several
organizations invited the email, the one that invited it first (a user belongs
to at most one). The guest stays what it was: its keys keep working and its
links stay assigned to it. Membership alone unlocks nothing a guest of the
organization could not already read: the agent API asks a member for a Teams
tier of their own, which only a platform admin grants.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import delete, exists, false, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import api_keys
from core.auth.viewer import Viewer
from core.context import Context
from core.db import Database, xact_lock
from core.errors import Conflict, Forbidden, NotFound, Unauthenticated, Validation
from core.planning import VIEWER_GUEST_ID, VIEWER_ID, viewer_params
from models.organization import Organization, OrganizationGuest, OrganizationMember, Subscription
from models.user import ApiKey, User
from resolvers.api_key import CreatedKey
from resolvers.auth import normalize_email

TIERS = ("pro", "pro_teams")
TEAMS = "pro_teams"
MAX_GUEST_KEYS = 50  # active keys per guest


class TeamsRequired(Forbidden):
    code = "TEAMS_REQUIRED"


@dataclass(frozen=True)
class Membership:
    organization: Organization
    is_admin: bool


@dataclass(frozen=True)
class GuestKey:
    guest: OrganizationGuest
    created: bool  # the guest is new (not only the key)
    key: CreatedKey


def teams_rule(viewer: Viewer):
    """Whether the viewer holds an active ``pro_teams`` tier (a guest: an admin of its
    organization does), as a SQL condition; None for a platform admin, who passes."""
    if viewer.is_admin:
        return None
    if viewer.guest_id is not None:
        return exists(select(OrganizationGuest.id).join(
            OrganizationMember, OrganizationMember.organization_id
            == OrganizationGuest.organization_id)
            .join(Subscription, Subscription.user_id == OrganizationMember.user_id)
            .where(OrganizationGuest.id == VIEWER_GUEST_ID,
                   OrganizationMember.is_admin.is_(True), Subscription.tier == TEAMS))
    if viewer.user_id is None:
        return false()
    return exists(select(Subscription.user_id).where(Subscription.user_id == VIEWER_ID,
                                                     Subscription.tier == TEAMS))


async def require_teams(ctx: Context) -> None:
    """The viewer holds an active ``pro_teams`` tier (``teams_rule``); platform admins
    pass."""
    viewer = ctx.viewer
    if not viewer.is_authenticated:
        raise Unauthenticated("Not authenticated")
    rule = teams_rule(viewer)
    if rule is None:
        return
    async with ctx.db.session() as session:
        ok = (await session.execute(select(rule), viewer_params(viewer))).scalar_one()
    if not ok:
        raise TeamsRequired("An active Teams (pro_teams) subscription is required")


def viewer_organization(viewer: Viewer):
    """The viewer's organization id as a SQL scalar (a guest's organization, or the one a
    user belongs to; null for none)."""
    if viewer.guest_id is not None:
        return select(OrganizationGuest.organization_id).where(
            OrganizationGuest.id == VIEWER_GUEST_ID).scalar_subquery()
    if viewer.user_id is None:
        return None
    return select(OrganizationMember.organization_id).where(
        OrganizationMember.user_id == VIEWER_ID).scalar_subquery()


def membership_rule(viewer: Viewer):
    """The viewer's organization (see ``viewer_organization``), as a SQL condition on the
    organizations table."""
    organization_id = viewer_organization(viewer)
    return Organization.id == organization_id if organization_id is not None else false()


def admin_rule(viewer: Viewer):
    """Whether the viewer administers an organization (a guest never does), as a SQL
    condition on the organizations table."""
    if viewer.guest_id is not None or viewer.user_id is None:
        return false()
    return exists(select(OrganizationMember.user_id).where(
        OrganizationMember.user_id == VIEWER_ID,
        OrganizationMember.organization_id == Organization.id,
        OrganizationMember.is_admin.is_(True)))


async def get_membership(ctx: Context) -> Membership | None:
    """The viewer's organization and whether they administer it (a guest: its organization)."""
    viewer = ctx.viewer
    if viewer.guest_id is None and viewer.user_id is None:
        return None
    async with ctx.db.session() as session:
        row = (await session.execute(select(Organization, admin_rule(viewer)).where(
            membership_rule(viewer)), viewer_params(viewer))).first()
    return Membership(organization=row[0], is_admin=bool(row[1])) if row else None


async def create(ctx: Context, *, name: str) -> Membership:
    """Create an organization from a signed-in Teams session; its creator administers it."""
    if ctx.viewer.is_api_key:
        raise Forbidden("Organizations are created from a signed-in session, not an API key")
    user_id = ctx.viewer.require_user()
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise Validation("Name must be 1 to 200 characters", details={"field": "name"})
    await require_teams(ctx)
    async with ctx.db.transaction() as session:
        await xact_lock(session, f"organization_member:{user_id}")
        if await session.get(OrganizationMember, user_id) is not None:
            raise Conflict("You already belong to an organization")
        org = Organization(name=name, created_by=user_id)
        session.add(org)
        await session.flush()
        session.add(OrganizationMember(user_id=user_id, organization_id=org.id, is_admin=True))
    return Membership(organization=org, is_admin=True)


async def join_as_former_guest(session: AsyncSession, *, user_id: uuid.UUID,
                               email: str) -> None:
    """Make a new account a member of the organization that first invited its email as
    a guest, if any (in the transaction that creates the account)."""
    org_id = (await session.execute(select(OrganizationGuest.organization_id).where(
        func.lower(OrganizationGuest.email) == email.lower(),
        OrganizationGuest.status == "active")
        .order_by(OrganizationGuest.created_at, OrganizationGuest.id).limit(1))
    ).scalar_one_or_none()
    if org_id is None:
        return
    await session.execute(insert(OrganizationMember).values(
        user_id=user_id, organization_id=org_id, is_admin=False).on_conflict_do_nothing(
        index_elements=[OrganizationMember.user_id]))


async def _require_admin_membership(ctx: Context) -> Membership:
    membership = await get_membership(ctx)
    if membership is None or not membership.is_admin or ctx.viewer.guest_id is not None:
        raise Forbidden("Only an organization admin may do this")
    return membership


async def create_guest(ctx: Context, *, email: str) -> GuestKey:
    """Find or create the organization's guest with ``email`` and mint a new ``gsk_`` key."""
    try:
        email = normalize_email(email)
    except Validation:
        raise Validation("A valid email is required", details={"field": "email"}) from None
    membership = await _require_admin_membership(ctx)
    org_id = membership.organization.id
    async with ctx.db.transaction() as session:
        await xact_lock(session, f"organization_guests:{org_id}")
        guest = (await session.execute(select(OrganizationGuest).where(
            OrganizationGuest.organization_id == org_id,
            func.lower(OrganizationGuest.email) == email.lower()))).scalar_one_or_none()
        created = guest is None
        if created:
            guest = OrganizationGuest(organization_id=org_id, email=email,
                                      created_by=ctx.viewer.user_id)
            session.add(guest)
            await session.flush()
        else:
            active = (await session.execute(select(func.count()).select_from(ApiKey).where(
                ApiKey.guest_id == guest.id, ApiKey.revoked_at.is_(None)))).scalar_one()
            if active >= MAX_GUEST_KEYS:
                raise Validation(f"At most {MAX_GUEST_KEYS} active API keys per guest")
        minted = api_keys.mint("gsk")
        key = ApiKey(prefix=minted.prefix, secret_hash=minted.secret_hash, last4=minted.last4,
                     name=f"guest {email}"[:200], scopes=sorted(api_keys.GUEST_SCOPES),
                     guest_id=guest.id, rate_limit=api_keys.DEFAULT_RATE_LIMIT)
        session.add(key)
    return GuestKey(guest=guest, created=created, key=CreatedKey(key=key, token=minted.token))


async def _apply_tier(db: Database, *, user_id: uuid.UUID, tier: str | None,
                      granted_by: uuid.UUID | None) -> None:
    if tier is not None and tier not in TIERS:
        raise Validation(f"Tier must be one of: {', '.join(TIERS)}", details={"field": "tier"})
    async with db.transaction() as session:
        if await session.get(User, user_id) is None:
            raise NotFound("User not found")
        if tier is None:
            await session.execute(delete(Subscription).where(Subscription.user_id == user_id))
            return
        await session.execute(insert(Subscription).values(
            user_id=user_id, tier=tier, granted_by=granted_by).on_conflict_do_update(
            index_elements=[Subscription.user_id],
            set_={"tier": tier, "granted_by": granted_by, "updated_at": func.now()}))


async def set_tier(ctx: Context, *, user_id: uuid.UUID, tier: str | None) -> str | None:
    """A platform admin grants a user a tier, or revokes it with ``None``."""
    ctx.viewer.require_user()
    if not ctx.viewer.is_admin:
        raise Forbidden("Only a platform admin may change subscription tiers")
    await _apply_tier(ctx.db, user_id=user_id, tier=tier, granted_by=ctx.viewer.user_id)
    return tier


async def get_tier(ctx: Context, *, user_id: uuid.UUID) -> str | None:
    """A user's tier, or None; the user or a platform admin may read it."""
    if ctx.viewer.user_id != user_id and not ctx.viewer.is_admin:
        raise Forbidden("You may only read your own subscription")
    async with ctx.db.session() as session:
        return (await session.execute(select(Subscription.tier).where(
            Subscription.user_id == user_id))).scalar_one_or_none()


async def set_tier_by_email(db: Database, *, email: str, tier: str | None) -> str:
    """The command line's way to grant or revoke a tier (no viewer: the operator)."""
    async with db.session() as session:
        user_id = (await session.execute(select(User.id).where(
            func.lower(User.email) == email.strip().lower()))).scalar_one_or_none()
    if user_id is None:
        raise NotFound(f"No user with email {email[:80]}")
    await _apply_tier(db, user_id=user_id, tier=tier, granted_by=None)
    return f"{email}: {tier or 'no tier'}"
