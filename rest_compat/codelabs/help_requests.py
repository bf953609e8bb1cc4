"""Help requests and feedback.

- ``POST /codelabs/:id/help`` (``{"step_number": n}``, 1 to 10,000) is for the
  codelab's attendees (401 without a session, 403 for facilitators and anyone
  else: a facilitator who wants to try it registers as an attendee); it answers
  ``{"status": "ok"}`` and tells the live room.
- ``GET /codelabs/:id/help`` lists the pending requests, newest first, for the
  codelab's facilitators and attendees; resolved ones leave the list.
- ``POST /codelabs/:id/help/:help_id/resolve`` is for the codelab's
  facilitators; a ``help_id`` that is not one of this codelab's is 404, and
  resolving twice is fine.
- ``POST /codelabs/:id/feedback`` is for attendees, once each (409 the second
  time): ``difficulty`` and ``satisfaction`` are 1 to 5 (numbers or digit
  strings, as the reference sends them), ``comment`` at most 2,000 characters.
  It answers the feedback object the list shows.
- ``GET /codelabs/:id/feedback`` is for the codelab's facilitators, newest first:
  ``{id, codelab_id, attendee_id, difficulty, satisfaction, comment,
  created_at}`` with the scores as strings, as the reference stores them.
"""

from __future__ import annotations

from pydantic import Field
from starlette.responses import Response

from resolvers import codelab_feedback, codelab_help
from rest_compat import returns as out
from rest_compat.base import FaceRequest, JSONResponse, Route
from rest_compat.codelabs import shapes
from rest_compat.codelabs.shapes import Body, ok


class HelpBody(Body):
    step_number: int = Field(ge=1, le=codelab_help.STEP_MAX)


class FeedbackBody(Body):
    difficulty: int = Field(ge=1, le=5)
    satisfaction: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=codelab_feedback.COMMENT_MAX)


async def create_help(req: FaceRequest) -> Response:
    body: HelpBody = req.body
    await codelab_help.create(req.ctx, codelab_id=shapes.codelab_id(req.path["id"]),
                              step_number=body.step_number)
    return ok()


async def list_help(req: FaceRequest) -> Response:
    found = await codelab_help.get_pending(req.ctx,
                                           codelab_id=shapes.codelab_id(req.path["id"]))
    return JSONResponse([shapes.help_request(h) for h in found])


async def resolve_help(req: FaceRequest) -> Response:
    await codelab_help.resolve(req.ctx, codelab_id=shapes.codelab_id(req.path["id"]),
                               help_id=shapes.help_id(req.path["help_id"]))
    return ok()


async def create_feedback(req: FaceRequest) -> Response:
    body: FeedbackBody = req.body
    found = await codelab_feedback.create(
        req.ctx, codelab_id=shapes.codelab_id(req.path["id"]), difficulty=body.difficulty,
        satisfaction=body.satisfaction, comment=body.comment)
    return JSONResponse(shapes.feedback(found))


async def list_feedback(req: FaceRequest) -> Response:
    found = await codelab_feedback.get_all(req.ctx,
                                           codelab_id=shapes.codelab_id(req.path["id"]))
    return JSONResponse([shapes.feedback(f) for f in found])


ROUTES = [
    Route("POST", "/codelabs/{id}/help", create_help, auth=True, body=HelpBody, tag="help",
          summary="Ask for help on a step (attendees)",
          responses={200: '{"status": "ok"}', 401: "login", 403: "not an attendee"}),
    Route("GET", "/codelabs/{id}/help", list_help, auth=True, tag="help",
          summary="Pending help requests", responses={200: "help request[]"}),
    Route("POST", "/codelabs/{id}/help/{help_id}/resolve", resolve_help, auth=True, tag="help",
          summary="Resolve a help request (facilitators)",
          responses={200: '{"status": "ok"}', 404: "no such request"}),
    Route("POST", "/codelabs/{id}/feedback", create_feedback, auth=True, body=FeedbackBody,
          tag="feedback", summary="Give feedback once (attendees)",
          responses={200: "feedback", 409: "already given"},
          returns={200: shapes.R_FEEDBACK}),
    Route("GET", "/codelabs/{id}/feedback", list_feedback, auth=True, tag="feedback",
          summary="A codelab's feedback (facilitators)",
          responses={200: "feedback[]", 403: "not its facilitator"},
          returns={200: out.array(shapes.R_FEEDBACK)}),
]
