"""What a codelab keeps beside its steps: materials, assignment submissions, AI
conversations, the facilitator's Gemini key and the code-server workspace."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class CodelabMaterial(Base):
    """A link or an uploaded file offered to a codelab's attendees."""

    __tablename__ = "codelab_materials"
    __table_args__ = (CheckConstraint("material_type IN ('link', 'file')",
                                      name="material_type_valid"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    course_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("courses.id", ondelete="CASCADE"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    material_type: Mapped[str] = mapped_column(String(10), nullable=False)
    link_url: Mapped[str | None] = mapped_column(String(2048))
    # The storage key of an uploaded file (``codelabs/materials/...``).
    storage_key: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)


class CodelabSubmission(Base):
    """A file an attendee handed in for a codelab."""

    __tablename__ = "codelab_submissions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    course_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("courses.id", ondelete="CASCADE"), nullable=False, index=True)
    attendee_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("codelab_attendees.enrollment_id", ondelete="CASCADE"),
        nullable=False, index=True)
    file_name: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    file_size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    storage_key: Mapped[str] = mapped_column(String(300), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)


class CodelabAiSettings(Base):
    """A facilitator's Gemini key, encrypted with the server's secret."""

    __tablename__ = "codelab_ai_settings"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    gemini_key_encrypted: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(),
        nullable=False)


class CodelabAiConversation(Base):
    """A question asked to the AI during a codelab, and its answer."""

    __tablename__ = "codelab_ai_conversations"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    course_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("courses.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    step_number: Mapped[int | None] = mapped_column(Integer)
    question: Mapped[str] = mapped_column(Text, nullable=False)
    answer: Mapped[str] = mapped_column(Text, nullable=False)
    model: Mapped[str] = mapped_column(String(100), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)


class CodelabWorkspace(Base):
    """A codelab's code-server workspace; its files live in the data directory."""

    __tablename__ = "codelab_workspaces"
    __table_args__ = (CheckConstraint("structure_type IN ('branch', 'folder')",
                                      name="structure_type_valid"),)

    course_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    structure_type: Mapped[str] = mapped_column(String(10), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)
