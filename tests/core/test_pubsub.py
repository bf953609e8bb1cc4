"""The pub/sub broker against a real PostgreSQL: local fast path, NOTIFY across
instances, large payloads through the table, unsubscribe and listener reconnect."""

from __future__ import annotations

import asyncio
import logging
import uuid

import asyncpg
import pytest
from sqlalchemy import text

from core.db import Database, asyncpg_dsn
from core.pubsub import Broker, Subscription, listener_dsn

WAIT = 5.0


def new_topic() -> str:
    return f"test:{uuid.uuid4().hex}"


async def next_message(sub: Subscription) -> dict:
    return await asyncio.wait_for(anext(sub), WAIT)


async def until(predicate) -> None:
    """Poll ``predicate`` for up to WAIT seconds."""
    for _ in range(int(WAIT / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached in time")


async def received_before_barrier(sub: Subscription, other: Broker) -> list[dict]:
    """Everything ``sub`` holds before a barrier published by ``other``.

    NOTIFYs reach a listener in commit order, so once the barrier arrives every
    notification committed before it has been handled: anything not in the
    returned list was not (and will not be) delivered.
    """
    barrier = {"barrier": uuid.uuid4().hex}
    await other.publish(sub.topic, barrier)
    got = []
    while (message := await next_message(sub)) != barrier:
        if "barrier" not in message:  # earlier barriers are not part of the test
            got.append(message)
    return got


@pytest.fixture
async def brokers(database_url, clean_db):
    """Two instances, each with its own engine and pool, like two server processes."""
    dbs = [Database(database_url, pool_size=2, max_overflow=2) for _ in range(2)]
    a, b = (Broker(db, min_backoff=0.02, max_backoff=0.2) for db in dbs)
    await a.start()
    await b.start()
    yield a, b
    await a.stop()
    await b.stop()
    for db in dbs:
        await db.dispose()


async def test_listener_dsn_accepts_engine_url(db):
    assert db.url.startswith("postgresql+asyncpg://")
    dsn = listener_dsn(db.url + ("&" if "?" in db.url else "?")
                       + "prepared_statement_cache_size=0")
    assert dsn.startswith("postgresql://")
    assert "prepared_statement_cache_size" not in dsn
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT 1") == 1
    finally:
        await conn.close()


async def test_local_delivery_without_listener(db):
    broker = Broker(db)  # never started: local subscribers still get messages
    topic = new_topic()
    sub = broker.subscribe(topic)
    await broker.publish(topic, {"kind": "hello", "n": 1, "nested": {"ok": [True, None]}})
    assert sub._slot.queue.qsize() == 1  # delivered by publish itself, no listener involved
    assert await next_message(sub) == {"kind": "hello", "n": 1, "nested": {"ok": [True, None]}}
    sub.close()
    assert broker.subscriber_count(topic) == 0


async def test_local_delivery_exactly_once(brokers):
    a, b = brokers
    topic = new_topic()
    sub = a.subscribe(topic)
    await a.publish(topic, {"n": 1})
    assert await next_message(sub) == {"n": 1}
    # A's own NOTIFY committed before B's barrier; it must have been ignored.
    assert await received_before_barrier(sub, b) == []


async def test_cross_instance_delivery(brokers):
    a, b = brokers
    topic = new_topic()
    on_a, on_b1, on_b2 = a.subscribe(topic), b.subscribe(topic), b.subscribe(topic)
    message = {"kind": "EVENT", "id": 42, "text": "héllo ✓"}
    await a.publish(topic, message)
    assert await next_message(on_b1) == message
    assert await next_message(on_b2) == message
    assert await next_message(on_a) == message
    assert await received_before_barrier(on_a, b) == []
    assert await received_before_barrier(on_b1, a) == []


async def test_large_payload_crosses_instances_through_table(brokers, db):
    a, b = brokers
    topic = new_topic()
    on_a, on_b = a.subscribe(topic), b.subscribe(topic)
    message = {"kind": "BIG", "blob": "x" * 50_000}
    await a.publish(topic, message)
    assert await next_message(on_b) == message
    assert await next_message(on_a) == message
    assert await received_before_barrier(on_a, b) == []
    async with db.engine.connect() as conn:
        rows = (await conn.exec_driver_sql(
            "SELECT topic, length(payload->>'blob') FROM pubsub_messages")).all()
    assert rows == [(topic, 50_000)]


async def test_topic_isolation(brokers):
    a, b = brokers
    x, y = new_topic(), new_topic()
    on_x, on_y = b.subscribe(x), b.subscribe(y)
    local_x = a.subscribe(x)
    await a.publish(y, {"to": "y"})
    await a.publish(x, {"to": "x"})
    assert await next_message(on_x) == {"to": "x"}
    assert await next_message(local_x) == {"to": "x"}
    assert await next_message(on_y) == {"to": "y"}
    assert await received_before_barrier(on_x, a) == []
    assert await received_before_barrier(on_y, a) == []


async def test_unsubscribe_on_break(db):
    broker = Broker(db)
    topic = new_topic()

    async def first() -> dict:
        async for message in broker.subscribe(topic):
            if message["n"] == 2:
                break
        return message

    task = asyncio.create_task(first())
    await until(lambda: broker.subscriber_count(topic) == 1)
    await broker.publish(topic, {"n": 1})
    await broker.publish(topic, {"n": 2})
    assert await asyncio.wait_for(task, WAIT) == {"n": 2}
    assert broker.subscriber_count(topic) == 0
    assert broker._subscribers == {}


async def test_unsubscribe_on_cancel_and_close(db):
    broker = Broker(db)
    topic = new_topic()

    async def forever() -> None:
        async for _ in broker.subscribe(topic):
            pass

    task = asyncio.create_task(forever())
    await until(lambda: broker.subscriber_count(topic) == 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert broker.subscriber_count(topic) == 0

    async with broker.subscribe(topic) as sub:
        assert broker.subscriber_count(topic) == 1
        # A timed-out wait does not unsubscribe: waiting with a timeout is normal.
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(anext(sub), 0.05)
        await broker.publish(topic, {"still": "here"})
        assert await next_message(sub) == {"still": "here"}
    assert broker.subscriber_count(topic) == 0
    with pytest.raises(StopAsyncIteration):
        await next_message(sub)


async def test_stop_ends_subscribers(database_url):
    database = Database(database_url, pool_size=1, max_overflow=1)
    broker = Broker(database)
    await broker.start()
    try:
        assert broker.healthy
        topic = new_topic()
        got = []

        async def consume() -> None:
            async for message in broker.subscribe(topic):
                got.append(message)

        task = asyncio.create_task(consume())
        await until(lambda: broker.subscriber_count(topic) == 1)
        await broker.publish(topic, {"n": 1})
        await broker.stop()
        await asyncio.wait_for(task, WAIT)  # ends cleanly, no exception
        assert got == [{"n": 1}]
        assert not broker.healthy
        assert broker.subscriber_count(topic) == 0
    finally:
        await broker.stop()
        await database.dispose()


async def test_slow_subscriber_drops_oldest(db, caplog):
    broker = Broker(db)
    topic = new_topic()
    slow = broker.subscribe(topic, queue_size=3)
    fast = broker.subscribe(topic)
    with caplog.at_level(logging.WARNING, logger="core.pubsub"):
        for n in range(5):
            await broker.publish(topic, {"n": n})
    assert [await next_message(slow) for _ in range(3)] == [{"n": 2}, {"n": 3}, {"n": 4}]
    assert slow.dropped == 2
    assert [await next_message(fast) for _ in range(5)] == [{"n": n} for n in range(5)]
    assert fast.dropped == 0
    assert any("slow subscriber" in r.getMessage() for r in caplog.records)


async def test_ordering_across_instances(brokers):
    a, b = brokers
    topic = new_topic()
    sub = b.subscribe(topic)
    sent = [{"n": n, "pad": "p" * (9000 if n % 25 == 10 else 0)} for n in range(100)]
    for message in sent:
        await a.publish(topic, message)
    got = [await next_message(sub) for _ in range(100)]
    assert [m["n"] for m in got] == list(range(100))
    assert got == sent


async def test_concurrent_publishers(brokers):
    a, b = brokers
    topic = new_topic()
    sub = b.subscribe(topic)
    await asyncio.gather(*(a.publish(topic, {"n": n}) for n in range(20)))
    got = [await next_message(sub) for _ in range(20)]
    assert sorted(m["n"] for m in got) == list(range(20))


async def test_listener_reconnects_after_backend_terminated(brokers, database_url):
    a, b = brokers
    topic = new_topic()
    sub = b.subscribe(topic)
    old_pid = b.listener_pid
    assert b.healthy and old_pid is not None

    admin = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        query = await admin.fetchval("SELECT query FROM pg_stat_activity WHERE pid = $1", old_pid)
        assert query == 'LISTEN "learngraph_events"'
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", old_pid) is True
    finally:
        await admin.close()

    await until(lambda: b.healthy and b.listener_pid not in (None, old_pid))
    await a.publish(topic, {"after": "reconnect"})
    assert await next_message(sub) == {"after": "reconnect"}
    await b.publish(topic, {"from": "b"})  # b's own publishing was never affected
    assert await next_message(sub) == {"from": "b"}


async def test_purge_removes_only_old_rows(brokers, db):
    a, _ = brokers
    topic = new_topic()
    await a.publish(topic, {"blob": "y" * 10_000})
    async with db.transaction() as session:
        await session.execute(text(
            "INSERT INTO pubsub_messages (topic, payload, created_at) "
            "VALUES ('old', '{}'::jsonb, now() - interval '1 hour')"))
    assert await a.purge() == 1
    async with db.engine.connect() as conn:
        topics = (await conn.exec_driver_sql("SELECT topic FROM pubsub_messages")).scalars().all()
    assert topics == [topic]


async def test_rejects_bad_input(db):
    broker = Broker(db)
    with pytest.raises(TypeError):
        await broker.publish(new_topic(), ["not", "a", "dict"])  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        broker.subscribe("")
    with pytest.raises(ValueError):
        await broker.publish("t" * 301, {})


async def test_listener_retries_until_database_reachable(brokers, database_url, caplog):
    a, b = brokers
    topic = new_topic()
    sub = b.subscribe(topic)
    good_dsn, old_pid = b._dsn, b.listener_pid
    b._dsn = good_dsn.replace("/learngraph_test_", "/missing_learngraph_test_")
    with caplog.at_level(logging.WARNING, logger="core.pubsub"):
        admin = await asyncpg.connect(asyncpg_dsn(database_url))
        try:
            await admin.fetchval("SELECT pg_terminate_backend($1)", old_pid)
        finally:
            await admin.close()
        await until(lambda: any("reconnect failed" in r.getMessage() for r in caplog.records))
    assert not b.healthy
    b._dsn = good_dsn
    await until(lambda: b.healthy)
    await a.publish(topic, {"back": True})
    assert await next_message(sub) == {"back": True}


async def test_a_stream_keeps_order_and_boundaries_across_instances(brokers):
    a, b = brokers
    topic = new_topic()
    local, remote = a.subscribe(topic), b.subscribe(topic)
    big = "x" * 20_000  # too large for a notification: goes through the table
    sent = [{"n": i, "text": f"chunk {i} "} for i in range(300)] + [{"n": 300, "text": big}]
    async with a.stream(topic) as out:
        for message in sent:
            out.send(message)
    assert [await next_message(local) for _ in sent] == sent
    assert [await next_message(remote) for _ in sent] == sent


async def test_a_stream_notifies_its_first_message_before_send_returns(brokers):
    # A streamed answer's first token leaves for the other instances at once, not a
    # loop turn later behind the model's next read.
    a, b = brokers
    topic = new_topic()
    remote = b.subscribe(topic)
    sent: list[str] = []
    a._db.statements.watchers.append(sent.append)
    try:
        async with a.stream(topic) as out:
            out.send({"n": 0})
            assert len([s for s in sent if "pg_notify" in s]) == 1
            out.send({"n": 1})
    finally:
        a._db.statements.watchers.remove(sent.append)
    assert [await next_message(remote) for _ in range(2)] == [{"n": 0}, {"n": 1}]


async def test_a_notification_is_delivered_as_it_arrives(brokers):
    # Carrying its messages, with nothing before it still to handle, it reaches the
    # subscribers in the listener's callback, without waiting for the dispatcher's turn.
    a, b = brokers
    topic = new_topic()
    on_b = b.subscribe(topic)
    envelope = f'{{"o":"{a.instance_id}","t":"{topic}","ms":[{{"n":1}},{{"n":2}}]}}'
    b._on_notify(None, 0, b.channel, envelope)
    assert on_b._slot.queue.qsize() == 2
    assert [await next_message(on_b) for _ in range(2)] == [{"n": 1}, {"n": 2}]
