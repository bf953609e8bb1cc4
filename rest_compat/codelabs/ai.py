"""The AI helper: ``POST /admin/settings``, ``POST /ai/stream``, ``POST /ai/conversations``
and ``GET /codelabs/:id/ai/conversations``.

- ``POST /admin/settings`` (facilitators; 401 without a session, 403 for
  attendees) takes ``{"gemini_api_key": "<sealed>"}``: the key sealed with the
  facilitator password (``LEARNGRAPH_CODELABS_ADMIN_PASSWORD``) as the README's
  "Sealing the Gemini key" describes. A plain key, or one sealed with another
  password, is 400; without a configured password it is 501. It answers
  ``{"status": "ok"}``; the key is kept encrypted and never shown again.
- ``POST /ai/stream`` (a codelab's facilitators and attendees) streams Gemini's
  answer as ``text/event-stream``: each event is ``data: <one Gemini
  GenerateContentResponse as JSON>`` (``candidates[0].content.parts[0].text``
  holds the next piece of text), as Gemini's own ``streamGenerateContent?alt=sse``
  sends them. ``prompt`` is required (at most 32,000 characters),
  ``system_instruction`` at most 20,000; ``model`` defaults to
  ``LEARNGRAPH_GEMINI_MODEL`` and a ``claude-*`` model is answered by Claude in
  the same event shape; ``generation_config`` is Gemini's (``temperature``,
  ``maxOutputTokens`` ..., at most 8,192 output tokens) and ``tools`` one Gemini
  tool or a list of up to 8; ``codelab_id`` names the codelab (an attendee's own
  by default); ``api_key``, when sent, is a key sealed like the settings' one.
  The key used is that one, else the codelab facilitator's stored key, else
  ``GEMINI_API_KEY``; with none it is 400. Every error found before the answer
  starts has its status (400 bad input or no key, 401 a key Gemini refused, 403,
  404, 429 with ``Retry-After``, 502, 504); one met mid-answer ends the stream
  with ``data: {"error": "...", "status": n}``.
- ``POST /ai/conversations`` (the codelab's members) keeps a question and its
  answer: ``{codelab_id, step_number?, question, answer, model}`` answers
  ``{"id": "conversation_<n>"}``.
- ``GET /codelabs/:id/ai/conversations`` (its facilitators) lists them oldest
  first: ``{id, codelab_id, attendee_id (null for a facilitator's), step_number,
  question, answer, model, created_at}``, ``limit`` 1 to 1,000 (default 100) and
  ``offset``.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from pydantic import BaseModel, Field
from starlette.responses import Response

from core.auth.secrets_box import PASSWORD_BOX_MAX
from core.errors import DomainError
from models.codelab_files import CodelabAiConversation
from resolvers import codelab_ai
from resolvers.catalog import PageArgs
from resolvers.codelab_help import STEP_MAX
from rest_compat import returns as out
from rest_compat.base import FaceRequest, JSONResponse, Route, iso
from rest_compat.codelabs import shapes
from rest_compat.codelabs.shapes import Body, attendee_ref, codelab_ref, ok
from rest_compat.sse import sse_data, sse_response


class SettingsBody(Body):
    gemini_api_key: str = Field(min_length=1, max_length=PASSWORD_BOX_MAX)


class StreamBody(Body):
    prompt: str = Field(min_length=1, max_length=codelab_ai.PROMPT_MAX)
    system_instruction: str | None = Field(default=None, max_length=codelab_ai.SYSTEM_MAX)
    api_key: str | None = Field(default=None, max_length=PASSWORD_BOX_MAX)
    model: str | None = Field(default=None, max_length=100)
    generation_config: dict[str, Any] | None = None
    tools: dict[str, Any] | list[dict[str, Any]] | None = None
    codelab_id: str | None = Field(default=None, max_length=40)
    step_number: int | None = Field(default=None, ge=1, le=STEP_MAX)


class ConversationBody(Body):
    codelab_id: str = Field(max_length=40)
    step_number: int | None = Field(default=None, ge=1, le=STEP_MAX)
    question: str = Field(min_length=1, max_length=codelab_ai.PROMPT_MAX)
    answer: str = Field(min_length=1, max_length=codelab_ai.ANSWER_MAX)
    model: str = Field(min_length=1, max_length=100)


class ConversationQuery(BaseModel):
    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=1_000_000)


def conversation(found: codelab_ai.Conversation) -> dict[str, Any]:
    row = found.row
    return {"id": f"conversation_{row.id}", "codelab_id": codelab_ref(row.course_id),
            "attendee_id": attendee_ref(found.attendee_user_id)
            if found.attendee_user_id else None,
            "step_number": row.step_number, "question": row.question, "answer": row.answer,
            "model": row.model, "created_at": iso(row.created_at)}


async def save_settings(req: FaceRequest) -> Response:
    body: SettingsBody = req.body
    await codelab_ai.save_settings(req.ctx, gemini_api_key=body.gemini_api_key)
    return ok()


R_CONVERSATION = out.rendered(conversation, lambda null: codelab_ai.Conversation(
    row=out.sample(CodelabAiConversation, null=null),
    attendee_user_id=None if null else uuid.UUID(int=1)))


def _event(payload: dict[str, Any]) -> str:
    return sse_data(orjson.dumps(payload).decode())


async def ai_stream(req: FaceRequest) -> Response:
    body: StreamBody = req.body
    chunks = await codelab_ai.stream(req.ctx, question=codelab_ai.Question(
        prompt=body.prompt, model=body.model, system_instruction=body.system_instruction,
        api_key=body.api_key, generation_config=body.generation_config, tools=body.tools,
        codelab_id=shapes.codelab_id(body.codelab_id) if body.codelab_id else None,
        step_number=body.step_number))
    # The first piece is awaited here, so a refused key or an unreachable service is
    # answered with its status rather than inside a 200 stream.
    first = await anext(chunks, None)

    async def events():
        try:
            if first is not None:
                yield _event(first.response)
            async for chunk in chunks:
                yield _event(chunk.response)
        except DomainError as exc:
            yield _event({"error": exc.message, "status": exc.status})

    return sse_response(events())


async def save_conversation(req: FaceRequest) -> Response:
    body: ConversationBody = req.body
    found = await codelab_ai.save_conversation(
        req.ctx, codelab_id=shapes.codelab_id(body.codelab_id), question=body.question,
        answer=body.answer, model=body.model, step_number=body.step_number)
    return JSONResponse({"id": f"conversation_{found.row.id}"})


async def list_conversations(req: FaceRequest) -> Response:
    params: ConversationQuery = req.params
    page = await codelab_ai.get_conversations(
        req.ctx, codelab_id=shapes.codelab_id(req.path["id"]),
        page=PageArgs.offset(params.offset, params.limit))
    return JSONResponse([conversation(c) for c in page.items])


ROUTES = [
    Route("POST", "/admin/settings", save_settings, auth=True, body=SettingsBody, tag="ai",
          summary="Store the facilitator's Gemini key (sealed with the admin password)",
          responses={200: '{"status": "ok"}', 400: "not sealed with the admin password",
                     403: "not a facilitator", 501: "no admin password configured"},
          returns={200: shapes.OK}),
    Route("POST", "/ai/stream", ai_stream, auth=True, body=StreamBody, tag="ai",
          summary="Gemini's streamed answer (SSE); claude-* models through Claude",
          responses={200: "text/event-stream", 400: "bad input or no key",
                     401: "key refused by Gemini", 403: "not a member",
                     429: "rate limited", 502: "Gemini failed", 504: "Gemini timed out"},
          returns={200: out.Body("text/event-stream", out.STRING)}),
    Route("POST", "/ai/conversations", save_conversation, auth=True, body=ConversationBody,
          tag="ai", summary="Keep a question and its answer",
          responses={200: '{"id": "conversation_<n>"}', 403: "not a member"}),
    Route("GET", "/codelabs/{id}/ai/conversations", list_conversations, auth=True,
          query=ConversationQuery, tag="ai",
          summary="A codelab's kept AI conversations (facilitators)",
          responses={200: "conversation[]", 403: "not a facilitator"},
          returns={200: out.array(R_CONVERSATION)}),
]
