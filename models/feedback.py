"""Feature requests users send to the platform team."""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, ForeignKey, Identity, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamps
from models.course import one_of

FEATURE_REQUEST_STATUSES = ("pending", "under_review", "planned", "completed", "declined")


class FeatureRequest(Timestamps, Base):
    __tablename__ = "feature_requests"
    __table_args__ = (one_of("status", FEATURE_REQUEST_STATUSES),
                      Index("ix_feature_requests_status_created", "status", "created_at"))

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, server_default="pending")
    admin_notes: Mapped[str | None] = mapped_column(Text)
