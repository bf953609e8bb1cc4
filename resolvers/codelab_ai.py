"""The AI helper of workshops: the facilitator's Gemini key, answers streamed from Gemini
(or from Claude through the LLM gateway), and the questions and answers kept per codelab.

- A facilitator stores their Gemini key sealed with the facilitator password
  (``secrets_box.decrypt_with_password``, the scheme the README documents); the
  server opens the seal, keeps the key encrypted at rest under its own secret, and
  never shows it again. A plain key is refused.
- ``stream`` is for a codelab's facilitators and its attendees. The key is the one
  sent with the request (sealed the same way), else the one stored by the codelab's
  facilitator (the viewer's own when no codelab is named), else the deployment's
  ``GEMINI_API_KEY``. A ``claude-*`` model goes through the LLM gateway with the
  facilitator's stored Anthropic key or the deployment's.
- Conversations are saved by the codelab's members and read by its facilitators.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlalchemy import Text, and_, case, cast, func, select
from sqlalchemy.dialects.postgresql import insert

from core import gemini
from core.auth import secrets_box
from core.context import Context
from core.errors import Forbidden, NotConfigured, Validation
from models.codelab import CodelabAttendee
from models.codelab_files import CodelabAiConversation, CodelabAiSettings
from models.course import Course
from models.user import UserSecret
from resolvers import codelab_audit, codelabs
from resolvers.access import is_staff
from resolvers.auth import ANTHROPIC_KEY
from resolvers.catalog import PageArgs, paginate
from resolvers.codelab_help import STEP_MAX
from resolvers.pages import Page

if TYPE_CHECKING:
    from google.genai import types

PROMPT_MAX = 32_000
SYSTEM_MAX = 20_000
ANSWER_MAX = 60_000
MAX_OUTPUT_TOKENS = 8192
TOOLS_MAX = 8
MODEL_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
SETTINGS_UPDATE = "admin_settings_update"
NOT_SEALED = "gemini_api_key must be encrypted with the admin password"
API_KEY_NOT_SEALED = "api_key must be encrypted with the admin password"
NO_GEMINI_KEY = "No Gemini API key configured. Please add one in the admin settings."
NO_PASSWORD = "The admin password is not configured"


@dataclass(frozen=True)
class Question:
    """What ``stream`` is asked."""

    prompt: str
    model: str | None = None
    system_instruction: str | None = None
    api_key: str | None = None
    generation_config: dict[str, Any] | None = None
    tools: dict[str, Any] | list[Any] | None = None
    codelab_id: int | None = None
    step_number: int | None = None


@dataclass(frozen=True)
class Chunk:
    """One streamed piece of the answer: its text and the Gemini response it came in."""

    text: str
    response: dict[str, Any]


@dataclass(frozen=True)
class Conversation:
    """A kept question and answer, with who asked it (an attendee's user id, or None for
    a facilitator)."""

    row: CodelabAiConversation
    attendee_user_id: uuid.UUID | None


def _text(name: str, value: Any, limit: int, *, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise Validation(f"{name} is required", details={"field": name})
    if len(value) > limit or "\x00" in value:
        raise Validation(f"{name} must be at most {limit:,} characters",
                         details={"field": name})
    return value


def _step(value: int | None) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                              or not 1 <= value <= STEP_MAX):
        raise Validation(f"step_number must be between 1 and {STEP_MAX}",
                         details={"field": "step_number"})
    return value


def _model(value: str | None, default: str) -> str:
    if value is None or value == "":
        return default
    if not isinstance(value, str) or not MODEL_PATTERN.fullmatch(value):
        raise Validation("model must be a model name (letters, digits, '.', '_' or '-')",
                         details={"field": "model"})
    return value


async def _unseal(ctx: Context, token: Any, message: str, field: str) -> str:
    password = ctx.settings.codelabs_admin_password
    if not password:
        raise NotConfigured(NO_PASSWORD)
    if not isinstance(token, str) or not token:
        raise Validation(message, details={"field": field})
    # PBKDF2 is CPU-heavy by design: off the event loop.
    key = await asyncio.to_thread(secrets_box.decrypt_with_password, password, token)
    if key is None or not key.strip():
        raise Validation(message, details={"field": field})
    return key.strip()


async def save_settings(ctx: Context, *, gemini_api_key: str) -> None:
    """Store the facilitator's Gemini key, sent sealed with the admin password."""
    ctx.viewer.require_user()
    if not is_staff(ctx.viewer):
        raise Forbidden("Only facilitators can change the settings")
    key = await _unseal(ctx, gemini_api_key, NOT_SEALED, "gemini_api_key")
    sealed = secrets_box.encrypt(ctx.settings.secret_key, key)
    # One statement: concurrent first saves cannot both insert (the last one wins).
    statement = insert(CodelabAiSettings).values(user_id=ctx.viewer.user_id,
                                                 gemini_key_encrypted=sealed)
    statement = statement.on_conflict_do_update(
        index_elements=[CodelabAiSettings.user_id],
        set_={"gemini_key_encrypted": sealed, "updated_at": func.now()})
    async with ctx.db.transaction() as session:
        await session.execute(statement)
        codelab_audit.record(session, ctx, action=SETTINGS_UPDATE,
                             details={"gemini_api_key": "set"})


