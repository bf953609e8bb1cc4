"""The adaptive content engine (port 3119), ``/api/v1``; ``X-Internal-Key``.

Choices where the reference is silent (its "Rules:" are empty):
- ``level-page``: ``bookId``, ``pageNumber`` (0–10,000), ``text`` (1–5,000
  characters) and ``targetFkLevel`` (0–18) are all required: a missing one is 400
  ``bad_request``, one out of range 422. The book need not be in the catalog (the
  text is given). Rewrites are cached per book, page and exact source text; a
  cached rewrite whose target is within ±0.1 of the one asked for is returned with
  ``cached: true``. ``actualFkScore`` is the rewrite's grade measured by the
  readability library, which may differ from the target: the LLM is asked up to
  three times to come within 0.5 of it and the closest attempt is kept.
- ``adapt``: ``book_id`` must be a catalog book (404 otherwise); every page goes
  through ``level-page``'s rules and cache, and the whole book is cached under
  ``target_fk_grade`` with the same ±0.1 tolerance.
- The LLM unavailable or failing: 503 ``llm_unavailable``; its rate limit: 429 with
  ``Retry-After``.
"""

from __future__ import annotations

from starlette.responses import Response

from resolvers import reading_adaptive
from resolvers.reading_adaptive import AdaptIn, LevelPageIn
from rest_compat.base import FaceRequest, JSONResponse, Route

_ERRORS = {400: "Missing fields", 401: "No key", 403: "Not a service", 422: "Invalid field",
           429: "LLM rate limit", 503: "LLM unavailable"}


async def level_page(req: FaceRequest) -> Response:
    leveled = await reading_adaptive.level_page(req.ctx, request=req.body)
    return JSONResponse({"leveledText": leveled.text, "actualFkScore": leveled.actual_fk,
                         "cached": leveled.cached})


async def adapt(req: FaceRequest) -> Response:
    book = await reading_adaptive.adapt(req.ctx, request=req.body)
    return JSONResponse({"adapted_pages": [{"page_number": n, "text": t} for n, t in book.pages],
                         "cached": book.cached})


ROUTES = [
    Route("POST", "/level-page", level_page, auth=True, body=LevelPageIn,
          summary="Rewrite a page toward a Flesch-Kincaid grade (cached within ±0.1)",
          responses={200: "Leveled text and its measured grade", **_ERRORS}),
    Route("POST", "/adapt", adapt, auth=True, body=AdaptIn,
          summary="Rewrite a whole catalog book toward a grade (cached within ±0.1)",
          responses={200: "Adapted pages", 404: "Unknown book", **_ERRORS}),
]
