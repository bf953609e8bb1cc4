"""Topic pub/sub shared by every server process, over PostgreSQL LISTEN/NOTIFY.

Each process runs one Broker. publish() hands a message straight to this
process's subscribers (no database round trip) and sends one NOTIFY on a single
channel. Every broker LISTENs on that channel through one dedicated connection
and delivers what other instances published, skipping its own notifications by
their origin id. A message too large for a NOTIFY payload (8000 bytes) is stored
in ``pubsub_messages`` and the notification carries only the row id.

Delivery is at most once: a notification sent while a listener is reconnecting
is lost, so subscribers should treat messages as signals and re-read state they
cannot afford to miss. Each subscriber has its own bounded queue; a slow one
loses its oldest messages rather than blocking publishers or other subscribers.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import time
import weakref
from collections.abc import Awaitable
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from core.db import Database, asyncpg_dsn
from core.eager import start_eagerly

try:
    import orjson

    def _dumps(obj: Any) -> bytes:
        return orjson.dumps(obj)

    _loads = orjson.loads
except ImportError:  # pragma: no cover - orjson is a declared dependency
    import json

    def _dumps(obj: Any) -> bytes:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()

    _loads = json.loads

log = logging.getLogger(__name__)

CHANNEL = "learngraph_events"
# PostgreSQL rejects NOTIFY payloads of 8000 bytes or more; stay well below.
NOTIFY_LIMIT = 7000
MAX_TOPIC_LENGTH = 300  # pubsub_messages.topic is String(300)

_NOTIFY = text("SELECT pg_notify(:channel, :payload)")
_NOTIFY_ALL = "SELECT pg_notify($1, payload) FROM unnest(CAST($2 AS text[])) AS payload"
_STORE = text("INSERT INTO pubsub_messages (topic, payload) "
              "VALUES (:topic, CAST(:payload AS jsonb)) RETURNING id")
_FETCH = text("SELECT payload::text FROM pubsub_messages WHERE id = :id")
_PURGE = text("DELETE FROM pubsub_messages WHERE created_at < now() - make_interval(secs => :age)")

# Query parameters SQLAlchemy's asyncpg dialect consumes itself; asyncpg.connect()
# would send them to the server as settings, which it rejects.
_DIALECT_ONLY_PARAMS = ("prepared_statement_cache_size", "prepared_statement_name_func",
                        "async_fallback")

_END = object()


def listener_dsn(url: str) -> str:
    """The DSN for the listener's own asyncpg connection, from the engine's URL.

    Unix-socket URLs (``?host=/socket/dir``) pass through unchanged in meaning.
    """
    parsed = make_url(url)
    return asyncpg_dsn(parsed.difference_update_query(_DIALECT_ONLY_PARAMS)
                       .render_as_string(hide_password=False))


def _check_topic(topic: str) -> None:
    if not isinstance(topic, str) or not topic:
        raise ValueError("topic must be a non-empty string")
    if len(topic) > MAX_TOPIC_LENGTH:
        raise ValueError(f"topic is longer than {MAX_TOPIC_LENGTH} characters")


# The origin of a message published with a transaction: no broker has it, so every
# instance (the publishing one too) delivers it from its LISTEN connection.
COMMIT_ORIGIN = "commit"


async def publish_on_commit(session, topic: str, message: dict, *,
                            channel: str = CHANNEL) -> None:
    """Publish ``message`` on ``topic`` when ``session``'s transaction commits, and not at
    all if it rolls back: a NOTIFY sent inside the transaction, which PostgreSQL delivers
    at commit to every instance, this one included. For small signals only (a row's id):
    a message past the NOTIFY limit raises ValueError."""
    _check_topic(topic)
    envelope = b'{"o":%s,"t":%s,"m":%s}' % (_dumps(COMMIT_ORIGIN), _dumps(topic),
                                             _dumps(message))
    if len(envelope) > NOTIFY_LIMIT:
        raise ValueError("message too large to publish with a transaction")
    await session.execute(_NOTIFY, {"channel": channel, "payload": envelope.decode()})


class _Slot:
    """One subscriber's queue, as the broker holds it."""

    def __init__(self, topic: str, maxsize: int) -> None:
        self.topic = topic
        self.queue: asyncio.Queue[Any] = asyncio.Queue(maxsize)
        self.closed = False
        self.dropped = 0
        self._warned_at = 0.0

    def put(self, message: dict) -> None:
        if self.closed:
            return
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
            now = time.monotonic()
            if self.dropped == 1 or now - self._warned_at >= 10:
                self._warned_at = now
                log.warning("pubsub: slow subscriber on %r, dropped %d message(s) so far",
                            self.topic, self.dropped)
        self.queue.put_nowait(message)

    def close(self, *, discard_pending: bool = False) -> None:
        if self.closed:
            return
        self.closed = True
        if discard_pending:
            while not self.queue.empty():
                self.queue.get_nowait()
        elif self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(_END)

    async def get(self) -> dict:
        if self.closed and self.queue.empty():
            raise StopAsyncIteration
        item = await self.queue.get()
        if item is _END:
            raise StopAsyncIteration
        return item


class Subscription:
    """The messages published on one topic, as an async iterator of dicts.

    It is registered when created, so nothing published after subscribe()
    returns is missed. It unregisters when dropped (leaving ``async for`` by
    break, return, exception or cancellation), on close()/aclose(), or at the end
    of ``async with``; it ends when the broker stops. Treat messages as
    read-only: subscribers of one process share each message object.
    """

    def __init__(self, broker: Broker, slot: _Slot) -> None:
        self.topic = slot.topic
        self._slot = slot
        self._finalizer = weakref.finalize(self, broker._unregister, slot)
        self._finalizer.atexit = False

    @property
    def dropped(self) -> int:
        """Messages lost because this subscriber fell behind."""
        return self._slot.dropped

    def __aiter__(self) -> Subscription:
        return self

    def __anext__(self) -> Awaitable[dict]:
        # Deliberately not a coroutine: a pending get() must not reference this
        # object, so leaving ``async for`` frees it at once and the finalizer
        # unregisters it, even when the loop is left by cancellation.
        return self._slot.get()

    def close(self) -> None:
        self._finalizer()
        self._slot.close(discard_pending=True)

    async def aclose(self) -> None:
        self.close()

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()


class Broker:
    """Publishes to and subscribes from topics shared by all server processes."""

    def __init__(self, db: Database, *, channel: str = CHANNEL, queue_size: int = 1000,
                 inbox_size: int = 10_000, notify_limit: int = NOTIFY_LIMIT,
                 retention_seconds: float = 600.0, purge_interval: float = 60.0,
                 ping_interval: float = 30.0, connect_timeout: float = 5.0,
                 min_backoff: float = 0.1, max_backoff: float = 10.0) -> None:
        self.channel = channel
        self.instance_id = secrets.token_hex(8)
        self._db = db
        self._dsn = listener_dsn(db.url)
        self._queue_size = queue_size
        self._inbox_size = inbox_size
        self._notify_limit = notify_limit
        self._retention = retention_seconds
        self._purge_interval = purge_interval
        self._next_purge = time.monotonic() + purge_interval
        self._ping_interval = ping_interval
        self._connect_timeout = connect_timeout
        self._min_backoff = min_backoff
        self._max_backoff = max_backoff

        self._subscribers: dict[str, set[_Slot]] = {}
        self._inbox: asyncio.Queue[str] = asyncio.Queue(inbox_size)
        self._conn: asyncpg.Connection | None = None
        self._healthy = False
        self._stopped = False
        self._supervisor: asyncio.Task | None = None
        self._dispatcher: asyncio.Task | None = None
        # The dispatcher is handling a notification (it may be fetching a stored message).
        self._dispatching = False
        self._background: set[asyncio.Task] = set()

    # -- lifecycle -------------------------------------------------------------

    async def start(self) -> None:
        """Connect the listener. Raises if the database cannot be reached now."""
        if self._supervisor is not None:
            return
        self._inbox = asyncio.Queue(self._inbox_size)
        conn, lost = await self._connect()
        self._conn, self._healthy, self._stopped = conn, True, False
        self._dispatcher = asyncio.create_task(self._dispatch(), name="pubsub-dispatch")
        self._supervisor = asyncio.create_task(self._supervise(conn, lost),
                                               name="pubsub-listener")

    async def stop(self) -> None:
        """Stop listening and end every subscriber's iteration."""
        self._stopped = True
        tasks = [t for t in (self._supervisor, self._dispatcher, *self._background) if t]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._supervisor = self._dispatcher = None
        self._background.clear()
        conn, self._conn, self._healthy = self._conn, None, False
        if conn is not None:
            try:
                await conn.close(timeout=2)
            except Exception:
                conn.terminate()
        for slots in self._subscribers.values():
            for slot in slots:
                slot.close()
        self._subscribers.clear()

    @property
    def healthy(self) -> bool:
        """True while the listener connection is up and listening."""
        return self._healthy and self._conn is not None and not self._conn.is_closed()

    @property
    def listener_pid(self) -> int | None:
        """The server process id of the listener connection, while it is up."""
        return self._conn.get_server_pid() if self.healthy and self._conn else None

    def subscriber_count(self, topic: str) -> int:
        return len(self._subscribers.get(topic, ()))

    # -- publishing ------------------------------------------------------------

    async def publish(self, topic: str, message: dict) -> None:
        """Deliver ``message`` to this process's subscribers now and notify the others.

        Raises if the notification cannot be sent; local subscribers have
        already received the message by then.
        """
        _check_topic(topic)
        if not isinstance(message, dict):
            raise TypeError("message must be a dict")
        body = _dumps(message)
        if self._subscribers.get(topic):
            # A decoded copy, so local subscribers see what remote ones see.
            self._deliver(topic, _loads(body))
        self._maybe_purge()

        origin, topic_json = _dumps(self.instance_id), _dumps(topic)
        envelope = b'{"o":%s,"t":%s,"m":%s}' % (origin, topic_json, body)
        async with self._db.engine.begin() as conn:
            if len(envelope) <= self._notify_limit:
                await conn.execute(_NOTIFY, {"channel": self.channel,
                                             "payload": envelope.decode()})
                return
            row_id = (await conn.execute(_STORE, {"topic": topic,
                                                  "payload": body.decode()})).scalar_one()
            # The row and the notification commit together, so receivers find the row.
            pointer = b'{"o":%s,"t":%s,"id":%d}' % (origin, topic_json, row_id)
            await conn.execute(_NOTIFY, {"channel": self.channel, "payload": pointer.decode()})

    def stream(self, topic: str, *, remote: bool = True) -> StreamPublisher:
        """A publisher for a burst of messages on one topic (a streamed answer).

        Each message reaches this process's subscribers at once; the others get
        them batched, in order and one by one: the first at once, then each
        notification carries what queued up over ``STREAM_LINGER_SECONDS`` and
        while the last one was sent, so a fast stream costs a few notifications a
        second, not one per message. ``remote=False``: the caller knows no other
        instance has a subscriber, and nothing is notified. Use it as an async context
        manager.
        """
        _check_topic(topic)
        return StreamPublisher(self, topic, remote=remote)

    async def _notify_batch(self, topic: str, messages: list[dict]) -> None:
        """Notify other instances of ``messages`` (already delivered locally)."""
        origin, topic_json = _dumps(self.instance_id), _dumps(topic)
        bodies = [_dumps(m) for m in messages]
        if not bodies:
            return
        if all(len(body) + 100 <= self._notify_limit for body in bodies):
            # All fit in notifications (a streamed answer's chunks): one statement that is
            # a transaction by itself, on a bare connection, in order.
            envelopes, batch, size = [], [], 0
            for body in bodies:
                if size + len(body) + 100 > self._notify_limit:
                    envelopes.append(batch)
                    batch, size = [], 0
                batch.append(body)
                size += len(body) + 1
            envelopes.append(batch)
            await self._db.execute_alone(_NOTIFY_ALL, (self.channel, [
                (b'{"o":%s,"t":%s,"ms":[%s]}' % (origin, topic_json, b",".join(each))).decode()
                for each in envelopes]))
            return
        batch: list[bytes] = []

        async def flush(conn) -> None:
            if batch:
                envelope = b'{"o":%s,"t":%s,"ms":[%s]}' % (origin, topic_json, b",".join(batch))
                await conn.execute(_NOTIFY, {"channel": self.channel,
                                             "payload": envelope.decode()})
                batch.clear()

        async with self._db.engine.begin() as conn:
            for body in bodies:
                if len(body) + 100 > self._notify_limit:
                    await flush(conn)
                    row_id = (await conn.execute(_STORE, {"topic": topic,
                                                          "payload": body.decode()})).scalar_one()
                    pointer = b'{"o":%s,"t":%s,"id":%d}' % (origin, topic_json, row_id)
                    await conn.execute(_NOTIFY, {"channel": self.channel,
                                                 "payload": pointer.decode()})
                    continue
                if sum(len(b) + 1 for b in batch) + len(body) + 100 > self._notify_limit:
                    await flush(conn)
                batch.append(body)
            await flush(conn)

    async def purge(self) -> int:
        """Delete stored large messages older than the retention; return how many."""
        async with self._db.engine.begin() as conn:
            result = await conn.execute(_PURGE, {"age": float(self._retention)})
        return result.rowcount

    def _maybe_purge(self) -> None:
        now = time.monotonic()
        if now < self._next_purge:
            return
        self._next_purge = now + self._purge_interval
        task = asyncio.create_task(self._purge_quietly(), name="pubsub-purge")
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _purge_quietly(self) -> None:
        try:
            deleted = await self.purge()
        except Exception:
            log.warning("pubsub: could not purge old messages", exc_info=True)
        else:
            if deleted:
                log.debug("pubsub: purged %d old message(s)", deleted)

    # -- subscribing -----------------------------------------------------------

    def subscribe(self, topic: str, *, queue_size: int | None = None) -> Subscription:
        """Messages published on ``topic`` from now on, by any instance."""
        _check_topic(topic)
        slot = _Slot(topic, queue_size or self._queue_size)
        if self._stopped:
            slot.close()
        else:
            self._subscribers.setdefault(topic, set()).add(slot)
        return Subscription(self, slot)

    def _unregister(self, slot: _Slot) -> None:
        slots = self._subscribers.get(slot.topic)
        if slots is None:
            return
        slots.discard(slot)
        if not slots:
            del self._subscribers[slot.topic]

    def _deliver(self, topic: str, message: dict) -> None:
        for slot in tuple(self._subscribers.get(topic, ())):
            slot.put(message)

    # -- listening -------------------------------------------------------------

    async def _connect(self) -> tuple[asyncpg.Connection, asyncio.Event]:
        conn = await asyncpg.connect(self._dsn, timeout=self._connect_timeout,
                                     server_settings={"application_name": "learngraph-pubsub"})
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        try:
            await conn.add_listener(self.channel, self._on_notify)
        except BaseException:
            conn.terminate()
            raise
        return conn, lost

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        # Delivered in order. A notification that carries its messages, with none before
        # it still to handle, is delivered now: the dispatcher's wake-up would cost a
        # loop turn behind whatever else is ready (for a streamed answer's first token on
        # its way to this instance's subscriber). The others are handled by one task, as a
        # stored message must be fetched before anything notified after it is delivered.
        if not self._dispatching and self._inbox.empty():
            try:
                if self._deliver_carried(_loads(payload)):
                    return
            except Exception:
                log.exception("pubsub: could not handle a notification")
                return
        try:
            self._inbox.put_nowait(payload)
        except asyncio.QueueFull:
            log.warning("pubsub: inbox full, dropped a notification")

    async def _dispatch(self) -> None:
        while True:
            self._dispatching = False
            payload = await self._inbox.get()
            self._dispatching = True
            try:
                await self._handle(payload)
            except Exception:
                log.exception("pubsub: could not handle a notification")

    def _deliver_carried(self, envelope: dict) -> bool:
        """Deliver what a notification carries (nothing when it is this instance's own,
        or no subscriber here has its topic); False when it points to a stored message."""
        if envelope.get("o") == self.instance_id:
            return True  # delivered locally when published
        topic = envelope["t"]
        if topic not in self._subscribers:
            return True
        if "ms" in envelope:
            for message in envelope["ms"]:
                self._deliver(topic, message)
            return True
        if "m" in envelope:
            self._deliver(topic, envelope["m"])
            return True
        return False

    async def _handle(self, payload: str) -> None:
        envelope = _loads(payload)
        if self._deliver_carried(envelope):
            return
        topic = envelope["t"]
        async with self._db.engine.connect() as conn:
            stored = (await conn.execute(_FETCH, {"id": envelope["id"]})).scalar_one_or_none()
        if stored is None:
            log.warning("pubsub: stored message %s on %r is gone", envelope["id"], topic)
            return
        self._deliver(topic, _loads(stored))

    async def _supervise(self, conn: asyncpg.Connection, lost: asyncio.Event) -> None:
        backoff = self._min_backoff
        while True:
            self._conn, self._healthy = conn, True
            await self._watch(conn, lost)
            self._healthy, self._conn = False, None
            conn.terminate()
            log.warning("pubsub: listener connection lost; reconnecting")
            while True:
                # Jitter keeps N processes from reconnecting in lockstep after a restart.
                await asyncio.sleep(backoff * random.uniform(0.5, 1.0))
                backoff = min(backoff * 2, self._max_backoff)
                try:
                    conn, lost = await self._connect()
                    break
                except Exception as exc:
                    log.warning("pubsub: listener reconnect failed (%s: %s); retrying",
                                type(exc).__name__, exc)
            log.info("pubsub: listener reconnected")
            backoff = self._min_backoff

    async def _watch(self, conn: asyncpg.Connection, lost: asyncio.Event) -> None:
        """Return once the connection is lost, pinging it so a silent drop is noticed too."""
        while True:
            try:
                await asyncio.wait_for(lost.wait(), self._ping_interval)
                return
            except TimeoutError:
                pass
            try:
                await asyncio.wait_for(conn.execute("SELECT 1"), self._connect_timeout)
            except Exception as exc:
                log.warning("pubsub: listener ping failed (%s: %s)", type(exc).__name__, exc)
                return


# How long a streamed message waits for others to share its notification.
STREAM_LINGER_SECONDS = 0.02


class StreamPublisher:
    """Publishes a burst of messages on one topic; see ``Broker.stream``."""

    def __init__(self, broker: Broker, topic: str, *, remote: bool = True) -> None:
        self._broker = broker
        self._topic = topic
        self._remote = remote
        self._pending: list[dict] = []
        self._sending: asyncio.Task | None = None
        self._lingers = False

    def send(self, message: dict) -> None:
        """Deliver ``message`` locally now and queue it for the other instances."""
        if not isinstance(message, dict):
            raise TypeError("message must be a dict")
        if self._broker._subscribers.get(self._topic):
            self._broker._deliver(self._topic, _loads(_dumps(message)))
        if not self._remote:
            return
        self._pending.append(message)
        if self._sending is None or self._sending.done():
            # Started at once: the first message's notification is sent before the caller
            # goes on, not a loop turn later (behind the model's next read, for a
            # streamed answer's first token).
            self._sending = start_eagerly(self._drain(), name="pubsub-stream")

    async def _drain(self) -> None:
        while self._pending:
            if self._lingers:
                await asyncio.sleep(STREAM_LINGER_SECONDS)
            # The first message (an answer's first token) goes at once; later ones wait
            # for company.
            self._lingers = True
            batch, self._pending = self._pending, []
            try:
                await self._broker._notify_batch(self._topic, batch)
            except Exception:
                # The caller's client and local subscribers already have these; only
                # subscribers on other instances miss them. Never fail the answer for it.
                log.warning("pubsub: could not send %d streamed message(s) on %r",
                            len(batch), self._topic, exc_info=True)

    async def close(self) -> None:
        """Wait until every queued message has been sent (or given up on)."""
        while self._sending is not None and not self._sending.done():
            await self._sending
        if self._pending:
            await self._drain()

    async def __aenter__(self) -> StreamPublisher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
