"""The course platform's /api/v1 tutor chat: sessions, streamed turns, sharing, and the
cache analytics.

Choices where the reference is silent (what its FastAPI backend does):
- ``GET /chat/sessions`` lists the caller's sessions newest first with
  ``skip`` (>= 0) / ``limit`` (1..100, default 100); out-of-range values are
  FastAPI's 422.
- ``POST /chat/sessions`` answers 201; a content item that does not exist or
  sits in an unpublished course the caller cannot author is 404 ``{"detail":
  "Content item not found"}``. ``content_context`` is a snapshot of the item:
  ``{"title", "description", "content_type", "data_json"}``.
- ``GET /chat/sessions/{id}`` answers the documented session fields plus
  ``messages``: ``[{"id", "session_id", "role", "content", "meta",
  "created_at"}]`` in order. Someone else's session is 403 ``{"detail": "Not
  your chat session"}``; a missing one 404 ``{"detail": "Chat session not
  found"}``.
- ``POST .../messages`` takes ``{"content": "..."}``; ``content`` may also be
  a JSON object (an MCQ answer ``{"questionId", "answer"}`` or a follow-up
  ``{"type": "followup", ...}``), which is stored as its JSON text. An empty
  or over-long (10,000 characters) content is 422. Without an Anthropic key
  (the user's, else the deployment's) a turn that needs the model is 400
  ``{"detail": "No API key configured. ..."}`` before the stream starts; a
  cache hit needs no key.
- The stream is ``text/event-stream``: ``data: {"content": "...", "done":
  false}`` chunks, then ``data: {"content": "", "done": true, "message_id":
  N}``. A failure after the stream started ends it with ``data: {"content":
  "", "done": true, "error": {"status": 502, "detail": "..."}}`` (status as
  the model service's error maps: 401, 429, 502, 504 ...); no assistant
  message is stored then and the session stays usable.
- ``POST .../greeting`` sends ``"Start."`` as the user's message and streams
  the same way.
- ``POST .../share`` answers 200 ``{"share_token", "share_url"}`` and keeps
  the same token while shared. ``DELETE .../share`` (our extension) revokes
  it: 204, and the public view is 404 ``{"detail": "Shared session not
  found"}`` afterwards.
- ``GET /chat/share/{token}`` needs no token: ``{"id", "content_item_id",
  "content_context", "created_at", "messages": [{"role", "content",
  "created_at"}]}``.
- ``GET /admin/analytics/cache`` (platform admins; others 403 ``{"detail":
  "You do not have permission to do this"}``): ``{"cache_hits",
  "cache_misses", "hit_rate", "session_divergence_rate",
  "total_cached_nodes", "total_hits_served"}``; rates are percentages with
  two decimals. Hits are assistant messages served from the cache, misses
  cacheable turns answered by the model (diverged sessions and courses with
  the cache off count as neither).
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import asdict
from json.encoder import encode_basestring_ascii
from typing import Any

from pydantic import BaseModel, Field, field_validator
from starlette.responses import Response

from models.chat import ChatMessage, ChatSession
from resolvers import chat, chat_cache
from resolvers.chat_share import share_url
from rest_compat.base import FaceRequest, JSONResponse, Route, iso
from rest_compat.returns import (
    INTEGER,
    NO_BODY,
    STRING,
    array,
    fields_of,
    obj,
    rendered,
    sample,
)
from rest_compat.returns import Body as Stream
from rest_compat.sse import sse_body, sse_data, sse_response
from rest_compat.twosigma.shapes import Body, created, no_content

log = logging.getLogger(__name__)


class SessionPage(Body):
    skip: int = Field(0, ge=0)
    limit: int = Field(100, ge=1, le=100)


class SessionPath(BaseModel):
    session_id: int


class CreateSession(Body):
    content_item_id: int


class SendMessage(Body):
    content: str | dict[str, Any]

    @field_validator("content")
    @classmethod
    def _text(cls, value: str | dict[str, Any]) -> str:
        text = value if isinstance(value, str) else json.dumps(value)
        if not text.strip():
            raise ValueError("content must not be empty")
        if len(text) > chat.MAX_MESSAGE_CHARS:
            raise ValueError(f"content must be at most {chat.MAX_MESSAGE_CHARS} characters")
        return text


def session_json(session: ChatSession) -> dict:
    return {"id": session.id, "user_id": None, "content_item_id": session.content_item_id,
            "content_context": session.content_context, "share_enabled": session.share_enabled,
            "share_token": session.share_token, "cache_node_id": session.cache_node_id,
            "cache_state": session.cache_state, "created_at": iso(session.created_at),
            "updated_at": iso(session.updated_at)}


def message_json(message: ChatMessage) -> dict:
    return {"id": message.id, "session_id": message.session_id, "role": message.role,
            "content": message.content, "meta": message.meta,
            "created_at": iso(message.created_at)}


def _session_with_user(null: bool) -> dict:
    return {**session_json(sample(ChatSession, null=null)), "user_id": 1}


R_SESSION = rendered(lambda session: session, _session_with_user)
R_MESSAGE = rendered(message_json, ChatMessage)
R_SESSION_WITH_MESSAGES = rendered(
    lambda session, message: {**session, "messages": [message]}, _session_with_user,
    lambda null: message_json(sample(ChatMessage, null=null)))
SHARED = obj(id=INTEGER, content_item_id=INTEGER, content_context={}, created_at=STRING,
             messages=array(obj(role=STRING, content=STRING, created_at=STRING)))
EVENTS = Stream("text/event-stream", {
    "type": "string", "description": 'Server-sent events: data lines {"content": ..., '
    '"done": false} as the answer is written, then {"content": "", "done": true, '
    '"message_id": N} (or "error": {"status", "detail"} in place of message_id).'})


def _with_user(body: dict, req: FaceRequest) -> dict:
    body["user_id"] = req.ctx.viewer.user.number
    return body


async def list_sessions(req: FaceRequest) -> Response:
    params: SessionPage = req.params
    sessions = await chat.get_all_mine(req.ctx, limit=params.limit, offset=params.skip)
    return JSONResponse([_with_user(session_json(s), req) for s in sessions])


async def create_session(req: FaceRequest) -> Response:
    body: CreateSession = req.body
    session = await chat.create(req.ctx, content_item_id=body.content_item_id)
    return created(_with_user(session_json(session), req))


async def get_session(req: FaceRequest) -> Response:
    session_id = req.path["session_id"]
    session = await chat.get(req.ctx, session_id=session_id)
    messages = await chat.get_messages(req.ctx, session_id=session_id)
    return JSONResponse({**_with_user(session_json(session), req),
                         "messages": [message_json(m) for m in messages]})


def _chunk_event(text: str) -> str:
    # ``sse_data(json.dumps({"content": text, "done": False}))``, written out: a replayed
    # answer renders its hundreds of chunks at once.
    return 'data: {"content": ' + encode_basestring_ascii(text) + ', "done": false}\n\n'


@functools.lru_cache(maxsize=256)
def _replayed_chunks(texts: tuple[str, ...]) -> str:
    # Every replay of an answer kept in process (``chat_cache.answer``) hands over the
    # same tuple, found here by identity: its events are rendered once.
    return "".join(map(_chunk_event, texts))


def render_event(event: chat.Event) -> str:
    if isinstance(event, chat.Chunks):
        return _replayed_chunks(event.texts)
    if isinstance(event, chat.Chunk):
        return _chunk_event(event.text)
    if isinstance(event, chat.Done):
        return sse_data(json.dumps({"content": "", "done": True,
                                    "message_id": event.message_id}))
    return sse_data(json.dumps({"content": "", "done": True, "error": {
        "status": event.status, "detail": event.detail}}))


async def _turn(req: FaceRequest, message: str) -> Response:
    turn = await chat.prepare(req.ctx, session_id=req.path["session_id"], message=message)

    async def stream():
        try:
            async for event in chat.run_and_publish(req.ctx, turn):
                yield render_event(event)
        except Exception:
            log.exception("chat stream failed (request %s)", req.ctx.request_id)
            yield render_event(chat.Failed(500, "Internal Server Error"))

    if turn.replayed:
        # An answer from the cache is known whole at once: its events go out as one
        # response body, written once, with no stream to keep open.
        return sse_body("".join([event async for event in stream()]))
    return sse_response(stream())


async def send_message(req: FaceRequest) -> Response:
    body: SendMessage = req.body
    return await _turn(req, body.content)


async def greeting(req: FaceRequest) -> Response:
    return await _turn(req, chat_cache.GREETING)


async def share(req: FaceRequest) -> Response:
    session = await chat.share(req.ctx, session_id=req.path["session_id"])
    return JSONResponse({"share_token": session.share_token,
                         "share_url": share_url(session.share_token)})


async def unshare(req: FaceRequest) -> Response:
    await chat.unshare(req.ctx, session_id=req.path["session_id"])
    return no_content()


async def shared(req: FaceRequest) -> Response:
    session, messages = await chat.get_shared(req.ctx, token=req.path["share_token"])
    return JSONResponse({
        "id": session.id, "content_item_id": session.content_item_id,
        "content_context": session.content_context, "created_at": iso(session.created_at),
        "messages": [{"role": m.role, "content": m.content, "created_at": iso(m.created_at)}
                     for m in messages]})


async def cache_analytics(req: FaceRequest) -> Response:
    return JSONResponse(asdict(await chat_cache.analytics(req.ctx)))


SESSION = "/chat/sessions/{session_id}"

ROUTES = [
    Route("GET", "/chat/sessions", list_sessions, auth=True, query=SessionPage, tag="chat",
          summary="Your tutor chat sessions, newest first",
          returns={200: array(R_SESSION)}),
    Route("POST", "/chat/sessions", create_session, auth=True, body=CreateSession, tag="chat",
          summary="Start a tutor chat on a content item"),
    Route("GET", SESSION, get_session, auth=True, path_params=SessionPath, tag="chat",
          summary="One of your chat sessions with its messages",
          returns={200: R_SESSION_WITH_MESSAGES}),
    Route("POST", SESSION + "/messages", send_message, auth=True, path_params=SessionPath,
          body=SendMessage, tag="chat", summary="Send a message; the answer streams (SSE)"),
    Route("POST", SESSION + "/greeting", greeting, auth=True, path_params=SessionPath,
          tag="chat", summary="The tutor's greeting (sends \"Start.\"), streamed (SSE)",
          returns={200: EVENTS}),
    Route("POST", SESSION + "/share", share, auth=True, path_params=SessionPath, tag="chat",
          summary="Share the session read-only; returns its token and URL"),
    Route("DELETE", SESSION + "/share", unshare, auth=True, path_params=SessionPath, tag="chat",
          summary="Stop sharing: the token stops working",
          returns={204: NO_BODY}),
    Route("GET", "/chat/share/{share_token}", shared, tag="chat",
          summary="A shared session, read-only (no token needed)",
          returns={200: SHARED}),
    Route("GET", "/admin/analytics/cache", cache_analytics, auth=True, tag="admin",
          summary="Tutor response cache: hits, misses, hit rate, divergence, nodes",
          returns={200: fields_of(chat_cache.CacheAnalytics)}),
]
