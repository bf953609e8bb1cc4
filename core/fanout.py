"""One WebSocket frame to many local sockets at once.

A live room tells each event to every socket of its members on this process. Doing
that through each socket's ASGI ``send`` costs, per socket and per event, the JSON
encoding, a pass through every middleware's send wrapper, the WebSocket framing (and
compression) and a task waking up to do it. ``Frame`` encodes a text message once,
as the complete wire frame, and ``Outlet.write`` puts those bytes on the socket's
transport synchronously, so a fan-out is a loop of ``transport.write`` calls.

That needs the server's own connection object, which ASGI does not give an app:
``ServerSendMiddleware`` (outermost) keeps the server's ``send`` on the scope's
state, and an outlet uses it when the server is uvicorn's ``websockets-sansio``
protocol (its default) and the connection negotiated no extension (the server is
configured without per-message compression, see ``core.cli.server_config``). With
any other server, or an extension, the outlet sends through the socket's ASGI
``send`` instead, in order, from a task of its own while it has frames waiting.

A socket whose peer does not read keeps its frames in the transport's buffer up to
``MAX_BUFFERED_BYTES``; past that it misses frames (counted and logged), as a slow
subscriber of the broker does, rather than holding memory or the room.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from websockets.frames import Frame as WireFrame
from websockets.frames import Opcode
from websockets.protocol import State

try:
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
except ImportError:  # pragma: no cover - uvicorn[standard] is a dependency
    WebSocketsSansIOProtocol = None  # type: ignore[assignment,misc]

log = logging.getLogger(__name__)

SERVER_SEND = "server_send"  # the scope state's key for the server's own send
MAX_BUFFERED_BYTES = 1024 * 1024
MAX_PENDING_FRAMES = 1000  # frames an outlet keeps before it opens, or on the ASGI path


class ServerSendMiddleware:
    """Keeps the server's own ``send`` of each WebSocket on its scope's state (the
    outermost layer, so no middleware's wrapper stands in between)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope.setdefault("state", {})[SERVER_SEND] = send
        await self.app(scope, receive, send)


class Frame:
    """A text message encoded once: its UTF-8 bytes and its whole unmasked, uncompressed
    WebSocket frame."""

    __slots__ = ("data", "wire")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.wire = WireFrame(Opcode.TEXT, data).serialize(mask=False)


def _direct_connection(websocket: WebSocket) -> Any:
    """uvicorn's connection behind ``websocket`` when frames can go straight to it."""
    if WebSocketsSansIOProtocol is None:
        return None
    send = websocket.scope.get("state", {}).get(SERVER_SEND)
    protocol = getattr(send, "__self__", None)
    return protocol if isinstance(protocol, WebSocketsSansIOProtocol) else None


class Outlet:
    """One WebSocket a fan-out writes to. Frames written before ``open`` (the socket is
    accepted) wait and go out, in order, when it opens; ``close`` drops what waits."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self.dropped = 0
        self._connection: Any = None
        self._pending: collections.deque[Frame] = collections.deque()
        self._open = False
        self._closed = False
        self._sender: asyncio.Task | None = None
        self._warned_at = 0.0

    @property
    def direct(self) -> bool:
        """Whether frames go straight to the transport (else through ASGI ``send``)."""
        return self._connection is not None

    def open(self) -> None:
        """The socket is accepted: send what waited, and from now on as written."""
        connection = _direct_connection(self.websocket)
        # Known once the handshake is done: an extension (compression) changes each
        # connection's frames, so those go through the connection's own send.
        if connection is not None and not connection.conn.extensions:
            self._connection = connection
        self._open = True
        pending, self._pending = self._pending, collections.deque()
        for frame in pending:
            self.write(frame)

    def close(self) -> None:
        self._closed = True
        self._pending.clear()
        if self._sender is not None:
            self._sender.cancel()

    def write(self, frame: Frame) -> None:
        """Send ``frame`` to the socket now (or queue it, see the class); never blocks."""
        if self._closed:
            return
        if not self._open:
            self._queue(frame)
            return
        connection = self._connection
        if connection is None:
            self._queue(frame)
            if self._sender is None or self._sender.done():
                self._sender = asyncio.create_task(self._send_pending(),
                                                   name="fanout-outlet")
            return
        transport = connection.transport
        if connection.close_sent or connection.disconnected or transport.is_closing() \
                or connection.conn.state is not State.OPEN:
            return
        if transport.get_write_buffer_size() > MAX_BUFFERED_BYTES:
            self._drop()
            return
        transport.write(frame.wire)

    def _queue(self, frame: Frame) -> None:
        if len(self._pending) >= MAX_PENDING_FRAMES:
            self._pending.popleft()
            self._drop()
        self._pending.append(frame)

    def _drop(self) -> None:
        self.dropped += 1
        now = time.monotonic()
        if self.dropped == 1 or now - self._warned_at >= 10:
            self._warned_at = now
            log.warning("fanout: a WebSocket does not keep up, dropped %d frame(s) so far",
                        self.dropped)

    async def _send_pending(self) -> None:
        while self._pending and not self._closed:
            frame = self._pending.popleft()
            try:
                await self.websocket.send_text(frame.data.decode())
            except Exception:  # the socket is gone; its own handler ends it
                self._closed = True
                self._pending.clear()
