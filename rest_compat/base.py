"""The REST face framework.

A face is a table of routes plus three things of its own: the base path it is
served under, how it renders errors, and how it renders input validation
failures. Each handler parses, calls a resolver and renders; this module does
the rest once for every face: builds the context (with the Viewer), refuses
cookie-authenticated writes that do not prove intent (the face's ``csrf``
policy, answered 403 in the face's error shape), enforces "requires
authentication", parses and validates JSON bodies, holds every input to the
bounds of ``core.input_bounds`` (path, query and body: string length, NUL,
64-bit integers, nesting; a refusal is the face's validation error), turns
domain errors into the face's documented shape, and masks anything unexpected.
Validation errors quote at most a short prefix of the input.

A route that carries the volume of the platform's services may declare a
``Shortcut`` for its common case (see there).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

import orjson
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route as StarletteRoute
from starlette.routing import WebSocketRoute, request_response
from starlette.websockets import WebSocket, WebSocketState

from core import idempotency
from core.auth.viewer import INTERNAL_KEY_HEADER, viewer_for_internal_key
from core.context import Context
from core.csrf import DEFAULT as DEFAULT_CSRF
from core.csrf import CsrfPolicy
from core.db import as_domain_error, retrying
from core.errors import DomainError, Forbidden, Unauthenticated
from core.http import build_context, client_ip
from core.input_bounds import MAX_INT64, MIN_INT64, PREFIX_LENGTH, OutOfBounds, check_value
from core.observe import note_viewer

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


@dataclass
class FaceSocket:
    """What a WebSocket handler gets: the socket (not yet accepted), the context of its
    handshake and the path parameters."""

    websocket: WebSocket
    ctx: Context
    path: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[FaceRequest], Awaitable[Response]]
SocketHandler = Callable[[FaceSocket], Awaitable[None]]
# A check a route declares (a subscription tier, a per-key rate limit): a resolver-level
# function of the context that raises a domain error to refuse the request.
Check = Callable[[Context], Awaitable[None]]


@dataclass(frozen=True)
class Shortcut:
    """A route's common case, served without the general steps' objects (request and
    response classes, a body model, the input walk): a request the platform's internal
    key authenticates (``X-Internal-Key``, which decides alone), without a query string,
    whose JSON body ``parse`` accepts. ``run`` gets the context and what ``parse`` made
    of the body, and returns the JSON of the 200 answer.

    ``parse`` returns None for anything it does not plainly accept, valid or not: the
    request then goes the general way, its body handed over as it was read, so every
    refusal keeps the face's documented shape and status. It must accept nothing the
    route's body model refuses and only fields it knows, each within the input bounds.
    The CSRF rule, the face's and route's checks and errors from ``run`` are the
    general path's own."""

    parse: Callable[[Any], Any | None]
    run: Callable[[Context, Any], Awaitable[bytes]]


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
    # A tighter body limit than the face's, for routes that take less (413 past it).
    max_body_bytes: int | None = None
    # Models validating the path parameters and the query string (FastAPI-style 422s).
    path_params: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    responses: dict[int, str] = field(default_factory=dict)
    # What a success answers, by status, for the OpenAPI document (``rest_compat.returns``).
    returns: dict[int, Any] = field(default_factory=dict)
    tag: str = ""
    # Which credential the route takes: any (None), only an API key ("api_key"), or only
    # a signed-in user's session, never a key ("session").
    credential: str | None = None
    # The scope an API key needs for this route (other credentials are not scoped).
    scope: str | None = None
    checks: tuple[Check, ...] = ()
    # Longest string the body may hold, when the route documents more than the default
    # (content bodies: ``core.input_bounds.LONG_TEXT_LENGTH``).
    max_string_length: int | None = None
    # ``Idempotency-Key`` (``core.idempotency``): True requires one; "optional" honours
    # one when it is sent (the first response replayed for it), and runs as usual without.
    idempotency: bool | str = False
    shortcut: Shortcut | None = None


