"""Tables behind cross-cutting services: rate-limit counters, query budgets and pub/sub
payloads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, String, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class RateLimitHits(Base):
    """The times of one key's hits inside its sliding window, shared by all instances."""

    __tablename__ = "rate_limit_hits"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    hits: Mapped[list[datetime]] = mapped_column(ARRAY(DateTime(timezone=True)), nullable=False)


class QueryBudget(Base):
    """The GraphQL points one viewer (or address) spent in its current hour."""

    __tablename__ = "query_budgets"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used: Mapped[int] = mapped_column(Integer, nullable=False)


class PubSubMessage(Base):
    """A published message too large for a NOTIFY payload; the notification carries its id."""

    __tablename__ = "pubsub_messages"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(300), nullable=False)
    payload: Mapped[dict] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False, index=True)
