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
"""

from __future__ import annotations

from starlette.responses import Response

from resolvers import reading_learners
from resolvers.reading_learners import SessionSummaryIn, VocabTapsIn
from rest_compat.base import FaceRequest, Route
from rest_compat.pickatale.shapes import ok


async def vocab_taps(req: FaceRequest) -> Response:
    upserted = await reading_learners.record_vocab_taps(req.ctx, taps=req.body)
    return ok(upserted=upserted)


async def session_summary(req: FaceRequest) -> Response:
    await reading_learners.record_session_summary(req.ctx, summary=req.body)
    return ok()


_ERRORS = {400: "Malformed body", 401: "No key", 403: "Not a service",
           409: "Session of another learner", 422: "Invalid field"}

ROUTES = [
    Route("POST", "/telemetry/vocab-taps", vocab_taps, auth=True, body=VocabTapsIn,
          summary="Upsert a session's vocabulary gap counts",
          responses={200: "Stored", **_ERRORS}),
    Route("POST", "/telemetry/session-summary", session_summary, auth=True,
          body=SessionSummaryIn, summary="Store a session's reading pattern and engagement",
          responses={200: "Stored", **_ERRORS}),
]
