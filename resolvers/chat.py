"""Tutor chat: sessions on a content item, streamed turns with the shared response cache,
and read-only sharing.

A turn is prepared first (ownership, the key or AWS credentials when the model may be
needed, the month's model budgets) so every refusal is an ordinary error before
anything streams; what it reads is one statement. The user's message is stored with
its activity once the answer has started (after its first chunk, or at once when the
call failed), so that write never delays the model call, and nothing is lost when the
stream fails. The turn runs as a stream of events (``Chunk`` ..., or a replay's
``Chunks``, then ``Done`` or ``Failed``), also published on the session's topic for
subscribers on any instance. The assistant's message is stored, after the user's,
before ``Done``. A failure mid-stream ends with ``Failed``; nothing partial is stored
or cached and the session stays usable.

The model sees the system prompt and the conversation with prompt-cache
breakpoints (``cache_control``) after the system prompt and on the newest
message, so each turn reads what came before it from the provider's cache.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import orjson
from sqlalchemy import Select, false, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import Context
from core.errors import DomainError, Forbidden, NotFound, Upstream, Validation
from core.llm import TIMED_OUT
from core.llm_usage import Hold, UsageFor, applying_budgets, insert_usage
from core.planning import VIEWER_ID
from loaders.chat import (
    ChatMessageByIdLoader,
    ChatMessagesBySessionIdLoader,
    ChatSessionByIdLoader,
)
from models.chat import ChatMessage, ChatSession
from models.chat_cache import ChatCacheNode
from models.course import ContentItem, ContentType
from models.prompts import Prompt
from models.user import User
from resolvers import chat_cache, content
from resolvers.activity import insert_quiet_activity, record_activity
from resolvers.auth import ANTHROPIC_KEY
from resolvers.platform_llm import TutorAccess, default_tutor_model, tutor_access
from resolvers.tutor_prompt import PRODUCTION, tutor_prompt

SESSION_NOT_FOUND = "Chat session not found"
NOT_YOURS = "Not your chat session"
SHARE_NOT_FOUND = "Shared session not found"
# A session anyone holding its token reads (``get_shared``), as a SQL condition.
SHARED = ChatSession.share_enabled.is_(True)
MAX_MESSAGE_CHARS = 10_000
MAX_TOKENS = 1024
FEATURE = "tutor"
EPHEMERAL = {"type": "ephemeral"}


# ----------------------------------------------------------------- events


@dataclass(frozen=True)
class Chunk:
    text: str


@dataclass(frozen=True)
class Chunks:
    """A stored answer's chunks at once (a replay from the cache): a face sends them in one
    write, not one by one; to subscribers they are chunks like any others."""

    texts: tuple[str, ...]


@dataclass(frozen=True)
class Done:
    message_id: int


@dataclass(frozen=True)
class Failed:
    status: int
    detail: str


Event = Chunk | Chunks | Done | Failed


def topic(session_id: int) -> str:
    """The broker topic carrying a session's streamed turns to every instance."""
    return f"chat:{session_id}"


def event_messages(event: Event) -> list[dict]:
    """The published messages of an event (one per chunk of ``Chunks``)."""
    if isinstance(event, Chunks):
        return [{"type": "chunk", "text": text} for text in event.texts]
    return [event_message(event)]


def event_message(event: Chunk | Done | Failed) -> dict:
    if isinstance(event, Chunk):
        return {"type": "chunk", "text": event.text}
    if isinstance(event, Done):
        return {"type": "done", "message_id": event.message_id}
    return {"type": "error", "status": event.status, "detail": event.detail}


def event_from_message(message: dict) -> Event | None:
    """The event a published message carries; None for the end-of-turn marker."""
    kind = message.get("type")
    if kind == "chunk":
        return Chunk(message["text"])
    if kind == "done":
        return Done(message["message_id"])
    if kind == "error":
        return Failed(status=message["status"], detail=message["detail"])
    return None


# ----------------------------------------------------------------- sessions


async def _load(ctx: Context, session_id: int, db: AsyncSession | None = None) -> ChatSession:
    """The viewer's session (read in ``db`` when given): 404 when missing, 403 when
    someone else's."""
    user_id = ctx.viewer.require_user()
    if db is None:
        async with ctx.db.session() as db:
            session = await db.get(ChatSession, session_id)
    else:
        session = await db.get(ChatSession, session_id)
    if session is None:
        raise NotFound(SESSION_NOT_FOUND)
    if session.user_id != user_id:
        raise Forbidden(NOT_YOURS)
    return session


