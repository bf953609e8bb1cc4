"""Subscriptions of the reading platform: state and features, checkout, Stripe events.

- Every teacher, parent or school admin account starts on a trial of
  ``billing_trial_days`` from its creation; until its first checkout it has no row and
  its state is computed: ``trialing`` while the trial runs, then ``expired``.
- Tiers and their features: ``trial`` and ``school`` have every feature; ``parent`` has
  the library, the learner bot and reports (interventions are a classroom tool);
  ``free`` (an expired trial, a canceled plan) has none.
- Checkout: parents buy ``parent_monthly``/``parent_annual`` (one family, quantity 1;
  ``student_count`` 1–10, kept as seats); teachers and school admins buy
  ``school_annual`` for ``student_count`` seats (1–5,000, required). An account whose
  plan is active or past due is 409 ``already_subscribed``. The Stripe customer is
  created once per account and kept, so every later event names it.
- Stripe events, each applied once (``stripe_events``): ``invoice.payment_succeeded``
  makes the plan active until the invoice's period end; ``invoice.payment_failed``
  makes it past due (it keeps its features until the period ends, while Stripe
  retries); ``customer.subscription.updated`` copies Stripe's status, period end, trial
  end, plan and quantity; ``customer.subscription.deleted`` cancels it. An event older
  than the last one applied to the account changes nothing; an event for a customer we
  do not know, or of another type, is recorded and answered 200.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import Field, model_validator
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from core import payments
from core.context import Context
from core.errors import Conflict, Forbidden, NotFound, Upstream
from models.billing import BillingSubscription, StripeEvent
from models.user import User
from resolvers import portal_roles
from resolvers.reading import Input

ALL_FEATURES = ("full_library", "learner_bot", "reports", "interventions")
FEATURES: dict[str, tuple[str, ...]] = {
    "trial": ALL_FEATURES, "school": ALL_FEATURES,
    "parent": ("full_library", "learner_bot", "reports"), "free": (),
}
PLANS = {"parent_monthly": "parent", "parent_annual": "parent", "school_annual": "school"}
# Stripe's subscription statuses as ours.
STRIPE_STATES = {"trialing": "trialing", "active": "active", "past_due": "past_due",
                 "unpaid": "past_due", "paused": "past_due", "canceled": "canceled",
                 "incomplete": "incomplete", "incomplete_expired": "canceled"}
HANDLED_EVENTS = ("invoice.payment_succeeded", "invoice.payment_failed",
                  "customer.subscription.updated", "customer.subscription.deleted")
MAX_PARENT_SEATS, MAX_SCHOOL_SEATS = 10, 5000


class CheckoutIn(Input):
    """A plan to buy, and for how many students."""

    plan: Literal["parent_monthly", "parent_annual", "school_annual"]
    student_count: int | None = Field(default=None, ge=1, le=MAX_SCHOOL_SEATS)

    @model_validator(mode="after")
    def _seats_fit(self) -> CheckoutIn:
        if self.plan == "school_annual" and self.student_count is None:
            raise ValueError("student_count is required for school_annual")
        if self.plan != "school_annual" and (self.student_count or 1) > MAX_PARENT_SEATS:
            raise ValueError(f"a parent plan covers at most {MAX_PARENT_SEATS} children")
        return self


@dataclass(frozen=True)
class SubscriptionState:
    state: str
    tier: str
    trial_ends_at: datetime | None
    current_period_end: datetime | None
    features: tuple[str, ...]
    plan: str | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def trial_end(ctx_settings, user: User) -> datetime:
    """When the trial that started with ``user``'s account ends."""
    return user.created_at + timedelta(days=ctx_settings.billing_trial_days)


