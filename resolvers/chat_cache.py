"""The tutor's shared response cache: which messages are cacheable, lookups, the
single-flight lock for misses, storing answers, the cleanup job and its analytics.

Cacheable user messages are the greeting trigger ``"Start."`` (the root of a
tree) and MCQ answers ``{"questionId", "answer"}`` (the answer an option, or
a list of options for a multiple-select question: a child of the session's
current node, found by the SHA-256 of their canonical JSON: sorted keys, no
spaces). Anything else is free-form and makes the session DIVERGED for good.

Concurrent misses on one node make one model call: the first request claims
the node (a row in ``chat_cache_claims``, in a short transaction: no
connection is held while the model answers), streams the answer, stores the
node and drops the claim. The others poll for the node and replay it; if the
claim goes without a node (the call failed) or expires (its holder died and
stopped renewing it), one of them claims it in turn. Claims are rows in the
database, so this holds across server instances.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import case, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.viewer import ROLE_PLATFORM_ADMIN
from core.context import Context
from core.db import Database
from core.jobs import job
from models.chat import ChatMessage, ChatSession
from models.chat_cache import ChatCacheClaim, ChatCacheNode
from resolvers.analytics import rate

log = logging.getLogger(__name__)

GREETING = "Start."
CLEANUP_JOB = "chat_cache.cleanup"
# A claim not renewed for CLAIM_SECONDS is abandoned; its holder renews it every
# RENEW_SECONDS while the answer streams.
CLAIM_SECONDS = 60
RENEW_SECONDS = 15.0
# How often a request waiting on another's claim looks again, from the first to the
# slowest poll.
POLL_SECONDS = (0.05, 0.5)


@dataclass(frozen=True)
class Classified:
    """A user message as the cache sees it: cacheable with its hash, or free-form."""

    cacheable: bool
    greeting: bool = False
    message_hash: str | None = None


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def canonical(value: dict) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def classify(content: str) -> Classified:
    """Greeting, MCQ answer (cacheable) or free-form / follow-up (not)."""
    if content.strip() == GREETING:
        return Classified(cacheable=True, greeting=True, message_hash=_sha(GREETING))
    try:
        parsed = json.loads(content)
    except ValueError:
        return Classified(cacheable=False)
    if (isinstance(parsed, dict) and set(parsed) == {"questionId", "answer"}
            and _choice(parsed["questionId"])
            and (_choice(parsed["answer"]) or (
                isinstance(parsed["answer"], list) and parsed["answer"]
                and all(_choice(a) for a in parsed["answer"])))):
        return Classified(cacheable=True, message_hash=_sha(canonical(parsed)))
    return Classified(cacheable=False)


def _choice(value: object) -> bool:
    """A question id or an answer option: a string or an integer (a multiple-choice
    answer may also be a list of them)."""
    return isinstance(value, int | str) and not isinstance(value, bool)


@dataclass(frozen=True)
class NodeKey:
    content_item_id: int
    prompt_key: str
    model: str
    parent_id: int | None
    message_hash: str

    def claim_id(self) -> str:
        return _sha(canonical({"c": self.content_item_id, "p": self.prompt_key,
                               "m": self.model, "n": self.parent_id, "h": self.message_hash}))


async def find(db: AsyncSession, key: NodeKey) -> ChatCacheNode | None:
    """The node stored under ``key``, if any."""
    parent = (ChatCacheNode.parent_id.is_(None) if key.parent_id is None
              else ChatCacheNode.parent_id == key.parent_id)
    return (await db.execute(select(ChatCacheNode).where(
        ChatCacheNode.content_item_id == key.content_item_id,
        ChatCacheNode.prompt_key == key.prompt_key, ChatCacheNode.model == key.model,
        parent, ChatCacheNode.message_hash == key.message_hash))).scalar_one_or_none()


# The node under a key if stored, else the key's claim taken (unless another live claim
# holds it), in one statement that commits by itself.
_FIND_OR_CLAIM = f"""
WITH node AS (
    SELECT id FROM chat_cache_nodes
    WHERE content_item_id = $1 AND prompt_key = $2 AND model = $3
      AND CASE WHEN $4::bigint IS NULL THEN parent_id IS NULL ELSE parent_id = $4 END
      AND message_hash = $5),
claimed AS (
    INSERT INTO chat_cache_claims (key, expires_at)
    SELECT $6, now() + make_interval(secs => {CLAIM_SECONDS})
    WHERE NOT EXISTS (SELECT 1 FROM node)
    ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at
    WHERE chat_cache_claims.expires_at < now()
    RETURNING key)
