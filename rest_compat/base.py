"""The REST face framework.

A face is a table of routes plus three things of its own: the base path it is
served under, how it renders errors, and how it renders input validation
failures. Each handler parses, calls a resolver and renders; this module does
the rest once for every face: builds the context (with the Viewer), refuses
cookie-authenticated writes that do not prove intent (the face's ``csrf``
policy, answered 403 in the face's error shape), enforces "requires
authentication", parses and validates JSON bodies, turns domain
errors into the face's documented shape, and masks anything unexpected.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route as StarletteRoute

from core.context import Context
from core.csrf import DEFAULT as DEFAULT_CSRF
from core.csrf import CsrfPolicy
from core.db import as_domain_error, retrying
from core.errors import DomainError, Unauthenticated
from core.http import build_context

log = logging.getLogger(__name__)


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


@dataclass
class FaceRequest:
    """What a handler gets: the context, the parsed body, path and query parameters."""

    request: Request
    ctx: Context
    body: Any = None
    path: dict[str, Any] = field(default_factory=dict)
    # The query string validated by the route's ``query`` model, when it has one.
    params: Any = None

    @property
    def query(self):
        return self.request.query_params


Handler = Callable[[FaceRequest], Awaitable[Response]]
# A check a route declares (a subscription tier, a per-key rate limit): a resolver-level
# function of the context that raises a domain error to refuse the request.
Check = Callable[[Context], Awaitable[None]]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    summary: str = ""
    auth: bool = False
    body: type[BaseModel] | None = None
    # An empty body is then no body (the handler gets None) instead of a "missing" error.
    body_optional: bool = False
    # Models validating the path parameters and the query string (FastAPI-style 422s).
    path_params: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    responses: dict[int, str] = field(default_factory=dict)
    tag: str = ""
    # Which credential the route takes: any (None), only an API key ("api_key"), or only
    # a signed-in user's session, never a key ("session").
    credential: str | None = None
    # The scope an API key needs for this route (other credentials are not scoped).
    scope: str | None = None
    checks: tuple[Check, ...] = ()


@dataclass
class Face:
    """One legacy API: its name, base path, documented port, routes and error shapes."""

    name: str
    title: str
    base: str
    # The documented port; None when the reference names none.
    port: int | None
    routes: list[Route]
    render_error: Callable[[DomainError], Response]
    render_validation: Callable[[ValidationError, str], Response]
    unauthenticated_message: str = "Not authenticated"
    internal_error: Callable[[str], Response] | None = None
    description: str = ""
    # The face's credential, as an OpenAPI security scheme.
    security: dict[str, str] = field(default_factory=lambda: {
        "type": "apiKey", "in": "cookie", "name": "access_token"})
    # What a write authenticated by a cookie (any face's) must carry on this face: JSON
    # or a non-empty X-CSRF-Token by default; a face with a CSRF cookie declares e.g.
    # CsrfPolicy(cookie="oc_csrf", json_suffices=False) (header must echo the cookie).
    csrf: CsrfPolicy = DEFAULT_CSRF
    # The face's own session cookie, read before other faces' cookies of the same host.
    session_cookie: str | None = None
    # The legacy platform this face belongs to, when it had several services (each its
    # own face on its own port); by default the face is a platform of its own.
    family: str = ""

    @property
    def platform(self) -> str:
        return self.family or self.name

    def starlette_routes(self, prefix: str = "") -> list[StarletteRoute]:
        return [StarletteRoute(prefix + self.base + r.path, endpoint=self._endpoint(r),
                               methods=[r.method], name=f"{self.name}:{r.method}:{r.path}")
                for r in self.routes]

    def _endpoint(self, route: Route) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                ctx = await build_context(request, prefer_cookie=self.session_cookie)
                self.csrf.check(request, via_cookie=ctx.viewer.via_cookie)
                await _authorize(route, ctx, self.unauthenticated_message)
                path = dict(request.path_params)
                if route.path_params:
                    path = _validate(route.path_params, path, "path").model_dump()
                params = (_validate(route.query, dict(request.query_params), "query")
                          if route.query else None)
                body = (await _parse_body(request, route.body, optional=route.body_optional)
                        if route.body else None)
                face_request = FaceRequest(request=request, ctx=ctx, body=body, path=path,
                                           params=params)
                # A handler whose transaction met a deadlock runs again (see core.db).
                return await retrying(lambda: route.handler(face_request))
            except InvalidInput as exc:
                return self.render_validation(exc.error, exc.location)
            except ValidationError as exc:
                return self.render_validation(exc, "body")
            except DomainError as exc:
                return self.render_domain_error(exc)
            except ClientDisconnect:
                # The client went away (or its body passed the size limit and it has
                # its 413 already): nobody reads this response.
                return Response(status_code=400)
            except Exception as exc:
                unavailable = as_domain_error(exc)
                if unavailable is not None:
                    log.warning("%s %s: %s (%s)", route.method, request.url.path,
                                unavailable.message, type(exc).__name__)
                    return self.render_domain_error(unavailable)
                request_id = request.scope.get("state", {}).get("request_id", "")
                log.exception("unhandled error in %s %s (request %s)", route.method,
                              request.url.path, request_id)
                if self.internal_error:
                    return self.internal_error(request_id)
                return JSONResponse({"error": "Internal server error", "requestId": request_id},
                                    status_code=500)

        endpoint.__name__ = route.handler.__name__
        return endpoint

    def render_domain_error(self, exc: DomainError) -> Response:
        """``exc`` in this face's shape, with ``Retry-After`` when it says when to retry."""
        response = self.render_error(exc)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:
            response.headers["Retry-After"] = str(retry_after)
        return response


