"""Tutor chat sessions on a content item and their messages."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
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

from models.base import Base, Timestamps
from models.course import one_of

CACHE_STATES = ("TRACKING", "DIVERGED")
MESSAGE_ROLES = ("user", "assistant")


class ChatSession(Timestamps, Base):
    __tablename__ = "chat_sessions"
    __table_args__ = (one_of("cache_state", CACHE_STATES),
                      Index("ix_chat_sessions_user_created", "user_id", "created_at"))

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    content_item_id: Mapped[int] = mapped_column(
        ForeignKey("content_items.id", ondelete="CASCADE"), nullable=False, index=True)
    content_context: Mapped[dict] = mapped_column(JSONB, nullable=False,
                                                  server_default=text("'{}'::jsonb"))
    share_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False,
                                                server_default=text("false"))
    share_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    cache_node_id: Mapped[int | None] = mapped_column(BigInteger)
    cache_state: Mapped[str] = mapped_column(String(20), nullable=False,
                                             server_default="TRACKING")
    # The chatEvents subscriptions watching the session, on any instance: its turns are
    # published to other instances only while there is one (``resolvers.chat.events``).
    # One left by an instance that stopped without ending it only costs notifications.
    watchers: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))


class ChatMessage(Base):
    __tablename__ = "chat_messages"
    __table_args__ = (one_of("role", MESSAGE_ROLES),
                      Index("ix_chat_messages_session_id", "session_id", "id"))

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("chat_sessions.id", ondelete="CASCADE"), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    meta: Mapped[dict] = mapped_column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)
