"""The reading platform: the book catalog, learners, telemetry events and sessions.

Learner ids are the reading platform's own UUIDs (its learner service's ids):
a learner row exists once the platform has heard of the learner through a
finished session, a vocabulary report or a quiz result. Events are stored as
they arrive, keyed by the client's ``event_id`` so a retried send is stored once.
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
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamps
from models.course import one_of

EVENT_TYPES = ("page_turned", "word_tapped", "book_opened", "session_ended", "quiz_answered",
               "book_abandoned")
BOOK_ID_LENGTH = 40
WORD_LENGTH = 64


class Book(Base):
    """A book of the catalog; ``id`` is its permanent id (``14760-1``)."""

    __tablename__ = "reading_books"

    id: Mapped[str] = mapped_column(String(BOOK_ID_LENGTH), primary_key=True)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    author: Mapped[str] = mapped_column(String(200), nullable=False)
    cover_url: Mapped[str] = mapped_column(String(500), nullable=False, server_default="")
    # Flesch-Kincaid grade of the whole text, measured by the readability library.
    fk_grade: Mapped[float] = mapped_column(Float, nullable=False)
    word_count: Mapped[int] = mapped_column(Integer, nullable=False)
    page_count: Mapped[int] = mapped_column(Integer, nullable=False)


class BookPage(Base):
    """One page of a book, with its own measured grade."""

    __tablename__ = "reading_book_pages"

    book_id: Mapped[str] = mapped_column(
        String(BOOK_ID_LENGTH), ForeignKey("reading_books.id", ondelete="CASCADE"),
        primary_key=True)
    page_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    fk_grade: Mapped[float] = mapped_column(Float, nullable=False)
    word_count: Mapped[int] = mapped_column(Integer, nullable=False)


class Learner(Timestamps, Base):
    """A child reading on the platform, and where the learner bot has placed them."""

    __tablename__ = "reading_learners"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    reading_level: Mapped[float] = mapped_column(Float, nullable=False,
                                                 server_default=text("2.0"))
    latest_report: Mapped[str | None] = mapped_column(Text)
    curriculum_state: Mapped[dict | None] = mapped_column(JSONB)


class ReadingEvent(Base):
    """One telemetry event as the reader sent it."""

    __tablename__ = "reading_events"
    __table_args__ = (
        one_of("event_type", EVENT_TYPES),
        Index("ix_reading_events_session", "session_id"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    learner_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    session_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    event_type: Mapped[str] = mapped_column(String(20), nullable=False)
    book_id: Mapped[str | None] = mapped_column(String(BOOK_ID_LENGTH))
    page_number: Mapped[int | None] = mapped_column(Integer)
    word: Mapped[str | None] = mapped_column(String(WORD_LENGTH))
    time_on_page_ms: Mapped[int | None] = mapped_column(BigInteger)
    client_ts: Mapped[int] = mapped_column(BigInteger, nullable=False)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now(), nullable=False)


class ReadingSession(Base):
    """A finished reading session: what its events added up to, and its summary."""

    __tablename__ = "reading_sessions"
    __table_args__ = (Index("ix_reading_sessions_learner", "learner_id", "ended_at"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    learner_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    book_id: Mapped[str | None] = mapped_column(String(BOOK_ID_LENGTH))
    events_received: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    pages_read: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    total_pages: Mapped[int | None] = mapped_column(Integer)
    avg_time_per_page_ms: Mapped[int | None] = mapped_column(Integer)
    slow_pages: Mapped[list] = mapped_column(JSONB, nullable=False,
                                             server_default=text("'[]'::jsonb"))
    engagement: Mapped[str | None] = mapped_column(String(10))
    completed: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    miles: Mapped[float] = mapped_column(Float, nullable=False, server_default=text("0"))
    client_ts: Mapped[int | None] = mapped_column(BigInteger)
    ended_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                               server_default=func.now(), nullable=False)
    summarized_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SessionWord(Base):
    """How often a learner tapped a word in one session (their vocabulary gaps)."""

    __tablename__ = "reading_session_words"
    __table_args__ = (Index("ix_reading_session_words_learner", "learner_id", "word"),)

    session_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    word: Mapped[str] = mapped_column(String(WORD_LENGTH), primary_key=True)
    learner_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False)


LEVEL_RECOMMENDATIONS = ("drop", "hold", "raise")


class QuizResult(Base):
    """A comprehension quiz result; the learner bot applies each one to the level once."""

    __tablename__ = "reading_quiz_results"
    __table_args__ = (
        one_of("level_recommendation", LEVEL_RECOMMENDATIONS),
        Index("ix_reading_quiz_results_learner", "learner_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    learner_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    book_id: Mapped[str] = mapped_column(String(BOOK_ID_LENGTH), nullable=False)
    fk_level: Mapped[float] = mapped_column(Float, nullable=False)
    score_pct: Mapped[float] = mapped_column(Float, nullable=False)
    questions_total: Mapped[int] = mapped_column(Integer, nullable=False)
    questions_correct: Mapped[int] = mapped_column(Integer, nullable=False)
    level_recommendation: Mapped[str] = mapped_column(String(5), nullable=False)
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now(), nullable=False)


class LevelChange(Base):
    """One move of a learner's reading level (the level history)."""

    __tablename__ = "reading_level_changes"
    __table_args__ = (Index("ix_reading_level_changes_learner", "learner_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    learner_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    previous_level: Mapped[float] = mapped_column(Float, nullable=False)
    level: Mapped[float] = mapped_column(Float, nullable=False)
    recommendation: Mapped[str] = mapped_column(String(5), nullable=False)
    quiz_result_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now(), nullable=False)


class ReadingAssessment(Base):
    """Questions the assessment bot wrote for a learner and a book, and how they scored."""

    __tablename__ = "reading_assessments"
    __table_args__ = (Index("ix_reading_assessments_learner_book", "learner_id", "book_id",
                            "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    learner_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    book_id: Mapped[str] = mapped_column(String(BOOK_ID_LENGTH), nullable=False)
    questions: Mapped[list] = mapped_column(JSONB, nullable=False)
    score_pct: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now(), nullable=False)
    scored_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LeveledPage(Base):
    """A page rewritten toward a Flesch-Kincaid target: the adaptive engine's cache."""

    __tablename__ = "reading_leveled_pages"
    __table_args__ = (Index("ix_reading_leveled_pages_lookup", "book_id", "page_number",
                            "source_hash", "target_fk"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    book_id: Mapped[str] = mapped_column(String(BOOK_ID_LENGTH), nullable=False)
    page_number: Mapped[int] = mapped_column(Integer, nullable=False)
    # SHA-256 of the text that was rewritten: a changed source is a new entry.
    source_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    target_fk: Mapped[float] = mapped_column(Float, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    actual_fk: Mapped[float] = mapped_column(Float, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now(), nullable=False)


class Adaptation(Base):
    """A whole catalog book rewritten toward a grade (cached by grade, within 0.1)."""

    __tablename__ = "reading_adaptations"
    __table_args__ = (Index("ix_reading_adaptations_lookup", "book_id", "target_fk_grade"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    book_id: Mapped[str] = mapped_column(String(BOOK_ID_LENGTH), nullable=False)
    target_fk_grade: Mapped[float] = mapped_column(Float, nullable=False)
    pages: Mapped[list] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now(), nullable=False)
