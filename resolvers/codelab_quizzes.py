"""Quizzes: a codelab's multiple-choice questions, graded on the server.

The facilitator replaces the whole quiz at once. Attendees see the questions
and options, never the answers (``answer_value``, one rule for the general path and
planned reads); a submission is graded here by comparing the
answer with the text of the correct option (what the client says about
correctness is ignored). Each attendee keeps their latest answer per question.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import case, delete, select
from sqlalchemy.dialects.postgresql import insert

from core.auth.viewer import Viewer
from core.context import Context
from core.errors import Validation
from core.planning import viewer_params
from models.codelab import CodelabAttendee, CodelabQuiz, CodelabQuizSubmission
from models.course import Course
from models.user import User
from resolvers import codelab_audit, codelabs

QUIZZES_MAX = 100
QUESTION_MAX = 2000
OPTIONS_MIN, OPTIONS_MAX = 2, 10
OPTION_MAX = 500
ANSWER_MAX = 500
QUIZ_TYPES = ("multiple_choice",)


@dataclass(frozen=True)
class QuizInput:
    question: str
    options: list[str]
    correct_answer: int
    quiz_type: str = "multiple_choice"


@dataclass(frozen=True)
class Answer:
    quiz_id: int
    answer: str


@dataclass(frozen=True)
class Grade:
    correct: int
    total: int


@dataclass(frozen=True)
class Quiz:
    """A question as the viewer reads it: ``correct_answer`` is the index of its correct
    option for the codelab's facilitators, None for anyone else."""

    row: CodelabQuiz
    correct_answer: int | None


@dataclass(frozen=True)
class Submission:
    """A graded answer with who gave it."""

    row: CodelabQuizSubmission
    attendee_user_id: uuid.UUID
    attendee_name: str


def _check(quizzes: list[QuizInput]) -> None:
    if len(quizzes) > QUIZZES_MAX:
        raise Validation(f"A quiz has at most {QUIZZES_MAX} questions",
                         details={"field": "quizzes"})
    for i, quiz in enumerate(quizzes):
        where = f"quizzes[{i}]"
        if not quiz.question.strip() or len(quiz.question) > QUESTION_MAX:
            raise Validation(f"{where}.question must be 1 to {QUESTION_MAX} characters",
                             details={"field": "question"})
        if quiz.quiz_type not in QUIZ_TYPES:
            raise Validation(f"{where}.quiz_type must be one of {', '.join(QUIZ_TYPES)}",
                             details={"field": "quiz_type"})
        if not OPTIONS_MIN <= len(quiz.options) <= OPTIONS_MAX or any(
                not o.strip() or len(o) > OPTION_MAX for o in quiz.options):
            raise Validation(f"{where}.options must be {OPTIONS_MIN} to {OPTIONS_MAX} non-empty "
                             f"options of at most {OPTION_MAX} characters",
                             details={"field": "options"})
        if len({o.strip() for o in quiz.options}) != len(quiz.options):
            raise Validation(f"{where}.options must differ from each other",
                             details={"field": "options"})
        if not 0 <= quiz.correct_answer < len(quiz.options):
            raise Validation(f"{where}.correct_answer must be the index of one of its options",
                             details={"field": "correct_answer"})


def answer_rule(viewer: Viewer):
    """Who reads a question's answer (its codelab's facilitators), as a SQL condition on
    quizzes."""
    return select(Course.id).where(Course.id == CodelabQuiz.course_id,
                                   codelabs.facilitate_rule(viewer)).exists()


def answer_value(viewer: Viewer):
    """A question's correct answer as ``viewer`` reads it (null where ``answer_rule`` does
    not hold), as a SQL expression on quizzes: ``get_all`` reads it, and planned reads."""
    return case((answer_rule(viewer), CodelabQuiz.correct_answer))


async def get_all(ctx: Context, *, codelab_id: int) -> list[Quiz]:
    """A codelab's questions in order (its facilitators and attendees; the answers for
    its facilitators)."""
    view = await codelabs.get(ctx, codelab_id=codelab_id)
    await codelabs.require_member(ctx, view)
    async with ctx.db.session() as session:
        rows = (await session.execute(
            select(CodelabQuiz, answer_value(ctx.viewer))
            .where(CodelabQuiz.course_id == codelab_id)
            .order_by(CodelabQuiz.position, CodelabQuiz.id), viewer_params(ctx.viewer))).all()
    return [Quiz(row=row, correct_answer=answer) for row, answer in rows]


