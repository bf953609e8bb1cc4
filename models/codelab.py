"""Workshops (codelabs): what a codelab adds to its Course, its attendees and facilitators.

A codelab is a Course of kind CODELAB. Its steps are the course's modules (in
``sequence_index`` order, the step's markdown in the module's ``description``);
it has exactly one offering, the workshop's run, and an attendee is an
enrollment in that offering of a guest User (no email, no password) made when
the attendee registers.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamps


class Codelab(Timestamps, Base):
    """The workshop settings of a CODELAB course."""

    __tablename__ = "codelabs"

    course_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    offering_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("course_offerings.id", ondelete="CASCADE"), nullable=False,
        unique=True)
    author: Mapped[str] = mapped_column(String(200), nullable=False, server_default="")
    quiz_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False,
                                               server_default=text("false"))
    require_quiz: Mapped[bool] = mapped_column(Boolean, nullable=False,
                                               server_default=text("false"))
    require_feedback: Mapped[bool] = mapped_column(Boolean, nullable=False,
                                                   server_default=text("false"))
    # The facilitator's prep guide.
    guide_markdown: Mapped[str | None] = mapped_column(Text)
    # What attendees type to register; only facilitators see it.
    attendance_code: Mapped[str] = mapped_column(String(64), nullable=False)


class CodelabAttendee(Base):
    """An attendee: the codelab-specific part of a guest user's enrollment."""

    __tablename__ = "codelab_attendees"
    __table_args__ = (
        Index("uq_codelab_attendees_course_email", "course_id", func.lower(text("email")),
              unique=True, postgresql_where=text("email IS NOT NULL")),
    )

    enrollment_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("enrollments.id", ondelete="CASCADE"), primary_key=True)
    course_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("courses.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True)
    email: Mapped[str | None] = mapped_column(String(320))
    current_step: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("1"))


class CodelabFacilitator(Base):
    """The User behind a facilitator account of the deployment's configuration."""

    __tablename__ = "codelab_facilitators"

    admin_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True)


class CodelabHelpRequest(Base):
    """An attendee's raised hand on a step, until a facilitator resolves it."""

    __tablename__ = "codelab_help_requests"
    __table_args__ = (CheckConstraint("status IN ('pending', 'resolved')", name="status_valid"),
                      CheckConstraint("step_number >= 1", name="step_number_positive"),
                      Index("ix_codelab_help_requests_course_status", "course_id", "status"))

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    course_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("courses.id", ondelete="CASCADE"), nullable=False)
    attendee_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("codelab_attendees.enrollment_id", ondelete="CASCADE"),
        nullable=False, index=True)
    step_number: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, server_default="pending")
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CodelabFeedback(Base):
    """An attendee's one piece of feedback on a codelab."""

    __tablename__ = "codelab_feedback"
    __table_args__ = (CheckConstraint("difficulty BETWEEN 1 AND 5", name="difficulty_range"),
                      CheckConstraint("satisfaction BETWEEN 1 AND 5", name="satisfaction_range"))

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    course_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("courses.id", ondelete="CASCADE"), nullable=False, index=True)
    attendee_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("codelab_attendees.enrollment_id", ondelete="CASCADE"),
        nullable=False, unique=True)
    difficulty: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    satisfaction: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)


class CodelabQuiz(Base):
    """A multiple-choice question of a codelab's quiz; the answer stays on the server."""

    __tablename__ = "codelab_quizzes"
    __table_args__ = (CheckConstraint("correct_answer >= 0", name="correct_answer_index"),
                      Index("ix_codelab_quizzes_course_position", "course_id", "position"))

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    course_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("courses.id", ondelete="CASCADE"), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    question: Mapped[str] = mapped_column(Text, nullable=False)
    quiz_type: Mapped[str] = mapped_column(String(30), nullable=False,
                                           server_default="multiple_choice")
    options: Mapped[list] = mapped_column(JSONB, nullable=False)
    correct_answer: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)


class CodelabQuizSubmission(Base):
    """An attendee's latest answer to one question, graded by the server."""

    __tablename__ = "codelab_quiz_submissions"
    __table_args__ = (UniqueConstraint("quiz_id", "attendee_id",
                                       name="uq_codelab_quiz_submissions_quiz_attendee"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    course_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("courses.id", ondelete="CASCADE"), nullable=False, index=True)
    quiz_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("codelab_quizzes.id", ondelete="CASCADE"), nullable=False)
    attendee_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("codelab_attendees.enrollment_id", ondelete="CASCADE"),
        nullable=False, index=True)
    answer: Mapped[str] = mapped_column(Text, nullable=False)
    is_correct: Mapped[bool] = mapped_column(Boolean, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False)
