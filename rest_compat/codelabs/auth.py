"""The facilitator's sign-in, the session check and sign-out.

- ``POST /login`` checks ``admin_id``/``admin_pw`` against the configuration
  (``LEARNGRAPH_CODELABS_ADMIN_ID`` / ``_PASSWORD``); a wrong pair is 401
  ``{"error": "Invalid credentials"}`` (it never says which half was wrong), no
  configured password is 501, and attempts are rate limited per address and,
  with a lockout after repeated failures, per account (429 with ``Retry-After``).
  Success sets ``oc_session`` (httpOnly) and ``oc_csrf`` and answers
  ``{"status": "ok"}``.
- ``GET /session`` answers ``{sub, role, codelab_id, exp}``: for the facilitator
  ``sub`` is the configured account id and ``role`` ``admin`` (an instructor or
  platform admin signed in another way is ``admin`` too, ``sub`` being their user
  id); for an attendee ``sub`` is the attendee id, ``role`` ``attendee`` and
  ``codelab_id`` their codelab. ``exp`` is when the session ends (epoch seconds).
  Without a session: 401 ``{"error": "Login required"}``.
- ``POST /logout`` ends the session server-side (its cookie stops working
  everywhere), clears both cookies and answers 204, signed in or not.
"""

from __future__ import annotations

from pydantic import Field
from starlette.responses import Response

from core.errors import DomainError
from resolvers import auth
from resolvers import codelab_attendees as attendees
from rest_compat.base import FaceRequest, JSONResponse, Route
from rest_compat.codelabs.shapes import (
    Body,
    attendee_ref,
    codelab_ref,
    no_content,
    ok,
    with_session_cookies,
    without_session_cookies,
)


class FacilitatorLogin(Body):
    admin_id: str = Field(max_length=200)
    admin_pw: str = Field(max_length=200)


async def login(req: FaceRequest) -> Response:
    body: FacilitatorLogin = req.body
    cookie = await attendees.facilitator_login(req.ctx, admin_id=body.admin_id,
                                               admin_password=body.admin_pw)
    return with_session_cookies(req, cookie, ok())


async def session(req: FaceRequest) -> Response:
    info = await attendees.current_session(req.ctx)
    sub = attendee_ref(info.attendee_user_id) if info.attendee_user_id else info.sub
    return JSONResponse({"sub": sub, "role": info.role, "codelab_id": codelab_ref(info.codelab_id),
                         "exp": int(info.expires_at.timestamp()) if info.expires_at else None})


async def logout(req: FaceRequest) -> Response:
    try:
        await auth.logout(req.ctx)
    except DomainError:
        pass  # signing out is always possible
    return without_session_cookies(req, no_content())


ROUTES = [
    Route("POST", "/login", login, body=FacilitatorLogin, tag="auth",
          summary="Facilitator sign-in; sets the oc_session and oc_csrf cookies",
          responses={200: '{"status": "ok"}', 401: "invalid credentials",
                     429: "rate limited", 501: "not configured"}),
    Route("GET", "/session", session, tag="auth", summary="Who is signed in",
          responses={200: "{sub, role, codelab_id, exp}", 401: "login required"}),
    Route("POST", "/logout", logout, tag="auth", summary="Sign out; clears the cookies",
          responses={204: "signed out"}),
]
