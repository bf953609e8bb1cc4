"""OpenLearning's /api/auth/* endpoints."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from core.auth.cookies import clear_cookie, set_cookie
from core.auth.viewer import ACCESS_COOKIE
from resolvers import auth
from rest_compat.base import FaceRequest, JSONResponse, Route
from rest_compat.openlearning.shapes import (
    ApiKeySetRequest,
    LoginRequest,
    RegisterRequest,
    ok,
)


def _with_session_cookie(req: FaceRequest, sign_in: auth.SignIn, response: Response) -> Response:
    token, max_age = auth.session_cookie_token(req.ctx, sign_in)
    set_cookie(response, req.ctx.settings, req.request, name=ACCESS_COOKIE, value=token,
               max_age=max_age)
    return response


async def register(req: FaceRequest) -> Response:
    body: RegisterRequest = req.body
    sign_in = await auth.register(req.ctx, email=body.email, password=body.password)
    return _with_session_cookie(req, sign_in, ok())


async def login(req: FaceRequest) -> Response:
    body: LoginRequest = req.body
    sign_in = await auth.login(req.ctx, email=body.email, password=body.password)
    return _with_session_cookie(req, sign_in, ok())


async def me(req: FaceRequest) -> Response:
    found = await auth.me(req.ctx)
    user = found.user
    return JSONResponse({
        "userId": str(user.id), "displayName": user.display_name, "avatarUrl": user.avatar_url,
        "hasApiKey": found.has_api_key, "email": user.email,
    })


async def logout(req: FaceRequest) -> Response:
    await auth.logout(req.ctx)
    response = ok()
    clear_cookie(response, req.ctx.settings, req.request, name=ACCESS_COOKIE)
    return response


async def set_api_key(req: FaceRequest) -> Response:
    body: ApiKeySetRequest = req.body
    await auth.set_anthropic_key(req.ctx, api_key=body.api_key)
    return ok()


async def get_api_key(req: FaceRequest) -> Response:
    preview = await auth.get_anthropic_key_preview(req.ctx)
    if preview is None:
        return Response(status_code=204)
    return JSONResponse({"apiKeyPreview": preview})


async def delete_api_key(req: FaceRequest) -> Response:
    await auth.delete_anthropic_key(req.ctx)
    return ok()


async def validate_key(req: FaceRequest) -> Response:
    body: ApiKeySetRequest = req.body
    valid, error = await auth.validate_anthropic_key(req.ctx, api_key=body.api_key)
    return JSONResponse({"valid": valid, "error": error})


def _callback_url(req: FaceRequest) -> str:
    return req.ctx.settings.public_url.rstrip("/") + "/api/auth/github/callback"


async def github_start(req: FaceRequest) -> Response:
    url = await auth.github_authorize_url(req.ctx, redirect=req.query.get("redirect"),
                                          callback_url=_callback_url(req))
    return RedirectResponse(url, status_code=302)


async def github_callback(req: FaceRequest) -> Response:
    sign_in, redirect = await auth.github_callback(
        req.ctx, code=req.query.get("code"), state=req.query.get("state"),
        callback_url=_callback_url(req))
    return _with_session_cookie(req, sign_in, RedirectResponse(redirect, status_code=302))


ROUTES = [
    Route("GET", "/auth/github", github_start, tag="auth",
          summary="Start GitHub sign-in (302 to GitHub; 501 when not configured)",
          responses={302: "to GitHub", 501: "GitHub OAuth is not configured"}),
    Route("GET", "/auth/github/callback", github_callback, tag="auth",
          summary="GitHub OAuth callback: sets the access_token cookie and redirects",
          responses={302: "to the frontend", 400: "bad state or code"}),
    Route("POST", "/auth/register", register, body=RegisterRequest, tag="auth",
          summary="Register with email and password; sets the access_token cookie",
          responses={200: "{ok: true}", 400: "password length", 409: "duplicate email",
                     422: "invalid email", 429: "rate limited"}),
    Route("POST", "/auth/login", login, body=LoginRequest, tag="auth",
          summary="Sign in with email and password; sets the access_token cookie",
          responses={200: "{ok: true}", 401: "Invalid email or password", 429: "rate limited"}),
    Route("GET", "/auth/me", me, auth=True, tag="auth", summary="The current user's profile",
          responses={200: "AuthMeResponse", 401: "not authenticated"}),
    Route("POST", "/auth/logout", logout, tag="auth", summary="Clear the auth cookie",
          responses={200: "{ok: true}"}),
    Route("POST", "/auth/api-key", set_api_key, auth=True, body=ApiKeySetRequest, tag="auth",
          summary="Store an encrypted Anthropic API key", responses={200: "{ok: true}"}),
    Route("GET", "/auth/api-key", get_api_key, auth=True, tag="auth",
          summary="Masked preview of the stored API key",
          responses={200: "ApiKeyResponse", 204: "no key stored"}),
    Route("DELETE", "/auth/api-key", delete_api_key, auth=True, tag="auth",
          summary="Remove the stored API key (idempotent)", responses={200: "{ok: true}"}),
    Route("POST", "/auth/validate-key", validate_key, auth=True, body=ApiKeySetRequest, tag="auth",
          summary="Check an Anthropic API key without storing it",
          responses={200: "ValidateKeyResponse"}),
]
