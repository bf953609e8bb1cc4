"""A learner's progress: module and content progress per offering, quiz attempts,
lab submissions, and the activity log behind streaks and analytics."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamps
from models.course import one_of

LAB_STATUSES = ("SUBMITTED", "GRADED")
ACTIVITY_KINDS = ("CONTENT_PROGRESS", "MODULE_PROGRESS", "QUIZ_ATTEMPT", "LAB_SUBMISSION",
                  "CHAT_MESSAGE", "NOTE", "FLASHCARD_REVIEW", "DISCUSSION_POST", "COURSE_REVIEW")


def _percent() -> CheckConstraint:
    return CheckConstraint("progress_percent BETWEEN 0 AND 100", name="percent_range")


def _latest(table: str, item: str) -> Index:
    """A user's progress rows of one item, the latest first: the viewer's progress on a
    module or item is the latest across offerings (``updated_at``, then ``id``), which a
    read then finds as the index's first entry instead of sorting the rows it finds."""
    return Index(f"ix_{table}_latest", "user_id", item, text("updated_at DESC"), text("id DESC"))


class ModuleProgress(Timestamps, Base):
    __tablename__ = "module_progress"
    __table_args__ = (UniqueConstraint("user_id", "module_id", "course_offering_id",
                                       name="uq_module_progress_user_module_offering"),
                      _percent(), _latest("module_progress", "module_id"))

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    module_id: Mapped[int] = mapped_column(
        ForeignKey("modules.id", ondelete="CASCADE"), nullable=False, index=True)
    course_offering_id: Mapped[int] = mapped_column(
        ForeignKey("course_offerings.id", ondelete="CASCADE"), nullable=False, index=True)
    progress_percent: Mapped[int] = mapped_column(Integer, nullable=False,
                                                  server_default=text("0"))
    started_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ContentProgress(Timestamps, Base):
    __tablename__ = "content_progress"
    __table_args__ = (UniqueConstraint("user_id", "content_item_id", "course_offering_id",
                                       name="uq_content_progress_user_item_offering"),
                      _percent(), _latest("content_progress", "content_item_id"),
                      CheckConstraint("time_spent_seconds >= 0", name="time_non_negative"))

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    content_item_id: Mapped[int] = mapped_column(
        ForeignKey("content_items.id", ondelete="CASCADE"), nullable=False, index=True)
    course_offering_id: Mapped[int] = mapped_column(
        ForeignKey("course_offerings.id", ondelete="CASCADE"), nullable=False, index=True)
    progress_percent: Mapped[int] = mapped_column(Integer, nullable=False,
                                                  server_default=text("0"))
    time_spent_seconds: Mapped[int] = mapped_column(Integer, nullable=False,
                                                    server_default=text("0"))
    started_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class QuizAttempt(Base):
    __tablename__ = "quiz_attempts"
    __table_args__ = (CheckConstraint("score BETWEEN 0 AND 100", name="score_range"),
                      Index("ix_quiz_attempts_user_item", "user_id", "content_item_id"))

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    content_item_id: Mapped[int] = mapped_column(
        ForeignKey("content_items.id", ondelete="CASCADE"), nullable=False, index=True)
    course_offering_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_offerings.id", ondelete="SET NULL"), index=True)
    score: Mapped[float] = mapped_column(Numeric(5, 2), nullable=False)
    passed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    answers: Mapped[dict] = mapped_column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    submitted_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False, index=True)


class LabSubmission(Timestamps, Base):
    __tablename__ = "lab_submissions"
    __table_args__ = (CheckConstraint("score IS NULL OR score BETWEEN 0 AND 100",
                                      name="score_range"),
                      one_of("status", LAB_STATUSES))

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    content_item_id: Mapped[int] = mapped_column(
        ForeignKey("content_items.id", ondelete="CASCADE"), nullable=False, index=True)
    course_offering_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_offerings.id", ondelete="SET NULL"), index=True)
    submission: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, server_default="SUBMITTED")
    score: Mapped[float | None] = mapped_column(Numeric(5, 2))
    feedback: Mapped[str | None] = mapped_column(Text)
    graded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LearningActivity(Base):
    """One thing a learner did, on the learner's local date; feeds streaks and analytics."""

    __tablename__ = "learning_activities"
    __table_args__ = (Index("ix_learning_activities_user_time", "user_id", "occurred_at"),
                      Index("ix_learning_activities_time", "occurred_at"),
                      one_of("kind", ACTIVITY_KINDS))

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("courses.id", ondelete="SET NULL"), index=True)
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id", ondelete="SET NULL"))
    content_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("content_items.id", ondelete="SET NULL"))
    summary: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)
    local_date: Mapped[date] = mapped_column(Date, nullable=False)
