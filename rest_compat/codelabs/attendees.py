"""Attendees: registration and the attendee list.

- ``POST /codelabs/:id/register`` takes ``name`` (1 to 100 characters), the
  codelab's attendance ``code`` and an optional ``email``. A wrong code is 403
  ``{"error": "Invalid attendance code"}`` (wrong codes are rate limited per
  address, 429); an email already registered in this codelab (compared
  case-insensitively) is 409; a malformed email is 400. Private codelabs take
  registrations too: the code is the key. Success answers the attendee and
  starts the attendee's own session (``oc_session`` + ``oc_csrf``, 12 hours by
  default, ``LEARNGRAPH_CODELABS_ATTENDEE_SESSION_TTL``), replacing whatever
  session the browser had.
- ``GET /codelabs/:id/attendees`` is for the codelab's facilitators and its own
  attendees (401 without a session, 403 for others), newest first; an attendee
  sees the others' names and progress but only their own email.
"""

from __future__ import annotations

from pydantic import Field
from starlette.responses import Response

from resolvers import codelab_attendees as attendees
from resolvers import codelabs
from rest_compat import returns as out
from rest_compat.base import FaceRequest, JSONResponse, Route
from rest_compat.codelabs import shapes
from rest_compat.codelabs.shapes import Body, with_session_cookies


class AttendeeRegistration(Body):
    name: str = Field(max_length=attendees.NAME_MAX)
    code: str = Field(max_length=codelabs.CODE_MAX)
    email: str | None = Field(default=None, max_length=attendees.EMAIL_MAX)


async def register(req: FaceRequest) -> Response:
    body: AttendeeRegistration = req.body
    done = await attendees.register(req.ctx, codelab_id=shapes.codelab_id(req.path["id"]),
                                    name=body.name, code=body.code, email=body.email)
    response = JSONResponse(shapes.attendee(done.attendee, show_email=True))
    return with_session_cookies(req, done.session, response)


async def list_attendees(req: FaceRequest) -> Response:
    number = shapes.codelab_id(req.path["id"])
    found = await attendees.get_all(req.ctx, codelab_id=number)
    view = await codelabs.get(req.ctx, codelab_id=number)
    return JSONResponse([shapes.attendee(a, show_email=attendees.shows_email(req.ctx, view, a))
                         for a in found])


ROUTES = [
    Route("POST", "/codelabs/{id}/register", register, body=AttendeeRegistration, tag="attendees",
          summary="Register as an attendee with the attendance code; starts a session",
          responses={200: "attendee", 403: "wrong code", 404: "no codelab",
                     409: "email already registered"}),
    Route("GET", "/codelabs/{id}/attendees", list_attendees, auth=True, tag="attendees",
          summary="A codelab's attendees (its facilitators and attendees)",
          responses={200: "attendee[]", 401: "login", 403: "not in this codelab"},
          returns={200: out.array(shapes.R_ATTENDEE)}),
]
