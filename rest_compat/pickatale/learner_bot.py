"""The learner bot (port 3120), ``/api/v1``; every route needs ``X-Internal-Key``.

Choices where the reference is silent:
- ``POST /telemetry/vocab-taps``: ``words`` holds 1–500 ``{word, count}`` items
  (count 1–100,000); words are trimmed and lower-cased, repeats within one report
  are added together. A report replaces the counts that session had for those words,
  so a repeated report counts once; ``upserted`` is the number of distinct words.
- ``POST /telemetry/session-summary``: ``pages_read`` 0–10,000, ``total_pages``
  1–10,000 (optional) and not below ``pages_read``, ``slow_pages`` up to 10,000 page
  numbers. The summary is stored with ``completed`` and ``engagement`` derived from it
  (see ``resolvers/reading_learners.py``); a repeated summary replaces the earlier one.
- Either for a session already recorded for another learner is 409 ``conflict``.
- ``GET /bot/{learner_id}/status``: ``readingLevelHistory`` is every move of the level
  (the last 50, oldest first, a ``hold`` included), ``comprehensionTrend`` the last 20
  quiz scores, ``booksCompleted`` the books with a completed session, ``vocab_gaps`` the
  20 most tapped words (most first), ``latestReport`` and ``curriculum_state`` null
  until the bot or the orchestrator has written them. Unknown learner: 404.
- ``POST /bot/{learner_id}/quiz-result``: ``fkLevel`` 0–18, ``scorePct`` 0–100,
  ``questionsTotal`` 1–100, ``questionsCorrect`` 0–``questionsTotal``. The result is
  stored and the bot runs as a durable job (see ``resolvers/reading_bot.py`` for the
  level steps); the answer does not wait for it. A learner not seen before is created.
"""

from __future__ import annotations

import uuid

from starlette.responses import Response

from resolvers import reading_bot, reading_learners
from resolvers.reading import Input
from resolvers.reading_bot import LearnerStatus, QuizResultIn
from resolvers.reading_learners import SessionSummaryIn, VocabTapsIn
from rest_compat.base import FaceRequest, JSONResponse, Route, iso
from rest_compat.pickatale.shapes import ok


class LearnerIdPath(Input):
    learner_id: uuid.UUID


def render_status(status: LearnerStatus) -> dict:
    return {
        "reading_level": status.reading_level, "books_read": status.books_read,
        "total_miles": status.total_miles,
        "readingLevelHistory": [{"level": p.level, "date": iso(p.date)}
                                for p in status.level_history],
        "booksCompleted": status.books_completed,
        "comprehensionTrend": [{"date": iso(p.date), "score": p.score}
                               for p in status.comprehension_trend],
        "latestReport": status.latest_report,
        "vocab_gaps": [{"word": g.word, "tap_count": g.tap_count} for g in status.vocab_gaps],
        "curriculum_state": status.curriculum_state,
    }


async def learner_status(req: FaceRequest) -> Response:
    status = await reading_bot.get_status(req.ctx, learner_id=req.path["learner_id"])
    return JSONResponse(render_status(status))


async def quiz_result(req: FaceRequest) -> Response:
    await reading_bot.record_quiz_result(req.ctx, learner_id=req.path["learner_id"],
                                         result=req.body)
    return ok()


async def vocab_taps(req: FaceRequest) -> Response:
    upserted = await reading_learners.record_vocab_taps(req.ctx, taps=req.body)
    return ok(upserted=upserted)


async def session_summary(req: FaceRequest) -> Response:
    await reading_learners.record_session_summary(req.ctx, summary=req.body)
    return ok()


_ERRORS = {400: "Malformed body", 401: "No key", 403: "Not a service",
           409: "Session of another learner", 422: "Invalid field"}

ROUTES = [
    Route("GET", "/bot/{learner_id}/status", learner_status, auth=True,
          path_params=LearnerIdPath, summary="Everything the learner bot knows about a learner",
          responses={200: "Status", 401: "No key", 403: "Not a service", 404: "Unknown learner",
                     422: "Invalid id"}),
    Route("POST", "/bot/{learner_id}/quiz-result", quiz_result, auth=True,
          path_params=LearnerIdPath, body=QuizResultIn,
          summary="Store a quiz result and run the learner bot for the learner",
          responses={200: "Stored; the bot runs in the background", **_ERRORS}),
    Route("POST", "/telemetry/vocab-taps", vocab_taps, auth=True, body=VocabTapsIn,
          summary="Upsert a session's vocabulary gap counts",
          responses={200: "Stored", **_ERRORS}),
    Route("POST", "/telemetry/session-summary", session_summary, auth=True,
          body=SessionSummaryIn, summary="Store a session's reading pattern and engagement",
          responses={200: "Stored", **_ERRORS}),
]
