"""The course platform's /api/v1 progress endpoints.

Choices where the reference is silent:
- Responses: ``{id, user_id, module_id | content_item_id, course_offering_id,
  progress_percent, started_at, completed_at, updated_at}`` (content progress adds
  ``time_spent_seconds``); ``user_id`` is the integer platform id. Lists are oldest first.
- ``POST`` upserts on (user, module/content item, offering) and answers 200 with the row.
  ``progress_percent`` outside 0–100 or a negative ``time_spent_seconds`` → 422;
  ``progress_percent`` 100 without ``completed_at`` sets it to now (keeping an earlier
  completion time); ``time_spent_seconds`` is added to the stored total.
- Unknown offering, module or content item → 404 (``Course offering not found`` ...);
  not enrolled (ACTIVE or COMPLETED) in the offering → 403; a module or content item of
  another course → 400. Every write is logged as learning activity (streak).
- ``my-progress`` without ``course_offering_id`` lists every offering; an unknown one → 404.
- Quiz attempts and lab submissions have no REST endpoints in the reference; they are
  GraphQL only (``submitQuizAttempt``, ``submitLab``, ``gradeLabSubmission``). A lab
  submission is read (as a node) and graded by the owner of its course or a platform
  admin only; another instructor is FORBIDDEN and sees a null node. A quiz passes at its
  ``data_json.pass_mark``; a stored pass mark that is not a number from 0 to 100 counts
  as absent (the default 60).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from resolvers import progress
from rest_compat.base import FaceRequest, JSONResponse, Route
from rest_compat.returns import array
from rest_compat.twosigma import learner_shapes as shapes
from rest_compat.twosigma.shapes import Body


class MyProgressQuery(BaseModel):
    course_offering_id: int | None = None

    model_config = ConfigDict(extra="ignore")


class SigmaModuleProgressBody(Body):
    module_id: int
    course_offering_id: int
    progress_percent: int = Field(ge=0, le=100)
    completed_at: datetime | None = None


class SigmaContentProgressBody(Body):
    content_item_id: int
    course_offering_id: int
    progress_percent: int = Field(ge=0, le=100)
    completed_at: datetime | None = None
    time_spent_seconds: int = Field(0, ge=0)


async def my_module_progress(req: FaceRequest) -> Response:
    rows = await progress.get_all_module_progress(
        req.ctx, course_offering_id=req.params.course_offering_id)
    return JSONResponse([shapes.module_progress(r, req.ctx.viewer.user) for r in rows])


async def upsert_module_progress(req: FaceRequest) -> Response:
    body: SigmaModuleProgressBody = req.body
    row = await progress.upsert_module_progress(
        req.ctx, module_id=body.module_id, course_offering_id=body.course_offering_id,
        progress_percent=body.progress_percent, completed_at=body.completed_at)
    return JSONResponse(shapes.module_progress(row, req.ctx.viewer.user))


async def my_content_progress(req: FaceRequest) -> Response:
    rows = await progress.get_all_content_progress(
        req.ctx, course_offering_id=req.params.course_offering_id)
    return JSONResponse([shapes.content_progress(r, req.ctx.viewer.user) for r in rows])


async def upsert_content_progress(req: FaceRequest) -> Response:
    body: SigmaContentProgressBody = req.body
    row = await progress.upsert_content_progress(
        req.ctx, content_item_id=body.content_item_id,
        course_offering_id=body.course_offering_id, progress_percent=body.progress_percent,
        completed_at=body.completed_at, time_spent_seconds=body.time_spent_seconds)
    return JSONResponse(shapes.content_progress(row, req.ctx.viewer.user))


ERRORS = {401: "not authenticated", 403: "not enrolled", 404: "unknown offering or item",
          400: "item of another course", 422: "invalid field"}

ROUTES = [
    Route("GET", "/progress/modules/my-progress", my_module_progress, auth=True,
          query=MyProgressQuery, tag="progress", summary="Your module progress",
          responses={200: "[ModuleProgress]", 401: "not authenticated",
                     404: "Course offering not found", 422: "bad course_offering_id"},
          returns={200: array(shapes.R_MODULE_PROGRESS)}),
    Route("POST", "/progress/modules", upsert_module_progress, auth=True,
          body=SigmaModuleProgressBody, tag="progress", summary="Create or update module progress",
          responses={200: "ModuleProgress", **ERRORS},
          returns={200: shapes.R_MODULE_PROGRESS}),
    Route("GET", "/progress/content/my-progress", my_content_progress, auth=True,
          query=MyProgressQuery, tag="progress", summary="Your content progress",
          responses={200: "[ContentProgress]", 401: "not authenticated",
                     404: "Course offering not found", 422: "bad course_offering_id"},
          returns={200: array(shapes.R_CONTENT_PROGRESS)}),
    Route("POST", "/progress/content", upsert_content_progress, auth=True,
          body=SigmaContentProgressBody, tag="progress",
          summary="Create or update content progress",
          responses={200: "ContentProgress", **ERRORS},
          returns={200: shapes.R_CONTENT_PROGRESS}),
]