@dataclass(frozen=True)
class Socket:
    """A WebSocket endpoint of a face. Its handshake goes through the face's rules
    (authentication, input bounds on the path, and for a cookie session an ``Origin``
    of the server itself or an allowed origin); a refusal before the handler accepts is
    answered as an HTTP error in the face's shape."""

    path: str
    handler: SocketHandler
    summary: str = ""
    auth: bool = False


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
    # Sub-paths of ``base`` that are this face's alone, when it shares its base with
    # another face: they pick its error shape and body limit before routing.
    prefixes: tuple[str, ...] = ("",)
    # A larger request body limit for this face's paths (None: the server's).
    max_body_bytes: int | None = None
    # The legacy platform this face belongs to, when it had several services (each its
    # own face on its own port); by default the face is a platform of its own.
    family: str = ""
    # WebSocket endpoints (``WS`` in the contract), beside the HTTP routes.
    sockets: list[Socket] = field(default_factory=list)
    # Checks every route of the face passes once its credential is accepted, before the
    # route's own (a platform-wide rate limit).
    checks: tuple[Check, ...] = ()

    @property
    def platform(self) -> str:
        return self.family or self.name

    def starlette_routes(self, prefix: str = "") -> list[StarletteRoute | WebSocketRoute]:
        return [*(StarletteRoute(prefix + self.base + r.path,
                                 endpoint=(_ShortcutApp(self, r, self._endpoint(r))
                                           if r.shortcut else self._endpoint(r)),
                                 methods=[r.method], name=f"{self.name}:{r.method}:{r.path}")
                  for r in self.routes),
                *(WebSocketRoute(prefix + self.base + s.path, endpoint=self._socket_endpoint(s),
                                 name=f"{self.name}:WS:{s.path}")
                  for s in self.sockets)]

    def _socket_endpoint(self, socket: Socket) -> Callable[[WebSocket], Awaitable[None]]:
        async def endpoint(websocket: WebSocket) -> None:
            try:
                ctx = await build_context(websocket, prefer_cookie=self.session_cookie)
                _check_origin(websocket, ctx)
                if socket.auth and not ctx.viewer.is_authenticated:
                    raise Unauthenticated(self.unauthenticated_message)
                path = dict(websocket.path_params)
                _bounded(path, "path", ctx.settings.max_string_length)
                await socket.handler(FaceSocket(websocket=websocket, ctx=ctx, path=path))
            except Exception as exc:
                if websocket.application_state != WebSocketState.CONNECTING:
                    # Accepted: the handler answers its own errors; this one ends it.
                    log.exception("unhandled error in WS %s", self.base + socket.path)
                    if websocket.application_state == WebSocketState.CONNECTED:
                        await websocket.close(code=1011)
                    return
                known = exc if isinstance(exc, DomainError) else as_domain_error(exc)
                if known is None:
                    log.exception("unhandled error in WS %s", self.base + socket.path)
                    known = DomainError("Internal server error", status=500)
                await _refuse(websocket, self.render_domain_error(known))

        endpoint.__name__ = socket.handler.__name__
        return endpoint

    def _endpoint(self, route: Route) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                ctx = await build_context(request, prefer_cookie=self.session_cookie)
                self.csrf.check(request, via_cookie=ctx.viewer.via_cookie)
                await _authorize(route, ctx, self.unauthenticated_message, self.checks)
                key = (idempotency.read_key(request.headers) if route.idempotency is True
                       or (route.idempotency and idempotency.HEADER in request.headers)
                       else None)
                limit = ctx.settings.max_string_length
                path = dict(request.path_params)
                _bounded(path, "path", limit)
                if request.scope.get("query_string"):  # (no QueryParams built without one)
                    _bounded(request.query_params.multi_items(), "query", limit)
                if route.path_params:
                    path = _validate(route.path_params, path, "path", limit).model_dump()
                params = (_validate(route.query, dict(request.query_params), "query", limit)
                          if route.query else None)
                body = (await _parse_body(request, route.body, optional=route.body_optional,
                                          max_length=max(route.max_string_length or 0, limit),
                                          limit=route.max_body_bytes)
                        if route.body else None)
                face_request = FaceRequest(request=request, ctx=ctx, body=body, path=path,
                                           params=params)
                if key is not None:
                    return await self._idempotent(route, face_request, key)
                # A handler whose transaction met a deadlock runs again (see core.db).
                return await retrying(lambda: route.handler(face_request))
            except Exception as exc:
                return self._error_response(route, request, exc)

        endpoint.__name__ = route.handler.__name__
        return endpoint

    async def _idempotent(self, route: Route, req: FaceRequest, key: str) -> Response:
        """Run ``route`` once per key: claim it, run, keep the response; or replay."""
        viewer = req.ctx.viewer
        caller = str(viewer.user_id or viewer.api_key_id or viewer.kind)
        template = f"{self.platform} {route.method} {self.base}{route.path}"
        outcome = await idempotency.claim(
            req.ctx.db, key_hash=idempotency.key_hash(key=key, route=template, caller=caller),
            seal=idempotency.sealing_key(secret=req.ctx.settings.secret_key, key=key,
                                         route=template, caller=caller),
            request_hash=idempotency.request_hash(
                method=route.method, path=template + repr(sorted(req.path.items())) + "?"
                + str(req.request.url.query), body=await _canonical_body(req.request)))
        if isinstance(outcome, idempotency.Stored):
            return Response(outcome.body, status_code=outcome.status,
                            media_type=outcome.media_type,
                            headers={"Idempotent-Replayed": "true"})
        try:
            response = await retrying(lambda: route.handler(req))
        except BaseException as exc:
            if not isinstance(exc, Exception):
                await idempotency.release(req.ctx.db, outcome)
                raise
            response = self._error_response(route, req.request, exc)
        if idempotency.keeps(response.status_code) and hasattr(response, "body"):
            await idempotency.complete(req.ctx.db, outcome, status=response.status_code,
                                       media_type=response.headers.get("content-type"),
                                       body=bytes(response.body))
        else:
            await idempotency.release(req.ctx.db, outcome)
        return response

    def _error_response(self, route: Route, request: Request, exc: Exception) -> Response:
        """``exc`` raised while serving ``route``, as this face renders it (masked when it
        is not a known failure)."""
        if isinstance(exc, InvalidInput):
            return self.render_validation(exc.error, exc.location)
        if isinstance(exc, ValidationError):
            return self.render_validation(exc, "body")
        if isinstance(exc, DomainError):
            return self.render_domain_error(exc)
        if isinstance(exc, ClientDisconnect):
            # The client went away (or its body passed the size limit and it has
            # its 413 already): nobody reads this response.
            return Response(status_code=400)
        known = as_domain_error(exc)
        if known is not None:
            log.warning("%s %s: %s (%s)", route.method, request.url.path,
                        known.message, type(exc).__name__)
            return self.render_domain_error(known)
        request_id = request.scope.get("state", {}).get("request_id", "")
        # The route's template, not the URL: a path may carry a secret (an MCP key).
        log.exception("unhandled error in %s %s (request %s)", route.method,
                      self.base + route.path, request_id, exc_info=exc)
        if self.internal_error:
            return self.internal_error(request_id)
        return JSONResponse({"error": "Internal server error", "requestId": request_id},
                            status_code=500)

    def render_domain_error(self, exc: DomainError) -> Response:
        """``exc`` in this face's shape, with ``Retry-After`` when it says when to retry."""
        response = self.render_error(exc)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:
            response.headers["Retry-After"] = str(retry_after)
        return response


