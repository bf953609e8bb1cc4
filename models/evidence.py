"""Performance evidence: files a learner's tools produce, linked to a workspace."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, new_id


class Evidence(Base):
    """One uploaded artifact (tool events, a screenshot, video, EEG samples)."""

    __tablename__ = "workspace_evidence"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False, index=True)
    block_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("workspace_blocks.id", ondelete="SET NULL"))
    session_id: Mapped[uuid.UUID | None] = mapped_column()
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    file_name: Mapped[str] = mapped_column(String(255), nullable=False)
    mime_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    storage_key: Mapped[str] = mapped_column(String(300), nullable=False)
    timestamp_ms: Mapped[int | None] = mapped_column(BigInteger)
    chunk_index: Mapped[int | None] = mapped_column(Integer)
    extra: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB, nullable=False,
                                                  server_default="{}")
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    guest_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organization_guests.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)
