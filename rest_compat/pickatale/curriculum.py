"""The curriculum mapper's REST API (no documented port), ``/api/v1``; ``X-Internal-Key``.

Choices where the reference is silent:
- ``GET /objectives``: ``territory`` and ``subject`` match without regard to case,
  ``year_level`` is 0–13; no filter lists everything. The list can pass 20 rows, so
  it pages as the reference's §39.3 says (``cursor``, ``limit`` 1–200, default 50,
  more is 422): the documented ``{"objectives": [...]}`` carries ``nextCursor`` and
  ``hasMore`` beside it.
"""

from __future__ import annotations

from starlette.responses import Response

from resolvers import curriculum
from resolvers.curriculum import ObjectivesFilter
from rest_compat.base import FaceRequest, JSONResponse, Route


async def objectives(req: FaceRequest) -> Response:
    page = await curriculum.get_objectives(req.ctx, filters=req.params)
    return JSONResponse({"objectives": [
        {"id": o.id, "title": o.title, "description": o.description,
         "difficulty": o.difficulty, "vocabulary": o.vocabulary,
         "story_potential_score": o.story_potential_score} for o in page.objectives],
        "nextCursor": page.next_cursor, "hasMore": page.next_cursor is not None})


ROUTES = [
    Route("GET", "/objectives", objectives, auth=True, query=ObjectivesFilter,
          summary="Learning objectives by territory, year level and subject",
          responses={200: "A page of objectives", 401: "No key", 403: "Not a service",
                     422: "Invalid filter or limit over 200"}),
]
