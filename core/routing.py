"""Starlette's router with the answer for every fixed path worked out in advance.

Starlette tries the routes in order until one matches, which costs a regular
expression per route: a request for a path near the end of a table of several
hundred routes (the faces and their ``/compat`` copies) spent a third of its
Python time there. For a path with no parameters in it, which route answers depends
only on the request's type, method and path, so the first route matching each such
(type, method, path) is found once, at start-up, by the same matching Starlette
does; a request for one of those goes straight to it. Every other request (a path
with an id in it, an unknown path) is routed by Starlette as before.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Match, Route, Router, WebSocketRoute
from starlette.types import Receive, Scope, Send

# The methods indexed for a route that answers any method (one whose endpoint is an ASGI
# app, such as the GraphQL view): others are routed by Starlette.
ANY_METHOD = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _fixed_keys(route: BaseRoute) -> list[tuple[str, str | None, str]]:
    """The (type, method, path) requests that ``route``'s own path answers, when that
    path has no parameters."""
    if isinstance(route, Route) and not route.param_convertors:
        methods = ANY_METHOD if route.methods is None else route.methods
        return [("http", method, route.path) for method in methods]
    if isinstance(route, WebSocketRoute) and not route.param_convertors:
        return [("websocket", None, route.path)]
    return []


def first_matches(routes: list[BaseRoute]) -> dict[tuple[str, str | None, str], BaseRoute]:
    """For each fixed path of ``routes``, the route Starlette's in-order matching picks."""
    found: dict[tuple[str, str | None, str], BaseRoute] = {}
    for key in (key for route in routes for key in _fixed_keys(route)):
        if key in found:
            continue
        kind, method, path = key
        scope: dict[str, Any] = {"type": kind, "path": path, "root_path": ""}
        if method is not None:
            scope["method"] = method
        for route in routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:  # as in Starlette, the first full match wins
                found[key] = route
                break
    return found


class IndexedRouter(Router):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fixed = first_matches(self.routes)
        # Routes found there whose match is Starlette's own and has no parameters (by
        # identity: Starlette's routes compare equal by their fields, and hash none).
        self.plain = {id(route) for route in self.fixed.values()
                      if type(route).matches in (Route.matches, WebSocketRoute.matches)
                      and not route.param_convertors}

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan" and not scope.get("root_path"):
            route = self.fixed.get((scope["type"], scope.get("method"), scope["path"]))
            if route is not None:
                if id(route) in self.plain:
                    # A pattern without parameters that matched exactly this path and
                    # method at start-up: the child scope Starlette's full match builds,
                    # without running the regular expression again.
                    child_scope = {"endpoint": route.endpoint,
                                   "path_params": dict(scope.get("path_params", {}))}
                else:
                    match, child_scope = route.matches(scope)
                    if match is not Match.FULL:
                        await super().app(scope, receive, send)
                        return
                scope.setdefault("router", self)
                scope["route"] = route
                scope.update(child_scope)
                await route.handle(scope, receive, send)
                return
        await super().app(scope, receive, send)
