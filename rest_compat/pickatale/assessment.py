"""The assessment bot (no documented port), ``/api/v1/assess``; ``X-Internal-Key``.

Choices where the reference is silent:
- ``generate``: ``page_texts`` holds 1–60 texts of up to 5,000 characters (60,000 in
  all); the LLM (the deployment's Anthropic key) writes the questions and its answer
  must fit the documented shape (see ``resolvers/reading_assessment.py``). Without a
  configured key: 503 ``llm_unavailable``; the LLM failing: 502/504, or 429 with
  ``Retry-After``.
- ``result``: ``answers`` holds up to 20 ``{question_id 1–5, selected_index 0–3}``;
  they are marked against the learner's latest questions for the book (404 when
  there are none). ``score_pct`` has one decimal. Scoring does not move the reading
  level; the reader sends the result to the learner bot's ``quiz-result`` for that.
"""

from __future__ import annotations

from starlette.responses import Response

from resolvers import reading_assessment
from resolvers.reading_assessment import GenerateIn, ResultIn
from rest_compat.base import FaceRequest, JSONResponse, Route


async def generate(req: FaceRequest) -> Response:
    questions = await reading_assessment.generate(req.ctx, request=req.body)
    return JSONResponse({"questions": [
        {"id": q.id, "question": q.question, "options": q.options,
         "correct_index": q.correct_index} for q in questions.questions]})


async def result(req: FaceRequest) -> Response:
    score = await reading_assessment.score(req.ctx, result=req.body)
    return JSONResponse({"score_pct": score.score_pct, "questions_total": score.questions_total,
                         "questions_correct": score.questions_correct,
                         "level_recommendation": score.level_recommendation})


ROUTES = [
    Route("POST", "/assess/generate", generate, auth=True, body=GenerateIn,
          summary="Write 3–5 comprehension questions for a book's pages",
          responses={200: "Questions", 400: "Malformed body", 401: "No key",
                     403: "Not a service", 422: "Invalid field", 502: "LLM failed",
                     503: "No LLM configured"}),
    Route("POST", "/assess/result", result, auth=True, body=ResultIn,
          summary="Score a learner's answers and recommend a level move",
          responses={200: "Score", 400: "Malformed body", 401: "No key",
                     403: "Not a service", 404: "No questions for this learner and book",
                     422: "Invalid field"}),
]
