"""The application factory.

The main app serves /graphql, GraphiQL, the REST faces whose paths do not
collide, every face under /compat/<face>/, and the OpenAPI document with its
docs page. ``create_face_app`` builds the app for one face on its own port.
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from core import health
from core.config import ConfigError, Settings, load_settings
from core.cors import CORSMiddleware
from core.db import as_domain_error
from core.errors import DomainError, NotFound, Unavailable
from core.fanout import ServerSendMiddleware
from core.graphql_app import GraphQLView
from core.logs import REQUEST_ID
from core.metrics import metrics_route
from core.observe import ObserveMiddleware
from core.planning import Planner
from core.routing import IndexedRouter
from core.services import Services
from core.tracing import TracingMiddleware
from rest_compat import FACES, openapi
from rest_compat.base import Face
from schema import build_schema
from schema.limits import cost_variables, operation_cost

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 10 * 1024 * 1024
# Request ids only tell requests apart (they guard nothing): 128 random bits from a
# generator seeded once per process, without a system call per request as uuid4 makes.
_ids = random.Random()


TOO_LARGE = "Request body too large"


class RequestContextMiddleware:
    """Request id on every request and response (one ``x-request-id``: an id the app set
    itself is replaced); bodies over the limit refused; failures that escape the app
    answered without alarm.

    A declared ``Content-Length`` over the limit is refused before the body is read; a
    body without one (chunked) is counted as it arrives, and refused with 413 as soon
    as it passes the limit: the app then sees the client disconnect, and whatever it
    sends after is dropped. A face's paths get the 413 in that face's error shape
    (``{"detail": ...}``); other paths (GraphQL) get ``{"error": ...}``.

    A database that cannot be reached before the app answered (e.g. while the viewer
    is authenticated) is a 503 with ``Retry-After``, in the face's shape or GraphQL's.
    A client that disconnects before its body arrived gets nothing and is no error.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int = MAX_BODY_BYTES,
                 faces: Sequence[tuple[str, Face]] = ()) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        # Longest path prefix first, so /api/v1 wins over /api; the first face listed
        # keeps a prefix two faces share.
        self.prefixes: dict[str, Face] = {}
        for prefix, face in faces:
            self.prefixes.setdefault(prefix, face)

    def _face(self, path: str) -> Face | None:
        # The path itself, then each of its parents up to the root: a dict look-up per
        # segment rather than a comparison per face prefix.
        prefixes = self.prefixes
        while True:
            face = prefixes.get(path)
            if face is not None:
                return face
            cut = path.rfind("/")
            if cut < 0:
                return None
            path = path[:cut]

    def _limit(self, path: str) -> int:
        face = self._face(path)
        return (face.max_body_bytes if face and face.max_body_bytes
                else self.max_body_bytes)

    def _too_large(self, path: str) -> Response:
        face = self._face(path)
        if face is not None:
            return face.render_error(DomainError(TOO_LARGE, status=413))
        return JSONResponse({"error": TOO_LARGE}, status_code=413)

    def _unavailable(self, path: str, exc: Unavailable) -> Response:
        face = self._face(path)
        if face is not None:
            return face.render_domain_error(exc)
        return JSONResponse({"errors": [{"message": exc.message, "extensions": {
            "code": exc.code, "retryAfter": exc.retry_after}}]}, status_code=exc.status,
            headers={"Retry-After": str(exc.retry_after)})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = (given if 0 < len(given) <= 100 and given.isprintable()
                      else f"{_ids.getrandbits(128):032x}")
        scope.setdefault("state", {})["request_id"] = request_id
        token = REQUEST_ID.set(request_id)
        try:
            await self._serve(scope, receive, send, headers, request_id)
        finally:
            REQUEST_ID.reset(token)

    async def _serve(self, scope: Scope, receive: Receive, send: Send, headers: dict,
                     request_id: str) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = refused = False
        received = 0

        async def send_with_id(message) -> None:
            nonlocal started
            if refused:
                return  # the 413 went out instead
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*(h for h in message.get("headers") or ()
                                        if h[0].lower() != b"x-request-id"),
                                      (b"x-request-id", request_id.encode())]
            await send(message)

        limit = self._limit(scope["path"])
        length = headers.get(b"content-length")
        if length and length.isdigit() and int(length) > limit:
            await self._too_large(scope["path"])(scope, receive, send_with_id)
            return

        async def limited_receive():
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    if not started:
                        await self._too_large(scope["path"])(scope, receive, send_with_id)
                    refused = True
                    return {"type": "http.disconnect"}
            return message

        try:
            await self.app(scope, limited_receive, send_with_id)
        except ClientDisconnect:
            # The client left (or passed the body limit and has its 413): nobody listens.
            log.debug("request %s: the client disconnected", request_id)
        except Exception as exc:
            if refused:
                # The app failed on the disconnect it was shown; the client has its 413.
                log.debug("request %s stopped after its body passed the limit", request_id)
                return
            unavailable = as_domain_error(exc)
            if unavailable is None or started:
                raise
            log.warning("request %s: %s (%s)", request_id, unavailable.message,
                        type(exc).__name__)
            await self._unavailable(scope["path"], unavailable)(scope, receive, send_with_id)


