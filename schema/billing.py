"""GraphQL for the reading platform's billing: the same resolvers as the Pickatale
billing service, with the same rules (the account's own subscription and checkout for
teachers, parents and school admins; entitlement checks for services and admins).
Stripe's webhook is REST only: Stripe posts signed events to ``/api/billing/webhook``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from resolvers import billing, entitlements
from resolvers.reading import parse
from schema.idempotency import ARGUMENT_DESCRIPTION, idempotent
from schema.pages import parse_int_id

GRANT = "EntitlementGrant"


@strawberry.enum(description="Where an account's subscription stands.")
class BillingState(Enum):
    TRIALING = strawberry.enum_value("trialing", description="On the trial.")
    ACTIVE = strawberry.enum_value("active", description="Paid and current.")
    PAST_DUE = strawberry.enum_value(
        "past_due", description="A payment failed; features stay until the period ends.")
    CANCELED = strawberry.enum_value("canceled", description="Ended.")
    INCOMPLETE = strawberry.enum_value(
        "incomplete", description="Checkout started, first payment not made yet.")
    EXPIRED = strawberry.enum_value("expired", description="The trial ran out, nothing bought.")


@strawberry.enum(description="What an account's subscription gives.")
class BillingTier(Enum):
    TRIAL = strawberry.enum_value("trial", description="The trial: every feature.")
    PARENT = strawberry.enum_value("parent", description="A family plan.")
    SCHOOL = strawberry.enum_value("school", description="A school plan: every feature.")
    FREE = strawberry.enum_value("free", description="No paid features.")


@strawberry.enum(description="A paid feature of the reading platform.")
class BillingFeature(Enum):
    FULL_LIBRARY = strawberry.enum_value("full_library", description="The whole library.")
    LEARNER_BOT = strawberry.enum_value("learner_bot", description="The learner bot.")
    REPORTS = strawberry.enum_value("reports", description="Progress reports.")
    INTERVENTIONS = strawberry.enum_value("interventions",
                                          description="Classroom interventions.")


@strawberry.enum(description="A plan sold through Stripe Checkout.")
class BillingPlan(Enum):
    PARENT_MONTHLY = strawberry.enum_value("parent_monthly", description="Family, monthly.")
    PARENT_ANNUAL = strawberry.enum_value("parent_annual", description="Family, yearly.")
    SCHOOL_ANNUAL = strawberry.enum_value("school_annual",
                                          description="School, yearly, per student.")


@strawberry.enum(description="How much of the platform an entitlement opens.")
class EntitlementTier(Enum):
    NONE = strawberry.enum_value("none", description="Nothing paid.")
    TRIAL = strawberry.enum_value("trial", description="A running trial.")
    FULL = strawberry.enum_value("full", description="A paid plan or a full grant.")


@strawberry.enum(description="What an entitlement grant gives.")
class GrantTier(Enum):
    TRIAL = strawberry.enum_value("trial", description="Trial access.")
    FULL = strawberry.enum_value("full", description="Full access.")


@strawberry.type(description="The signed-in account's subscription.")
class BillingSubscription:
    state: BillingState = strawberry.field(description="Where it stands.")
    tier: BillingTier = strawberry.field(description="What it gives now.")
    plan: BillingPlan | None = strawberry.field(description="The plan bought, if any.")
    trial_ends_at: datetime | None = strawberry.field(description="When the trial ends.")
    current_period_end: datetime | None = strawberry.field(
        description="When the paid period ends.")
    features: list[BillingFeature] = strawberry.field(description="Features it opens now.")

    @classmethod
    def from_state(cls, state: billing.SubscriptionState) -> BillingSubscription:
        return cls(state=BillingState(state.state), tier=BillingTier(state.tier),
                   plan=BillingPlan(state.plan) if state.plan else None,
                   trial_ends_at=state.trial_ends_at,
                   current_period_end=state.current_period_end,
                   features=[BillingFeature(f) for f in state.features])


@strawberry.type(description="Whether an account or learner may use the paid platform.")
class Entitlement:
    allowed: bool = strawberry.field(description="Whether any grant or plan is valid now.")
    tier: EntitlementTier = strawberry.field(description="The most permissive tier.")
    expires_at: datetime | None = strawberry.field(
        description="When that tier ends (null: no end, or nothing allowed).")
    features: list[BillingFeature] = strawberry.field(
        description="Every feature any valid grant or plan opens.")


@strawberry.input(description="A plan to buy.")
class CheckoutInput:
    plan: BillingPlan = strawberry.field(description="The plan.")
    student_count: int | None = strawberry.field(
        default=None, description="Students covered: 1–5,000, required for the school "
                                  "plan; 1–10 children for a family plan.")


@strawberry.type(description="A Stripe Checkout session started.")
class CheckoutPayload:
    checkout_url: str = strawberry.field(description="Where to send the buyer.")


@strawberry.input(description="Access given outside Stripe.")
class GrantEntitlementInput:
    subject_id: uuid.UUID = strawberry.field(
        description="An account's id or a learner's (a student's learner id).")
    tier: GrantTier = strawberry.field(description="What it gives.")
    features: list[BillingFeature] | None = strawberry.field(
        default=None, description="Features it opens (default: every one of the tier).")
    expires_at: datetime | None = strawberry.field(
        default=None, description="When it ends (null: never).")
    reason: str = strawberry.field(default="", description="Why, up to 500 characters.")


@strawberry.type(description="An entitlement grant made.")
class GrantEntitlementPayload:
    grant_id: relay.GlobalID = strawberry.field(
        description="The grant's global ID (an `EntitlementGrant`), to revoke it.")


@strawberry.type(description="An entitlement grant withdrawn.")
class RevokeEntitlementGrantPayload:
    ok: bool = strawberry.field(description="Always true.")


@strawberry.type
class BillingQuery:
    @strawberry.field(description="The signed-in account's subscription (teachers, parents "
                                  "and school admins).")
    async def billing_subscription(self, info: Info) -> BillingSubscription:
        return BillingSubscription.from_state(await billing.get_subscription(info.context))

    @strawberry.field(description="Whether an account or learner may use the paid platform "
                                  "(services and platform admins).")
    async def entitlement(self, info: Info, user_id: Annotated[uuid.UUID, strawberry.argument(
            description="An account's id or a learner's id.")]) -> Entitlement:
        result = await entitlements.check(info.context, subject_id=user_id)
        return Entitlement(allowed=result.allowed, tier=EntitlementTier(result.tier),
                           expires_at=result.expires_at,
                           features=[BillingFeature(f) for f in result.features])


@strawberry.type
class BillingMutation:
    @strawberry.mutation(description="Start a Stripe Checkout session for a plan. With an "
                                     "idempotency key a retry gets the same session.")
    async def start_checkout(
            self, info: Info,
            input: Annotated[CheckoutInput, strawberry.argument(
                description="The plan and student count.")],
            idempotency_key: Annotated[str | None, strawberry.argument(
                description=ARGUMENT_DESCRIPTION)] = None) -> CheckoutPayload:
        async def run() -> CheckoutPayload:
            order = parse(billing.CheckoutIn, {"plan": input.plan.value,
                                               "student_count": input.student_count})
            return CheckoutPayload(checkout_url=await billing.checkout(info.context,
                                                                       order=order))

        return await idempotent(info, key=idempotency_key, arguments=input, run=run,
                                payload=CheckoutPayload)

    @strawberry.mutation(description="Give an account or learner access outside Stripe "
                                     "(platform admins).")
    async def grant_entitlement(
            self, info: Info,
            input: Annotated[GrantEntitlementInput, strawberry.argument(
                description="Whom, what and until when.")],
    ) -> GrantEntitlementPayload:
        data = {"subject_id": input.subject_id, "tier": input.tier.value,
                "features": [f.value for f in input.features] if input.features else None,
                "expires_at": input.expires_at, "reason": input.reason}
        grant_id = await entitlements.grant(info.context,
                                            grant=parse(entitlements.GrantIn, data))
        return GrantEntitlementPayload(grant_id=relay.GlobalID(GRANT, str(grant_id)))

    @strawberry.mutation(description="Withdraw an entitlement grant (platform admins).")
    async def revoke_entitlement_grant(
            self, info: Info,
            grant_id: Annotated[strawberry.ID, strawberry.argument(
                description="The grant's global ID (`GrantEntitlementPayload.grantId`); its "
                            "integer id is accepted too.")],
    ) -> RevokeEntitlementGrantPayload:
        await entitlements.revoke(info.context,
                                  grant_id=parse_int_id(grant_id, GRANT, field="grantId"))
        return RevokeEntitlementGrantPayload(ok=True)