SELECT (SELECT id FROM node), EXISTS (SELECT 1 FROM claimed)
"""


async def find_or_claim(ctx: Context, key: NodeKey) -> tuple[ChatCacheNode | None, bool]:
    """The node under ``key`` if stored; else whether this request now holds its claim
    (False while another live claim does). One round trip, no transaction statements."""
    node_id, claimed = await ctx.db.write_row(_FIND_OR_CLAIM, (
        key.content_item_id, key.prompt_key, key.model, key.parent_id, key.message_hash,
        key.claim_id()))
    if node_id is None:
        return None, claimed
    async with ctx.db.read() as db:
        return await db.get(ChatCacheNode, node_id), False


async def renew_claim(db: AsyncSession, key: NodeKey) -> None:
    await db.execute(update(ChatCacheClaim).where(ChatCacheClaim.key == key.claim_id())
                     .values(expires_at=func.now() + timedelta(seconds=CLAIM_SECONDS)))


async def release_claim(db: AsyncSession, key: NodeKey) -> None:
    await db.execute(delete(ChatCacheClaim).where(ChatCacheClaim.key == key.claim_id()))


async def wait_for_node(ctx: Context, key: NodeKey, *, deadline: float) -> ChatCacheNode | None:
    """Wait while another request holds ``key``'s claim: its node once stored, or None
    when the claim goes without one (that call failed, or its holder died) or at
    ``deadline`` (a ``time.monotonic()`` value)."""
    pause = POLL_SECONDS[0]
    while time.monotonic() < deadline:
        await asyncio.sleep(pause)
        pause = min(pause * 2, POLL_SECONDS[1])
        async with ctx.db.session() as db:
            node = await find(db, key)
            if node is not None:
                return node
            live = (await db.execute(select(ChatCacheClaim.key).where(
                ChatCacheClaim.key == key.claim_id(),
                ChatCacheClaim.expires_at >= func.now()))).first()
        if live is None:
            return None
    return None


async def store(db: AsyncSession, key: NodeKey, chunks: list[str]) -> ChatCacheNode | None:
    """Insert the answer streamed for ``key``: the node stored under it (another
    request's if one got there first), or None when its parent is gone."""
    sequence = 0
    if key.parent_id is not None:
        parent = await db.get(ChatCacheNode, key.parent_id)
        if parent is None:
            return None
        sequence = parent.sequence + 1
    await db.execute(insert(ChatCacheNode).values(
        content_item_id=key.content_item_id, prompt_key=key.prompt_key, model=key.model,
        parent_id=key.parent_id, message_hash=key.message_hash, sequence=sequence,
        chunks=list(chunks), full_text="".join(chunks)).on_conflict_do_nothing())
    return await find(db, key)


@dataclass(frozen=True)
class Answer:
    """A node's stored answer, as a replay sends it: its chunks and their text."""

    id: int
    chunks: tuple[str, ...]
    full_text: str


# A node's answer never changes once stored (another prompt version or model makes other
# nodes; a node is only ever deleted), so each process keeps the answers it replays, by
# the node's id and creation time (ids alone could name another node after a restored
# or rewound database), the most recently replayed ``ANSWERS_KEPT``. A turn then reads
# only which node answers it, not the node's hundreds of chunks, which PostgreSQL built
# into JSON and the server decoded again on every replay.
ANSWERS_KEPT = 512
_answers: OrderedDict[tuple[int, str], Answer] = OrderedDict()
_ANSWER = "SELECT CAST(chunks AS text) FROM chat_cache_nodes WHERE id = $1 " \
          "AND CAST(created_at AS text) = $2"


async def answer(db: Database, node_id: int, created: str) -> Answer | None:
    """The answer of the node ``node_id`` created at ``created`` (as PostgreSQL wrote it
    as text), kept in process once read; None when that node is gone."""
    key = (node_id, created)
    found = _answers.get(key)
    if found is not None:
        _answers.move_to_end(key)
        return found
    chunks = await db.read_value(_ANSWER, (node_id, created))
    if chunks is None:
        return None
    chunks = tuple(orjson.loads(chunks))
    found = _answers[key] = Answer(id=node_id, chunks=chunks, full_text="".join(chunks))
    while len(_answers) > ANSWERS_KEPT:
        _answers.popitem(last=False)
    return found


_COUNT_HITS = ("UPDATE chat_cache_nodes SET hits = hits + $2, last_hit_at = now() "
               "WHERE id = $1")


# How long a node's hits gather before they are written, unless someone waits for them
# (``hits_written``).
HITS_LINGER_SECONDS = 0.1


class HitCounter:
    """A node's hits, written in batches: every request that replays a popular node
    (every learner's greeting of a content item) would otherwise update its one row and
    queue on that row's lock until its transaction commits. ``add`` returns at once: the
    answer it counts is stored already, and waiting for the count's commit (and for the
    row, which other instances' batches update too) only held the answer back. The hits
    gather for ``HITS_LINGER_SECONDS`` and go together, one autocommit statement per node
    (the lock is held for one statement): written as soon as the last batch was, two
    greetings made one batch at concurrency 16, and each batch's update of the node's row
    cost PostgreSQL 0.4 ms and a commit. A batch waiting out its linger when the loop
    ends is written first."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: dict[int, int] = {}
        self._writer: asyncio.Task | None = None
        self._now = asyncio.Event()

    def add(self, node_id: int) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop, self._pending, self._writer = loop, {}, None
            self._now = asyncio.Event()
        self._pending[node_id] = self._pending.get(node_id, 0) + 1
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._write(), name="chat-cache-hits")

    async def written(self) -> None:
        """Once every hit added so far is committed (or logged as lost)."""
        while self._writer is not None and not self._writer.done():
            self._now.set()
            await asyncio.shield(self._writer)

    async def _write(self) -> None:
        cancelled = False
        while self._pending:
            if not (cancelled or self._now.is_set()):
                try:
                    await asyncio.wait_for(self._now.wait(), HITS_LINGER_SECONDS)
                except TimeoutError:
                    pass
                except asyncio.CancelledError:
                    cancelled = True
            self._now.clear()
            batch, self._pending = self._pending, {}
            try:
                for node_id in sorted(batch):
                    await self._db.write_row(_COUNT_HITS, (node_id, batch[node_id]))
            except Exception:
                # The answers are stored and sent: only the figures miss these hits.
                log.warning("could not count %d cache hit(s)", sum(batch.values()),
                            exc_info=True)
        if cancelled:
            raise asyncio.CancelledError


_counters: weakref.WeakKeyDictionary[Database, HitCounter] = weakref.WeakKeyDictionary()


def count_hit(ctx: Context, node_id: int) -> None:
    """One more hit of ``node_id`` (and its last hit now), committed with the next batch
    a moment later (or logged when it could not be: the answer it counts is stored
    either way)."""
    counter = _counters.get(ctx.db)
    if counter is None:
        counter = _counters[ctx.db] = HitCounter(ctx.db)
    counter.add(node_id)


async def hits_written(db: Database) -> None:
    """Once every hit counted in this process so far is committed: the node's ``hits``
    and the cache analytics include them."""
    counter = _counters.get(db)
    if counter is not None:
        await counter.written()


# ----------------------------------------------------------------- cleanup


async def delete_stale(db: AsyncSession, *, older_than_days: int) -> int:
    """Delete nodes neither hit nor created for ``older_than_days`` (children go with them)."""
    cutoff = datetime.now(UTC) - timedelta(days=older_than_days)
    result = await db.execute(text(
        "DELETE FROM chat_cache_nodes WHERE coalesce(last_hit_at, created_at) < :cutoff"),
        {"cutoff": cutoff})
    return result.rowcount


@job(CLEANUP_JOB, every_seconds=6 * 3600)
async def cleanup_stale_nodes(services, payload: dict) -> None:
    """Remove cache nodes unused for ``chat_cache_stale_days`` (or the payload's ``days``),
    and claims abandoned by requests that died."""
    days = int(payload.get("days", services.settings.chat_cache_stale_days))
    async with services.db.transaction() as db:
        await delete_stale(db, older_than_days=days)
        await db.execute(delete(ChatCacheClaim).where(ChatCacheClaim.expires_at < func.now()))


# ----------------------------------------------------------------- analytics


@dataclass(frozen=True)
class CacheAnalytics:
    cache_hits: int
    cache_misses: int
    hit_rate: float
    session_divergence_rate: float
    total_cached_nodes: int
    total_hits_served: int


async def analytics(ctx: Context) -> CacheAnalytics:
    """Hits and misses of cacheable messages, divergence, and the tree's size (admins)."""
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)
    source = ChatMessage.meta["source"].astext
    lookup = ChatMessage.meta["cache_lookup"].astext
    async with ctx.db.session() as db:
        hits, misses = (await db.execute(select(
            func.count().filter(source == "cache"),
            func.count().filter(lookup == "miss")).where(
                ChatMessage.role == "assistant"))).one()
        sessions, diverged = (await db.execute(select(
            func.count(), func.coalesce(func.sum(case(
                (ChatSession.cache_state == "DIVERGED", 1), else_=0)), 0)))).one()
        nodes, served = (await db.execute(select(
            func.count(), func.coalesce(func.sum(ChatCacheNode.hits), 0)))).one()
    return CacheAnalytics(cache_hits=hits, cache_misses=misses,
                          hit_rate=rate(hits, hits + misses),
                          session_divergence_rate=rate(int(diverged), sessions),
                          total_cached_nodes=nodes, total_hits_served=int(served))
