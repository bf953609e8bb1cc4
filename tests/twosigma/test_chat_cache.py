"""The tutor's shared response cache: greeting roots, MCQ children, divergence, replay
with the original chunk boundaries and no model call, the per-course toggle, model
changes, single-flight misses, failures and the cleanup job.

Prompt-version invalidation (a new production version of the content type's
prompt starts a new tree) is tested in test_chat_prompts.py.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text, update

from core import jobs
from core.llm import SERVICE_ERROR
from models.chat import ChatMessage
from models.chat_cache import ChatCacheClaim, ChatCacheNode
from models.course import Course
from resolvers import chat_cache
from tests.fixtures import count_statements
from tests.twosigma.chat_helpers import (
    API,
    chunks_of,
    greet,
    learner,
    open_session,
    send,
    sse_events,
    topic,
)

GREETING = ["Hello! ", "Today: recursion. ", "Q1: what is a base case? A) ... B) ..."]
MCQ = {"questionId": 1, "answer": "A"}


async def nodes(services) -> list[ChatCacheNode]:
    """The cache's nodes, their hits counted (hits are written a moment after the answer)."""
    await chat_cache.hits_written(services.db)
    async with services.db.session() as db:
        return list((await db.execute(select(ChatCacheNode).order_by(ChatCacheNode.id)))
                    .scalars())


async def last_answer(services, session_id: int) -> ChatMessage:
    async with services.db.session() as db:
        return (await db.execute(select(ChatMessage).where(
            ChatMessage.session_id == session_id, ChatMessage.role == "assistant")
            .order_by(ChatMessage.id.desc()).limit(1))).scalar_one()


async def session_state(client, who, session_id: int) -> tuple[int | None, str]:
    body = (await client.get(f"{API}/chat/sessions/{session_id}", headers=who.headers)).json()
    return body["cache_node_id"], body["cache_state"]


async def test_a_second_greeting_replays_the_first_without_the_model(
        client, services, fake_anthropic):
    ada, bob = await learner(services), await learner(services, "bob@example.com")
    item = await topic(services)
    first, second = await open_session(client, ada, item), await open_session(client, bob, item)
    fake_anthropic.reply_text("".join(GREETING), chunks=GREETING)

    miss_text, miss = await greet(client, ada, first["id"])
    calls = len(fake_anthropic.recorded())
    response = await client.post(f"{API}/chat/sessions/{second['id']}/greeting",
                                 headers=bob.headers)
    hit_text, hit = response.text, sse_events(response.text)

    assert calls == 1 and len(fake_anthropic.recorded()) == 1
    # The replay is known whole: one body of known length, not a stream kept open.
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    assert int(response.headers["content-length"]) == len(response.content)
    assert "transfer-encoding" not in response.headers
    assert chunks_of(hit) == chunks_of(miss) == GREETING
    assert hit_text.replace(str(hit[-1]["message_id"]), "N") == \
        miss_text.replace(str(miss[-1]["message_id"]), "N")
    [root] = await nodes(services)
    assert (root.parent_id, root.sequence, root.chunks, root.full_text, root.hits) == (
        None, 0, GREETING, "".join(GREETING), 1)
    assert root.last_hit_at is not None
    answer = await last_answer(services, second["id"])
    assert answer.id == hit[-1]["message_id"]
    assert answer.meta == {"source": "cache", "cache_node_id": root.id}
    assert answer.content == "".join(GREETING)
    assert (await last_answer(services, first["id"])).meta == {"source": "llm",
                                                               "cache_lookup": "miss"}
    assert await session_state(client, ada, first["id"]) == (root.id, "TRACKING")
    assert await session_state(client, bob, second["id"]) == (root.id, "TRACKING")


