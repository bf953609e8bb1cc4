"""Quizzes, graded on the server.

- ``GET /codelabs/:id/quizzes`` lists the questions in order for the codelab's
  facilitators and attendees: ``{id, codelab_id, question, quiz_type, options,
  created_at}``, plus ``correct_answer`` (an option index) for facilitators only.
- ``PUT /codelabs/:id/quizzes`` (facilitators) replaces the whole quiz with the
  array sent (at most 100 questions; 2 to 10 distinct options; ``correct_answer``
  an index of ``options``; ``quiz_type`` ``multiple_choice``, the default) and
  answers the new list; earlier answers to the old questions are dropped.
- ``POST /codelabs/:id/quizzes/submit`` (attendees) grades each answer against
  the text of the correct option; the ``is_correct`` a client sends is ignored.
  An attendee's latest answer per question counts. It answers ``{"status": "ok",
  "correct": n, "total": questions}``; a ``quiz_id`` not of this codelab is 400.
- ``GET /codelabs/:id/quizzes/submissions`` (facilitators) lists every graded
  answer, newest first: ``{id, codelab_id, attendee_id, attendee_name, quiz_id,
  answer, is_correct, created_at}``.
"""

from __future__ import annotations

from pydantic import Field, RootModel
from starlette.responses import Response

from resolvers import codelab_quizzes as quizzes
from rest_compat import returns as out
from rest_compat.base import FaceRequest, JSONResponse, Route
from rest_compat.codelabs import shapes
from rest_compat.codelabs.shapes import Body


class QuizBody(Body):
    question: str = Field(max_length=quizzes.QUESTION_MAX)
    quiz_type: str = Field(default="multiple_choice", max_length=30)
    options: list[str] = Field(max_length=quizzes.OPTIONS_MAX)
    correct_answer: int = Field(ge=0, le=quizzes.OPTIONS_MAX)


class QuizList(RootModel[list[QuizBody]]):
    root: list[QuizBody] = Field(max_length=quizzes.QUIZZES_MAX)


class AnswerBody(Body):
    quiz_id: str = Field(max_length=40)
    answer: str = Field(max_length=quizzes.ANSWER_MAX)
    is_correct: bool | None = None  # sent by the reference's clients; never trusted


class SubmitBody(Body):
    submissions: list[AnswerBody] = Field(max_length=quizzes.QUIZZES_MAX)


async def list_quizzes(req: FaceRequest) -> Response:
    found = await quizzes.get_all(req.ctx, codelab_id=shapes.codelab_id(req.path["id"]))
    return JSONResponse([shapes.quiz(q) for q in found])


async def replace_quizzes(req: FaceRequest) -> Response:
    found = await quizzes.replace(req.ctx, codelab_id=shapes.codelab_id(req.path["id"]),
                                  quizzes=[quizzes.QuizInput(
                                      question=q.question, options=q.options,
                                      correct_answer=q.correct_answer, quiz_type=q.quiz_type)
                                      for q in req.body.root])
    return JSONResponse([shapes.quiz(q) for q in found])


async def submit(req: FaceRequest) -> Response:
    body: SubmitBody = req.body
    grade = await quizzes.submit(req.ctx, codelab_id=shapes.codelab_id(req.path["id"]), answers=[
        quizzes.Answer(quiz_id=shapes.quiz_number_or_zero(a.quiz_id), answer=a.answer)
        for a in body.submissions])
    return JSONResponse({"status": "ok", "correct": grade.correct, "total": grade.total})


async def list_submissions(req: FaceRequest) -> Response:
    found = await quizzes.get_submissions(req.ctx, codelab_id=shapes.codelab_id(req.path["id"]))
    return JSONResponse([shapes.quiz_submission(s) for s in found])


ROUTES = [
    Route("GET", "/codelabs/{id}/quizzes", list_quizzes, auth=True, tag="quizzes",
          summary="A codelab's questions (answers for facilitators only)",
          responses={200: "quiz[]", 403: "not in this codelab"},
          returns={200: out.array(shapes.R_QUIZ)}),
    Route("PUT", "/codelabs/{id}/quizzes", replace_quizzes, auth=True, body=QuizList,
          tag="quizzes", summary="Replace the quiz (facilitators)",
          responses={200: "quiz[]", 400: "bad questions"},
          returns={200: out.array(shapes.R_QUIZ)}),
    Route("POST", "/codelabs/{id}/quizzes/submit", submit, auth=True, body=SubmitBody,
          tag="quizzes", summary="Answer the quiz; graded on the server (attendees)",
          responses={200: '{"status": "ok", "correct", "total"}'},
          returns={200: out.obj(status=out.STRING, correct=out.INTEGER, total=out.INTEGER)}),
    Route("GET", "/codelabs/{id}/quizzes/submissions", list_submissions, auth=True,
          tag="quizzes", summary="Every graded answer (facilitators)",
          responses={200: "submission[]"},
          returns={200: out.array(shapes.R_QUIZ_SUBMISSION)}),
]