async def get(ctx: Context, *, session_id: int) -> ChatSession:
    """One of the viewer's sessions."""
    return await _load(ctx, session_id)


def mine(ctx: Context) -> Select:
    """The viewer's sessions, as the query ``get_all_mine`` reads its pages from (its rule
    binds ``VIEWER_ID``)."""
    ctx.viewer.require_user()
    return select(ChatSession).where(session_rule(ctx.viewer))


async def get_all_mine(ctx: Context, *, limit: int, offset: int = 0,
                       before_id: int | None = None) -> list[ChatSession]:
    """The viewer's sessions, newest first; a page by offset or below ``before_id``."""
    user_id = ctx.viewer.require_user()
    query = mine(ctx).order_by(ChatSession.id.desc()).offset(offset).limit(limit)
    if before_id is not None:
        query = query.where(ChatSession.id < before_id)
    async with ctx.db.session() as db:
        return list((await db.execute(query, {VIEWER_ID.key: user_id})).scalars())


async def create(ctx: Context, *, content_item_id: int) -> ChatSession:
    """A session on a content item the viewer can see, with a snapshot of its context."""
    user_id = ctx.viewer.require_user()
    item = await content.get(ctx, content_id=content_item_id)
    async with ctx.db.transaction() as db:
        kind = await db.get(ContentType, item.content_type_id)
        session = ChatSession(user_id=user_id, content_item_id=item.id, content_context={
            "title": item.title, "description": item.description,
            "content_type": kind.name, "data_json": item.data_json})
        db.add(session)
        await db.flush()
        await db.refresh(session)
    return session


async def get_messages(ctx: Context, *, session_id: int) -> list[ChatMessage]:
    """A session's messages in order (its owner only)."""
    async with ctx.db.session() as db:
        await _load(ctx, session_id, db)
        return await _messages(db, session_id)


async def _messages(db: AsyncSession, session_id: int) -> list[ChatMessage]:
    return list((await db.execute(select(ChatMessage).where(
        ChatMessage.session_id == session_id).order_by(ChatMessage.id))).scalars())


async def share(ctx: Context, *, session_id: int) -> ChatSession:
    """Turn on the read-only public view; the token stays the same while shared (two
    concurrent calls get the same token: a token is only minted where there is none)."""
    session = await _load(ctx, session_id)
    if session.share_enabled and session.share_token:
        return session
    token = func.coalesce(ChatSession.share_token, secrets.token_urlsafe(24))
    async with ctx.db.transaction() as db:
        session = (await db.execute(update(ChatSession).where(ChatSession.id == session.id)
                                    .values(share_enabled=True, share_token=token,
                                            updated_at=func.now())
                                    .returning(ChatSession))).scalar_one()
    return session


async def unshare(ctx: Context, *, session_id: int) -> None:
    """Revoke the public view: its token stops working."""
    session = await _load(ctx, session_id)
    async with ctx.db.transaction() as db:
        await db.execute(update(ChatSession).where(ChatSession.id == session.id).values(
            share_enabled=False, share_token=None, updated_at=func.now()))


async def get_shared(ctx: Context, *, token: str) -> tuple[ChatSession, list[ChatMessage]]:
    """A shared session and its messages, for anyone holding the token."""
    async with ctx.db.session() as db:
        session = (await db.execute(select(ChatSession).where(
            ChatSession.share_token == token, SHARED))).scalar_one_or_none()
        if session is None:
            raise NotFound(SHARE_NOT_FOUND)
        return session, await _messages(db, session.id)


# ----------------------------------------------------------------- turns