async def test_a_replayed_answer_is_read_once_per_node_and_never_another_nodes(
        client, services, fake_anthropic):
    ada, bob, cy = (await learner(services), await learner(services, "bob@example.com"),
                    await learner(services, "cy@example.com"))
    item = await topic(services)
    sessions = [await open_session(client, who, item) for who in (ada, bob, cy, cy)]
    fake_anthropic.reply_text("".join(GREETING), chunks=GREETING)
    await greet(client, ada, sessions[0]["id"])

    with count_statements(services) as first:
        _, hit = await greet(client, bob, sessions[1]["id"])
    with count_statements(services) as again:
        await greet(client, cy, sessions[2]["id"])
    # Another node under the same id (a database rewound or restored): not the kept one.
    other = ["Welcome back. ", "Q1 again."]
    async with services.db.transaction() as db:
        await db.execute(update(ChatCacheNode).values(
            chunks=other, full_text="".join(other),
            created_at=ChatCacheNode.created_at + timedelta(seconds=1)))
    _, replayed = await greet(client, cy, sessions[3]["id"])

    assert chunks_of(hit) == GREETING and chunks_of(replayed) == other
    assert len(fake_anthropic.recorded()) == 1
    # The node's chunks are read by the first replay in this process, not the next.
    def reads(counted) -> int:
        return sum("FROM chat_cache_nodes WHERE id" in s for s in counted.statements)

    assert (reads(first), reads(again)) == (1, 0)
    assert (await last_answer(services, sessions[3]["id"])).content == "".join(other)


async def test_the_hits_of_a_moment_are_counted_in_one_statement(
        client, services, fake_anthropic, monkeypatch):
    # Hits wait to be written until someone asks for them (or the linger ends).
    monkeypatch.setattr(chat_cache, "HITS_LINGER_SECONDS", 60)
    ada, bob, cy = (await learner(services), await learner(services, "bob@example.com"),
                    await learner(services, "cy@example.com"))
    item = await topic(services)
    sessions = [await open_session(client, who, item) for who in (ada, bob, cy)]
    fake_anthropic.reply_text("".join(GREETING), chunks=GREETING)
    await greet(client, ada, sessions[0]["id"])
    for who, session in ((bob, sessions[1]), (cy, sessions[2])):
        await greet(client, who, session["id"])

    with count_statements(services) as counted:
        [root] = await nodes(services)

    assert root.hits == 2
    assert sum(s.startswith("UPDATE chat_cache_nodes SET hits") for s in counted.statements) == 1


async def test_mcq_answers_are_children_found_by_their_canonical_hash(
        client, services, fake_anthropic):
    ada, bob = await learner(services), await learner(services, "bob@example.com")
    item = await topic(services)
    first, second = await open_session(client, ada, item), await open_session(client, bob, item)
    fake_anthropic.reply_text("".join(GREETING), chunks=GREETING)
    fake_anthropic.reply_text("Right: the base case stops it.",
                              chunks=["Right: ", "the base case stops it."])
    await greet(client, ada, first["id"])
    await send(client, ada, first["id"], MCQ)

    await greet(client, bob, second["id"])
    _, same = await send(client, bob, second["id"], '{"answer": "A", "questionId": 1}')
    fake_anthropic.reply_text("Not quite.")
    await send(client, bob, second["id"], {"questionId": 2, "answer": "C"})

    assert len(fake_anthropic.recorded()) == 3
    assert chunks_of(same) == ["Right: ", "the base case stops it."]
    root, child, grandchild = await nodes(services)
    assert (child.parent_id, child.sequence, child.hits) == (root.id, 1, 1)
    assert child.message_hash == chat_cache.classify('{"questionId":1,"answer":"A"}').message_hash
    assert (grandchild.parent_id, grandchild.sequence, grandchild.hits) == (child.id, 2, 0)
    assert (await last_answer(services, second["id"])).meta == {"source": "llm",
                                                                "cache_lookup": "miss"}
    assert await session_state(client, bob, second["id"]) == (grandchild.id, "TRACKING")


async def test_free_text_and_followups_diverge_the_session_for_good(
        client, services, fake_anthropic):
    ada, bob = await learner(services), await learner(services, "bob@example.com")
    item = await topic(services)
    first, second = await open_session(client, ada, item), await open_session(client, bob, item)
    fake_anthropic.reply_text("".join(GREETING), chunks=GREETING)
    fake_anthropic.reply_text("Correct.")
    await greet(client, ada, first["id"])
    await send(client, ada, first["id"], MCQ)
    await greet(client, bob, second["id"])
    fake_anthropic.reply_text("Good question.")
    fake_anthropic.reply_text("Correct, again.")
    fake_anthropic.reply_text("More detail.")

    await send(client, bob, second["id"], "Why does this work?")
    diverged = await session_state(client, bob, second["id"])
    _, answered = await send(client, bob, second["id"], MCQ)
    await send(client, bob, second["id"], {"type": "followup", "text": "more"})

    root, child = await nodes(services)
    assert diverged == (root.id, "DIVERGED")
    assert "".join(chunks_of(answered)) == "Correct, again."
    assert len(fake_anthropic.recorded()) == 5
    assert child.hits == 0
    assert (await last_answer(services, second["id"])).meta == {"source": "llm"}
    assert await session_state(client, bob, second["id"]) == (root.id, "DIVERGED")

    fresh = await open_session(client, bob, item)
    fake_anthropic.reply_text("Tell me more.")
    await send(client, bob, fresh["id"], {"type": "followup", "text": "x"})
    assert await session_state(client, bob, fresh["id"]) == (None, "DIVERGED")


