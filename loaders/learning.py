"""Loaders for the learner's records: progress, attempts, submissions, activity, community.

One class per (entity, key); each batch takes its own session.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import aliased

from loaders import ByIdLoader, ByParentLoader, DbLoader
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


class ModuleProgressByIdLoader(ByIdLoader):
    model = ModuleProgress


class ContentProgressByIdLoader(ByIdLoader):
    model = ContentProgress


class QuizAttemptByIdLoader(ByIdLoader):
    model = QuizAttempt


class LabSubmissionByIdLoader(ByIdLoader):
    model = LabSubmission


class LearningActivityByIdLoader(ByIdLoader):
    model = LearningActivity


class NoteByIdLoader(ByIdLoader):
    model = Note


class FlashcardByIdLoader(ByIdLoader):
    model = Flashcard


class DiscussionThreadByIdLoader(ByIdLoader):
    model = DiscussionThread


class DiscussionPostByIdLoader(ByIdLoader):
    model = DiscussionPost


class CourseReviewByIdLoader(ByIdLoader):
    model = CourseReview


class ModuleProgressByUserIdLoader(ByParentLoader):
    """Each user's module progress rows, oldest first."""

    model = ModuleProgress
    key = "user_id"
    order = ("id",)


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


class FirstPostsByThreadLoader(DbLoader):
    """The first ``n + 1`` posts of each thread, keyed by ``(thread_id, n)``: one window
    query for a whole page of threads (the extra row tells whether there are more)."""

    async def batch_load_fn(self, keys: list[tuple[int, int]]) -> list[list[DiscussionPost]]:
        size = max(n for _, n in keys) + 1
        position = func.row_number().over(partition_by=DiscussionPost.thread_id,
                                          order_by=DiscussionPost.id).label("position")
        ranked = (select(DiscussionPost, position)
                  .where(DiscussionPost.thread_id.in_({t for t, _ in keys})).subquery())
        post = aliased(DiscussionPost, ranked)
        found: dict[int, list[DiscussionPost]] = defaultdict(list)
        async with self.db.session() as session:
            rows = (await session.execute(
                select(post).where(ranked.c.position <= size)
                .order_by(ranked.c.thread_id, ranked.c.id))).scalars()
            for row in rows:
                found[row.thread_id].append(row)
        return [found.get(thread, [])[:n + 1] for thread, n in keys]
