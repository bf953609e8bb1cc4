"""The learner's side of a private GHL link: ``POST /api/workspace-ghl-score/chat`` and
``/complete``. No login and no API key: the ``privateToken`` (the last segment of
the private URL) is the credential.

Choices where the reference is silent:
- ``chat`` takes ``{"privateToken", "message"?: ≤ 4,000 characters}``; without a
  message on a new session the facilitator opens with its first question. The
  answer is a Server-Sent Events stream: ``{"type": "delta", "text"}`` events,
  then ``{"type": "done", "message"}`` once the reply is stored (or
  ``{"type": "error", "error": {...}}`` if the model fails mid-way). Errors found
  before streaming (unknown token ``404 ghl_link_not_found``, time up ``410
  ghl_session_expired``, completed ``409 ghl_session_completed``) are ordinary
  JSON errors.
- The learner's time (the link's duration) starts at the first turn.
- ``complete`` takes ``{"privateToken"}``, needs at least one learner message,
  has the model score the transcript (schema-validated) and answers ``200
  {"ghl_result": ...}`` in the shape of the agent's results route; a session
  whose time is up may still be completed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson
from pydantic import Field
from starlette.responses import Response

from core.errors import DomainError
from resolvers import ghl
from rest_compat import returns as out
from rest_compat.base import FaceRequest, JSONResponse, Route
from rest_compat.openlesson.ghl import R_RESULT, render_result
from rest_compat.openlesson.rules import SMALL_BODY
from rest_compat.openlesson.shapes import CODES, Body
from rest_compat.sse import sse_data, sse_response


class ChatBody(Body):
    privateToken: str = Field(min_length=1, max_length=200)
    message: str | None = Field(default=None, max_length=4000)


class CompleteBody(Body):
    privateToken: str = Field(min_length=1, max_length=200)


def _event(payload: dict) -> str:
    return sse_data(orjson.dumps(payload).decode())


async def chat(req: FaceRequest) -> Response:
    body: ChatBody = req.body
    stream = ghl.chat_stream(req.ctx, token=body.privateToken, message=body.message)
    try:
        first = await anext(stream)  # errors before any text are the face's JSON errors
    except StopAsyncIteration:
        first = ""

    async def events() -> AsyncIterator[str]:
        parts = [first]
        if first:
            yield _event({"type": "delta", "text": first})
        try:
            async for delta in stream:
                parts.append(delta)
                yield _event({"type": "delta", "text": delta})
        except DomainError as exc:
            yield _event({"type": "error", "error": {
                "code": CODES.get(exc.code, exc.code.lower()), "message": exc.message}})
            return
        yield _event({"type": "done", "message": "".join(parts)})

    return sse_response(events())


async def complete(req: FaceRequest) -> Response:
    body: CompleteBody = req.body
    link = await ghl.complete(req.ctx, token=body.privateToken)
    return JSONResponse({"ghl_result": render_result(link)})


ROUTES = [
    Route("POST", "/workspace-ghl-score/chat", chat,
          "The learner's next turn in a private GHL session (streamed)", body=ChatBody,
          max_body_bytes=SMALL_BODY, responses={200: "Server-Sent Events"}, tag="GHL",
          returns={200: out.Body("text/event-stream", out.STRING)}),
    Route("POST", "/workspace-ghl-score/complete", complete,
          "Finish a private GHL session and score it", body=CompleteBody,
          max_body_bytes=SMALL_BODY, responses={200: "The scored result"}, tag="GHL",
          returns={200: out.obj(ghl_result=R_RESULT)}),
]