async def replace(ctx: Context, *, codelab_id: int, quizzes: list[QuizInput]) -> list[Quiz]:
    """Make the codelab's quiz exactly ``quizzes`` (its facilitators); answers given to
    the old questions go with them."""
    await codelabs.get_for_facilitator(ctx, codelab_id=codelab_id)
    _check(quizzes)
    rows = [CodelabQuiz(course_id=codelab_id, position=i, question=q.question.strip(),
                        quiz_type=q.quiz_type, options=[o.strip() for o in q.options],
                        correct_answer=q.correct_answer)
            for i, q in enumerate(quizzes)]
    async with ctx.db.transaction() as session:
        await session.execute(delete(CodelabQuiz).where(CodelabQuiz.course_id == codelab_id))
        session.add_all(rows)
        codelab_audit.record(session, ctx, action=codelab_audit.QUIZ_UPDATE,
                             codelab_id=codelab_id, target_id=codelab_id,
                             details={"questions": len(rows)})
        await session.flush()
        for row in rows:
            await session.refresh(row)
    return [Quiz(row=row, correct_answer=row.correct_answer) for row in rows]


def is_correct(quiz: CodelabQuiz, answer: str) -> bool:
    """Whether ``answer`` is the text of the quiz's correct option."""
    return answer.strip() == quiz.options[quiz.correct_answer]


async def submit(ctx: Context, *, codelab_id: int, answers: list[Answer]) -> Grade:
    """Grade and keep the viewer's answers (the codelab's attendees); an answer to a
    question of another codelab is Validation."""
    view = await codelabs.get(ctx, codelab_id=codelab_id)
    attendee = await codelabs.require_attendee(ctx, view)
    if not answers or len(answers) > QUIZZES_MAX:
        raise Validation(f"Send 1 to {QUIZZES_MAX} answers", details={"field": "submissions"})
    if any(len(a.answer) > ANSWER_MAX for a in answers):
        raise Validation(f"An answer has at most {ANSWER_MAX} characters",
                         details={"field": "answer"})
    async with ctx.db.transaction() as session:
        quizzes = {q.id: q for q in (await session.execute(
            select(CodelabQuiz).where(CodelabQuiz.course_id == codelab_id))).scalars()}
        if any(a.quiz_id not in quizzes for a in answers):
            raise Validation("A quiz_id is not a question of this codelab",
                             details={"field": "quiz_id"})
        latest = {a.quiz_id: a.answer.strip() for a in answers}
        for quiz_id, answer in latest.items():
            values = {"course_id": codelab_id, "quiz_id": quiz_id,
                      "attendee_id": attendee.enrollment_id, "answer": answer,
                      "is_correct": is_correct(quizzes[quiz_id], answer)}
            statement = insert(CodelabQuizSubmission).values(**values)
            await session.execute(statement.on_conflict_do_update(
                constraint="uq_codelab_quiz_submissions_quiz_attendee",
                set_={"answer": statement.excluded.answer,
                      "is_correct": statement.excluded.is_correct,
                      "created_at": statement.excluded.created_at}))
    correct = sum(is_correct(quizzes[q], a) for q, a in latest.items())
    return Grade(correct=correct, total=len(quizzes))


async def get_submissions(ctx: Context, *, codelab_id: int) -> list[Submission]:
    """Every attendee's graded answers, newest first (its facilitators)."""
    await codelabs.get_for_facilitator(ctx, codelab_id=codelab_id)
    async with ctx.db.session() as session:
        rows = (await session.execute(
            select(CodelabQuizSubmission, CodelabAttendee.user_id, User.display_name)
            .join(CodelabAttendee,
                  CodelabAttendee.enrollment_id == CodelabQuizSubmission.attendee_id)
            .join(User, User.id == CodelabAttendee.user_id)
            .where(CodelabQuizSubmission.course_id == codelab_id)
            .order_by(CodelabQuizSubmission.created_at.desc(),
                      CodelabQuizSubmission.id.desc()))).all()
    return [Submission(row=r, attendee_user_id=u, attendee_name=n) for r, u, n in rows]
