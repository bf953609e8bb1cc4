"""GraphQL for workshop quizzes (the Codelabs face's resolvers; graded on the server)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from resolvers import codelab_quizzes
from resolvers.codelab_quizzes import Quiz, Submission
from schema.pages import global_int_id


@strawberry.type(description="A multiple-choice question of a codelab's quiz.")
class CodelabQuiz:
    id: relay.GlobalID = strawberry.field(description="Pass it to `submitCodelabQuiz`.")
    question: str
    quiz_type: str = strawberry.field(description="`multiple_choice`.")
    options: list[str]
    correct_answer: int | None = strawberry.field(
        description="Index of the correct option; for the codelab's facilitators only.")

    @classmethod
    def from_found(cls, found: Quiz) -> CodelabQuiz:
        row = found.row
        return cls(id=relay.GlobalID("CodelabQuiz", str(row.id)), question=row.question,
                   quiz_type=row.quiz_type, options=list(row.options),
                   correct_answer=found.correct_answer)


@strawberry.type(description="An attendee's graded answer to one question.")
class CodelabQuizSubmission:
    quiz_id: relay.GlobalID
    attendee_legacy_id: str
    attendee_name: str
    answer: str
    is_correct: bool
    created_at: datetime

    @classmethod
    def from_found(cls, found: Submission) -> CodelabQuizSubmission:
        row = found.row
        return cls(quiz_id=relay.GlobalID("CodelabQuiz", str(row.quiz_id)),
                   attendee_legacy_id=f"attendee_{found.attendee_user_id.hex}",
                   attendee_name=found.attendee_name, answer=row.answer,
                   is_correct=row.is_correct, created_at=row.created_at)


@strawberry.input(description="One question of a quiz.")
class CodelabQuizInput:
    question: str
    options: list[str] = strawberry.field(description="2 to 10 distinct options.")
    correct_answer: int = strawberry.field(description="Index of the correct option.")
    quiz_type: str = "multiple_choice"


@strawberry.input(description="An answer to one question.")
class CodelabQuizAnswerInput:
    quiz_id: relay.GlobalID
    answer: str = strawberry.field(description="The text of the chosen option.")


@strawberry.type(description="How many answers were right, graded on the server.")
class CodelabQuizGrade:
    correct: int
    total: int = strawberry.field(description="Questions in the quiz.")


def _codelab_id(value: relay.GlobalID) -> int:
    return global_int_id(value, "Codelab", field="codelabId")


@strawberry.type
class CodelabQuizMutation:
    @strawberry.mutation(description="Replace a codelab's quiz (its facilitators).")
    async def replace_codelab_quizzes(self, info: Info, codelab_id: relay.GlobalID,
                                      quizzes: list[CodelabQuizInput]) -> list[CodelabQuiz]:
        rows = await codelab_quizzes.replace(
            info.context, codelab_id=_codelab_id(codelab_id), quizzes=[
                codelab_quizzes.QuizInput(question=q.question, options=q.options,
                                          correct_answer=q.correct_answer, quiz_type=q.quiz_type)
                for q in quizzes])
        return [CodelabQuiz.from_found(q) for q in rows]

    @strawberry.mutation(description="Answer the quiz of the codelab the viewer attends.")
    async def submit_codelab_quiz(self, info: Info, codelab_id: relay.GlobalID,
                                  answers: list[CodelabQuizAnswerInput]) -> CodelabQuizGrade:
        given = [codelab_quizzes.Answer(
            quiz_id=global_int_id(a.quiz_id, "CodelabQuiz", field="quizId"), answer=a.answer)
            for a in answers]
        grade = await codelab_quizzes.submit(info.context, codelab_id=_codelab_id(codelab_id),
                                             answers=given)
        return CodelabQuizGrade(correct=grade.correct, total=grade.total)