async def _stored_keys(ctx: Context, user_id: uuid.UUID | None) -> tuple[str | None, str | None]:
    """The Gemini and Anthropic keys ``user_id`` stored, in plain text."""
    if user_id is None:
        return None, None
    async with ctx.db.session() as session:
        gemini = await session.get(CodelabAiSettings, user_id)
        anthropic = await session.get(UserSecret, (user_id, ANTHROPIC_KEY))
    secret = ctx.settings.secret_key
    return (secrets_box.decrypt(secret, gemini.gemini_key_encrypted) if gemini else None,
            secrets_box.decrypt(secret, anthropic.ciphertext) if anthropic else None)


async def _facilitator_of(ctx: Context, codelab_id: int | None) -> uuid.UUID | None:
    """Whose stored keys answer the viewer: the codelab's facilitator (the codelab named,
    or the one the viewer attends), else the viewer when they facilitate."""
    if codelab_id is None:
        attendee = await codelabs.viewer_attendee(ctx)
        if attendee is None:
            if not is_staff(ctx.viewer):
                raise Forbidden("Only facilitators and attendees can ask the AI")
            return ctx.viewer.user_id
        codelab_id = attendee.course_id
    view = await codelabs.get(ctx, codelab_id=codelab_id)
    await codelabs.require_member(ctx, view)
    return view.course.created_by_id


def _config(question: Question) -> types.GenerateContentConfig:
    types = gemini.genai.types
    fields: dict[str, Any] = {}
    if question.generation_config:
        if not isinstance(question.generation_config, dict):
            raise Validation("generation_config must be an object",
                             details={"field": "generation_config"})
        try:
            given = types.GenerationConfig.model_validate(question.generation_config)
        except ValidationError:
            raise Validation("generation_config is not a valid Gemini generation config",
                             details={"field": "generation_config"}) from None
        fields = given.model_dump(exclude_none=True)
        unsupported = sorted(set(fields) - set(types.GenerateContentConfig.model_fields))
        if unsupported:
            raise Validation(f"generation_config.{unsupported[0]} is not supported",
                             details={"field": "generation_config"})
    tools = question.tools
    if tools:
        listed = tools if isinstance(tools, list) else [tools]
        if len(listed) > TOOLS_MAX:
            raise Validation(f"tools may name at most {TOOLS_MAX} tools",
                             details={"field": "tools"})
        try:
            fields["tools"] = [types.Tool.model_validate(t) for t in listed]
        except ValidationError:
            raise Validation("tools is not a valid list of Gemini tools",
                             details={"field": "tools"}) from None
    if question.system_instruction:
        fields["system_instruction"] = question.system_instruction
    fields.setdefault("max_output_tokens", MAX_OUTPUT_TOKENS)
    try:
        fields["max_output_tokens"] = min(int(fields["max_output_tokens"]), MAX_OUTPUT_TOKENS)
        return types.GenerateContentConfig(**fields)
    except (ValidationError, TypeError, ValueError):
        raise Validation("generation_config is not a valid Gemini generation config",
                         details={"field": "generation_config"}) from None


