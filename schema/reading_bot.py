"""GraphQL for the reading platform's learner bot and assessment bot.

The same resolvers as the Pickatale learner bot and assessment bot services, with
the same rules (``X-Internal-Key`` or a platform admin; BAD_USER_INPUT with
``details.fields`` for input out of bounds).
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from enum import Enum

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from core.errors import Validation
from resolvers import reading_assessment, reading_bot
from resolvers.reading import parse
from resolvers.reading_bot import LearnerStatus as LearnerStatusRow
from schema.pages import int_or_none

QUESTION = "ComprehensionQuestion"
_NUMBER = re.compile(r"[0-9]{1,3}")


@strawberry.enum(description="How a quiz result moves the reading level.")
class LevelRecommendation(Enum):
    DROP = strawberry.enum_value("drop", description="Move the learner down a reading level.")
    HOLD = strawberry.enum_value("hold", description="Keep the learner at their level.")
    RAISE = strawberry.enum_value("raise", description="Move the learner up a reading level.")


@strawberry.type(description="A reading level the learner was placed at, and when.")
class ReadingLevelPoint:
    level: float = strawberry.field(description="Flesch-Kincaid level.")
    date: date = strawberry.field(description="Day of the move.")


@strawberry.type(description="A quiz score, and when.")
class ComprehensionPoint:
    date: date = strawberry.field(description="Day of the quiz.")
    score: float = strawberry.field(description="Score in percent.")


@strawberry.type(description="A word the learner tapped for help, and how often.")
class VocabGap:
    word: str = strawberry.field(description="The word, lower-cased.")
    tap_count: int = strawberry.field(description="Taps over all sessions.")


@strawberry.type(description="Everything the learner bot knows about a learner.")
class LearnerStatus:
    reading_level: float = strawberry.field(description="Current Flesch-Kincaid level.")
    books_read: int = strawberry.field(description="Distinct books with a completed session.")
    total_miles: float = strawberry.field(description="Reading miles (500 words each).")
    reading_level_history: list[ReadingLevelPoint] = strawberry.field(
        description="Level moves, oldest first (the last 50).")
    books_completed: list[str] = strawberry.field(description="Ids of completed books.")
    comprehension_trend: list[ComprehensionPoint] = strawberry.field(
        description="Quiz scores, oldest first (the last 20).")
    latest_report: str | None = strawberry.field(description="The bot's latest note.")
    vocab_gaps: list[VocabGap] = strawberry.field(description="The 20 most tapped words.")
    curriculum_state: JSON | None = strawberry.field(
        description="Where the learner stands on their current objective.")

    @classmethod
    def from_row(cls, row: LearnerStatusRow) -> LearnerStatus:
        return cls(
            reading_level=row.reading_level, books_read=row.books_read,
            total_miles=row.total_miles,
            reading_level_history=[ReadingLevelPoint(level=p.level, date=p.date)
                                   for p in row.level_history],
            books_completed=row.books_completed,
            comprehension_trend=[ComprehensionPoint(date=p.date, score=p.score)
                                 for p in row.comprehension_trend],
            latest_report=row.latest_report,
            vocab_gaps=[VocabGap(word=g.word, tap_count=g.tap_count) for g in row.vocab_gaps],
            curriculum_state=row.curriculum_state)


@strawberry.input(description="A comprehension quiz result.")
class QuizResultInput:
    book_id: str = strawberry.field(description="The book.")
    fk_level: float = strawberry.field(description="The book's level, 0–18.")
    score_pct: float = strawberry.field(description="Score in percent, 0–100.")
    questions_total: int = strawberry.field(description="Questions asked, 1–100.")
    questions_correct: int = strawberry.field(description="Questions answered right.")
    level_recommendation: LevelRecommendation = strawberry.field(
        description="The move the assessment recommends.")


@strawberry.type(description="A multiple-choice comprehension question.")
class ComprehensionQuestion:
    id: relay.GlobalID = strawberry.field(
        description="The question's global ID (its set's and its number), which an answer "
                    "names (`ComprehensionAnswerInput.questionId`).")
    number: int = strawberry.field(description="Number of the question in its set, from 1.")
    question: str = strawberry.field(description="The question.")
    options: list[str] = strawberry.field(description="Four options.")
    correct_index: int = strawberry.field(description="Index of the right option, 0–3.")


@strawberry.input(description="Pages to write comprehension questions about.")
class GenerateQuestionsInput:
    book_id: str = strawberry.field(description="The book.")
    learner_id: uuid.UUID = strawberry.field(description="The learner.")
    page_texts: list[str] = strawberry.field(description="1–60 page texts.")


@strawberry.input(description="One answer to a comprehension question.")
class ComprehensionAnswerInput:
    question_id: strawberry.ID = strawberry.field(
        description="The question's global ID (`ComprehensionQuestion.id`); its number "
                    "alone (from 1) names that question of the latest set.")
    selected_index: int = strawberry.field(description="The chosen option, 0–3.")


@strawberry.input(description="A learner's answers to their latest questions on a book.")
class ScoreAnswersInput:
    learner_id: uuid.UUID = strawberry.field(description="The learner.")
    book_id: str = strawberry.field(description="The book.")
    answers: list[ComprehensionAnswerInput] = strawberry.field(description="Up to 20 answers.")


@strawberry.type(description="How a learner did, and the level move it suggests.")
class ComprehensionScore:
    score_pct: float = strawberry.field(description="Score in percent, one decimal.")
    questions_total: int = strawberry.field(description="Questions asked.")
    questions_correct: int = strawberry.field(description="Questions answered right.")
    level_recommendation: LevelRecommendation = strawberry.field(
        description="Below 65 %: drop; 65–85 %: hold; above 85 %: raise.")


@strawberry.type(description="The quiz result stored.")
class RecordQuizResultPayload:
    ok: bool = strawberry.field(description="Always true.")


def _question(value: strawberry.ID) -> tuple[int | None, int]:
    """The set and number a ``questionId`` names: a question's global ID, or a bare number
    (of the latest set: None); Validation (BAD_USER_INPUT) for anything else."""
    text = str(value)
    if _NUMBER.fullmatch(text):
        return None, int(text)
    try:
        kind, raw = relay.from_base64(text)
    except Exception:
        kind, raw = None, ""
    assessment, _, number = raw.partition(":") if kind == QUESTION else ("", "", "")
    if int_or_none(assessment) is None or not _NUMBER.fullmatch(number):
        raise Validation(f"Invalid {QUESTION} id: {text!r}", details={"field": "questionId"})
    return int(assessment), int(number)


@strawberry.type
class ReadingBotQuery:
    @strawberry.field(description="A learner's full status (services and admins; NOT_FOUND "
                                  "for an unknown learner).")
    async def learner_status(self, info: Info, learner_id: uuid.UUID) -> LearnerStatus:
        row = await reading_bot.get_status(info.context, learner_id=learner_id)
        return LearnerStatus.from_row(row)


@strawberry.type
class ReadingBotMutation:
    @strawberry.mutation(description="Store a quiz result and run the learner bot for the "
                                     "learner in the background (services and admins).")
    async def record_quiz_result(self, info: Info, learner_id: uuid.UUID,
                                 input: QuizResultInput) -> RecordQuizResultPayload:
        data = strawberry.asdict(input)
        data["level_recommendation"] = input.level_recommendation.value
        result = parse(reading_bot.QuizResultIn, data)
        await reading_bot.record_quiz_result(info.context, learner_id=learner_id, result=result)
        return RecordQuizResultPayload(ok=True)

    @strawberry.mutation(description="Write 3–5 comprehension questions for pages with the LLM "
                                     "(services and admins).")
    async def generate_comprehension_questions(
            self, info: Info, input: GenerateQuestionsInput) -> list[ComprehensionQuestion]:
        request = parse(reading_assessment.GenerateIn, strawberry.asdict(input))
        found = await reading_assessment.generate(info.context, request=request)
        return [ComprehensionQuestion(
            id=relay.GlobalID(QUESTION, f"{found.assessment_id}:{q.id}"), number=q.id,
            question=q.question, options=q.options, correct_index=q.correct_index)
            for q in found.questions]

    @strawberry.mutation(description="Score a learner's answers (services and admins).")
    async def score_comprehension_answers(self, info: Info,
                                          input: ScoreAnswersInput) -> ComprehensionScore:
        named = [_question(a.question_id) for a in input.answers]
        data = strawberry.asdict(input)
        data["answers"] = [{"question_id": number, "selected_index": a.selected_index}
                           for (_, number), a in zip(named, input.answers, strict=True)]
        result = parse(reading_assessment.ResultIn, data)
        score = await reading_assessment.score(
            info.context, result=result,
            answering=frozenset(s for s, _ in named if s is not None))
        return ComprehensionScore(score_pct=score.score_pct,
                                  questions_total=score.questions_total,
                                  questions_correct=score.questions_correct,
                                  level_recommendation=LevelRecommendation(
                                      score.level_recommendation))
