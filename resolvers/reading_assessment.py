"""The assessment bot: comprehension questions written by the LLM, and their scoring.

``generate`` sends the page texts to the LLM through the gateway and accepts only
an answer that fits ``QuestionsOut``: 3–5 questions, each with exactly 4 distinct
options and a ``correct_index`` in 0–3 (an answer that does not fit is sent back
once for correction, then refused as 502). The questions are stored for the
learner and book, numbered from 1.

``score`` marks the answers against the learner's latest questions for the book
(an unanswered question is wrong; a question answered twice counts its last
answer) and recommends a level move by the reference's thresholds: below 65 %
``drop``, 65 % to 85 % (both included) ``hold``, above 85 % ``raise``. Scoring does
not move the level itself: the reader reports the result to the learner bot
(``quiz-result``), which does. A client that knows which stored sets its answers
are to (``QuestionSet.assessment_id``, which ``generate`` returns) passes them as
``answering``: a set other than the latest is refused, since its numbers mean other
questions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator
from sqlalchemy import func, select

from core.context import Context
from core.errors import NotFound, Validation
from models.reading import ReadingAssessment
from resolvers.reading import BookId, Input, llm_call, require_internal

PASS_PCT = 65.0
RAISE_ABOVE_PCT = 85.0
MIN_QUESTIONS, MAX_QUESTIONS = 3, 5
PAGE_TEXT_MAX, PAGES_MAX, TEXT_TOTAL_MAX = 5_000, 60, 60_000
SYSTEM = ("You write reading comprehension questions for children. Ask about what happens "
          "in the text, in simple words. Each question has exactly four short options, one "
          "of them correct.")

PageText = Annotated[str, StringConstraints(min_length=1, max_length=PAGE_TEXT_MAX)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                             max_length=300)]


class GenerateIn(Input):
    book_id: BookId
    learner_id: uuid.UUID
    page_texts: list[PageText] = Field(min_length=1, max_length=PAGES_MAX)

    @field_validator("page_texts")
    @classmethod
    def _total(cls, texts: list[str]) -> list[str]:
        if sum(len(t) for t in texts) > TEXT_TOTAL_MAX:
            raise ValueError(f"page_texts may hold {TEXT_TOTAL_MAX} characters in all")
        return texts


class QuestionOut(BaseModel):
    """One multiple-choice question as the LLM must write it."""

    question: ShortText
    options: list[ShortText] = Field(min_length=4, max_length=4)
    correct_index: int = Field(ge=0, le=3)

    @model_validator(mode="after")
    def _distinct(self) -> QuestionOut:
        if len({o.casefold() for o in self.options}) != 4:
            raise ValueError("the four options must differ")
        return self


class QuestionsOut(BaseModel):
    questions: list[QuestionOut] = Field(min_length=MIN_QUESTIONS, max_length=MAX_QUESTIONS)


class AnswerIn(Input):
    question_id: int = Field(ge=1, le=MAX_QUESTIONS)
    selected_index: int = Field(ge=0, le=3)


class ResultIn(Input):
    learner_id: uuid.UUID
    book_id: BookId
    answers: list[AnswerIn] = Field(max_length=20)


@dataclass(frozen=True)
class Question:
    id: int
    question: str
    options: list[str]
    correct_index: int


@dataclass(frozen=True)
class QuestionSet:
    """Questions as stored: ``assessment_id`` names the set, each question its number."""

    assessment_id: int
    questions: list[Question]


@dataclass(frozen=True)
class Score:
    score_pct: float
    questions_total: int
    questions_correct: int
    level_recommendation: str


def recommendation(score_pct: float) -> str:
    """``drop`` below 65 %, ``hold`` from 65 % to 85 %, ``raise`` above 85 %."""
    if score_pct < PASS_PCT:
        return "drop"
    if score_pct > RAISE_ABOVE_PCT:
        return "raise"
    return "hold"


async def generate(ctx: Context, *, request: GenerateIn) -> QuestionSet:
    """3–5 comprehension questions on the page texts, stored for the learner and book."""
    require_internal(ctx)
    return await write_questions(ctx.services, request=request)


async def write_questions(services, *, request: GenerateIn) -> QuestionSet:
    """The LLM's questions for ``request``, stored (also run by the orchestrator's job)."""
    pages = "\n\n".join(f"Page {n}:\n{text}" for n, text in
                        enumerate(request.page_texts, start=1))
    answer = await llm_call(services.llm.complete_structured(
        api_key=None, system=SYSTEM, output=QuestionsOut, tool_name="comprehension_questions",
        description="Three to five multiple-choice questions about the text.",
        messages=[{"role": "user", "content": f"Write the questions for this book.\n\n{pages}"}]))
    questions = [Question(id=n, question=q.question, options=list(q.options),
                          correct_index=q.correct_index)
                 for n, q in enumerate(answer.questions, start=1)]
    row = ReadingAssessment(learner_id=request.learner_id, book_id=request.book_id,
                            questions=[q.__dict__ for q in questions])
    async with services.db.transaction() as session:
        session.add(row)
        await session.flush()
        assessment_id = row.id
    return QuestionSet(assessment_id=assessment_id, questions=questions)


async def score(ctx: Context, *, result: ResultIn,
                answering: frozenset[int] = frozenset()) -> Score:
    """Mark answers against the learner's latest questions for the book."""
    require_internal(ctx)
    async with ctx.db.transaction() as session:
        assessment = (await session.execute(
            select(ReadingAssessment).where(ReadingAssessment.learner_id == result.learner_id,
                                            ReadingAssessment.book_id == result.book_id)
            .order_by(ReadingAssessment.id.desc()).limit(1).with_for_update())
        ).scalar_one_or_none()
        if assessment is None:
            raise NotFound("No questions were generated for this learner and book")
        if answering - {assessment.id}:
            raise Validation("The answers are to questions other than the latest for this "
                             "learner and book", details={"field": "answers"})
        chosen = {a.question_id: a.selected_index for a in result.answers}
        total = len(assessment.questions)
        correct = sum(1 for q in assessment.questions
                      if chosen.get(q["id"]) == q["correct_index"])
        pct = round(100 * correct / total, 1)
        assessment.score_pct = pct
        assessment.scored_at = func.now()
    return Score(score_pct=pct, questions_total=total, questions_correct=correct,
                 level_recommendation=recommendation(pct))
