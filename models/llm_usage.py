"""Model calls as they were made (tokens, cost, who and what for) and monthly budgets."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamps
from models.course import one_of

USAGE_OUTCOMES = ("ok", "error", "cache_hit")
BUDGET_SCOPES = ("COURSE", "ORGANIZATION", "USER")


class LlmUsage(Base):
    """One model call through the gateway (or one answer the response cache gave instead,
    outcome ``cache_hit``, with no tokens and no cost)."""

    __tablename__ = "llm_usage"
    __table_args__ = (
        one_of("outcome", USAGE_OUTCOMES),
        Index("ix_llm_usage_user_id_created_at", "user_id", "created_at"),
        Index("ix_llm_usage_course_id_created_at", "course_id", "created_at"),
        Index("ix_llm_usage_organization_id_created_at", "organization_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False, index=True)
    provider: Mapped[str] = mapped_column(String(20), nullable=False)
    model: Mapped[str] = mapped_column(String(200), nullable=False)
    feature: Mapped[str] = mapped_column(String(100), nullable=False)
    outcome: Mapped[str] = mapped_column(String(20), nullable=False)
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"))
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("courses.id", ondelete="SET NULL"))
    chat_session_id: Mapped[int | None] = mapped_column(BigInteger)
    input_tokens: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    output_tokens: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    cache_write_tokens: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    cache_read_tokens: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    latency_ms: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # USD; null when the model is not in the price table.
    cost: Mapped[Decimal | None] = mapped_column(Numeric(20, 9))


class LlmBudget(Timestamps, Base):
    """A monthly token and/or cost limit on a course, an organization or a user."""

    __tablename__ = "llm_budgets"
    __table_args__ = (one_of("scope", BUDGET_SCOPES),
                      UniqueConstraint("scope", "scope_id", name="uq_llm_budgets_scope_scope_id"))

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    scope: Mapped[str] = mapped_column(String(20), nullable=False)
    # The course's integer id or the organization's or user's UUID, as text.
    scope_id: Mapped[str] = mapped_column(String(64), nullable=False)
    token_limit: Mapped[int | None] = mapped_column(BigInteger)
    cost_limit: Mapped[Decimal | None] = mapped_column(Numeric(20, 9))
    updated_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))


class LlmBudgetHold(Base):
    """What a call in flight may still spend of a budget, until it is settled or expires
    (a process that died mid-call holds nothing for long)."""

    __tablename__ = "llm_budget_holds"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    budget_id: Mapped[int] = mapped_column(
        ForeignKey("llm_budgets.id", ondelete="CASCADE"), nullable=False, index=True)
    tokens: Mapped[int] = mapped_column(BigInteger, nullable=False)
    cost: Mapped[Decimal] = mapped_column(Numeric(20, 9), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
