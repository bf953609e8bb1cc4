"""GHL score links: a private, time-boxed learner session on one workspace block, its
transcript and, once completed, its marker scores and gap analysis."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, new_id


class GhlLink(Base):
    """A private link (``/ghl-score/session/{token}``); only the token's hash finds it."""

    __tablename__ = "ghl_links"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False, index=True)
    block_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspace_blocks.id", ondelete="CASCADE"), nullable=False)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    guest_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organization_guests.id", ondelete="SET NULL"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    # The token itself, encrypted, so the private URL can be listed again.
    token_ciphertext: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, server_default="pending")
    requested_duration_seconds: Mapped[int] = mapped_column(Integer, nullable=False)
    # The learner's time starts with the session's first turn and lasts the duration.
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    transcript: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'::jsonb"))
    overall_score: Mapped[int | None] = mapped_column(Integer)
    marker_scores: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    gap_analysis: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    analysis: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)