@dataclass
class Turn:
    """A prepared turn: what the user sent and how it will be answered.

    The user's message and the session's state are written once the model's answer has
    started (``store_user_message``: after its first chunk, or when it failed before
    one), so that write never delays the call; the answer is stored after it. A turn
    answered from the cache stores both in one transaction instead.
    """

    session_id: int
    course_id: int
    model: str
    system: str
    history: list[dict]
    access: TutorAccess | None
    node_key: chat_cache.NodeKey | None = None
    hit: chat_cache.Answer | None = None
    hold: Hold | None = None
    user_message: UserMessage | None = None
    stored: asyncio.Future | None = None
    # A chatEvents subscription watched the session when the turn was prepared: its
    # events go to other instances too (see ``events``).
    watched: bool = True

    @property
    def replayed(self) -> bool:
        """Answered from the response cache: every event is known without waiting on the
        model (a face may send them all at once)."""
        return self.hit is not None

    @property
    def usage(self) -> UsageFor:
        return UsageFor(feature=FEATURE, course_id=self.course_id,
                        chat_session_id=self.session_id)

    def store_user_message(self, ctx: Context) -> asyncio.Future:
        """Start writing the user's message (once); its own task, so a reader that goes
        away does not stop it."""
        if self.stored is None:
            self.stored = asyncio.ensure_future(_store_user_message(ctx, self))
        return self.stored

    async def user_message_stored(self, ctx: Context) -> None:
        await self.store_user_message(ctx)


def _history(messages: list[ChatMessage], latest: str, *, cacheable: bool) -> list[dict]:
    """The conversation for the model.

    A failed turn leaves a user message without an answer. Before a cacheable
    message such messages are left out, so the conversation is exactly the cache
    tree's path and the answer can be stored under it; otherwise they are kept,
    merged with the next user message.
    """
    pairs = [(m.role, m.content) for m in messages]
    if cacheable:
        pairs = [(role, text) for i, (role, text) in enumerate(pairs)
                 if role != "user" or (i + 1 < len(pairs) and pairs[i + 1][0] == "assistant")]
    merged: list[dict] = []
    for role, text in [*pairs, ("user", latest)]:
        if merged and merged[-1]["role"] == role:
            merged[-1]["content"] += "\n\n" + text
        else:
            merged.append({"role": role, "content": text})
    return merged


# Everything a turn needs, in one statement: the session (whose owner is checked after),
# its content item, course and content type, the production version of the type's prompt,
# the user's stored Anthropic key, the conversation, the cache nodes that may answer the
# message (one per prompt version: the key of the prompt is made in Python; their answers
# are kept in process, ``chat_cache.answer``), the ids of
# the model budgets that apply (as text[], whose codec asyncpg has built in: another array
# type costs a new connection a catalog query first) and whether a subscription watches
# the session.
_TURN = f"""
SELECT s.user_id, s.cache_state, s.cache_node_id, u.time_zone, u.last_activity_date,
       u.current_streak_days, i.id, i.course_id, i.content_type_id, i.title, i.description,
       i.data_json,
       c.llm_model, c.cache_enabled, p.id, p.name, p.version, p.prompt, k.ciphertext,
       (SELECT json_agg(json_build_array(m.role, m.content) ORDER BY m.id)
        FROM chat_messages m WHERE m.session_id = s.id),
       (SELECT json_agg(json_build_array(n.id, n.prompt_key, CAST(n.created_at AS text)))
        FROM chat_cache_nodes n
        WHERE $4 AND c.cache_enabled AND s.cache_state = 'TRACKING'
          AND n.content_item_id = i.id AND n.model = coalesce(c.llm_model, $5)
          AND n.message_hash = $6
          AND CASE WHEN $7 THEN n.parent_id IS NULL ELSE n.parent_id = s.cache_node_id END),
       CAST(ARRAY(SELECT b.id FROM ({applying_budgets("$2", "$9", "CAST(i.course_id AS text)")}) b)
            AS text[]),
       s.watchers > 0
FROM chat_sessions s
JOIN users u ON u.id = s.user_id
JOIN content_items i ON i.id = s.content_item_id
JOIN courses c ON c.id = i.course_id
LEFT JOIN content_types t ON t.id = i.content_type_id
LEFT JOIN LATERAL (SELECT id, name, version, prompt FROM prompts
                   WHERE name = t.prompt_name AND labels @> CAST(ARRAY[$8] AS varchar[])
                   LIMIT 1) p ON true
LEFT JOIN user_secrets k ON k.user_id = $2 AND k.kind = $3
WHERE s.id = $1
"""


