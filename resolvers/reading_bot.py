"""The learner bot: quiz results move a learner's reading level; status sums it all up.

A quiz result is stored and a durable job runs the bot for that learner (the
reference's ``setImmediate(runBotForLearner)``, but surviving a restart). A run:
1. applies every quiz result not applied yet, oldest first, in one transaction:
   ``drop`` lowers the level by ``STEP``, ``raise`` lifts it by ``STEP``, ``hold``
   keeps it, always within ``MIN_LEVEL``..``MAX_LEVEL``; each move (a hold too) is a
   row of the level history. A result is applied once, whatever the retries.
2. asks the LLM (the deployment's key) for a short report on the learner for their
   teacher, and stores it. Without a configured key the report is left as it was;
   an upstream failure retries the job (step 1 has nothing left to do then).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Literal

from pydantic import ConfigDict, Field, model_validator
from sqlalchemy import func, select, update

from core import jobs
from core.context import Context
from core.errors import DomainError
from models.reading import Learner, LevelChange, QuizResult, ReadingSession, SessionWord
from resolvers import reading_learners, teacher_notifications
from resolvers.reading import (
    BookId,
    Input,
    ensure_learner,
    get_learner_or_raise,
    require_internal,
)

log = logging.getLogger(__name__)

STEP = 0.5
MIN_LEVEL, MAX_LEVEL = 1.0, 12.0
HISTORY_LIMIT = 50
TREND_LIMIT = 20
GAPS_LIMIT = 20
REPORT_MAX_TOKENS = 300
REPORT_SYSTEM = ("You write short, warm, factual progress notes about a child's reading for "
                 "their teacher. Three sentences at most, no headings, no lists.")

Recommendation = Literal["drop", "hold", "raise"]


class QuizResultIn(Input):
    """A comprehension quiz result (the reference's camelCase fields)."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    book_id: BookId = Field(alias="bookId")
    fk_level: float = Field(alias="fkLevel", ge=0, le=18)
    score_pct: float = Field(alias="scorePct", ge=0, le=100)
    questions_total: int = Field(alias="questionsTotal", ge=1, le=100)
    questions_correct: int = Field(alias="questionsCorrect", ge=0, le=100)
    level_recommendation: Recommendation = Field(alias="levelRecommendation")

    @model_validator(mode="after")
    def _correct_fits(self) -> QuizResultIn:
        if self.questions_correct > self.questions_total:
            raise ValueError("questionsCorrect cannot exceed questionsTotal")
        return self


@dataclass(frozen=True)
class LevelPoint:
    level: float
    date: date


@dataclass(frozen=True)
class TrendPoint:
    date: date
    score: float


@dataclass(frozen=True)
class VocabGap:
    word: str
    tap_count: int


@dataclass(frozen=True)
class LearnerStatus:
    reading_level: float
    books_read: int
    total_miles: float
    level_history: list[LevelPoint]
    books_completed: list[str]
    comprehension_trend: list[TrendPoint]
    latest_report: str | None
    vocab_gaps: list[VocabGap]
    curriculum_state: dict | None


def next_level(level: float, recommendation: str) -> float:
    """The level after one recommendation, in ``STEP`` moves kept within the bounds."""
    moved = level + {"drop": -STEP, "hold": 0.0, "raise": STEP}[recommendation]
    return round(min(max(moved, MIN_LEVEL), MAX_LEVEL), 1)


async def record_quiz_result(ctx: Context, *, learner_id: uuid.UUID,
                             result: QuizResultIn) -> int:
    """Store a quiz result and queue a bot run for the learner; the result's id."""
    require_internal(ctx)
    async with ctx.db.transaction() as session:
        await ensure_learner(session, learner_id)
        row = QuizResult(learner_id=learner_id, **result.model_dump())
        session.add(row)
        await session.flush()
        await jobs.enqueue(session, "reading.bot_run", {"learner_id": str(learner_id)},
                           dedupe_key=f"reading.bot_run:{row.id}")
        await teacher_notifications.on_quiz_result(
            session, learner_id=learner_id, result_id=row.id, score_pct=row.score_pct,
            book_id=row.book_id)
    await jobs.notify_enqueued(ctx.services)
    return row.id


async def apply_quiz_results(db, *, learner_id: uuid.UUID) -> int:
    """Move the level for every quiz result not applied yet; how many were applied."""
    async with db.transaction() as session:
        learner = (await session.execute(select(Learner).where(Learner.id == learner_id)
                                         .with_for_update())).scalar_one_or_none()
        if learner is None:
            return 0
        results = (await session.execute(select(QuizResult).where(
            QuizResult.learner_id == learner_id, QuizResult.applied_at.is_(None))
            .order_by(QuizResult.id).with_for_update())).scalars().all()
        for result in results:
            level = next_level(learner.reading_level, result.level_recommendation)
            session.add(LevelChange(learner_id=learner_id, previous_level=learner.reading_level,
                                    level=level, recommendation=result.level_recommendation,
                                    quiz_result_id=result.id))
            learner.reading_level = level
            result.applied_at = func.now()
    return len(results)


async def write_report(services, *, learner_id: uuid.UUID) -> str | None:
    """Ask the LLM for a short note on the learner and store it; None without a key."""
    async with services.db.session() as session:
        learner = await get_learner_or_raise(session, learner_id)
        quizzes = (await session.execute(select(QuizResult).where(
            QuizResult.learner_id == learner_id).order_by(QuizResult.id.desc())
            .limit(5))).scalars().all()
        gaps = await _gaps(session, learner_id)
    facts = [f"Reading level (Flesch-Kincaid grade): {learner.reading_level}."]
    facts += [f"Quiz on book {q.book_id} (level {q.fk_level}): {q.score_pct:.0f}% "
              f"({q.questions_correct}/{q.questions_total}), recommendation "
              f"{q.level_recommendation}." for q in reversed(quizzes)]
    if gaps:
        facts.append("Words often tapped: " + ", ".join(g.word for g in gaps[:10]) + ".")
    try:
        message = await services.llm.complete(
            api_key=None, system=REPORT_SYSTEM, max_tokens=REPORT_MAX_TOKENS,
            messages=[{"role": "user", "content": "\n".join(facts)}])
    except DomainError as exc:
        if exc.code != "NO_API_KEY":
            raise
        log.info("learner bot report skipped: no LLM key configured")
        return None
    report = "".join(b.text for b in message.content if b.type == "text").strip()[:4000]
    async with services.db.transaction() as session:
        await session.execute(update(Learner).where(Learner.id == learner_id)
                              .values(latest_report=report, updated_at=func.now()))
    return report


@jobs.job("reading.bot_run")
async def _bot_run_job(services, payload: dict) -> None:
    learner_id = uuid.UUID(payload["learner_id"])
    await apply_quiz_results(services.db, learner_id=learner_id)
    await write_report(services, learner_id=learner_id)


async def _gaps(session, learner_id: uuid.UUID) -> list[VocabGap]:
    total = func.sum(SessionWord.count).label("total")
    rows = await session.execute(
        select(SessionWord.word, total).where(SessionWord.learner_id == learner_id)
        .group_by(SessionWord.word).order_by(total.desc(), SessionWord.word).limit(GAPS_LIMIT))
    return [VocabGap(word=w, tap_count=int(c)) for w, c in rows]


async def get_status(ctx: Context, *, learner_id: uuid.UUID) -> LearnerStatus:
    """Everything the bot knows about a learner; NotFound for an unknown learner."""
    stats = await reading_learners.get_reader_stats(ctx, learner_id=learner_id)
    async with ctx.db.session() as session:
        learner = await get_learner_or_raise(session, learner_id)
        history = (await session.execute(select(LevelChange.level, LevelChange.created_at)
                                         .where(LevelChange.learner_id == learner_id)
                                         .order_by(LevelChange.id.desc())
                                         .limit(HISTORY_LIMIT))).all()
        completed = (await session.execute(
            select(ReadingSession.book_id).where(ReadingSession.learner_id == learner_id,
                                                 ReadingSession.completed,
                                                 ReadingSession.book_id.is_not(None))
            .group_by(ReadingSession.book_id)
            .order_by(func.min(ReadingSession.ended_at), ReadingSession.book_id))).scalars()
        trend = (await session.execute(select(QuizResult.created_at, QuizResult.score_pct)
                                       .where(QuizResult.learner_id == learner_id)
                                       .order_by(QuizResult.id.desc())
                                       .limit(TREND_LIMIT))).all()
        gaps = await _gaps(session, learner_id)
    return LearnerStatus(
        reading_level=stats.reading_level, books_read=stats.books_read,
        total_miles=stats.total_miles,
        level_history=[LevelPoint(level=level, date=at.date()) for level, at in reversed(history)],
        books_completed=list(completed),
        comprehension_trend=[TrendPoint(date=at.date(), score=round(score, 1))
                             for at, score in reversed(trend)],
        latest_report=learner.latest_report, vocab_gaps=gaps,
        curriculum_state=learner.curriculum_state)
