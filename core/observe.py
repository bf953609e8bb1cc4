"""What each request did: one access line per request (and per WebSocket connection).

The line carries the request id, method, path (never the query string, which may hold
credentials), status, duration, the viewer's id (never a credential) and, for a
GraphQL request, the operation's name, type and cost. The parts only the inner layers
know are left on the ASGI scope's ``state`` while the request runs: the viewer by
``core.http.build_context``, the operation by the GraphQL cost extension through
``note_operation``.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.logs import line_handler
from core.metrics import route_label

access_log = logging.getLogger("learngraph.access")

MAX_LOGGED_PATH = 200
# An API key inside a path (the MCP endpoint takes one): only its prefix is logged.
_KEY_IN_PATH = re.compile(r"(?<![A-Za-z0-9])(g?sk)(_|%5[Ff])[A-Za-z0-9_%-]+")
MAX_OPERATION_NAME = 100
ACCESS_MESSAGE = "%s %s %s %.1fms"  # method, path, status, milliseconds


def note_viewer(scope: Scope, viewer: Any) -> None:
    """Remember who sent this request, for its access line."""
    ident = viewer.user_id or viewer.api_key_id
    if ident is not None:
        scope.setdefault("state", {})["viewer_id"] = str(ident)


def note_errors_counted(request: Any) -> None:
    """The GraphQL layer counted this request's errors by their codes already."""
    scope = getattr(request, "scope", None)
    if scope is not None:
        scope.setdefault("state", {})["errors_counted"] = True


def count_operation(context: Any, *, name: str | None, kind: str, seconds: float,
                    error_codes: list[str]) -> None:
    """One GraphQL operation in the metrics: by name and type, its errors by code. A
    schema executed outside a request (no services in its context) is not counted."""
    metrics = getattr(getattr(context, "services", None), "metrics", None)
    if metrics is None:
        return
    operations, durations = metrics.operation_series(metrics.operation_label(name), kind)
    operations.inc()
    durations.observe(seconds)
    for code in error_codes:
        metrics.errors.labels(code).inc()
    note_errors_counted(getattr(context, "request", None))


def metrics_of(scope: Scope) -> Any:
    """The metrics of the app serving ``scope`` (None before its services start)."""
    app = scope.get("app")
    services = getattr(getattr(app, "state", None), "services", None)
    return getattr(services, "metrics", None)


def _count(metrics: Any, scope: Scope, state: dict, status: int, seconds: float) -> None:
    route = route_label(scope)
    method = scope.get("method", "WS") if scope["type"] == "http" else "WS"
    requests, durations = metrics.request_series(route, method, status)
    requests.inc()
    durations.observe(seconds)
    if status >= 400 and not state.get("errors_counted"):
        metrics.errors.labels(f"HTTP_{status}").inc()


def note_operation(request: Any, *, name: str | None, kind: str | None, cost: int | None) -> None:
    """Remember the GraphQL operation an HTTP request ran, for its access line."""
    scope = getattr(request, "scope", None)
    if scope is None or scope.get("type") != "http":
        return  # operations over a WebSocket are many per connection
    scope.setdefault("state", {})["graphql"] = {
        "operation_name": name[:MAX_OPERATION_NAME] if name else None,
        "operation_type": kind, "cost": cost}


class ObserveMiddleware:
    """Outermost layer: times the request and writes its access line when it ends."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def observed_send(message: Message) -> None:
            nonlocal status
            kind = message["type"]
            if kind == "http.response.start":
                status = message["status"]
            elif kind == "websocket.accept":
                status = 101
            elif kind == "websocket.close" and not status:
                status = 403  # refused before the handshake completed
            await send(message)

        # The request id is chosen inside this layer (RequestContextMiddleware) and left
        # on the scope's state, which is this dict.
        state = scope.setdefault("state", {})
        metrics = metrics_of(scope)
        websocket = scope["type"] == "websocket" and metrics is not None
        if websocket:
            metrics.websockets.inc()
        try:
            await self.app(scope, receive, observed_send)
        except BaseException:
            status = status or 500
            raise
        finally:
            seconds = time.perf_counter() - started
            if websocket:
                metrics.websockets.dec()
            observed(scope, state, status, seconds, metrics)


def observed(scope: Scope, state: dict, status: int, seconds: float, metrics: Any) -> None:
    """A request has ended: its access line, and its count in ``metrics`` (if any)."""
    access_line(scope, state, status, seconds)
    if metrics is not None:
        _count(metrics, scope, state, status, seconds)


def access_line(scope: Scope, state: dict, status: int, seconds: float) -> None:
    """Write a request's access line."""
    method = scope.get("method", "WS") if scope["type"] == "http" else "WS"
    path = scope.get("path", "")
    if "sk" in path:  # the only paths the pattern can change
        path = _KEY_IN_PATH.sub(r"\1_[redacted]", path)
    path = path[:MAX_LOGGED_PATH]
    fields: dict[str, Any] = {
        "request_id": state.get("request_id"), "method": method, "path": path,
        "status": status, "duration_ms": round(seconds * 1000, 2),
        "viewer_id": state.get("viewer_id")}
    fields.update(state.get("graphql") or {})
    request_id = state.get("request_id")
    handler = line_handler(access_log, logging.INFO) if request_id else None
    if handler is not None:
        # The line the record would make, made without the record (see line_handler).
        line = handler.formatter.line(
            time.time(), "info", access_log.name,
            ACCESS_MESSAGE % (method, path, status, seconds * 1000), request_id, fields)
        try:
            handler.write(line)
            return
        except Exception:
            pass  # a stream that fails: the record's way reports it (handleError)
    access_log.info(ACCESS_MESSAGE, method, path, status, seconds * 1000,
                    extra={"access": fields, "request_id": request_id})
