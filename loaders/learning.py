"""Loaders for the learner's records: progress, attempts, submissions, activity, community.

One class per (entity, key); each batch takes its own session.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import distinct_on

from loaders import DbLoader
from models.community import (
    CourseReview,
    DiscussionPost,
    DiscussionThread,
    Flashcard,
    FlashcardReview,
    Note,
)
from models.learning import (
    ContentProgress,
    LabSubmission,
    LearningActivity,
    ModuleProgress,
    QuizAttempt,
)


class _ById(DbLoader):
    model: ClassVar[Any]

    async def batch_load_fn(self, keys: list[int]) -> list[Any]:
        async with self.db.session() as session:
            rows = (await session.execute(
                select(self.model).where(self.model.id.in_(keys)))).scalars()
            found = {row.id: row for row in rows}
        return [found.get(key) for key in keys]


class ModuleProgressByIdLoader(_ById):
    model = ModuleProgress


class ContentProgressByIdLoader(_ById):
    model = ContentProgress


class QuizAttemptByIdLoader(_ById):
    model = QuizAttempt


class LabSubmissionByIdLoader(_ById):
    model = LabSubmission


class LearningActivityByIdLoader(_ById):
    model = LearningActivity


class NoteByIdLoader(_ById):
    model = Note


class FlashcardByIdLoader(_ById):
    model = Flashcard


class DiscussionThreadByIdLoader(_ById):
    model = DiscussionThread


class DiscussionPostByIdLoader(_ById):
    model = DiscussionPost


class CourseReviewByIdLoader(_ById):
    model = CourseReview


class LatestReviewByFlashcardIdLoader(DbLoader):
    async def batch_load_fn(self, keys: list[int]) -> list[FlashcardReview | None]:
        async with self.db.session() as session:
            rows = (await session.execute(
                select(FlashcardReview).where(FlashcardReview.flashcard_id.in_(keys))
                .ext(distinct_on(FlashcardReview.flashcard_id))
                .order_by(FlashcardReview.flashcard_id, FlashcardReview.reviewed_at.desc(),
                          FlashcardReview.id.desc()))).scalars()
            found = {row.flashcard_id: row for row in rows}
        return [found.get(key) for key in keys]
