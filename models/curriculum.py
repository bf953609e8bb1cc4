"""The curriculum mapper: learning objectives, lesson books, and the orchestrator's runs.

Objectives ship as sample curricula (loaded by a migration); a lesson book is the
LLM's illustrated non-fiction book for one objective (one per objective, the
latest kept); an orchestration is one run of the gap-to-content loop for a learner.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.reading import BOOK_ID_LENGTH


class Objective(Base):
    """One learning objective of a territory's curriculum."""

    __tablename__ = "curriculum_objectives"
    __table_args__ = (Index("ix_curriculum_objectives_filter", "territory", "year_level",
                            "subject", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    territory: Mapped[str] = mapped_column(String(100), nullable=False)
    year_level: Mapped[int] = mapped_column(Integer, nullable=False)
    subject: Mapped[str] = mapped_column(String(100), nullable=False)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    difficulty: Mapped[int] = mapped_column(Integer, nullable=False)
    vocabulary: Mapped[list] = mapped_column(JSONB, nullable=False)
    story_potential_score: Mapped[float] = mapped_column(Float, nullable=False)


class LessonBook(Base):
    """The lesson book generated for an objective (its pages follow the reference's schema)."""

    __tablename__ = "lesson_books"

    objective_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("curriculum_objectives.id", ondelete="CASCADE"), primary_key=True)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    pages: Mapped[list] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now(), nullable=False)


class Orchestration(Base):
    """One run of the gap-to-content loop for a learner."""

    __tablename__ = "reading_orchestrations"
    __table_args__ = (Index("ix_reading_orchestrations_learner", "learner_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    learner_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    objective_id: Mapped[int | None] = mapped_column(Integer)
    content_selected: Mapped[str | None] = mapped_column(String(BOOK_ID_LENGTH))
    content_source: Mapped[str] = mapped_column(String(20), nullable=False)
    fk_level_target: Mapped[float] = mapped_column(Float, nullable=False)
    assessment_queued: Mapped[bool] = mapped_column(Boolean, nullable=False)
    ran_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                             nullable=False)


class CurriculumOutput(Base):
    """The latest generated material of one type for an objective (briefs, activity, script)."""

    __tablename__ = "curriculum_outputs"

    objective_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("curriculum_objectives.id", ondelete="CASCADE"), primary_key=True)
    type: Mapped[str] = mapped_column(String(20), primary_key=True)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now(), nullable=False)
