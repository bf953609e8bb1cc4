"""The tutor's shared response cache: a tree of assistant answers per conversation path.

A node is one assistant answer, keyed by the content item, the prompt version,
the model, its parent node (null for the greeting, the root) and the hash of
the user message that led to it. ``chunks`` keeps the streamed pieces with
their original boundaries so a hit replays the very same SSE events.

A claim marks a node being generated: the request that holds it calls the
model; others asking for the same node wait for the node (or for the claim to
go, or to expire, and then claim it themselves).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class ChatCacheNode(Base):
    __tablename__ = "chat_cache_nodes"
    __table_args__ = (
        # The root's parent is null; coalesce makes two roots of one key collide too.
        Index("uq_chat_cache_nodes_key", "content_item_id", "prompt_key", "model",
              text("coalesce(parent_id, 0)"), "message_hash", unique=True),
        Index("ix_chat_cache_nodes_last_used", text("coalesce(last_hit_at, created_at)")),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    content_item_id: Mapped[int] = mapped_column(
        ForeignKey("content_items.id", ondelete="CASCADE"), nullable=False)
    prompt_key: Mapped[str] = mapped_column(String(200), nullable=False)
    model: Mapped[str] = mapped_column(String(100), nullable=False)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("chat_cache_nodes.id", ondelete="CASCADE"), index=True)
    message_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    sequence: Mapped[int] = mapped_column(Integer, nullable=False)
    chunks: Mapped[list] = mapped_column(JSONB, nullable=False)
    full_text: Mapped[str] = mapped_column(Text, nullable=False)
    hits: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)
    last_hit_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ChatCacheClaim(Base):
    __tablename__ = "chat_cache_claims"

    # SHA-256 of the node key (content item, prompt, model, parent, message hash).
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