async def test_cache_disabled_on_the_course_skips_lookup_and_storage(
        client, services, fake_anthropic):
    ada, bob = await learner(services), await learner(services, "bob@example.com")
    item = await topic(services, cache_enabled=False)
    first, second = await open_session(client, ada, item), await open_session(client, bob, item)
    fake_anthropic.reply_text("Hi Ada.")
    fake_anthropic.reply_text("Hi Bob.")

    await greet(client, ada, first["id"])
    _, events = await greet(client, bob, second["id"])

    assert "".join(chunks_of(events)) == "Hi Bob."
    assert len(fake_anthropic.recorded()) == 2
    assert await nodes(services) == []
    assert (await last_answer(services, second["id"])).meta == {"source": "llm"}
    assert await session_state(client, bob, second["id"]) == (None, "TRACKING")


async def test_a_different_model_misses(client, services, fake_anthropic):
    ada, bob = await learner(services), await learner(services, "bob@example.com")
    item = await topic(services, llm_model="claude-haiku-4-5")
    first, second = await open_session(client, ada, item), await open_session(client, bob, item)
    fake_anthropic.reply_text("Hello from Haiku.")
    await greet(client, ada, first["id"])
    async with services.db.transaction() as db:
        await db.execute(update(Course).where(Course.id == item.course_id)
                         .values(llm_model="claude-opus-4-1"))
    fake_anthropic.reply_text("Hello from Opus.")

    _, events = await greet(client, bob, second["id"])

    assert "".join(chunks_of(events)) == "Hello from Opus."
    assert fake_anthropic.last_request.body["model"] == "claude-opus-4-1"
    assert [(n.model, n.parent_id, n.hits) for n in await nodes(services)] == [
        ("claude-haiku-4-5", None, 0), ("claude-opus-4-1", None, 0)]


async def test_concurrent_misses_on_one_node_make_one_model_call(
        client, services, fake_anthropic, new_client):
    ada, bob = await learner(services), await learner(services, "bob@example.com")
    item = await topic(services)
    first, second = await open_session(client, ada, item), await open_session(client, bob, item)
    fake_anthropic.reply_text("".join(GREETING), chunks=GREETING, delay_before_headers=1.0)

    (_, a), (_, b) = await asyncio.gather(greet(new_client(), ada, first["id"]),
                                          greet(new_client(), bob, second["id"]))

    assert len(fake_anthropic.recorded()) == 1
    assert chunks_of(a) == chunks_of(b) == GREETING
    [root] = await nodes(services)
    assert root.hits == 1
    sources = sorted([(await last_answer(services, first["id"])).meta["source"],
                      (await last_answer(services, second["id"])).meta["source"]])
    assert sources == ["cache", "llm"]


async def test_no_connection_is_held_while_the_first_request_streams(
        client, services, fake_anthropic, new_client):
    users = [await learner(services, f"user{i}@example.com") for i in range(4)]
    item = await topic(services)
    sessions = [await open_session(client, who, item) for who in users]
    fake_anthropic.reply_text("".join(GREETING), chunks=GREETING, delay_per_chunk=0.4)

    turns = [asyncio.create_task(greet(new_client(), who, session["id"]))
             for who, session in zip(users, sessions, strict=True)]
    for _ in range(200):
        if fake_anthropic.recorded():
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.3)
    async with services.db.session() as db:
        claims = (await db.execute(select(ChatCacheClaim))).scalars().all()
        # Neither the streaming request nor the three waiting for it keeps a transaction
        # open (short reads come and go) or waits on a lock.
        holding = (await db.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND (now() - xact_start > interval '250 ms' "
            "OR wait_event_type = 'Lock')"))).scalar()
    results = await asyncio.gather(*turns)

    assert len(claims) == 1 and holding == 0
    assert len(fake_anthropic.recorded()) == 1
    assert [chunks_of(events) for _, events in results] == [GREETING] * 4
    [root] = await nodes(services)
    assert root.hits == 3
    async with services.db.session() as db:
        assert (await db.execute(select(ChatCacheClaim))).scalars().all() == []