async def prepare(ctx: Context, *, session_id: int, message: str) -> Turn:
    """Check the turn can be taken; errors raise here. The reads are one statement; the
    user's message is stored once the answer has started (``Turn.store_user_message``)."""
    if not message.strip():
        raise Validation("The message must not be empty", details={"field": "content"})
    if len(message) > MAX_MESSAGE_CHARS:
        raise Validation(f"The message must be at most {MAX_MESSAGE_CHARS} characters",
                         details={"field": "content"})
    user_id = ctx.viewer.require_user()
    kind = chat_cache.classify(message)
    default_model = default_tutor_model(ctx.settings)
    row = await ctx.db.read_row(_TURN, (
        session_id, user_id, ANTHROPIC_KEY, kind.cacheable, default_model,
        kind.message_hash or "", kind.greeting, PRODUCTION, str(user_id)))
    if row is None:
        raise NotFound(SESSION_NOT_FOUND)
    (owner, cache_state, cache_node_id, time_zone, last_day, streak, item_id, course_id,
     content_type_id, title,
     description, data_json, llm_model, cache_enabled, prompt_id, prompt_name,
     prompt_version, prompt_text, stored_key, earlier, candidates, budgets, watched) = row
    if owner != user_id:
        raise Forbidden(NOT_YOURS)
    data_json, earlier, candidates = (_json(v) for v in (data_json, earlier, candidates))
    budgets = [int(budget) for budget in budgets]
    item = ContentItem(id=item_id, course_id=course_id, content_type_id=content_type_id,
                       title=title, description=description, data_json=data_json)
    production = None if prompt_id is None else Prompt(
        id=prompt_id, name=prompt_name, version=prompt_version, prompt=prompt_text)
    prompt = await tutor_prompt(ctx, item, production)
    model = llm_model or default_model
    tracking = cache_state == "TRACKING"
    node_key = hit = None
    if cache_enabled and tracking and kind.cacheable:
        node_key = chat_cache.NodeKey(
            content_item_id=item_id, prompt_key=prompt.key, model=model,
            parent_id=None if kind.greeting else cache_node_id,
            message_hash=kind.message_hash)
        node = next((node for node in candidates or () if node[1] == prompt.key), None)
        if node is not None:
            hit = await chat_cache.answer(ctx.db, node[0], node[2])
    history = [ChatMessage(role=role, content=text) for role, text in earlier or ()]
    user = User(id=user_id, time_zone=time_zone, last_activity_date=last_day,
                current_streak_days=streak)
    user_message = UserMessage(session_id=session_id, user=user, item=item,
                               text=message, diverged=tracking and not kind.cacheable)
    turn = Turn(session_id=session_id, course_id=course_id, model=model,
                system=prompt.system,
                history=_history(history, message, cacheable=node_key is not None),
                access=None, node_key=node_key, hit=hit, user_message=user_message,
                watched=watched)
    if hit is not None:
        # Stored with the answer, in one transaction.
        return turn
    # A call that would take a budget past its limit is refused here, before the answer
    # starts; what it may spend is held until it is recorded.
    turn.access = await tutor_access(ctx, stored_key=stored_key)
    turn.hold = await ctx.llm.admit(usage=turn.usage, system=_system(turn),
                                    messages=_messages_for_model(turn), max_tokens=MAX_TOKENS,
                                    model=model, budgets=budgets)
    return turn


def _json(value: object) -> object:
    """A JSON column as the driver gave it: decoded unless it was already."""
    return orjson.loads(value) if isinstance(value, str | bytes) else value


@dataclass(frozen=True)
class UserMessage:
    """The user's side of a turn, to be stored. ``user``: their row as the turn read it
    (for the activity's day and streak)."""

    session_id: int
    user: User
    item: ContentItem
    text: str
    diverged: bool


class _Params:
    """The ``$n`` placeholders of a statement being written, and their values."""

    def __init__(self) -> None:
        self.values: list[object] = []

    def __call__(self, value: object) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


