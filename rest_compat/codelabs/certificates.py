"""Completion, certificates and their verification page.

- ``POST /codelabs/:id/complete`` is for the codelab's attendees. With
  ``require_quiz`` every question must have been answered correctly, with
  ``require_feedback`` feedback given; otherwise 400 with a message naming what
  is missing. Completing again is fine and keeps the first completion time.
- ``GET /certificates/:id`` (``:id`` an attendee id) needs no session: a
  certificate is meant to be shown. 404 for no such attendee, 403 before the
  attendee completed. ``verification_url`` is ``/api/verify/<attendee id>``:
  the reference's frontend route ``/verify/<id>`` has no page on this server, so
  the face serves one under its own base (an HTML page naming the attendee, the
  codelab, its author and the completion date, or saying that no such
  certificate exists, with 404).
"""

from __future__ import annotations

import html

from starlette.responses import HTMLResponse, Response

from core.errors import DomainError
from resolvers import codelab_certificates as certificates
from rest_compat import returns as out
from rest_compat.base import FaceRequest, JSONResponse, Route, iso
from rest_compat.codelabs import shapes
from rest_compat.codelabs.shapes import ok

CERTIFICATE_NOT_FOUND = "Certificate not found"


def verification_url(found: certificates.Certificate) -> str:
    return f"/api/verify/{shapes.attendee_ref(found.attendee_user_id)}"


async def complete(req: FaceRequest) -> Response:
    await certificates.complete(req.ctx, codelab_id=shapes.codelab_id(req.path["id"]))
    return ok()


async def certificate(req: FaceRequest) -> Response:
    found = await certificates.get_certificate(
        req.ctx, attendee_user_id=shapes.attendee_id(req.path["id"], CERTIFICATE_NOT_FOUND))
    return JSONResponse({"attendee_name": found.attendee_name,
                         "codelab_title": found.codelab_title,
                         "codelab_id": shapes.codelab_ref(found.codelab_id),
                         "author": found.author, "completed_at": iso(found.completed_at),
                         "verification_url": verification_url(found)})


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><main><h1>{title}</h1>{body}</main></body></html>"""


async def verify(req: FaceRequest) -> Response:
    try:
        found = await certificates.get_certificate(
            req.ctx, attendee_user_id=shapes.attendee_id(req.path["id"], CERTIFICATE_NOT_FOUND))
    except DomainError as exc:
        return HTMLResponse(PAGE.format(title="Certificate not verified",
                                        body=f"<p>{html.escape(exc.message)}</p>"),
                            status_code=404)
    body = (f"<p><strong>{html.escape(found.attendee_name)}</strong> completed "
            f"<strong>{html.escape(found.codelab_title)}</strong>"
            f"{' by ' + html.escape(found.author) if found.author else ''} on "
            f"{found.completed_at.date().isoformat()}.</p>")
    return HTMLResponse(PAGE.format(title="Certificate verified", body=body))


ROUTES = [
    Route("POST", "/codelabs/{id}/complete", complete, auth=True, tag="attendees",
          summary="Complete the codelab (attendees, once its rules are met)",
          responses={200: '{"status": "ok"}', 400: "quiz or feedback missing"}),
    Route("GET", "/certificates/{id}", certificate, tag="attendees",
          summary="A completed attendee's certificate",
          responses={200: "certificate", 403: "not completed", 404: "no such attendee"}),
    Route("GET", "/verify/{id}", verify, tag="attendees",
          summary="The certificate's verification page (HTML)",
          responses={200: "verified", 404: "no such certificate"},
          returns={200: out.Body("text/html", out.STRING)}),
]