async def stream(ctx: Context, *, question: Question) -> AsyncIterator[Chunk]:
    """The answer to ``question``, streamed; every check is made before the first chunk
    is asked for, so errors come before anything is streamed."""
    ctx.viewer.require_user()
    prompt = _text("prompt", question.prompt, PROMPT_MAX)
    _text("system_instruction", question.system_instruction, SYSTEM_MAX, required=False)
    _step(question.step_number)
    model = _model(question.model, ctx.settings.gemini_model)
    facilitator = await _facilitator_of(ctx, question.codelab_id)
    if model.startswith("claude-"):
        _, anthropic_key = await _stored_keys(ctx, facilitator)
        ctx.llm.resolve_key(anthropic_key)  # NO_API_KEY before streaming
        return _claude(ctx, model=model, prompt=prompt, key=anthropic_key,
                       system=question.system_instruction)
    await gemini.sdk_imported()
    config = _config(question)
    if question.api_key:
        key = await _unseal(ctx, question.api_key, API_KEY_NOT_SEALED, "api_key")
    else:
        stored, _ = await _stored_keys(ctx, facilitator)
        key = stored or ctx.settings.gemini_api_key
    if not key:
        raise Validation(NO_GEMINI_KEY, code="NO_API_KEY")
    return _gemini(ctx, model=model, prompt=prompt, key=key, config=config)


async def _gemini(ctx: Context, *, model: str, prompt: str, key: str,
                  config: types.GenerateContentConfig) -> AsyncIterator[Chunk]:
    async for response in ctx.services.gemini.stream(api_key=key, model=model,
                                                     contents=prompt, config=config):
        yield Chunk(text=response.text or "",
                    response=response.model_dump(
                        mode="json", by_alias=True, exclude_none=True,
                        exclude={"sdk_http_response", "automatic_function_calling_history"}))


async def _claude(ctx: Context, *, model: str, prompt: str, key: str | None,
                  system: str | None) -> AsyncIterator[Chunk]:
    async for text in ctx.llm.stream_text(api_key=key, system=system, model=model,
                                          messages=[{"role": "user", "content": prompt}],
                                          max_tokens=MAX_OUTPUT_TOKENS):
        yield Chunk(text=text, response={
            "candidates": [{"content": {"parts": [{"text": text}], "role": "model"},
                            "index": 0}], "modelVersion": model})


async def save_conversation(ctx: Context, *, codelab_id: int, question: str, answer: str,
                            model: str, step_number: int | None = None) -> Conversation:
    """Keep a question asked during the codelab and its answer (its members)."""
    view = await codelabs.get(ctx, codelab_id=codelab_id)
    await codelabs.require_member(ctx, view)
    row = CodelabAiConversation(
        course_id=codelab_id, user_id=ctx.viewer.user_id, step_number=_step(step_number),
        question=_text("question", question, PROMPT_MAX),
        answer=_text("answer", answer, ANSWER_MAX),
        model=_model(model, ctx.settings.gemini_model))
    async with ctx.db.transaction() as session:
        session.add(row)
        await session.flush()
        await session.refresh(row)
    facilitating = codelabs.can_facilitate(ctx.viewer, view.course)
    return Conversation(row=row, attendee_user_id=None if facilitating else row.user_id)


def facilitated_rule(viewer):
    """``codelabs.get_for_facilitator``'s codelabs (one the viewer may read and runs), as a
    SQL condition on courses."""
    return and_(Course.kind == codelabs.KIND, codelabs.visible_rule(viewer),
                codelabs.facilitate_rule(viewer))


def asker_value():
    """``Conversation.attendee_user_id`` as the ``attendee_<hex>`` the faces show (null for
    a facilitator, or an asker no longer attending), as a SQL expression on conversations."""
    row = CodelabAiConversation
    attending = row.user_id.in_(select(CodelabAttendee.user_id).where(
        CodelabAttendee.course_id == row.course_id))
    return case((attending, func.concat("attendee_", func.replace(
        cast(row.user_id, Text), "-", ""))))


async def get_conversations(ctx: Context, *, codelab_id: int, page: PageArgs) -> Page:
    """A codelab's kept conversations, oldest first (its facilitators)."""
    await codelabs.get_for_facilitator(ctx, codelab_id=codelab_id)
    found = await paginate(ctx, select(CodelabAiConversation).where(
        CodelabAiConversation.course_id == codelab_id), CodelabAiConversation.id, page)
    askers = {row.user_id for row in found.items if row.user_id is not None}
    async with ctx.db.session() as session:
        attendees = set((await session.execute(select(CodelabAttendee.user_id).where(
            CodelabAttendee.course_id == codelab_id,
            CodelabAttendee.user_id.in_(askers)))).scalars()) if askers else set()
    found.items = [Conversation(row=row, attendee_user_id=row.user_id
                                if row.user_id in attendees else None) for row in found.items]
    return found