async def test_greetings_of_one_node_and_one_learner_do_not_queue_on_their_rows(
        client, services, fake_anthropic, new_client):
    ada, bob = await learner(services), await learner(services, "bob@example.com")
    carol = await learner(services, "carol@example.com")
    item = await topic(services)
    fake_anthropic.reply_text("".join(GREETING), chunks=GREETING)
    await greet(client, ada, (await open_session(client, ada, item))["id"])
    await greet(client, bob, (await open_session(client, bob, item))["id"])
    tabs = [(who, await open_session(client, who, item))
            for who in (bob, bob, bob, carol, carol, carol)]

    async with services.db.transaction() as db:
        # Another of bob's transactions holds his row (and one a lock on the node's):
        # his greetings in other tabs, whose activity does not move his streak today,
        # are answered meanwhile, and every hit is still counted once.
        await db.execute(text("SELECT 1 FROM users WHERE id = :id FOR NO KEY UPDATE"),
                         {"id": bob.user.id})
        results = await asyncio.wait_for(asyncio.gather(*(
            greet(new_client(), who, session["id"])
            for who, session in tabs if who is bob)), timeout=30)
    results += await asyncio.gather(*(greet(new_client(), who, session["id"])
                                      for who, session in tabs if who is carol))

    assert len(fake_anthropic.recorded()) == 1
    assert [chunks_of(events) for _, events in results] == [GREETING] * 6
    [root] = await nodes(services)
    assert root.hits == 7
    async with services.db.session() as db:
        streaks = (await db.execute(text(
            "SELECT u.email, u.current_streak_days, count(a.id) FROM users u "
            "JOIN learning_activities a ON a.user_id = u.id GROUP BY u.id ORDER BY u.email"
        ))).all()
    assert [tuple(row) for row in streaks] == [
        ("ada@example.com", 1, 1), ("bob@example.com", 1, 4), ("carol@example.com", 1, 3)]


async def test_an_abandoned_claim_is_taken_over(client, services, fake_anthropic):
    ada = await learner(services)
    item = await topic(services)
    session = await open_session(client, ada, item)
    await greet(client, ada, session["id"])
    [root] = await nodes(services)
    key = chat_cache.NodeKey(content_item_id=item.id, prompt_key=root.prompt_key,
                             model=root.model, parent_id=None, message_hash=root.message_hash)
    bob = await learner(services, "bob@example.com")
    bobs = await open_session(client, bob, item)
    fake_anthropic.reply_text("Hello, Bob!")
    # As if a request had claimed the greeting and died: its claim runs out in a second.
    async with services.db.transaction() as db:
        await db.delete(await db.get(ChatCacheNode, root.id))
        db.add(ChatCacheClaim(key=key.claim_id(),
                              expires_at=datetime.now(UTC) + timedelta(seconds=1)))
    started = asyncio.get_running_loop().time()

    _, events = await greet(client, bob, bobs["id"])

    assert asyncio.get_running_loop().time() - started >= 0.8
    assert "".join(chunks_of(events)) == "Hello, Bob!"
    assert [n.full_text for n in await nodes(services)] == ["Hello, Bob!"]
    async with services.db.session() as db:
        assert (await db.execute(select(ChatCacheClaim))).scalars().all() == []


async def test_a_failed_answer_is_not_cached(client, services, fake_anthropic):
    ada, bob = await learner(services), await learner(services, "bob@example.com")
    item = await topic(services)
    first, second = await open_session(client, ada, item), await open_session(client, bob, item)
    fake_anthropic.reply_stream_error_after(["Hello! ", "Today"])
    fake_anthropic.reply_text("Hello, Bob!")

    _, failed = await greet(client, ada, first["id"])
    _, events = await greet(client, bob, second["id"])

    assert failed[-1] == {"content": "", "done": True,
                          "error": {"status": 502, "detail": SERVICE_ERROR}}
    assert "".join(chunks_of(events)) == "Hello, Bob!"
    assert [n.full_text for n in await nodes(services)] == ["Hello, Bob!"]
    assert await session_state(client, ada, first["id"]) == (None, "TRACKING")


