"""The curriculum mapper's REST API (no documented port), ``/api/v1``; ``X-Internal-Key``.

Choices where the reference is silent:
- ``GET /objectives``: ``territory`` and ``subject`` match without regard to case,
  ``year_level`` is 0–13; no filter lists everything. The list can pass 20 rows, so
  it pages as the reference's §39.3 says (``cursor``, ``limit`` 1–200, default 50,
  more is 422): the documented ``{"objectives": [...]}`` carries ``nextCursor`` and
  ``hasMore`` beside it.
- ``GET /objectives/{id}/activity`` serves the objective's latest generated HTML
  activity to a signed-in user as ``text/html`` under a sandboxing
  Content-Security-Policy (scripts run, in an opaque origin, with no network access
  and no forms), ``nosniff`` and ``no-store``; 404 before one is generated.
"""

from __future__ import annotations

from pydantic import Field
from starlette.responses import Response

from resolvers import curriculum, curriculum_intelligence
from resolvers.curriculum import ObjectivesFilter
from resolvers.curriculum_intelligence import ACTIVITY_CSP
from resolvers.reading import Input
from rest_compat import returns as out
from rest_compat.base import FaceRequest, JSONResponse, Route


class ObjectivePath(Input):
    id: int = Field(ge=1, le=2**31 - 1)


async def activity(req: FaceRequest) -> Response:
    html = await curriculum_intelligence.get_activity(req.ctx, objective_id=req.path["id"])
    return Response(html, media_type="text/html", headers={
        "Content-Security-Policy": ACTIVITY_CSP, "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store"})


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
    Route("GET", "/objectives/{id}/activity", activity, auth=True, path_params=ObjectivePath,
          summary="The objective's generated HTML activity, under a sandboxing CSP",
          responses={200: "HTML document", 401: "Not signed in", 404: "None generated yet"},
          returns={200: out.Body("text/html", out.STRING)}),
]
