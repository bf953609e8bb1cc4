"""The account center (SSO), ``/api/auth``: §4.9 and §25.1–25.2 of the reference.

Public routes (register, verify, resend, forgot, reset, login, child login) take no
credential; ``GET /session`` takes only ``uc_session`` (an ``X-Internal-Key`` is no
session: 401). Signing in sets ``uc_session`` (httpOnly, SameSite=Lax, Secure over
https), which the teacher portal, billing and GraphQL read. Rules and limits are in
``resolvers/accounts.py``.

Choices where the reference is silent:
- The documented paths collide with the course platform's ``/api/auth/login`` and
  ``/api/auth/register``, so this face is served under
  ``/compat/pickatale-account-center/api/auth`` and on its own port when
  ``LEARNGRAPH_FACE_PORTS`` names it (``pickatale-account-center=3100``); the reference
  documents no port.
- ``register`` requires ``Idempotency-Key`` (§39.4). Its mail is queued and retried, so
  a mail server that is down does not fail it; a deployment with no mail server at all
  answers 503 ``email_unavailable`` and creates nothing (nobody could verify).
- Children sign in at ``POST /api/auth/child-login`` with ``{"username", "pin"}`` (the
  reference names the flow and its limit, not the path), answering
  ``{"ok": true, "role": "child", "user_id", "name"}``.
- ``login`` of an account still pending verification is 403 ``email_not_verified``;
  a wrong email or password is 401 ``invalid_credentials``.
- ``GET /session`` reports school admins and platform admins as ``admin``; an account
  with no role on the reading platform is 403. It also answers ``school_id``, the
  school the account is on the staff of, or a child's class is of (null for none):
  §39.1 has every service attach it to the request from this answer. Registering as a
  school admin makes their school (``resolvers/school.py``).
"""

from __future__ import annotations

from pydantic import Field
from starlette.responses import Response

from core.auth.cookies import set_cookie
from resolvers import accounts
from resolvers.auth import CookieSession
from resolvers.reading import Input
from rest_compat import returns as out
from rest_compat.base import FaceRequest, JSONResponse, Route
from rest_compat.pickatale.shapes import ok

SESSION_COOKIE = "uc_session"
# Passwords are checked by the resolver (422 weak_password); this only bounds the input.
_SECRET = Field(min_length=1, max_length=1024)


class RegisterIn(Input):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=320)
    password: str = _SECRET
    role: str = Field(max_length=40)
    school_name: str | None = Field(default=None, max_length=200)


class TokenIn(Input):
    token: str = Field(min_length=1, max_length=200)


class EmailIn(Input):
    email: str = Field(min_length=1, max_length=320)


class ResetIn(Input):
    token: str = Field(min_length=1, max_length=200)
    password: str = _SECRET


class LoginIn(Input):
    email: str = Field(min_length=1, max_length=320)
    password: str = _SECRET


class ChildLoginIn(Input):
    username: str = Field(min_length=1, max_length=64)
    pin: str = Field(min_length=1, max_length=16)


def with_session(req: FaceRequest, session: CookieSession, body: dict) -> Response:
    response = JSONResponse(body)
    set_cookie(response, req.ctx.settings, req.request, name=SESSION_COOKIE,
               value=session.token, max_age=session.max_age)
    return response


async def register(req: FaceRequest) -> Response:
    b = req.body
    user = await accounts.register(req.ctx, name=b.name, email=b.email, password=b.password,
                                   role=b.role, school_name=b.school_name)
    return ok(user_id=str(user.id), state="pending_verification")


async def verify_email(req: FaceRequest) -> Response:
    session = await accounts.verify_email(req.ctx, token=req.body.token)
    return with_session(req, session, {"ok": True})


async def resend_verification(req: FaceRequest) -> Response:
    await accounts.resend_verification(req.ctx, email=req.body.email)
    return ok()


async def forgot_password(req: FaceRequest) -> Response:
    await accounts.forgot_password(req.ctx, email=req.body.email)
    return ok()


async def reset_password(req: FaceRequest) -> Response:
    await accounts.reset_password(req.ctx, token=req.body.token, password=req.body.password)
    return ok()


async def login(req: FaceRequest) -> Response:
    session = await accounts.login(req.ctx, email=req.body.email, password=req.body.password)
    return with_session(req, session, {"ok": True,
                                       "role": accounts.role_of(req.ctx.viewer.user)})


async def child_login(req: FaceRequest) -> Response:
    session = await accounts.child_login(req.ctx, username=req.body.username,
                                         pin=req.body.pin)
    user = req.ctx.viewer.user
    return with_session(req, session, {"ok": True, "role": "child", "user_id": str(user.id),
                                       "name": user.display_name})


async def session(req: FaceRequest) -> Response:
    current = await accounts.current_session(req.ctx)
    return JSONResponse({"valid": True, "user_id": str(current.user_id), "role": current.role,
                         "name": current.name, "email": current.email,
                         "school_id": current.school_id})


_LIMITED = {429: "Too many requests from this address (Retry-After)"}

ROUTES = [
    Route("GET", "/session", session, credential="session",
          summary="The signed-in account behind uc_session: id, role, name, email",
          responses={200: "Session", 401: "No valid uc_session",
                     403: "No role on the reading platform"}),
    Route("POST", "/login", login, body=LoginIn,
          summary="Sign in with email and password; sets uc_session",
          responses={200: "Signed in", 400: "Malformed body", 401: "Invalid credentials",
                     403: "Email not verified, or account deactivated",
                     423: "Locked after repeated failures (Retry-After)", **_LIMITED}),
    Route("POST", "/child-login", child_login, body=ChildLoginIn,
          summary="Sign a child in with username and PIN; sets uc_session",
          responses={200: "Signed in", 400: "Malformed body", 401: "Invalid credentials",
                     423: "Locked after repeated wrong PINs (Retry-After)", **_LIMITED},
          returns={200: out.obj(ok=out.BOOLEAN, role=out.STRING, user_id=out.STRING,
                                name=out.STRING)}),
    Route("POST", "/register", register, body=RegisterIn, idempotency=True,
          summary="Register a teacher, parent or school admin (pending verification)",
          responses={200: "Registered", 400: "Malformed body or no Idempotency-Key",
                     409: "Email taken, or the key's request is running",
                     422: "Invalid field, weak password, or the key used for another body",
                     503: "No mail server configured", **_LIMITED}),
    Route("POST", "/verify-email", verify_email, body=TokenIn,
          summary="Confirm an email with the mailed token; sets uc_session",
          responses={200: "Verified", 400: "Malformed body", 404: "Unknown token",
                     410: "Expired or used token"}),
    Route("POST", "/resend-verification", resend_verification, body=EmailIn,
          summary="Mail a new verification link (always ok)",
          responses={200: "Ok", 400: "Malformed body",
                     429: "3 an hour per email (Retry-After)"}),
    Route("POST", "/forgot-password", forgot_password, body=EmailIn,
          summary="Mail a password reset link (always ok)",
          responses={200: "Ok", 400: "Malformed body", **_LIMITED}),
    Route("POST", "/reset-password", reset_password, body=ResetIn,
          summary="Set a new password with the mailed token",
          responses={200: "Ok", 400: "Malformed body", 404: "Unknown token",
                     410: "Expired or used token", 422: "Weak password"}),
]
