"""Skill assessments: adaptive sessions, their stored results and generated materials."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    ARRAY,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, query_expression

from models.base import Base, Timestamps, new_id
from models.course import one_of

ASSESSMENT_STATUSES = ("active", "completed", "timed_out")
THOROUGHNESS = ("quick", "standard", "thorough")


class AssessmentSession(Timestamps, Base):
    """One adaptive assessment. ``state`` holds every concept's estimate and the
    question history; it is written after every step, so a session survives a
    restart and resumes at its pending question."""

    __tablename__ = "assessment_sessions"
    __table_args__ = (one_of("status", ASSESSMENT_STATUSES),
                      one_of("thoroughness", THOROUGHNESS),
                      Index("ix_assessment_sessions_user_created", "user_id", "created_at"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    skill_ids: Mapped[list[str]] = mapped_column(ARRAY(String(100)), nullable=False)
    target_level: Mapped[str] = mapped_column(String(10), nullable=False)
    role_id: Mapped[str | None] = mapped_column(String(100))
    domain: Mapped[str] = mapped_column(String(100), nullable=False)
    thoroughness: Mapped[str] = mapped_column(String(10), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, server_default="active")
    max_questions: Mapped[int] = mapped_column(Integer, nullable=False)
    questions_asked: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    pending_concept: Mapped[str | None] = mapped_column(String(100))
    pending_question: Mapped[str | None] = mapped_column(Text)
    state: Mapped[dict] = mapped_column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    # Bumped on every write; a step that read an older version is refused (no lost updates).
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    last_activity_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The status every face shows, loaded with the rule of ``resolvers.assessment``
    # (``status_sql``): not a column.
    shown_status: Mapped[str | None] = query_expression()


class AssessmentResult(Timestamps, Base):
    """The stored report of a completed assessment (written once, read many times)."""

    __tablename__ = "assessment_results"

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assessment_sessions.id", ondelete="CASCADE"), primary_key=True)
    scores: Mapped[list] = mapped_column(JSONB, nullable=False)
    knowledge_graph: Mapped[dict] = mapped_column(JSONB, nullable=False)
    gap_analysis: Mapped[dict | None] = mapped_column(JSONB)
    learning_plan: Mapped[dict | None] = mapped_column(JSONB)
    overall_readiness: Mapped[int | None] = mapped_column(Integer)


class AssessmentMaterial(Base):
    """Study material generated for one concept of a completed assessment."""

    __tablename__ = "assessment_materials"
    __table_args__ = (UniqueConstraint("session_id", "concept_id",
                                       name="uq_assessment_materials_session_concept"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assessment_sessions.id", ondelete="CASCADE"), nullable=False)
    concept_id: Mapped[str] = mapped_column(String(100), nullable=False)
    domain: Mapped[str] = mapped_column(String(100), nullable=False)
    bloom_score: Mapped[float] = mapped_column(Float, nullable=False)
    quality_score: Mapped[float] = mapped_column(Float, nullable=False)
    iteration_count: Mapped[int] = mapped_column(Integer, nullable=False)
    quality_flag: Mapped[str | None] = mapped_column(String(100))
    material: Mapped[dict] = mapped_column(JSONB, nullable=False)
    generated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)
