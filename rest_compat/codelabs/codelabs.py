"""Codelabs and their steps.

- ``GET /codelabs`` lists, in creation order, the public codelabs and those the
  caller runs (facilitators see their private ones too).
- ``GET /codelabs/:id`` answers the documented ``[codelab, [steps]]`` pair; a
  private codelab is readable by its facilitators and its own attendees and is
  404 ``{"error": "Codelab not found"}`` for everyone else, as is an id that
  is not a ``codelab_<n>``.
- Facilitators also see ``attendance_code`` in a codelab object: what
  attendees type to register (``POST .../register``). Create generates one
  (eight characters) unless the body gives one (4 to 64 characters).
- ``POST /codelabs`` needs a facilitator (401 without a session, 403 for an
  attendee); ``title`` is required (1 to 300 characters), the other fields
  default as in the reference (``is_public`` true, the flags false).
- ``PUT /codelabs/:id`` changes the fields the body sends and keeps the others;
  it, ``DELETE`` (204), ``copy`` and ``steps`` are for the codelab's
  facilitators (403 for anyone else who can read it).
- ``POST /codelabs/:id/copy`` makes a private copy titled "<title> (copy)" with
  the same settings and steps and a fresh attendance code; attendees, their
  work and chat stay with the original.
- ``PUT /codelabs/:id/steps`` makes the steps exactly the list sent, in order
  (at most 200). A step that carries the ``id`` of an existing step keeps that
  step (and the comments anchored to it); one without an id is new; steps left
  out are deleted. An id of another codelab's step is 400.
- ``DELETE /codelabs/:id`` also removes its attendees (their guest accounts).
- The prep guide is the codelab's ``guide_markdown`` (at most 200,000
  characters), written with create and update.
"""

from __future__ import annotations

from pydantic import Field
from starlette.responses import Response

from resolvers import codelabs
from resolvers.catalog import PageArgs
from resolvers.codelabs import StepInput
from rest_compat.base import FaceRequest, JSONResponse, Route
from rest_compat.codelabs import shapes
from rest_compat.codelabs.shapes import Body, fields_sent, no_content, ok

LIST_LIMIT = 1000


class CodelabCreate(Body):
    title: str = Field(max_length=codelabs.TITLE_MAX)
    description: str = Field(default="", max_length=codelabs.DESCRIPTION_MAX)
    author: str = Field(default="", max_length=codelabs.AUTHOR_MAX)
    is_public: bool = True
    quiz_enabled: bool = False
    require_quiz: bool = False
    require_feedback: bool = False
    guide_markdown: str | None = Field(default=None, max_length=codelabs.MARKDOWN_MAX)
    attendance_code: str | None = Field(default=None, max_length=codelabs.CODE_MAX)


class CodelabUpdate(Body):
    title: str = Field(default=None, max_length=codelabs.TITLE_MAX)
    description: str = Field(default=None, max_length=codelabs.DESCRIPTION_MAX)
    author: str = Field(default=None, max_length=codelabs.AUTHOR_MAX)
    is_public: bool = None
    quiz_enabled: bool = None
    require_quiz: bool = None
    require_feedback: bool = None
    guide_markdown: str | None = Field(default=None, max_length=codelabs.MARKDOWN_MAX)
    attendance_code: str = Field(default=None, max_length=codelabs.CODE_MAX)


class CodelabStepBody(Body):
    id: str | None = Field(default=None, max_length=40)
    title: str = Field(max_length=codelabs.TITLE_MAX)
    content_markdown: str = Field(default="", max_length=codelabs.MARKDOWN_MAX)


class CodelabStepsUpdate(Body):
    steps: list[CodelabStepBody] = Field(max_length=codelabs.STEPS_MAX)


def _render(req: FaceRequest, view) -> dict:
    return shapes.codelab(view, facilitator=codelabs.can_facilitate(req.ctx.viewer, view.course))


async def list_codelabs(req: FaceRequest) -> Response:
    page = await codelabs.get_all(req.ctx, page=PageArgs(skip=0, limit=LIST_LIMIT))
    return JSONResponse([_render(req, view) for view in page.items])


async def get_codelab(req: FaceRequest) -> Response:
    number = shapes.codelab_id(req.path["id"])
    view = await codelabs.get(req.ctx, codelab_id=number)
    steps = await codelabs.get_steps(req.ctx, codelab_id=number)
    return JSONResponse([_render(req, view),
                         [shapes.step(m, i + 1) for i, m in enumerate(steps)]])


async def create_codelab(req: FaceRequest) -> Response:
    view = await codelabs.create(req.ctx, fields=req.body.model_dump())
    return JSONResponse(_render(req, view))


async def update_codelab(req: FaceRequest) -> Response:
    view = await codelabs.update(req.ctx, codelab_id=shapes.codelab_id(req.path["id"]),
                                 changes=fields_sent(req.body))
    return JSONResponse(_render(req, view))


async def delete_codelab(req: FaceRequest) -> Response:
    await codelabs.delete_codelab(req.ctx, codelab_id=shapes.codelab_id(req.path["id"]))
    return no_content()


async def copy_codelab(req: FaceRequest) -> Response:
    view = await codelabs.copy(req.ctx, codelab_id=shapes.codelab_id(req.path["id"]))
    return JSONResponse(_render(req, view))


def _step_input(step: CodelabStepBody) -> StepInput:
    # A malformed id is 0, which no step has: the resolver refuses it as unknown (400).
    kept = None if step.id is None else shapes.step_number_or_zero(step.id)
    return StepInput(title=step.title, content_markdown=step.content_markdown, step_id=kept)


async def update_steps(req: FaceRequest) -> Response:
    body: CodelabStepsUpdate = req.body
    await codelabs.replace_steps(req.ctx, codelab_id=shapes.codelab_id(req.path["id"]),
                                 steps=[_step_input(s) for s in body.steps])
    return ok()


ROUTES = [
    Route("GET", "/codelabs", list_codelabs, tag="codelabs",
          summary="Public codelabs, and those the caller runs", responses={200: "codelab[]"}),
    Route("GET", "/codelabs/{id}", get_codelab, tag="codelabs",
          summary="A codelab and its steps", responses={200: "[codelab, steps]", 404: "missing"}),
    Route("POST", "/codelabs", create_codelab, auth=True, body=CodelabCreate, tag="codelabs",
          summary="Create a codelab (facilitators)",
          responses={200: "codelab", 400: "bad input", 401: "login", 403: "not a facilitator"},
          returns={200: shapes.R_CODELAB}),
    Route("PUT", "/codelabs/{id}", update_codelab, auth=True, body=CodelabUpdate,
          tag="codelabs", summary="Change a codelab's fields",
          responses={200: "codelab", 403: "not its facilitator", 404: "missing"},
          returns={200: shapes.R_CODELAB}),
    Route("DELETE", "/codelabs/{id}", delete_codelab, auth=True, tag="codelabs",
          summary="Delete a codelab", responses={204: "deleted", 403: "not its facilitator"}),
    Route("POST", "/codelabs/{id}/copy", copy_codelab, auth=True, tag="codelabs",
          summary="Copy a codelab with its steps", responses={200: "the copy"},
          returns={200: shapes.R_CODELAB}),
    Route("PUT", "/codelabs/{id}/steps", update_steps, auth=True, body=CodelabStepsUpdate,
          tag="codelabs", summary="Replace a codelab's steps",
          responses={200: '{"status": "ok"}', 400: "bad steps"}),
]
