"""What every HTTP request and WebSocket gets before the app sees it: a request id, a
body limit, and a 503 when the database cannot be reached before the app answered.

The rules are functions (``request_id_for``, ``with_request_id``, ``unavailable``) that
``RequestContextMiddleware`` applies to every request and the GraphQL front door
(``core.front_door``) to the planned reads it answers itself.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from core.db import as_domain_error
from core.errors import DomainError, Unavailable
from core.logs import REQUEST_ID

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 10 * 1024 * 1024
# Request ids only tell requests apart (they guard nothing): 128 random bits from a
# generator seeded once per process, without a system call per request as uuid4 makes.
_ids = random.Random()
MAX_GIVEN_ID = 100

TOO_LARGE = "Request body too large"


def request_id_for(given: bytes | None) -> str:
    """The request's id: the client's ``X-Request-Id`` when it is a short printable
    string, else a new one."""
    if given:
        text = given.decode("latin-1")
        if len(text) <= MAX_GIVEN_ID and text.isprintable():
            return text
    return f"{_ids.getrandbits(128):032x}"


def with_request_id(headers, request_id: str) -> list[tuple[bytes, bytes]]:
    """A response's raw headers with one ``x-request-id``, the request's (last): an id
    the app set itself is replaced."""
    return [*(h for h in headers or () if h[0].lower() != b"x-request-id"),
            (b"x-request-id", request_id.encode())]


def unavailable(exc: Unavailable) -> Response:
    """GraphQL's answer to a request the database could not serve before it answered."""
    return JSONResponse({"errors": [{"message": exc.message, "extensions": {
        "code": exc.code, "retryAfter": exc.retry_after}}]}, status_code=exc.status,
        headers={"Retry-After": str(exc.retry_after)})


def log_unavailable(request_id: str, error: Unavailable, exc: Exception) -> None:
    log.warning("request %s: %s (%s)", request_id, error.message, type(exc).__name__)


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
                 faces: Sequence[tuple[str, Any]] = ()) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        # Longest path prefix first, so /api/v1 wins over /api; the first face listed
        # keeps a prefix two faces share.
        # (A face is rest_compat.base.Face, which core does not import.)
        self.prefixes: dict[str, Any] = {}
        for prefix, face in faces:
            self.prefixes.setdefault(prefix, face)

    def _face(self, path: str) -> Any:
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

    def limit(self, path: str) -> int:
        """The most body bytes a request for ``path`` may send."""
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
        return unavailable(exc)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = request_id_for(headers.get(b"x-request-id"))
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
                message["headers"] = with_request_id(message.get("headers"), request_id)
            await send(message)

        limit = self.limit(scope["path"])
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
            down = as_domain_error(exc)
            if down is None or started:
                raise
            log_unavailable(request_id, down, exc)
            await self._unavailable(scope["path"], down)(scope, receive, send_with_id)
