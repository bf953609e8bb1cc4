"""GraphQL for organizations, their guests and users' subscription tiers.

The same resolvers serve the OpenLesson face's ``POST /api/organization`` and
``POST /api/v2/agent/org/guests``; a platform admin grants and revokes tiers
here (or with ``learngraph set-tier``).
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from core.auth.api_keys import ORG_WRITE
from models.organization import Organization as OrganizationModel
from models.organization import OrganizationGuest as GuestModel
from resolvers import organization as organizations
from schema.api_key import ApiKey
from schema.permissions import agent
from schema.user import global_uuid_id


@strawberry.enum(description="A paid tier; `PRO_TEAMS` unlocks organizations and the agent API.")
class SubscriptionTier(Enum):
    PRO = strawberry.enum_value("pro", description="The individual paid tier.")
    PRO_TEAMS = strawberry.enum_value(
        "pro_teams", description="The team tier: organizations, guests and the agent API.")


@strawberry.type(description="A team that owns workspaces and issues keys to members and guests.")
class Organization:
    id: strawberry.ID = strawberry.field(description="The organization's UUID.")
    name: str = strawberry.field(description="Its name.")
    created_at: datetime = strawberry.field(description="When it was created.")

    @classmethod
    def from_model(cls, org: OrganizationModel) -> Organization:
        return cls(id=strawberry.ID(str(org.id)), name=org.name, created_at=org.created_at)


@strawberry.type(description="The viewer's organization and role in it.")
class OrganizationMembership:
    organization: Organization = strawberry.field(description="The organization.")
    is_org_admin: bool = strawberry.field(description="Whether the viewer administers it.")


@strawberry.type(description="A learner without an account, known to one organization by email.")
class OrganizationGuest:
    id: strawberry.ID = strawberry.field(description="The guest's UUID.")
    organization_id: strawberry.ID = strawberry.field(description="Its organization's UUID.")
    email: str = strawberry.field(description="The guest's email address.")
    status: str = strawberry.field(description="`active` while its keys work.")

    @classmethod
    def from_model(cls, guest: GuestModel) -> OrganizationGuest:
        return cls(id=strawberry.ID(str(guest.id)),
                   organization_id=strawberry.ID(str(guest.organization_id)),
                   email=guest.email, status=guest.status)


@strawberry.input(description="A new organization.")
class CreateOrganizationInput:
    name: str = strawberry.field(description="1 to 200 characters.")


@strawberry.input(description="A tier for a user.")
class GrantSubscriptionTierInput:
    user_id: strawberry.ID = strawberry.field(description="Global ID of the user.")
    tier: SubscriptionTier = strawberry.field(description="The tier to grant.")


@strawberry.type(description="A user's tier after a change; null when revoked.")
class SubscriptionTierPayload:
    user_id: strawberry.ID = strawberry.field(description="Global ID of the user.")
    tier: SubscriptionTier | None = strawberry.field(description="The tier now held.")


@strawberry.type(description="A guest and a new guest key; `secret` is shown this once.")
class CreateOrganizationGuestPayload:
    guest: OrganizationGuest = strawberry.field(description="The guest, new or found.")
    created: bool = strawberry.field(description="Whether the guest is new.")
    secret: str = strawberry.field(description="The new `gsk_` key, shown once.")
    api_key: ApiKey = strawberry.field(description="The key's record.")


@strawberry.type
class OrganizationQuery:
    @strawberry.field(description="The viewer's organization, or null.")
    async def my_organization(self, info: Info) -> OrganizationMembership | None:
        membership = await organizations.get_membership(info.context)
        if membership is None:
            return None
        return OrganizationMembership(
            organization=Organization.from_model(membership.organization),
            is_org_admin=membership.is_admin)

    @strawberry.field(description="A user's tier (your own, or anyone's for a platform admin).")
    async def subscription_tier(self, info: Info,
                                user_id: strawberry.ID) -> SubscriptionTier | None:
        tier = await organizations.get_tier(info.context, user_id=_user_id(user_id))
        return SubscriptionTier(tier) if tier else None


@strawberry.type
class OrganizationMutation:
    @strawberry.mutation(description="Create an organization (needs the Teams tier); you "
                                     "become its admin.")
    async def create_organization(self, info: Info,
                                  input: CreateOrganizationInput) -> OrganizationMembership:
        membership = await organizations.create(info.context, name=input.name)
        return OrganizationMembership(
            organization=Organization.from_model(membership.organization),
            is_org_admin=membership.is_admin)

    @strawberry.mutation(description="Create or find a guest by email and mint a new guest "
                                     "key (organization admins; keys need `org:write`).",
                         extensions=agent(ORG_WRITE))
    async def create_organization_guest(self, info: Info,
                                        email: str) -> CreateOrganizationGuestPayload:
        made = await organizations.create_guest(info.context, email=email)
        return CreateOrganizationGuestPayload(
            guest=OrganizationGuest.from_model(made.guest), created=made.created,
            secret=made.key.token, api_key=ApiKey.from_model(made.key.key))

    @strawberry.mutation(description="Grant a user a subscription tier (platform admins).")
    async def grant_subscription_tier(self, info: Info, input: GrantSubscriptionTierInput
                                      ) -> SubscriptionTierPayload:
        tier = await organizations.set_tier(info.context, user_id=_user_id(input.user_id),
                                            tier=input.tier.value)
        return SubscriptionTierPayload(user_id=input.user_id, tier=SubscriptionTier(tier))

    @strawberry.mutation(description="Revoke a user's subscription tier (platform admins).")
    async def revoke_subscription_tier(self, info: Info,
                                       user_id: strawberry.ID) -> SubscriptionTierPayload:
        await organizations.set_tier(info.context, user_id=_user_id(user_id), tier=None)
        return SubscriptionTierPayload(user_id=user_id, tier=None)


def _user_id(global_id: str):
    return global_uuid_id(global_id, "User", field="userId")

