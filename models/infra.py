"""Tables behind cross-cutting services: rate-limit counters, query budgets, pub/sub
payloads and idempotency keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, LargeBinary, String, func
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


class IdempotencyKey(Base):
    """One ``Idempotency-Key`` a client sent, hashed with its route and caller: the hash
    of the request it came with, and once that request is done, its response (replayed
    for the key until it expires)."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_expires_at", "expires_at"),)

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    # in_flight | complete
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_type: Mapped[str | None] = mapped_column(String(200))
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)
    # An in-flight claim whose instance died is taken over after this.
    locked_until: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
