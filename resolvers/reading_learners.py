"""Learners of the reading platform: vocabulary gaps, session summaries, reader stats.

Vocabulary taps are kept per session and word, and a report replaces that
session's count for the word: the learner bot (or the job that stands in for the
telemetry service's call) may send the same session twice and nothing is counted
twice. A learner's gap for a word is the sum over their sessions.

A session summary stores the reading pattern the reference lists and derives two
signals of its own (the reference leaves its "Logic:" empty):
- ``completed``: every page was read (``pages_read >= total_pages``); a completed
  session of a book counts that book as read.
- ``engagement``: ``high`` when at least 80 % of the pages were read and no more than
  a third of them were slow; ``low`` when fewer than 40 % were read or more than half
  were slow; ``medium`` otherwise.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass

from pydantic import Field, model_validator
from sqlalchemy import distinct, func, select
from sqlalchemy.dialects.postgresql import insert

from core.context import Context
from core.db import Database
from core.errors import Conflict
from models.reading import ReadingSession, SessionWord
from resolvers.reading import (
    MAX_PAGES,
    Input,
    Millis,
    PageNumber,
    Word,
    ensure_learner,
    get_learner_or_raise,
    require_internal,
)

MAX_WORDS = 500


class WordCount(Input):
    word: Word
    count: int = Field(ge=1, le=100_000)


class VocabTapsIn(Input):
    """The words a learner tapped in one session, with how often."""

    learner_id: uuid.UUID
    session_id: uuid.UUID
    words: list[WordCount] = Field(min_length=1, max_length=MAX_WORDS)


class SessionSummaryIn(Input):
    """A session's reading pattern."""

    learner_id: uuid.UUID
    session_id: uuid.UUID
    pages_read: int = Field(ge=0, le=MAX_PAGES)
    total_pages: int | None = Field(default=None, ge=1, le=MAX_PAGES)
    avg_time_per_page_ms: Millis | None = None
    slow_pages: list[PageNumber] = Field(default_factory=list, max_length=MAX_PAGES)

    @model_validator(mode="after")
    def _pages_fit(self) -> SessionSummaryIn:
        if self.total_pages is not None and self.pages_read > self.total_pages:
            raise ValueError("pages_read cannot exceed total_pages")
        return self


@dataclass(frozen=True)
class ReaderStats:
    reading_level: float
    books_read: int
    total_miles: float


async def _check_owner(session, session_id: uuid.UUID, learner_id: uuid.UUID) -> None:
    owner = (await session.execute(select(ReadingSession.learner_id).where(
        ReadingSession.id == session_id))).scalar_one_or_none()
    if owner is not None and owner != learner_id:
        raise Conflict("This session belongs to another learner")


async def store_vocab_taps(db: Database, *, taps: VocabTapsIn) -> int:
    """Upsert a session's word counts; the number of distinct words stored."""
    counts = Counter()
    for item in taps.words:
        counts[item.word] += item.count
    rows = [{"session_id": taps.session_id, "word": word, "learner_id": taps.learner_id,
             "count": count} for word, count in sorted(counts.items())]
    async with db.transaction() as session:
        await _check_owner(session, taps.session_id, taps.learner_id)
        await ensure_learner(session, taps.learner_id)
        existing = (await session.execute(select(SessionWord.learner_id).distinct().where(
            SessionWord.session_id == taps.session_id))).scalars().all()
        if any(owner != taps.learner_id for owner in existing):
            raise Conflict("This session belongs to another learner")
        statement = insert(SessionWord).values(rows)
        await session.execute(statement.on_conflict_do_update(
            index_elements=[SessionWord.session_id, SessionWord.word],
            set_={"count": statement.excluded.count}))
    return len(rows)


def engagement(summary: SessionSummaryIn) -> str:
    """``high``, ``medium`` or ``low`` (see the module docstring)."""
    read = summary.pages_read
    completion = min(read / summary.total_pages, 1.0) if summary.total_pages else 0.0
    slow_share = len(set(summary.slow_pages)) / read if read else 0.0
    if completion < 0.4 or slow_share > 0.5:
        return "low"
    if completion >= 0.8 and slow_share <= 1 / 3:
        return "high"
    return "medium"


async def store_session_summary(db: Database, *, summary: SessionSummaryIn) -> None:
    """Record a session's reading pattern and its engagement signals."""
    completed = bool(summary.total_pages) and summary.pages_read >= summary.total_pages
    values = {"learner_id": summary.learner_id, "pages_read": summary.pages_read,
              "total_pages": summary.total_pages,
              "avg_time_per_page_ms": summary.avg_time_per_page_ms,
              "slow_pages": sorted(set(summary.slow_pages)),
              "engagement": engagement(summary), "completed": completed,
              "summarized_at": func.now()}
    async with db.transaction() as session:
        await _check_owner(session, summary.session_id, summary.learner_id)
        await ensure_learner(session, summary.learner_id)
        update = {k: v for k, v in values.items() if k != "learner_id"}
        await session.execute(insert(ReadingSession).values(id=summary.session_id, **values)
                              .on_conflict_do_update(index_elements=[ReadingSession.id],
                                                     set_=update))


async def record_vocab_taps(ctx: Context, *, taps: VocabTapsIn) -> int:
    """Upsert a learner's vocabulary gap counts for one session."""
    require_internal(ctx)
    return await store_vocab_taps(ctx.db, taps=taps)


async def record_session_summary(ctx: Context, *, summary: SessionSummaryIn) -> None:
    """Store a session's reading pattern and engagement."""
    require_internal(ctx)
    await store_session_summary(ctx.db, summary=summary)


# The sessions whose book counts as read (``booksRead``: distinct books among them).
READ_THROUGH = ReadingSession.completed.is_(True)


async def get_reader_stats(ctx: Context, *, learner_id: uuid.UUID) -> ReaderStats:
    """A learner's level, books read and reading miles; NotFound for an unknown learner."""
    require_internal(ctx)
    async with ctx.db.session() as session:
        learner = await get_learner_or_raise(session, learner_id)
        books, miles = (await session.execute(select(
            func.count(distinct(ReadingSession.book_id)).filter(READ_THROUGH),
            func.coalesce(func.sum(ReadingSession.miles), 0.0))
            .where(ReadingSession.learner_id == learner_id))).one()
    return ReaderStats(reading_level=learner.reading_level, books_read=books,
                       total_miles=round(miles, 1))