def _write(ctx: Context, turn: Turn, *, user_message: bool, answer: tuple[str, dict] | None,
           node_id: int | None = None, hit: bool = False) -> tuple[str, list] | None:
    """One statement writing a turn's rows (it commits by itself): the user's message with
    its activity, and/or the answer, the session's state, for a hit the saved call; it
    selects the answer's id. None when the activity moves the user's streak (its row must
    be locked: ``record_activity``, in a transaction)."""
    p, parts = _Params(), []
    message = turn.user_message
    if user_message:
        activity = insert_quiet_activity(
            p, message.user, "CHAT_MESSAGE", course_id=message.item.course_id,
            content_item_id=message.item.id, summary=message.item.title)
        if activity is None:
            return None
        parts.append(f"activity AS ({activity})")
    usage = ctx.llm.cache_hit_values(usage=turn.usage, model=turn.model) if hit else None
    if usage is not None:
        parts.append(f"usage AS ({insert_usage(lambda name: p(usage[name]))})")
    session = p(turn.session_id)
    rows = [f"({session}, 'user', {p(message.text)}, '{{}}'::jsonb)"] if user_message else []
    if answer is not None:
        meta = orjson.dumps(answer[1]).decode()
        rows.append(f"({session}, 'assistant', {p(answer[0])}, "
                    f"CAST(CAST({p(meta)} AS text) AS jsonb))")
    parts.append("messages AS (INSERT INTO chat_messages (session_id, role, content, meta) "
                 f"VALUES {', '.join(rows)} RETURNING id, role)")
    values = ["updated_at = now()"]
    if node_id is not None:
        values.append(f"cache_node_id = {p(node_id)}")
    if user_message and message.diverged:
        values.append("cache_state = 'DIVERGED'")
    parts.append(f"session AS (UPDATE chat_sessions SET {', '.join(values)} "
                 f"WHERE id = {session})")
    return ("WITH " + ",\n".join(parts)
            + "\nSELECT max(id) FILTER (WHERE role = 'assistant') FROM messages", p.values)


async def _add_user_message(db: AsyncSession, message: UserMessage) -> None:
    db.add(ChatMessage(session_id=message.session_id, role="user", content=message.text))
    await db.flush()


async def _record_user_activity(db: AsyncSession, message: UserMessage) -> None:
    await record_activity(db, message.user.id, "CHAT_MESSAGE",
                          course_id=message.item.course_id, content_item_id=message.item.id,
                          summary=message.item.title)


async def _store_user_message(ctx: Context, turn: Turn) -> None:
    """The user's message, its activity and the session's state: one statement, or a
    transaction when the activity moves the streak."""
    statement = _write(ctx, turn, user_message=True, answer=None)
    if statement is not None:
        await ctx.db.write_row(*statement)
        return
    message = turn.user_message
    async with ctx.db.transaction() as db:
        await _add_user_message(db, message)
        values = {"updated_at": func.now()}
        if message.diverged:
            values["cache_state"] = "DIVERGED"
        await db.execute(update(ChatSession).where(ChatSession.id == message.session_id)
                         .values(**values))
        await _record_user_activity(db, message)


async def _answer(ctx: Context, turn: Turn, text: str, meta: dict,
                  node_id: int | None = None, *, hit: bool = False) -> int:
    """Store the assistant's message (and the session's cache position; for an answer
    replayed from the cache, the saved call, then the node's hit) after the user's, in one
    statement; its id."""
    await turn.user_message_stored(ctx)
    (message_id,) = await ctx.db.write_row(*_write(ctx, turn, user_message=False,
                                                   answer=(text, meta), node_id=node_id,
                                                   hit=hit))
    if hit:
        chat_cache.count_hit(ctx, node_id)
    return message_id


async def _answer_from_cache(ctx: Context, turn: Turn, node: chat_cache.Answer) -> int:
    """Store a cache hit: the user's message and its activity, the answer, the session's
    cache position and the saved call, in one statement (a transaction when the activity
    moves the user's streak), then the node's hit (counted with other requests' hits:
    ``chat_cache.count_hit``); the answer's id. Neither the node's row nor the user's is
    held while the answer is stored, so requests replaying one node, or one user's
    requests, do not queue on a lock."""
    meta = {"source": "cache", "cache_node_id": node.id}
    statement = _write(ctx, turn, user_message=True, answer=(node.full_text, meta),
                       node_id=node.id, hit=True)
    if statement is not None:
        (message_id,) = await ctx.db.write_row(*statement)
    else:
        async with ctx.db.transaction() as db:
            await _add_user_message(db, turn.user_message)
            message = ChatMessage(session_id=turn.session_id, role="assistant",
                                  content=node.full_text, meta=meta)
            db.add(message)
            await ctx.llm.record_cache_hit(db, usage=turn.usage, model=turn.model)
            await db.execute(update(ChatSession).where(ChatSession.id == turn.session_id)
                             .values(updated_at=func.now(), cache_node_id=node.id))
            await _record_user_activity(db, turn.user_message)
        message_id = message.id
    chat_cache.count_hit(ctx, node.id)
    return message_id