_JSON_HEADERS = ((b"content-type", b"application/json"),)
_INTERNAL_KEY = INTERNAL_KEY_HEADER.encode()


class _ShortcutApp:
    """A route with a ``Shortcut``: the shortcut when it applies, else the general
    endpoint (as an ASGI app), with the body messages already read handed over."""

    def __init__(self, face: Face, route: Route, endpoint: Callable) -> None:
        self.face = face
        self.route = route
        self.shortcut = route.shortcut
        self.general = request_response(endpoint)
        self.__name__ = endpoint.__name__

    async def __call__(self, scope, receive, send) -> None:
        key = None
        if not scope.get("query_string"):
            for name, value in scope["headers"]:
                if name == _INTERNAL_KEY:
                    key = value
                    break
        if not key:
            await self.general(scope, receive, send)
            return
        services = scope["app"].state.services
        try:
            viewer = viewer_for_internal_key(services.settings, key.decode("latin-1"))
        except Unauthenticated:
            await self.general(scope, receive, send)
            return
        messages = []
        body = b""
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body"):
                break

        async def replay():
            return messages.pop(0) if messages else await receive()

        try:
            value = self.shortcut.parse(orjson.loads(body)) if messages[-1]["type"] \
                == "http.request" else None
        except orjson.JSONDecodeError:
            value = None
        if value is None:
            await self.general(scope, replay, send)
            return
        request = Request(scope, replay)
        try:
            ctx = Context(services=services, viewer=viewer,
                          request_id=scope.get("state", {}).get("request_id", ""),
                          client_ip=client_ip(request),
                          user_agent=request.headers.get("user-agent"), request=request)
            note_viewer(scope, viewer)
            self.face.csrf.check(request, via_cookie=viewer.via_cookie)
            await _authorize(self.route, ctx, self.face.unauthenticated_message,
                             self.face.checks)
            answer = await retrying(lambda: self.shortcut.run(ctx, value))
        except Exception as exc:
            await self.face._error_response(self.route, request, exc)(scope, replay, send)
            return
        await send({"type": "http.response.start", "status": 200, "headers": [
            *_JSON_HEADERS, (b"content-length", b"%d" % len(answer))]})
        await send({"type": "http.response.body", "body": answer})


