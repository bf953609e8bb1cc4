"""The course platform's /api/v1 auth endpoints.

Choices where the reference is silent (a FastAPI backend's usual behaviour):
- Tokens answer ``200 {"access_token", "refresh_token", "token_type": "bearer"}`` for
  register, register-with-onboarding, login and refresh (the reference marks only
  creations of resources other than the account as 201).
- Bad bodies answer FastAPI's 422: invalid email, password outside 8–128 characters or
  without a letter and a digit, unknown IANA ``time_zone``, malformed ``locale``, profile
  values outside their enumerations.
- A registered email answers ``400 {"detail": "Email already registered"}``.
- ``subject_preferences`` naming unknown subjects answers 400 ``Unknown subject ids: ...``.
- Wrong email or password answers ``401 {"detail": "Invalid email or password"}``; a
  deactivated account ``403 {"detail": "Inactive user"}`` (login and refresh).
  Register and login are rate limited (429 with ``Retry-After``).
- ``/auth/refresh`` reads the refresh token from ``Authorization: Bearer``; a missing,
  invalid, expired or reused token answers 401 (reuse also revokes the session).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import EmailStr, Field
from starlette.responses import Response

from core.errors import Conflict, Unauthenticated, Validation
from models.course import GRADES, LEARNING_GOALS, STUDY_LEVELS
from resolvers import auth
from resolvers.profile import check_full_name, check_locale, check_time_zone
from rest_compat.base import FaceRequest, JSONResponse, Route
from rest_compat.returns import STRING, obj
from rest_compat.twosigma.rules import rule
from rest_compat.twosigma.shapes import Body


def _strong_password(password: str) -> None:
    auth.check_password_rules(password, require_letter_and_digit=True)


Password = Annotated[str, rule(_strong_password)]
FullName = Annotated[str, rule(check_full_name)]
Locale = Annotated[str, rule(check_locale)]
TimeZone = Annotated[str, rule(check_time_zone)]


class SigmaCheckEmailBody(Body):
    email: EmailStr


class SigmaLoginBody(Body):
    email: EmailStr
    password: str


class SigmaRegisterBody(Body):
    email: EmailStr
    password: Password
    full_name: FullName | None = None
    locale: Locale = "en"
    time_zone: TimeZone = "UTC"


def _past(value: date) -> None:
    if value >= datetime.now(UTC).date():
        raise Validation("date_of_birth must be in the past")


class SigmaProfileBody(Body):
    date_of_birth: Annotated[date | None, rule(_past)] = None
    learning_goal: Literal[LEARNING_GOALS] | None = None
    study_level: Literal[STUDY_LEVELS] | None = None
    grade: Literal[GRADES] | None = None


class SigmaOnboardingBody(SigmaRegisterBody):
    profile: SigmaProfileBody | None = None
    subject_preferences: list[Annotated[int, Field(ge=1)]] = Field(default_factory=list,
                                                                  max_length=100)


TOKEN_PAIR = obj(access_token=STRING, refresh_token=STRING, token_type=STRING)


def _tokens(sign_in: auth.SignIn) -> JSONResponse:
    return JSONResponse({"access_token": sign_in.access_token,
                         "refresh_token": sign_in.refresh_token, "token_type": "bearer"})


async def check_email(req: FaceRequest) -> Response:
    body: SigmaCheckEmailBody = req.body
    return JSONResponse({"available": await auth.is_email_available(req.ctx, email=body.email)})


async def _register(req: FaceRequest, body: SigmaRegisterBody, **onboarding) -> Response:
    try:
        sign_in = await auth.register(
            req.ctx, email=body.email, password=body.password, display_name=body.full_name,
            locale=body.locale, time_zone=body.time_zone, require_letter_and_digit=True,
            **onboarding)
    except Conflict as exc:
        raise Validation("Email already registered") from exc
    return _tokens(sign_in)


async def register(req: FaceRequest) -> Response:
    return await _register(req, req.body)


async def register_with_onboarding(req: FaceRequest) -> Response:
    body: SigmaOnboardingBody = req.body
    profile = (auth.OnboardingProfile(**body.profile.model_dump())
               if body.profile is not None else None)
    return await _register(req, body, profile=profile, subject_ids=body.subject_preferences)


async def login(req: FaceRequest) -> Response:
    body: SigmaLoginBody = req.body
    return _tokens(await auth.login(req.ctx, email=body.email, password=body.password))


async def refresh(req: FaceRequest) -> Response:
    scheme, _, token = req.request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Not authenticated")
    return _tokens(await auth.refresh(req.ctx, refresh_token=token.strip()))


TOKENS = "{access_token, refresh_token, token_type: bearer}"

ROUTES = [
    Route("POST", "/auth/check-email", check_email, body=SigmaCheckEmailBody, tag="auth",
          summary="Whether an email is still free to register",
          responses={200: "{available: bool}", 422: "invalid email"}),
    Route("POST", "/auth/register", register, body=SigmaRegisterBody, tag="auth",
          summary="Register a new account and sign in",
          responses={200: TOKENS, 400: "Email already registered", 422: "invalid field",
                     429: "rate limited"}),
    Route("POST", "/auth/register-with-onboarding", register_with_onboarding,
          body=SigmaOnboardingBody, tag="auth",
          summary="Register with onboarding profile and subject preferences",
          responses={200: TOKENS, 400: "Email already registered or unknown subject",
                     422: "invalid field", 429: "rate limited"},
          returns={200: TOKEN_PAIR}),
    Route("POST", "/auth/login", login, body=SigmaLoginBody, tag="auth",
          summary="Sign in with email and password",
          responses={200: TOKENS, 401: "Invalid email or password", 403: "Inactive user",
                     429: "rate limited"},
          returns={200: TOKEN_PAIR}),
    Route("POST", "/auth/refresh", refresh, tag="auth",
          summary="Rotate the refresh token given as Bearer; reuse revokes the session",
          responses={200: TOKENS, 401: "missing, invalid or reused refresh token",
                     403: "Inactive user"},
          returns={200: TOKEN_PAIR}),
]
