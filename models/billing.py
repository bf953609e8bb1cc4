"""The reading platform's billing: subscriptions paid through Stripe, entitlement grants,
and the Stripe events already applied."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    ARRAY,
    BigInteger,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamps


class BillingSubscription(Timestamps, Base):
    """An account's reading-platform plan: its trial, then what Stripe says it paid for.

    A teacher, parent or school admin without a row is on the trial that started with
    their account (see ``resolvers/billing.py``); the row appears at their first checkout.
    """

    __tablename__ = "billing_subscriptions"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    # trialing | active | past_due | canceled | incomplete
    state: Mapped[str] = mapped_column(String(20), nullable=False)
    # The plan bought at checkout: parent_monthly | parent_annual | school_annual.
    plan: Mapped[str | None] = mapped_column(String(30))
    seats: Mapped[int | None] = mapped_column(Integer)
    trial_ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    current_period_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    # When the newest Stripe event applied to this row was created: an older event
    # arriving late never rolls the state back.
    stripe_event_created: Mapped[int | None] = mapped_column(BigInteger)


class EntitlementGrant(Base):
    """Access given outside Stripe (a pilot school, a support gesture), to an account or
    a learner; checked before subscriptions."""

    __tablename__ = "entitlement_grants"
    __table_args__ = (Index("ix_entitlement_grants_subject", "subject_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    # A user's id or a reading learner's id (a student's learner_service_id).
    subject_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    tier: Mapped[str] = mapped_column(String(20), nullable=False)
    features: Mapped[list[str]] = mapped_column(
        ARRAY(String(40)), nullable=False, server_default=text("'{}'::varchar[]"))
    reason: Mapped[str] = mapped_column(String(500), nullable=False, server_default="")
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)


class StripeEvent(Base):
    """A Stripe webhook event, stored when it is applied, so a redelivery changes nothing."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100), nullable=False)
    # Whether the event changed anything we keep (false: a type we do not act on, or
    # an object we do not know).
    applied: Mapped[bool] = mapped_column(nullable=False, server_default=text("false"))
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)