async def _replay(ctx: Context, turn: Turn,
                  node: ChatCacheNode | chat_cache.Answer) -> AsyncIterator[Event]:
    yield Chunks(tuple(node.chunks))
    if turn.hit is node:
        message_id = await _answer_from_cache(ctx, turn, node)
    else:
        message_id = await _answer(ctx, turn, node.full_text,
                                   {"source": "cache", "cache_node_id": node.id}, node.id,
                                   hit=True)
    yield Done(message_id)


def _system(turn: Turn) -> list[dict]:
    """The system prompt (with the course content it renders) as one block ending in a
    cache breakpoint: every turn on this content item reads it from the provider's cache."""
    return [{"type": "text", "text": turn.system, "cache_control": EPHEMERAL}]


def _messages_for_model(turn: Turn) -> list[dict]:
    """The conversation with a cache breakpoint on its last message, so the next turn
    reads everything before its own message from the provider's cache."""
    *earlier, last = turn.history
    return [*earlier, {"role": last["role"], "content": [
        {"type": "text", "text": last["content"], "cache_control": EPHEMERAL}]}]


def _stream(ctx: Context, turn: Turn) -> AsyncIterator[str]:
    hold, turn.hold = turn.hold, None
    return ctx.llm.stream_text(api_key=turn.access.api_key, aws=turn.access.aws,
                               system=_system(turn), messages=_messages_for_model(turn),
                               max_tokens=MAX_TOKENS, model=turn.model, usage=turn.usage,
                               hold=hold)


async def run(ctx: Context, turn: Turn) -> AsyncIterator[Event]:
    """Answer a prepared turn: replay a cached node or stream the model (storing a miss)."""
    try:
        if turn.hit is not None:
            async for event in _replay(ctx, turn, turn.hit):
                yield event
            return
        if turn.node_key is None:
            chunks: list[str] = []
            async for text in _stream(ctx, turn):
                chunks.append(text)
                yield Chunk(text)
                turn.store_user_message(ctx)
            yield Done(await _answer(ctx, turn, "".join(chunks), {"source": "llm"}))
            return
        async for event in _run_cacheable(ctx, turn, turn.node_key):
            yield event
    except DomainError as error:
        yield Failed(status=error.status, detail=error.message)
    finally:
        if turn.hold is not None:
            # Answered without a call of its own (another request's answer was replayed).
            await ctx.llm.release(turn.hold)
            turn.hold = None
        if turn.hit is None:
            # A failed or abandoned answer: the user's message is still stored.
            await asyncio.wait([turn.store_user_message(ctx)])


async def _run_cacheable(ctx: Context, turn: Turn,
                         key: chat_cache.NodeKey) -> AsyncIterator[Event]:
    """A cacheable miss: one request per node calls the model (see ``chat_cache``);
    the others replay what it stored."""
    deadline = time.monotonic() + _claim_wait_seconds(ctx)
    while True:
        found, claimed = await chat_cache.find_or_claim(ctx, key)
        if found is None and not claimed:
            found = await chat_cache.wait_for_node(ctx, key, deadline=deadline)
            if found is None and time.monotonic() >= deadline:
                raise Upstream(TIMED_OUT, status=504)
        if found is not None:
            async for event in _replay(ctx, turn, found):
                yield event
            return
        if claimed:
            break
    try:
        chunks: list[str] = []
        renewed = time.monotonic()
        async for text in _stream(ctx, turn):
            chunks.append(text)
            yield Chunk(text)
            turn.store_user_message(ctx)
            if time.monotonic() - renewed > chat_cache.RENEW_SECONDS:
                async with ctx.db.transaction() as db:
                    await chat_cache.renew_claim(db, key)
                renewed = time.monotonic()
        async with ctx.db.transaction() as db:
            stored = await chat_cache.store(db, key, chunks)
            await chat_cache.release_claim(db, key)
    except BaseException:
        with contextlib.suppress(Exception):
            async with ctx.db.transaction() as db:
                await chat_cache.release_claim(db, key)
        raise
    yield Done(await _answer(ctx, turn, "".join(chunks), {"source": "llm", "cache_lookup": "miss"},
                             stored.id if stored else None))


def _claim_wait_seconds(ctx: Context) -> float:
    """How long a turn waits on another's answer to the same node: as long as that call
    may take with its retries, and a margin."""
    settings = ctx.settings
    return settings.llm_timeout_seconds * (settings.llm_max_retries + 1) + 30.0