def describe(row: BillingSubscription | None, *, trial_ends_at: datetime,
             now: datetime | None = None) -> SubscriptionState:
    """The state, tier and features of an account's subscription row (None: no checkout
    yet, so the account's own trial)."""
    now = now or _now()
    if row is None:
        running = trial_ends_at > now
        return SubscriptionState(state="trialing" if running else "expired",
                                 tier="trial" if running else "free",
                                 trial_ends_at=trial_ends_at, current_period_end=None,
                                 features=FEATURES["trial" if running else "free"])
    tier = "free"
    if row.state == "trialing":
        ends = row.trial_ends_at or trial_ends_at
        tier = "trial" if ends > now else "free"
    elif row.state == "active" or (row.state == "past_due" and row.current_period_end
                                   and row.current_period_end > now):
        tier = PLANS.get(row.plan or "", "free")
    elif row.state == "incomplete" and (row.trial_ends_at or trial_ends_at) > now:
        tier = "trial"  # a checkout not paid yet leaves the trial running
    return SubscriptionState(state=row.state, tier=tier,
                             trial_ends_at=row.trial_ends_at or trial_ends_at,
                             current_period_end=row.current_period_end,
                             features=FEATURES[tier], plan=row.plan)


async def get_subscription(ctx: Context) -> SubscriptionState:
    """The viewer's subscription: state, tier, trial end, period end and features."""
    portal_roles.require_any(ctx, portal_roles.PAYING)
    user_id = ctx.viewer.require_user()
    async with ctx.db.read() as session:
        user = await session.get(User, user_id)
        row = await session.get(BillingSubscription, user_id)
    if user is None:
        raise NotFound("Account not found")
    return describe(row, trial_ends_at=trial_end(ctx.settings, user))


def _allowed_plan(ctx: Context, plan: str) -> None:
    roles = ctx.viewer.roles
    if ctx.viewer.is_admin:
        return
    wanted = (portal_roles.PARENT,) if PLANS[plan] == "parent" else tuple(portal_roles.STAFF)
    if not set(wanted) & roles:
        raise Forbidden(f"The {plan} plan is not for this account's role",
                        details={"plan": plan})


async def checkout(ctx: Context, *, order: CheckoutIn) -> str:
    """A Stripe Checkout session for ``order``; its URL."""
    portal_roles.require_any(ctx, portal_roles.PAYING)
    _allowed_plan(ctx, order.plan)
    settings = ctx.settings
    stripe = payments.client(settings)
    price = settings.stripe_prices.get(order.plan)
    if not price:
        raise payments.NotConfiguredBilling(f"No Stripe price is configured for {order.plan}")
    user_id = ctx.viewer.require_user()
    async with ctx.db.read() as session:
        user = await session.get(User, user_id)
        row = await session.get(BillingSubscription, user_id)
    if user is None:
        raise NotFound("Account not found")
    if row is not None and describe(row, trial_ends_at=trial_end(settings, user)).tier in (
            "parent", "school"):
        raise Conflict("This account already has a paid plan", code="ALREADY_SUBSCRIBED")
    customer_id = row.stripe_customer_id if row is not None else None
    if customer_id is None:
        customer = await payments.call(stripe.v1.customers.create_async(params={
            "email": user.email or "", "name": user.display_name,
            "metadata": {"user_id": str(user_id)}},
            options={"idempotency_key": f"customer-{user_id}"}))
        customer_id = customer.id
        customer_id = await _keep_customer(ctx, user_id=user_id, customer_id=customer_id,
                                           trial_ends_at=trial_end(settings, user))
    quantity = order.student_count if order.plan == "school_annual" else 1
    base = settings.public_url.rstrip("/")
    session_object = await payments.call(stripe.v1.checkout.sessions.create_async(params={
        "mode": "subscription", "customer": customer_id,
        "client_reference_id": str(user_id),
        "line_items": [{"price": price, "quantity": quantity}],
        "metadata": {"user_id": str(user_id), "plan": order.plan},
        "subscription_data": {"metadata": {"user_id": str(user_id), "plan": order.plan,
                                           "seats": str(order.student_count or 1)}},
        "success_url": f"{base}/billing/success?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{base}/billing/canceled"}))
    async with ctx.db.transaction() as session:
        stored = await session.get(BillingSubscription, user_id, with_for_update=True)
        if stored is not None and stored.state in ("trialing", "incomplete", "canceled"):
            stored.plan, stored.seats = order.plan, order.student_count or 1
    if not session_object.url:
        raise Upstream("The payment provider returned no checkout URL")
    return session_object.url


