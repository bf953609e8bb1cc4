"""What a codelab's live room keeps: its chat (room messages and direct messages),
inline comment threads on its steps and guide, and the audit log of facilitator
actions.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class CodelabChatMessage(Base):
    """A message said in a codelab's live room: to everyone (``chat``) or to one person
    (``dm``)."""

    __tablename__ = "codelab_chat_messages"
    __table_args__ = (CheckConstraint("msg_type IN ('chat', 'dm')", name="msg_type_valid"),
                      Index("ix_codelab_chat_messages_course_id_id", "course_id", "id"))

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    course_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("courses.id", ondelete="CASCADE"), nullable=False)
    sender_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    sender_name: Mapped[str] = mapped_column(String(200), nullable=False)
    msg_type: Mapped[str] = mapped_column(String(10), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    # The one recipient of a direct message.
    target_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)


class CodelabCommentThread(Base):
    """Comments anchored to one range of a step's or the guide's text."""

    __tablename__ = "codelab_comment_threads"
    __table_args__ = (
        CheckConstraint("target_type IN ('step', 'guide')", name="target_type_valid"),
        CheckConstraint("(target_type = 'step') = (step_id IS NOT NULL)", name="step_target"),
        CheckConstraint("start_offset >= 0 AND end_offset > start_offset", name="range_valid"),
        UniqueConstraint("course_id", "anchor_key",
                         name="uq_codelab_comment_threads_course_anchor"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    course_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("courses.id", ondelete="CASCADE"), nullable=False)
    anchor_key: Mapped[str] = mapped_column(String(512), nullable=False)
    target_type: Mapped[str] = mapped_column(String(10), nullable=False)
    step_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    start_offset: Mapped[int] = mapped_column(Integer, nullable=False)
    end_offset: Mapped[int] = mapped_column(Integer, nullable=False)
    selected_text: Mapped[str] = mapped_column(Text, nullable=False)
    # The client's hash of the text the range was taken from: a reply made against
    # other content is refused as stale.
    content_hash: Mapped[str] = mapped_column(String(128), nullable=False)
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    # ``admin`` (a facilitator) or ``attendee``.
    created_by_role: Mapped[str] = mapped_column(String(10), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)


class CodelabComment(Base):
    """One message of an inline comment thread."""

    __tablename__ = "codelab_comments"
    __table_args__ = (CheckConstraint("author_role IN ('admin', 'attendee')",
                                      name="author_role_valid"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    thread_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("codelab_comment_threads.id", ondelete="CASCADE"),
        nullable=False, index=True)
    course_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("courses.id", ondelete="CASCADE"), nullable=False, index=True)
    author_role: Mapped[str] = mapped_column(String(10), nullable=False)
    author_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(200), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)


class CodelabAuditLog(Base):
    """One facilitator action (and the few attendee actions worth keeping). The codelab
    is a plain id, not a reference: the log outlives the codelabs it names."""

    __tablename__ = "codelab_audit_logs"
    __table_args__ = (Index("ix_codelab_audit_logs_course_id_id", "course_id", "id"),
                      Index("ix_codelab_audit_logs_action_id", "action", "id"))

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    actor_type: Mapped[str] = mapped_column(String(20), nullable=False)
    # The facilitator's account id or the user's id; an attendee's user id.
    actor_id: Mapped[str | None] = mapped_column(String(100))
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    target_id: Mapped[str | None] = mapped_column(String(100))
    course_id: Mapped[int | None] = mapped_column(BigInteger)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)