CREDENTIALS = {None: lambda viewer: viewer.is_authenticated,
               "api_key": lambda viewer: viewer.is_api_key,
               "session": lambda viewer: viewer.kind == "user"}


async def _authorize(route: Route, ctx: Context, unauthenticated: str) -> None:
    """The route's declared rules, in order: credential, checks, scope."""
    if (route.auth or route.credential) and not CREDENTIALS[route.credential](ctx.viewer):
        raise Unauthenticated(unauthenticated)
    for check in route.checks:
        await check(ctx)
    if route.scope:
        ctx.viewer.require_scope(route.scope)


class InvalidInput(Exception):
    """Input that failed validation, and where it came from (body, query or path)."""

    def __init__(self, error: ValidationError, location: str) -> None:
        super().__init__(str(error))
        self.error = error
        self.location = location


def _validate(model: type[BaseModel], data: Any, location: str) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(exc, location) from None


async def _parse_body(request: Request, model: type[BaseModel], *,
                      optional: bool = False) -> BaseModel | None:
    raw = await request.body()
    try:
        data = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        # FastAPI answers undecodable JSON with a 422 json_invalid error; do the same.
        raise InvalidInput(ValidationError.from_exception_data(
            "body", [{"type": "json_invalid", "loc": (0,), "input": raw.decode(errors="replace"),
                      "ctx": {"error": "JSON decode error"}}]), "body") from None
    if data is None and optional and not raw.strip():
        return None
    if data is None:
        # FastAPI reports an empty (or null) body for a required body model as missing.
        raise InvalidInput(ValidationError.from_exception_data(
            "body", [{"type": "missing", "loc": (), "input": None}]), "body")
    return _validate(model, data, "body")


def iso(value: datetime | date | None) -> str | None:
    """Datetimes in UTC with a ``Z`` suffix, dates as ``YYYY-MM-DD``: how every face
    writes them."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value.isoformat()


def fastapi_validation_detail(exc: ValidationError, location: str = "body") -> list[dict[str, Any]]:
    """Pydantic errors as FastAPI renders them: ``loc`` starts with the input's location."""
    detail = []
    for error in exc.errors(include_url=False):
        item = {"type": error["type"], "loc": [location, *error["loc"]], "msg": error["msg"],
                "input": error.get("input")}
        if error.get("ctx"):
            item["ctx"] = {k: str(v) for k, v in error["ctx"].items()}
        detail.append(item)
    return detail
