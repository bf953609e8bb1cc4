"""The orchestrator (port 3121), ``/api/v1``; ``X-Internal-Key``.

Choices where the reference is silent (the rules of a run are in
``resolvers/orchestrator.py``):
- ``POST /orchestrate/{learner_id}`` takes no body; an unknown learner is 404, an
  id that is not a UUID 422. ``objective_id`` is null only when no curriculum is
  loaded; ``content_selected`` is a catalog book id, or ``lesson-<objective id>`` for a
  lesson book still to be made.
- ``GET /orchestrate/{learner_id}/status``: 404 before the first run;
  ``mastery_result`` is ``pending`` until the learner's quiz on the served content
  arrives, and ``next_action`` follows it.
"""

from __future__ import annotations

import uuid

from starlette.responses import Response

from resolvers import orchestrator
from resolvers.reading import Input
from rest_compat.base import FaceRequest, JSONResponse, Route, iso


class LearnerIdPath(Input):
    learner_id: uuid.UUID


async def trigger(req: FaceRequest) -> Response:
    run = await orchestrator.orchestrate(req.ctx, learner_id=req.path["learner_id"])
    return JSONResponse({"status": "triggered", "objective_id": run.objective_id,
                         "content_selected": run.content_selected,
                         "content_source": run.content_source,
                         "fk_level_target": run.fk_level_target,
                         "assessment_queued": run.assessment_queued})


async def status(req: FaceRequest) -> Response:
    last = await orchestrator.get_status(req.ctx, learner_id=req.path["learner_id"])
    return JSONResponse({"last_run": iso(last.last_run), "objective_id": last.objective_id,
                         "mastery_result": last.mastery_result,
                         "next_action": last.next_action})


_ERRORS = {401: "No key", 403: "Not a service", 404: "Unknown learner", 422: "Invalid id"}

ROUTES = [
    Route("POST", "/orchestrate/{learner_id}", trigger, auth=True, path_params=LearnerIdPath,
          summary="Run the gap-to-content loop for a learner",
          responses={200: "Triggered", **_ERRORS}),
    Route("GET", "/orchestrate/{learner_id}/status", status, auth=True,
          path_params=LearnerIdPath, summary="The last orchestration for a learner",
          responses={200: "Last run", **_ERRORS}),
]
