"""The application factory.

The main app serves /graphql, GraphiQL, the REST faces whose paths do not
collide, every face under /compat/<face>/, and the OpenAPI document with its
docs page. ``create_face_app`` builds the app for one face on its own port.
"""

from __future__ import annotations

import contextlib
import logging

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.types import Receive, Scope, Send

from core import health
from core.config import ConfigError, Settings, load_settings
from core.cors import CORSMiddleware
from core.errors import DomainError, NotFound
from core.fanout import ServerSendMiddleware
from core.front_door import FrontDoor
from core.graphql_app import GraphQLView
from core.metrics import metrics_route
from core.observe import ObserveMiddleware
from core.planning import Planner
from core.request_context import RequestContextMiddleware
from core.routing import IndexedRouter
from core.services import Services
from core.tracing import TracingMiddleware
from rest_compat import FACES, openapi
from rest_compat.base import Face
from schema import build_schema
from schema.limits import cost_variables, operation_cost

log = logging.getLogger(__name__)

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
    graphql_route = Route("/graphql", gql)  # the view answers other methods with a 405
    routes: list[BaseRoute] = [
        Mount("/graphql/static", app=static_app("graphiql")),
        graphql_route,
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
        middleware=[*_front_door(settings, gql, graphql_route),
                    Middleware(ServerSendMiddleware), *_tracing(settings),
                    Middleware(ObserveMiddleware),
                    Middleware(CORSMiddleware, allowed_origins=settings.allowed_origins),
                    Middleware(RequestContextMiddleware, faces=faces)],
        lifespan=_lifespan(services, settings, database_url)))


def _front_door(settings: Settings, view: GraphQLView, route: Route) -> list[Middleware]:
    """The planned reads' front door (core.front_door), when reads are planned and no
    traces are sent (each request's span is the tracing layer's, which it would pass)."""
    if view.planner is None or settings.otel_endpoint:
        return []
    return [Middleware(FrontDoor, view=view, route=route,
                       allowed_origins=settings.allowed_origins)]


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