def main_port_faces(faces: list[Face], own_port: set[str]) -> list[Face]:
    """Faces served at their documented base on the main port: the first face to claim
    a method and path keeps it; a face that collides is served only on its own port.
    Two services of one platform that document the same operation share one route
    object (one handler), which is no collision."""
    taken: dict[tuple[str, str], object] = {}
    chosen = []
    for face in faces:
        routes = {(r.method, face.base + r.path): r.handler for r in face.routes}
        if face.name in own_port or any(
                key in taken and taken[key] is not handler for key, handler in routes.items()):
            continue
        taken.update(routes)
        chosen.append(face)
    return chosen


def face_prefixes(faces: list[Face], *, compat: bool = False) -> list[tuple[str, Face]]:
    """The path prefixes that pick a face before routing (its error shape, body limit)."""
    return [((f"/compat/{face.name}" if compat else "") + face.base + sub, face)
            for face in faces for sub in face.prefixes]


def _lifespan(services: Services | None, settings: Settings, database_url: str | None):
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        if services is not None:
            app.state.services = services
            yield
            return
        url = database_url or settings.database_url
        if not url:
            raise RuntimeError("DATABASE_URL is not set (learngraph serve starts a database)")
        owned = Services.build(settings, database_url=url)
        await owned.start()
        app.state.services = owned
        try:
            yield
        finally:
            await owned.stop()

    return lifespan


async def _files_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Uploaded files, served from the storage of the running services."""
    await scope["app"].state.services.storage.static_app()(scope, receive, send)


def create_app(settings: Settings | None = None, *, database_url: str | None = None,
               services: Services | None = None) -> Starlette:
    """The main application. Pass ``services`` to share them with other apps in-process."""
    settings = services.settings if services else (settings or load_settings())
    from core.docs_pages import static_app

    schema = build_schema(settings)
    planner = (Planner(schema._schema, cost=operation_cost, max_cost=settings.graphql_max_cost,
                       cost_variables=cost_variables)
               if settings.graphql_planned_reads else None)
    gql = GraphQLView(schema, settings, planner=planner)
    main_faces = main_port_faces(FACES, set(settings.face_ports))
    routes: list[BaseRoute] = [
        Mount("/graphql/static", app=static_app("graphiql")),
        Route("/graphql", gql),  # the view answers other methods with a GraphQL 405
        WebSocketRoute("/graphql", gql),
        *health.routes(),
        metrics_route(),
        *openapi.routes(FACES, main_faces),
    ]
    for face in main_faces:
        routes += face.starlette_routes()
    routes.append(Mount("/files", app=_files_app))
    for face in FACES:
        routes += face.starlette_routes(prefix=f"/compat/{face.name}")
    faces = [*face_prefixes(main_faces), *face_prefixes(FACES, compat=True)]
    return _indexed(Starlette(
        routes=routes,
        middleware=[Middleware(ServerSendMiddleware), *_tracing(settings),
                    Middleware(ObserveMiddleware),
                    Middleware(CORSMiddleware, allowed_origins=settings.allowed_origins),
                    Middleware(RequestContextMiddleware, faces=faces)],
        lifespan=_lifespan(services, settings, database_url)))


def _tracing(settings: Settings) -> list[Middleware]:
    """The tracing layer, when traces are sent (else every request would pass through it
    to find that there is nothing to trace)."""
    return [Middleware(TracingMiddleware)] if settings.otel_endpoint else []


def _indexed(app: Starlette) -> Starlette:
    """``app`` routing fixed paths without trying every route (see core.routing)."""
    app.router = IndexedRouter(app.router.routes, lifespan=app.router.lifespan_context)
    return app


def _face(name: str) -> Face:
    for face in FACES:
        if face.name == name:
            return face
    raise ConfigError(f"unknown face {name[:40]!r} in LEARNGRAPH_FACE_PORTS "
                      f"(known: {', '.join(face.name for face in FACES)})")


def check_face_ports(settings: Settings, *, main_port: int | None = None) -> None:
    """Refuse (ConfigError) a ``LEARNGRAPH_FACE_PORTS`` that names a face we do not have,
    or gives two faces (or a face and the main port) one port."""
    for name in settings.face_ports:
        _face(name)
    ports = [*settings.face_ports.values(), *([main_port] if main_port else [])]
    if len(set(ports)) != len(ports):
        raise ConfigError("LEARNGRAPH_FACE_PORTS gives one port to two servers "
                          f"({', '.join(f'{k}={v}' for k, v in settings.face_ports.items())}"
                          + (f", main port {main_port})" if main_port else ")"))


def create_face_app(face_name: str, *, services: Services) -> Starlette:
    """One face alone at its documented base, for its own port."""
    face = _face(face_name)

    async def not_routed(request, exc) -> Response:
        # Its own port is the face's alone: unknown paths answer in its error shape too.
        if exc.status_code == 405:
            return face.render_error(DomainError("Method not allowed", status=405,
                                                 code="METHOD_NOT_ALLOWED"))
        return face.render_error(NotFound("Not found"))

    return _indexed(Starlette(
        routes=[*health.routes(), *face.starlette_routes()],
        exception_handlers={404: not_routed, 405: not_routed},
        middleware=[Middleware(ServerSendMiddleware), *_tracing(services.settings),
                    Middleware(ObserveMiddleware),
                    Middleware(CORSMiddleware,
                               allowed_origins=services.settings.allowed_origins),
                    Middleware(RequestContextMiddleware, faces=face_prefixes([face]))],
        lifespan=_lifespan(services, services.settings, None)))
