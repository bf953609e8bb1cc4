"""The reader app's server (port 3125): session end and the learner stats the bot pulls.

Choices where the reference is silent:
- ``GET /api/internal/learner/{id}``: ``reading_level`` is where the learner bot has
  placed the learner (2.0 for a learner it has not moved yet); ``books_read`` counts
  distinct books with a completed session; ``total_miles`` is one mile per 500 words
  on the catalog pages read, to one decimal. A learner the platform has never heard
  of (no finished session, vocabulary report or quiz result) is 404 ``not_found``; an
  id that is not a UUID is 422.
- ``GET /api/recommendations?learner_id=``: up to ten books (a short list, so no
  pagination), best first, ranked as ``resolvers/reading_recommendations.py`` says;
  ``coverUrl`` is empty for books without a cover. A learner not seen yet gets books
  for the starting level rather than a 404, so a new reader has something to open.
"""

from __future__ import annotations

import uuid

from starlette.responses import Response

from resolvers import reading_learners, reading_recommendations
from resolvers.reading import Input
from rest_compat.base import FaceRequest, JSONResponse, Route
from rest_compat.pickatale.sessions import SESSION_END


class LearnerPath(Input):
    id: uuid.UUID


class RecommendationsQuery(Input):
    learner_id: uuid.UUID


async def recommendations(req: FaceRequest) -> Response:
    picks = await reading_recommendations.recommend(req.ctx, learner_id=req.params.learner_id)
    return JSONResponse({"books": [
        {"permanentId": p.book.id, "title": p.book.title, "author": p.book.author,
         "coverUrl": p.book.cover_url, "reason": p.reason} for p in picks]})


async def learner_stats(req: FaceRequest) -> Response:
    stats = await reading_learners.get_reader_stats(req.ctx, learner_id=req.path["id"])
    return JSONResponse({"reading_level": stats.reading_level, "books_read": stats.books_read,
                         "total_miles": stats.total_miles})


ROUTES = [
    SESSION_END,
    Route("GET", "/recommendations", recommendations, auth=True, query=RecommendationsQuery,
          summary="Books near the learner's level, favouring their vocabulary gaps",
          responses={200: "Books with reasons", 400: "No learner_id", 401: "No key",
                     403: "Not a service", 422: "Invalid learner_id"}),
    Route("GET", "/internal/learner/{id}", learner_stats, auth=True, path_params=LearnerPath,
          summary="A learner's reading level, books read and reading miles",
          responses={200: "Stats", 401: "No key", 403: "Not a service", 404: "Unknown learner",
                     422: "Invalid id"}),
]