async def run_and_publish(ctx: Context, turn: Turn) -> AsyncIterator[Event]:
    """``run``, every event also published on the session's topic, then an end marker.

    Events go out as a stream: the caller is never held up by the notifications,
    which batch whatever queued up meanwhile and are finished in the background. An
    answer replayed from the cache is published whole, in one batch, once it is stored.
    Other instances are notified only when a subscription watched the session as the
    turn was prepared (``Turn.watched``); nobody else could receive them otherwise.
    """
    out = ctx.broker.stream(topic(turn.session_id), remote=turn.watched)
    replayed: list[dict] | None = [] if turn.hit is not None else None
    try:
        async for event in run(ctx, turn):
            if replayed is None:
                for message in event_messages(event):
                    out.send(message)
            else:
                replayed.extend(event_messages(event))
            yield event
    finally:
        for message in replayed or ():
            out.send(message)
        out.send({"type": "turn_finished"})
        ctx.services.spawn(out.close(), name=f"chat-publish-{turn.session_id}")


async def send_in_background(ctx: Context, *, session_id: int, message: str) -> None:
    """Prepare the turn now (errors raise), answer it in the background; its events
    reach ``events`` subscribers."""
    turn = await prepare(ctx, session_id=session_id, message=message)

    async def work() -> None:
        try:
            async for _ in run_and_publish(ctx, turn):
                pass
        except Exception:
            await ctx.broker.publish(topic(session_id), event_message(
                Failed(status=500, detail="Internal server error")))
            raise

    ctx.services.spawn(work(), name=f"chat-turn-{session_id}")


# A subscription starts watching a session, if it is the viewer's (one statement), and
# stops; turns publish to other instances only while a session is watched.
_WATCH = "UPDATE chat_sessions SET watchers = watchers + 1 WHERE id = $1 AND user_id = $2 " \
         "RETURNING id"
_UNWATCH = "UPDATE chat_sessions SET watchers = greatest(watchers - 1, 0) WHERE id = $1"


async def events(ctx: Context, *, session_id: int) -> AsyncIterator[Event]:
    """The session's streamed turns as they are published, for its owner: the turns
    prepared once the subscription has started (it is counted on the session's row
    before it listens, so a turn on any instance that reads the count afterwards
    publishes to it)."""
    user_id = ctx.viewer.require_user()
    if await ctx.db.write_row(_WATCH, (session_id, user_id)) is None:
        await _load(ctx, session_id)  # not found, or someone else's
        raise NotFound(SESSION_NOT_FOUND)
    try:
        async for message in ctx.broker.subscribe(topic(session_id)):
            event = event_from_message(message)
            if event is not None:
                yield event
    finally:
        ctx.services.spawn(ctx.db.write_row(_UNWATCH, (session_id,)),
                           name=f"chat-unwatch-{session_id}")


# ----------------------------------------------------------------- batched reads


def session_rule(viewer):
    """A chat is its user's alone (``get_many``): as a SQL condition on sessions."""
    return ChatSession.user_id == VIEWER_ID if viewer.user_id is not None else false()


def message_rule(viewer):
    """A message is seen with its chat (``get_messages_many``), as a SQL condition."""
    return ChatMessage.session_id.in_(select(ChatSession.id).where(session_rule(viewer)))


async def get_many(ctx: Context, *, session_ids: list[int]) -> list[ChatSession | None]:
    """Sessions by id in one batch; None where missing or not the viewer's."""
    user_id = ctx.viewer.user_id
    rows = await ctx.loaders.get(ChatSessionByIdLoader).load_many(session_ids)
    return [r if r is not None and r.user_id == user_id else None for r in rows]


async def messages_of(ctx: Context, *, session: ChatSession) -> list[ChatMessage]:
    """The messages of a session already loaded for the viewer, batched per request."""
    return await ctx.loaders.get(ChatMessagesBySessionIdLoader).load(session.id)


async def get_messages_many(ctx: Context, *, message_ids: list[int]) -> list[ChatMessage | None]:
    """Messages by id in one batch; None where missing or not in the viewer's sessions."""
    rows = await ctx.loaders.get(ChatMessageByIdLoader).load_many(message_ids)
    sessions = await get_many(ctx, session_ids=[r.session_id if r else 0 for r in rows])
    return [r if r is not None and s is not None else None
            for r, s in zip(rows, sessions, strict=True)]
