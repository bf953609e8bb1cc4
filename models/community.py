"""What learners make together: notes, flashcards and their reviews, discussion
threads and posts, and course ratings with reviews."""

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
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamps


def _pk() -> Mapped[int]:
    return mapped_column(BigInteger, Identity(always=False), primary_key=True)


def _author() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)


def _course() -> Mapped[int]:
    return mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), nullable=False, index=True)


def _content_item() -> Mapped[int | None]:
    return mapped_column(ForeignKey("content_items.id", ondelete="SET NULL"), index=True)


class Note(Timestamps, Base):
    __tablename__ = "notes"

    id: Mapped[int] = _pk()
    user_id: Mapped[uuid.UUID] = _author()
    course_id: Mapped[int] = _course()
    content_item_id: Mapped[int | None] = _content_item()
    title: Mapped[str] = mapped_column(String(300), nullable=False, server_default="")
    body: Mapped[str] = mapped_column(Text, nullable=False)


class Flashcard(Timestamps, Base):
    __tablename__ = "flashcards"

    id: Mapped[int] = _pk()
    user_id: Mapped[uuid.UUID] = _author()
    course_id: Mapped[int] = _course()
    content_item_id: Mapped[int | None] = _content_item()
    front: Mapped[str] = mapped_column(Text, nullable=False)
    back: Mapped[str] = mapped_column(Text, nullable=False)


class FlashcardReview(Base):
    """One review of a flashcard, graded 0 (forgot) to 5 (perfect recall)."""

    __tablename__ = "flashcard_reviews"
    __table_args__ = (CheckConstraint("grade BETWEEN 0 AND 5", name="grade_range"),)

    id: Mapped[int] = _pk()
    flashcard_id: Mapped[int] = mapped_column(
        ForeignKey("flashcards.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id: Mapped[uuid.UUID] = _author()
    grade: Mapped[int] = mapped_column(Integer, nullable=False)
    reviewed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False, index=True)
    next_review_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DiscussionThread(Timestamps, Base):
    __tablename__ = "discussion_threads"

    id: Mapped[int] = _pk()
    user_id: Mapped[uuid.UUID] = _author()
    course_id: Mapped[int] = _course()
    content_item_id: Mapped[int | None] = _content_item()
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)


class DiscussionPost(Timestamps, Base):
    __tablename__ = "discussion_posts"

    id: Mapped[int] = _pk()
    thread_id: Mapped[int] = mapped_column(
        ForeignKey("discussion_threads.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id: Mapped[uuid.UUID] = _author()
    parent_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("discussion_posts.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text, nullable=False)


class CourseReview(Timestamps, Base):
    """A learner's rating (1–5) of a course, with an optional review text; one per learner."""

    __tablename__ = "course_reviews"
    __table_args__ = (UniqueConstraint("course_id", "user_id",
                                       name="uq_course_reviews_course_user"),
                      CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"))

    id: Mapped[int] = _pk()
    course_id: Mapped[int] = _course()
    user_id: Mapped[uuid.UUID] = _author()
    rating: Mapped[int] = mapped_column(Integer, nullable=False)
    review: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
