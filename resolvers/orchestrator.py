"""The orchestrator: one run of the gap-to-content loop for a learner.

A run (the reference's service "does not exist yet"; these are its rules):
1. Objective: the learner's current one (``curriculum_state.objective_id``) while its
   mastery — the score of the latest quiz on the content served for it, over 100 —
   is below ``MASTERED`` (0.85); otherwise the objective whose vocabulary shares the
   most words with the learner's vocabulary gaps, ties to the difficulty nearest the
   reading level, then the lowest id (none is chosen the first time round, so every
   learner gets one).
2. Content: below level ``DECODABLE_BELOW`` (1.5) the easiest catalog book not read
   yet (``decodables``); otherwise the catalog book within ``BAND`` (1.0) of the level,
   not read yet, using most of the objective's and the gaps' words
   (``content_service``); with none in reach, a lesson book made for the objective
   (``pickatale_create``, selected as ``lesson-<objective id>``).
3. ``fk_level_target`` is the learner's reading level.
4. For a catalog book, comprehension questions are prepared by a durable job (the
   assessment bot's LLM call) and ``assessment_queued`` is true.
The learner's ``curriculum_state`` becomes ``{objective_id, value: "assessment",
mastery}``. A learner the platform has not heard of is 404.

The status reads the last run and the learner's latest quiz on its content since:
``mastery_result`` is that quiz's recommendation (``pending`` without one) and
``next_action`` follows from it.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from core import jobs
from core.context import Context
from core.errors import DomainError, NotFound
from models.curriculum import Objective, Orchestration
from models.reading import Book, BookPage, Learner, QuizResult, ReadingSession, SessionWord
from resolvers.reading import require_internal
from resolvers.reading_assessment import GenerateIn, write_questions

log = logging.getLogger(__name__)

MASTERED = 0.85
DECODABLE_BELOW = 1.5
BAND = 1.0
NEXT_ACTIONS = {"raise": "advance to the next objective",
                "hold": "re-serve with different approach",
                "drop": "re-serve at a lower level",
                "pending": "await assessment"}
_WORD = re.compile(r"[a-z][a-z'-]*")


@dataclass(frozen=True)
class Run:
    objective_id: int | None
    content_selected: str | None
    content_source: str
    fk_level_target: float
    assessment_queued: bool


@dataclass(frozen=True)
class RunStatus:
    last_run: datetime
    objective_id: int | None
    mastery_result: str
    next_action: str


async def _latest_quiz(session, learner_id: uuid.UUID, run: Orchestration | None):
    if run is None or run.content_selected is None:
        return None
    return (await session.execute(
        select(QuizResult).where(QuizResult.learner_id == learner_id,
                                 QuizResult.book_id == run.content_selected,
                                 QuizResult.created_at >= run.ran_at)
        .order_by(QuizResult.id.desc()).limit(1))).scalar_one_or_none()


def _choose_objective(objectives, gaps: set[str], level: float, current: int | None,
                      mastery: float) -> Objective | None:
    by_id = {o.id: o for o in objectives}
    if current in by_id and mastery < MASTERED:
        return by_id[current]
    candidates = [o for o in objectives if o.id != current] or objectives
    return min(candidates, default=None, key=lambda o: (
        -len(gaps & set(o.vocabulary)), abs(o.difficulty - level), o.id))


async def orchestrate(ctx: Context, *, learner_id: uuid.UUID) -> Run:
    """Run the gap-to-content loop once for a learner."""
    require_internal(ctx)
    async with ctx.db.transaction() as session:
        learner = (await session.execute(select(Learner).where(Learner.id == learner_id)
                                         .with_for_update())).scalar_one_or_none()
        if learner is None:
            raise NotFound("Learner not found")
        level = learner.reading_level
        gaps = set((await session.execute(select(SessionWord.word).where(
            SessionWord.learner_id == learner_id).group_by(SessionWord.word)
            .order_by(func.sum(SessionWord.count).desc()).limit(20))).scalars())
        last = (await session.execute(select(Orchestration).where(
            Orchestration.learner_id == learner_id).order_by(Orchestration.id.desc())
            .limit(1))).scalar_one_or_none()
        quiz = await _latest_quiz(session, learner_id, last)
        mastery = round(quiz.score_pct / 100, 2) if quiz else 0.0
        state = learner.curriculum_state or {}
        current = int(state["objective_id"]) if str(state.get("objective_id", "")).isdigit() \
            else None
        objectives = (await session.execute(select(Objective).order_by(Objective.id))).scalars()
        objective = _choose_objective(list(objectives), gaps, level, current, mastery)
        read = set((await session.execute(select(ReadingSession.book_id).where(
            ReadingSession.learner_id == learner_id, ReadingSession.completed))).scalars())
        books = [b for b in (await session.execute(select(Book).order_by(Book.id))).scalars()
                 if b.id not in read]
        words = gaps | set(objective.vocabulary if objective else [])
        source, book_id = await _content(session, books, level, words, objective)
        queued = source != "pickatale_create" and book_id is not None
        session.add(Orchestration(learner_id=learner_id,
                                  objective_id=objective.id if objective else None,
                                  content_selected=book_id, content_source=source,
                                  fk_level_target=level, assessment_queued=queued))
        if objective is not None:
            kept = objective.id == current
            learner.curriculum_state = {"objective_id": str(objective.id), "value": "assessment",
                                        "mastery": mastery if kept else 0.0}
        if queued:
            await jobs.enqueue(session, "reading.prepare_assessment",
                               {"learner_id": str(learner_id), "book_id": book_id})
    if queued:
        await jobs.notify_enqueued(ctx.services)
    return Run(objective_id=objective.id if objective else None, content_selected=book_id,
               content_source=source, fk_level_target=level, assessment_queued=queued)


async def _content(session, books, level: float, words: set[str],
                   objective: Objective | None) -> tuple[str, str | None]:
    if not books:
        return "pickatale_create", f"lesson-{objective.id}" if objective else None
    if level < DECODABLE_BELOW:
        easiest = min(books, key=lambda b: (b.fk_grade, b.id))
        return "decodables", easiest.id
    near = [b for b in books if abs(b.fk_grade - level) <= BAND + 1e-9]
    if not near:
        return "pickatale_create", f"lesson-{objective.id}" if objective else None
    texts: dict[str, set[str]] = {}
    rows = await session.execute(select(BookPage.book_id, BookPage.text).where(
        BookPage.book_id.in_([b.id for b in near])))
    for book_id, text in rows:
        texts.setdefault(book_id, set()).update(_WORD.findall(text.lower()))
    best = min(near, key=lambda b: (-len(words & texts.get(b.id, set())),
                                    abs(b.fk_grade - level), b.id))
    return "content_service", best.id


async def get_status(ctx: Context, *, learner_id: uuid.UUID) -> RunStatus:
    """The last run for a learner and what came of it; NotFound before the first run."""
    require_internal(ctx)
    async with ctx.db.session() as session:
        last = (await session.execute(select(Orchestration).where(
            Orchestration.learner_id == learner_id).order_by(Orchestration.id.desc())
            .limit(1))).scalar_one_or_none()
        if last is None:
            raise NotFound("No orchestration has run for this learner")
        quiz = await _latest_quiz(session, learner_id, last)
    result = quiz.level_recommendation if quiz else "pending"
    return RunStatus(last_run=last.ran_at, objective_id=last.objective_id,
                     mastery_result=result, next_action=NEXT_ACTIONS[result])


@jobs.job("reading.prepare_assessment")
async def _prepare_assessment(services, payload: dict) -> None:
    async with services.db.session() as session:
        texts = list((await session.execute(select(BookPage.text).where(
            BookPage.book_id == payload["book_id"]).order_by(BookPage.page_number))).scalars())
    if not texts:
        return
    request = GenerateIn(book_id=payload["book_id"], learner_id=payload["learner_id"],
                         page_texts=texts)
    try:
        await write_questions(services, request=request)
    except DomainError as exc:
        if exc.code != "LLM_UNAVAILABLE":
            raise
        log.info("orchestrator: no LLM configured, questions for %s not prepared",
                 payload["book_id"])