def _check_origin(websocket: WebSocket, ctx: Context) -> None:
    """A browser sends the site's cookies with any page's WebSocket handshake: one signed
    in by a cookie must come from the server's own origin or an allowed one."""
    origin = websocket.headers.get("origin")
    if not origin or not ctx.viewer.via_cookie:
        return
    scheme = "https" if websocket.url.scheme == "wss" else "http"
    own = {f"{scheme}://{websocket.headers.get('host', '')}",
           _origin_of(ctx.settings.public_url), *ctx.settings.allowed_origins}
    if origin.rstrip("/") not in own:
        raise Forbidden("Cross-origin WebSocket refused")


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def _refuse(websocket: WebSocket, response: Response) -> None:
    """Answer a handshake with ``response`` (an HTTP error in the face's shape) where the
    server can, else close it with 1008 (policy violation)."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(response)
    else:
        await websocket.close(code=1008)


CREDENTIALS = {None: lambda viewer: viewer.is_authenticated,
               "api_key": lambda viewer: viewer.is_api_key,
               "session": lambda viewer: viewer.kind == "user"}


async def _authorize(route: Route, ctx: Context, unauthenticated: str,
                     face_checks: tuple[Check, ...] = ()) -> None:
    """The route's declared rules, in order: credential, the face's checks, the route's
    checks, scope."""
    if (route.auth or route.credential) and not CREDENTIALS[route.credential](ctx.viewer):
        raise Unauthenticated(unauthenticated)
    for check in (*face_checks, *route.checks):
        await check(ctx)
    if route.scope:
        ctx.viewer.require_scope(route.scope)


class InvalidInput(Exception):
    """Input that failed validation, and where it came from (body, query or path)."""

    def __init__(self, error: ValidationError, location: str) -> None:
        super().__init__(str(error))
        self.error = error
        self.location = location


def _out_of_bounds(exc: OutOfBounds, location: str, value: Any) -> InvalidInput:
    """``exc`` as a pydantic error at its place in the input, as the faces render them."""
    loc = tuple(part[:PREFIX_LENGTH] if isinstance(part, str) else part for part in exc.path)
    if exc.kind == "too_long":
        kind: Any = "string_too_long"
        ctx: dict[str, Any] = {"max_length": exc.limit}
    elif exc.kind == "int_range":
        kind, ctx = ("greater_than_equal", {"ge": -exc.limit - 1}) if value < 0 else (
            "less_than_equal", {"le": exc.limit})
    elif exc.kind == "nul":
        kind, ctx = PydanticCustomError(
            "string_nul", "String should not contain NUL (\\u0000) characters"), {}
    else:
        kind, ctx = PydanticCustomError(
            "too_deep", "Value should nest at most {max_depth} levels",
            {"max_depth": exc.limit}), {}
    error: dict[str, Any] = {"type": kind, "loc": loc, "input": value}
    if ctx:
        error["ctx"] = ctx
    return InvalidInput(ValidationError.from_exception_data(location, [error]), location)


def _value_at(data: Any, path: tuple) -> Any:
    for part in path:
        data = data[part]
    return data


def _bounded(data: Any, location: str, max_length: int) -> None:
    """Refuse ``data`` (decoded input) past the bounds, as the face's validation error."""
    try:
        check_value(data, max_length=max_length)
    except OutOfBounds as exc:
        value = None if exc.kind == "depth" else _value_at(data, exc.path)
        if isinstance(data, list) and location == "query":  # (name, value) pairs
            exc = OutOfBounds(exc.kind, exc.message, (data[exc.path[0]][0],), exc.limit)
        raise _out_of_bounds(exc, location, value) from None


