"""The live room: ``WS /api/ws/:id`` and the kept chat, ``GET /codelabs/:id/chat``.

The WebSocket is for the codelab's facilitators and its own attendees, signed
in by the ``oc_session`` cookie (or a Bearer token); anyone else is refused at
the handshake with the face's HTTP error (401 ``Login required``, 403, or 404
for a codelab they cannot see), as is a cookie-signed handshake from a page of
another origin (403). Each text frame is one JSON object:

- ``{"type": "chat", "message": "..."}`` (1 to 2,000 characters) says it to the
  room and keeps it in the chat history;
- ``{"type": "dm", "target_id": "attendee_…", "message": "..."}``: a
  facilitator writes to one attendee of the codelab; an attendee writes only to
  the facilitators (``"target_id": "facilitator"``, or no target);
- ``{"type": "step_progress", "step_number": n}`` (attendees, 1 to 10,000)
  moves the attendee's current step.

The server sends the documented messages (``chat``, ``dm`` to its recipients
only, ``step_progress``, ``help_request``, ``inline_comment_changed``) from
every server instance; ``chat`` and ``dm`` also carry their ``id`` and
``created_at``. A frame it cannot take (not JSON, not an object, over 16 KiB,
an unknown type, bad input, more than 20 frames a second) is answered with
``{"type": "error", "error": "..."}`` and the socket stays open. A session that
ends while the socket is open ends it with close code 4401 at its next frame.

``GET /codelabs/:id/chat`` answers the kept messages the caller may see, oldest
first (facilitators see every direct message, an attendee only their own): the
latest ``limit`` (1 to 1,000, default 200), ``offset`` counting back from the
newest.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid

import orjson
from pydantic import BaseModel, Field
from starlette.responses import Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from core.auth.viewer import authenticate, credentials_from_headers
from core.context import Context
from core.errors import DomainError, NotFound, Unauthenticated
from core.fanout import Outlet
from core.input_bounds import OutOfBounds, check_value
from resolvers import codelab_room
from resolvers.catalog import PageArgs
from resolvers.codelab_room import Member
from rest_compat.base import FaceRequest, FaceSocket, JSONResponse, Route, Socket
from rest_compat.codelabs import live_shapes, room_fanout, shapes

log = logging.getLogger(__name__)

FRAME_MAX = 16 * 1024
# Frames a connection may send: a burst of this many, refilled at this rate per second.
BURST, RATE = 20, 20.0


class ChatQuery(BaseModel):
    limit: int = Field(default=codelab_room.HISTORY_DEFAULT, ge=1, le=codelab_room.HISTORY_MAX)
    offset: int = Field(default=0, ge=0, le=1_000_000)


async def chat_history(req: FaceRequest) -> Response:
    params: ChatQuery = req.params
    page = await codelab_room.get_history(req.ctx, codelab_id=shapes.codelab_id(req.path["id"]),
                                          page=PageArgs.offset(params.offset, params.limit))
    return JSONResponse([live_shapes.chat_message(m) for m in page.items])


def _target(value: object) -> uuid.UUID | None:
    if value is None or value == live_shapes.FACILITATOR_TARGET:
        return None
    if not isinstance(value, str):
        raise NotFound("Attendee not found")
    return shapes.attendee_id(value)


async def _handle(ctx: Context, member: Member, frame: dict) -> None:
    kind = frame.get("type")
    if kind == "chat":
        await codelab_room.say(ctx, member=member, message=frame.get("message"))
    elif kind == "dm":
        await codelab_room.send_direct(ctx, member=member, target_user_id=_target(
            frame.get("target_id")), message=frame.get("message"))
    elif kind == "step_progress":
        await codelab_room.report_step(ctx, member=member, step_number=frame.get("step_number"))
    else:
        raise DomainError("Unknown message type")


class _Bucket:
    def __init__(self) -> None:
        self.tokens, self.at = float(BURST), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(BURST, self.tokens + (now - self.at) * RATE)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


async def _send(websocket: WebSocket, message: dict) -> None:
    await websocket.send_text(orjson.dumps(message).decode())


async def _still_signed_in(sock: FaceSocket) -> bool:
    """Whether the handshake's credential still stands (the session may have ended)."""
    services = sock.ctx.services
    credentials = credentials_from_headers(sock.websocket.headers, sock.websocket.cookies,
                                           prefer_cookie="oc_session")
    try:
        await authenticate(services.settings, services.db, credentials)
    except Unauthenticated:
        return False
    return True


async def _read(sock: FaceSocket, member: Member) -> None:
    websocket, bucket = sock.websocket, _Bucket()
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text is None:
            await _send(websocket, {"type": "error", "error": "Frames must be JSON text"})
            continue
        if not bucket.take():
            await _send(websocket, {"type": "error", "error": "Too many messages"})
            continue
        error = await _frame(sock, member, text)
        if error == "signed out":
            await websocket.close(code=4401, reason="Session has ended")
            return
        if error:
            await _send(websocket, {"type": "error", "error": error})


async def _frame(sock: FaceSocket, member: Member, text: str) -> str | None:
    """Act on one frame; the error to answer, if any."""
    if len(text) > FRAME_MAX:
        return "Message too large"
    try:
        frame = orjson.loads(text)
        check_value(frame, max_length=sock.ctx.settings.max_string_length)
    except (orjson.JSONDecodeError, OutOfBounds):
        return "Messages must be JSON objects within the input bounds"
    if not isinstance(frame, dict):
        return "Messages must be JSON objects within the input bounds"
    if not await _still_signed_in(sock):
        return "signed out"
    # A fresh context per frame: loaders cache per request, and a room lasts hours.
    ctx = Context(services=sock.ctx.services, viewer=sock.ctx.viewer,
                  request_id=sock.ctx.request_id, client_ip=sock.ctx.client_ip,
                  user_agent=sock.ctx.user_agent)
    try:
        await _handle(ctx, member, frame)
    except DomainError as exc:
        return exc.message
    return None


async def live_room(sock: FaceSocket) -> None:
    member = await codelab_room.get_member(sock.ctx,
                                           codelab_id=shapes.codelab_id(sock.path["id"]))
    websocket = sock.websocket
    outlet, rooms = Outlet(websocket), room_fanout.rooms(sock.ctx)
    rooms.join(sock.ctx, member, outlet)  # in the room before accepting: nothing is missed
    try:
        await websocket.accept()
        outlet.open()
        await _read(sock, member)
    except (WebSocketDisconnect, RuntimeError):
        pass  # the client left
    except Exception:
        log.exception("live room %s ended by an error", member.codelab_id)
    finally:
        rooms.leave(member, outlet)
        outlet.close()
    with contextlib.suppress(Exception):
        await websocket.close()


ROUTES = [
    Route("GET", "/codelabs/{id}/chat", chat_history, auth=True, query=ChatQuery, tag="live",
          summary="The kept chat of the live room",
          responses={200: "chat message[]", 403: "not a member"}),
]
SOCKETS = [Socket("/ws/{id}", live_room, auth=True,
                  summary="The live room (chat, direct messages, progress, help, comments)")]