async def test_cleanup_removes_stale_nodes_with_their_children(client, services,
                                                               fake_anthropic):
    ada = await learner(services)
    old_item, new_item = await topic(services), await topic(services, title="Loops")
    old_session = await open_session(client, ada, old_item)
    new_session = await open_session(client, ada, new_item)
    fake_anthropic.reply_text("Old greeting.")
    fake_anthropic.reply_text("Old answer.")
    fake_anthropic.reply_text("New greeting.")
    await greet(client, ada, old_session["id"])
    await send(client, ada, old_session["id"], MCQ)
    await greet(client, ada, new_session["id"])
    async with services.db.transaction() as db:
        await db.execute(update(ChatCacheNode).where(
            ChatCacheNode.content_item_id == old_item.id).values(
            created_at=datetime.now(UTC) - timedelta(days=40)))

    await chat_cache.cleanup_stale_nodes(services, {})

    assert [n.full_text for n in await nodes(services)] == ["New greeting."]
    assert jobs.HANDLERS[chat_cache.CLEANUP_JOB] is chat_cache.cleanup_stale_nodes
    assert jobs.PERIODIC[chat_cache.CLEANUP_JOB] == 6 * 3600

    fake_anthropic.reply_text("Answered afresh.")
    _, events = await send(client, ada, old_session["id"], {"questionId": 2, "answer": "B"})
    assert "".join(chunks_of(events)) == "Answered afresh."
    assert [n.full_text for n in await nodes(services)] == ["New greeting."]


async def test_cleanup_keeps_recently_hit_nodes(client, services, fake_anthropic):
    ada = await learner(services)
    item = await topic(services)
    session = await open_session(client, ada, item)
    fake_anthropic.reply_text("Greeting.")
    await greet(client, ada, session["id"])
    async with services.db.transaction() as db:
        await db.execute(update(ChatCacheNode).values(
            created_at=datetime.now(UTC) - timedelta(days=40),
            last_hit_at=datetime.now(UTC) - timedelta(days=2)))

    await chat_cache.cleanup_stale_nodes(services, {"days": 30})
    assert len(await nodes(services)) == 1
    await chat_cache.cleanup_stale_nodes(services, {"days": 1})
    assert await nodes(services) == []


async def test_the_job_worker_runs_the_cleanup(client, services, fake_anthropic):
    ada = await learner(services)
    session = await open_session(client, ada, await topic(services))
    fake_anthropic.reply_text("Greeting.")
    await greet(client, ada, session["id"])
    async with services.db.transaction() as db:
        await db.execute(update(ChatCacheNode).values(
            created_at=datetime.now(UTC) - timedelta(days=services.settings.chat_cache_stale_days
                                                     + 1)))
        await jobs.enqueue(db, chat_cache.CLEANUP_JOB)
    await jobs.notify_enqueued(services)

    for _ in range(200):
        if not await nodes(services):
            break
        await asyncio.sleep(0.05)
    assert await nodes(services) == []


def test_which_messages_are_cacheable():
    cacheable = ['Start.', ' Start. ', '{"questionId": 1, "answer": "A"}',
                 '{"answer": 2, "questionId": "q1"}', '{"questionId": 3, "answer": ["A", "C"]}']
    free = ['Why?', '{"type": "followup", "text": "more"}', '{"questionId": 1}',
            '{"questionId": 1, "answer": "A", "extra": 1}', '{"questionId": true, "answer": "A"}',
            '{"questionId": 1, "answer": []}', '{"questionId": 1, "answer": [{"x": 1}]}',
            '{"questionId": 1, "answer": null}', '[1, 2]', '"Start."']
    assert [chat_cache.classify(m).cacheable for m in cacheable] == [True] * len(cacheable)
    assert [chat_cache.classify(m).cacheable for m in free] == [False] * len(free)
    # Key order and spacing do not matter; the canonical JSON is hashed.
    assert (chat_cache.classify('{"answer":["A","C"],"questionId":3}').message_hash
            == chat_cache.classify('{"questionId": 3, "answer": ["A", "C"]}').message_hash)
