"""Langfuse-style prompts (versioned per name, labelled) and platform-wide secrets."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamps
from models.course import one_of

PROMPT_TYPES = ("text", "chat")


class Prompt(Timestamps, Base):
    """One version of a named prompt. A label sits on at most one version per name
    (enforced by resolvers/prompts.py under a per-name advisory lock)."""

    __tablename__ = "prompts"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_prompts_name_version"),
                      one_of("type", PROMPT_TYPES))

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    type: Mapped[str] = mapped_column(String(10), nullable=False, server_default="text")
    prompt: Mapped[str] = mapped_column(Text, nullable=False)
    config: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    labels: Mapped[list[str]] = mapped_column(
        ARRAY(String(100)), nullable=False, server_default=text("'{}'"))
    tags: Mapped[list[str]] = mapped_column(
        ARRAY(String(100)), nullable=False, server_default=text("'{}'"))
    commit_message: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True)


class PromptDependency(Base):
    """A ``@@@langfusePrompt:...@@@`` reference from one prompt version to another name."""

    __tablename__ = "prompt_dependencies"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    parent_id: Mapped[int] = mapped_column(
        ForeignKey("prompts.id", ondelete="CASCADE"), nullable=False, index=True)
    child_name: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    child_version: Mapped[int | None] = mapped_column(Integer)
    child_label: Mapped[str | None] = mapped_column(String(100))


class PromptLabelEvent(Base):
    """One move of a label: onto ``to_version`` from ``from_version`` (null when the label
    was new to the name), or a removal (``to_version`` null)."""

    __tablename__ = "prompt_label_events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    label: Mapped[str] = mapped_column(String(100), nullable=False)
    from_version: Mapped[int | None] = mapped_column(Integer)
    to_version: Mapped[int | None] = mapped_column(Integer)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)


class PlatformSecret(Timestamps, Base):
    """A deployment-wide third-party secret (AWS credentials, ...), encrypted at rest."""

    __tablename__ = "platform_secrets"

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    preview: Mapped[str] = mapped_column(String(40), nullable=False)