async def _keep_customer(ctx: Context, *, user_id: uuid.UUID, customer_id: str,
                         trial_ends_at: datetime) -> str:
    """Store the account's Stripe customer (the first one stored wins a race)."""
    async with ctx.db.transaction() as session:
        await session.execute(insert(BillingSubscription).values(
            user_id=user_id, state="trialing", trial_ends_at=trial_ends_at,
            stripe_customer_id=customer_id).on_conflict_do_nothing(
            index_elements=[BillingSubscription.user_id]))
        row = await session.get(BillingSubscription, user_id, with_for_update=True)
        if row.stripe_customer_id is None:
            row.stripe_customer_id = customer_id
        return row.stripe_customer_id


# ----------------------------------------------------------------- Stripe events

def _ts(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if isinstance(value, int | float) else None


def _invoice_subscription(invoice: dict) -> str | None:
    if isinstance(invoice.get("subscription"), str):
        return invoice["subscription"]
    details = ((invoice.get("parent") or {}).get("subscription_details") or {})
    return details.get("subscription") if isinstance(details.get("subscription"), str) else None


def _invoice_period_end(invoice: dict) -> datetime | None:
    ends = [line.get("period", {}).get("end")
            for line in (invoice.get("lines") or {}).get("data") or []]
    ends = [e for e in ends if isinstance(e, int)]
    return _ts(max(ends)) if ends else _ts(invoice.get("period_end"))


def _subscription_period_end(sub: dict) -> datetime | None:
    if sub.get("current_period_end"):
        return _ts(sub["current_period_end"])
    items = (sub.get("items") or {}).get("data") or []
    ends = [i.get("current_period_end") for i in items if isinstance(i.get("current_period_end"),
                                                                       int)]
    return _ts(max(ends)) if ends else None


def _apply(row: BillingSubscription, event_type: str, obj: dict) -> None:
    if event_type == "invoice.payment_succeeded":
        row.state = "active"
        row.current_period_end = _invoice_period_end(obj) or row.current_period_end
        row.stripe_subscription_id = _invoice_subscription(obj) or row.stripe_subscription_id
    elif event_type == "invoice.payment_failed":
        row.state = "past_due"
        row.stripe_subscription_id = _invoice_subscription(obj) or row.stripe_subscription_id
    elif event_type == "customer.subscription.updated":
        row.state = STRIPE_STATES.get(obj.get("status"), row.state)
        row.current_period_end = _subscription_period_end(obj) or row.current_period_end
        row.trial_ends_at = _ts(obj.get("trial_end")) or row.trial_ends_at
        row.stripe_subscription_id = obj.get("id") or row.stripe_subscription_id
        plan = (obj.get("metadata") or {}).get("plan")
        if plan in PLANS:
            row.plan = plan
        items = (obj.get("items") or {}).get("data") or []
        if items and isinstance(items[0].get("quantity"), int) and row.plan == "school_annual":
            row.seats = items[0]["quantity"]
    elif event_type == "customer.subscription.deleted":
        row.state = "canceled"
        row.current_period_end = _subscription_period_end(obj) or row.current_period_end


async def receive_webhook(ctx: Context, *, payload: bytes, signature: str | None) -> bool:
    """Verify a Stripe delivery and apply its event once; whether it changed anything."""
    event = payments.verify_event(ctx.settings, payload, signature)
    event_id, event_type = str(event.get("id") or ""), str(event.get("type") or "")
    if not event_id:
        raise payments.BadSignature("The payload is not a Stripe event")
    obj = (event.get("data") or {}).get("object") or {}
    created = event.get("created") if isinstance(event.get("created"), int) else None
    async with ctx.db.transaction() as session:
        first = (await session.execute(insert(StripeEvent).values(
            id=event_id[:255], type=event_type[:100]).on_conflict_do_nothing(
            index_elements=[StripeEvent.id]).returning(StripeEvent.id))).scalar_one_or_none()
        if first is None or event_type not in HANDLED_EVENTS:
            return False
        customer = obj.get("customer")
        if not isinstance(customer, str):
            return False
        row = (await session.execute(select(BillingSubscription).where(
            BillingSubscription.stripe_customer_id == customer)
            .with_for_update())).scalar_one_or_none()
        if row is None or (created is not None and row.stripe_event_created is not None
                           and created < row.stripe_event_created):
            return False
        _apply(row, event_type, obj)
        if created is not None:
            row.stripe_event_created = max(created, row.stripe_event_created or 0)
        await session.execute(StripeEvent.__table__.update().where(
            StripeEvent.id == event_id[:255]).values(applied=True))
    return True