def _validate(model: type[BaseModel], data: Any, location: str,
              max_length: int | None = None) -> BaseModel:
    try:
        validated = model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(exc, location) from None
    # Integers parsed from text (paths, queries) or JSON may still be past 64 bits.
    _bounded(validated.model_dump(by_alias=True), location, max_length or (1 << 62))
    return validated


async def _parse_body(request: Request, model: type[BaseModel], *, optional: bool = False,
                      max_length: int, limit: int | None = None) -> BaseModel | None:
    if limit is not None:
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            raise DomainError("Request body too large", status=413)
    raw = await request.body()
    if limit is not None and len(raw) > limit:
        raise DomainError("Request body too large", status=413)
    try:
        data = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        # FastAPI answers undecodable JSON with a 422 json_invalid error; do the same
        # (quoting only the start of the body).
        raise InvalidInput(ValidationError.from_exception_data(
            "body", [{"type": "json_invalid", "loc": (0,),
                      "input": raw[:INPUT_ECHO_LENGTH].decode(errors="replace"),
                      "ctx": {"error": "JSON decode error"}}]), "body") from None
    _bounded(data, "body", max_length)
    if data is None and optional and not raw.strip():
        return None
    if data is None:
        # FastAPI reports an empty (or null) body for a required body model as missing.
        raise InvalidInput(ValidationError.from_exception_data(
            "body", [{"type": "missing", "loc": (), "input": None}]), "body")
    return _validate(model, data, "body", max_length)


async def _canonical_body(request: Request) -> bytes:
    """The request body as a key's request is compared: JSON re-encoded with sorted keys
    (spacing and key order do not make another request), a multipart body without its
    random boundary, anything else as sent."""
    raw = await request.body()
    media_type = request.headers.get("content-type", "")
    if "json" in media_type:
        try:
            return orjson.dumps(orjson.loads(raw), option=orjson.OPT_SORT_KEYS)
        except orjson.JSONDecodeError:
            return raw
    boundary = media_type.partition("boundary=")[2].split(";")[0].strip().strip('"')
    return raw.replace(boundary.encode(), b"") if boundary else raw


async def multipart_form(request: Request, **limits: int) -> FormData | None:
    """The parts of a multipart body (within Starlette's ``form`` ``limits``), or None
    when the body cannot be read as one (no boundary, a broken part, a limit passed):
    the face refuses it in its own shape. Starlette raises a parse failure as its own
    400 ``HTTPException`` inside an app, and as ``MultiPartException`` outside one."""
    try:
        return await request.form(**limits)
    except (MultiPartException, HTTPException):
        return None


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
                "input": echo(error.get("input"))}
        if error.get("ctx"):
            item["ctx"] = {k: str(v) for k, v in error["ctx"].items()}
        detail.append(item)
    return detail


INPUT_ECHO_LENGTH = 100
INPUT_ECHO_ITEMS = 20


def echo(value: Any, depth: int = 0) -> Any:
    """``value`` as a validation error may quote it: strings cut to a prefix, lists and
    objects to their first items, a few levels deep."""
    if isinstance(value, str):
        return value if len(value) <= INPUT_ECHO_LENGTH else value[:INPUT_ECHO_LENGTH] + "…"
    if depth >= 4 and isinstance(value, dict | list | tuple):
        return "…"
    if isinstance(value, dict):
        return {str(echo(k, depth + 1)): echo(v, depth + 1)
                for k, v in list(value.items())[:INPUT_ECHO_ITEMS]}
    if isinstance(value, list | tuple):
        return [echo(v, depth + 1) for v in value[:INPUT_ECHO_ITEMS]]
    if isinstance(value, int) and not MIN_INT64 <= value <= MAX_INT64:
        return str(value)  # as it was sent; JSON encoders stop at 64 bits
    return value
