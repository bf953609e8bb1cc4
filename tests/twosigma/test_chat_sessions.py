"""Tutor chat sessions and streamed turns through the 2Sigma face: create, list, get,
send a message and the greeting (SSE), errors before and during the stream."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import select

from core.llm import NO_API_KEY, SERVICE_ERROR
from models.chat import ChatMessage
from models.learning import LearningActivity
from tests.fixtures import count_statements
from tests.twosigma.chat_helpers import (
    API,
    USER_KEY,
    chunks_of,
    greet,
    learner,
    open_session,
    send,
    topic,
)

SESSION_KEYS = {"id", "user_id", "content_item_id", "content_context", "share_enabled",
                "share_token", "cache_node_id", "cache_state", "created_at", "updated_at"}


async def test_create_session_snapshots_the_content(client, services):
    ada = await learner(services)
    item = await topic(services, data={"level": "beginner", "language": "Python"})

    response = await client.post(f"{API}/chat/sessions", json={"content_item_id": item.id},
                                 headers=ada.headers)

    assert response.status_code == 201
    body = response.json()
    assert set(body) == SESSION_KEYS
    assert isinstance(body["id"], int)
    assert body["user_id"] == ada.user.number
    assert body["content_item_id"] == item.id
    assert body["content_context"] == {
        "title": "Recursion", "description": "Functions that call themselves.",
        "content_type": f"reading-{item.course_id}",
        "data_json": {"level": "beginner", "language": "Python"}}
    assert body["share_enabled"] is False and body["share_token"] is None
    assert body["cache_node_id"] is None and body["cache_state"] == "TRACKING"
    assert body["created_at"].endswith("Z") and body["updated_at"].endswith("Z")


async def test_create_session_refusals(client, services):
    ada = await learner(services)
    hidden = await topic(services, published=False)

    anonymous = await client.post(f"{API}/chat/sessions", json={"content_item_id": 1})
    missing = await client.post(f"{API}/chat/sessions", json={"content_item_id": 999999},
                                headers=ada.headers)
    unpublished = await client.post(f"{API}/chat/sessions",
                                    json={"content_item_id": hidden.id}, headers=ada.headers)
    invalid = await client.post(f"{API}/chat/sessions", json={"content_item_id": "x"},
                                headers=ada.headers)

    assert anonymous.status_code == 401
    assert anonymous.json() == {"detail": "Not authenticated"}
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Content item not found"}
    assert unpublished.status_code == 404
    assert invalid.status_code == 422
    assert invalid.json()["detail"][0]["loc"] == ["body", "content_item_id"]


async def test_list_is_mine_newest_first_with_skip_and_limit(client, services):
    ada = await learner(services)
    bob = await learner(services, "bob@example.com")
    item = await topic(services)
    ids = [(await open_session(client, ada, item))["id"] for _ in range(3)]
    await open_session(client, bob, item)

    everything = await client.get(f"{API}/chat/sessions", headers=ada.headers)
    page = await client.get(f"{API}/chat/sessions?skip=1&limit=1", headers=ada.headers)
    past_end = await client.get(f"{API}/chat/sessions?skip=3", headers=ada.headers)
    too_many = await client.get(f"{API}/chat/sessions?limit=101", headers=ada.headers)
    negative = await client.get(f"{API}/chat/sessions?skip=-1", headers=ada.headers)
    anonymous = await client.get(f"{API}/chat/sessions")

    assert everything.status_code == 200
    assert [s["id"] for s in everything.json()] == ids[::-1]
    assert set(everything.json()[0]) == SESSION_KEYS
    assert [s["id"] for s in page.json()] == [ids[1]]
    assert past_end.json() == []
    assert too_many.status_code == 422 and negative.status_code == 422
    assert too_many.json()["detail"][0]["loc"] == ["query", "limit"]
    assert anonymous.status_code == 401


async def test_get_session_with_messages_owner_only(client, services, fake_anthropic):
    ada = await learner(services)
    bob = await learner(services, "bob@example.com")
    item = await topic(services)
    session = await open_session(client, ada, item)
    fake_anthropic.reply_text("Hi there!", chunks=["Hi ", "there!"])
    await greet(client, ada, session["id"])

    mine = await client.get(f"{API}/chat/sessions/{session['id']}", headers=ada.headers)
    theirs = await client.get(f"{API}/chat/sessions/{session['id']}", headers=bob.headers)
    missing = await client.get(f"{API}/chat/sessions/999999", headers=ada.headers)
    bad_id = await client.get(f"{API}/chat/sessions/abc", headers=ada.headers)
    anonymous = await client.get(f"{API}/chat/sessions/{session['id']}")

    assert mine.status_code == 200
    body = mine.json()
    assert set(body) == SESSION_KEYS | {"messages"}
    user_message, answer = body["messages"]
    assert {k: user_message[k] for k in ("session_id", "role", "content", "meta")} == {
        "session_id": session["id"], "role": "user", "content": "Start.", "meta": {}}
    assert answer["role"] == "assistant" and answer["content"] == "Hi there!"
    assert answer["meta"] == {"source": "llm", "cache_lookup": "miss"}
    assert answer["created_at"].endswith("Z") and isinstance(answer["id"], int)
    assert theirs.status_code == 403 and theirs.json() == {"detail": "Not your chat session"}
    assert missing.status_code == 404 and missing.json() == {"detail": "Chat session not found"}
    assert bad_id.status_code == 422 and bad_id.json()["detail"][0]["loc"] == [
        "path", "session_id"]
    assert anonymous.status_code == 401


async def test_message_streams_in_the_documented_format(client, services, fake_anthropic):
    ada = await learner(services)
    item = await topic(services)
    session = await open_session(client, ada, item)
    fake_anthropic.reply_text("Here is the explanation...",
                              chunks=["Here is ", "the explanation..."])

    text, events = await send(client, ada, session["id"], "Explain recursion")

    async with services.db.session() as db:
        stored = list((await db.execute(select(ChatMessage).where(
            ChatMessage.session_id == session["id"]).order_by(ChatMessage.id))).scalars())
        activity = list((await db.execute(select(LearningActivity))).scalars())
    assert text == (
        'data: {"content": "Here is ", "done": false}\n\n'
        'data: {"content": "the explanation...", "done": false}\n\n'
        f'data: {{"content": "", "done": true, "message_id": {stored[1].id}}}\n\n')
    assert events[-1]["message_id"] == stored[1].id
    assert [(m.role, m.content, m.meta) for m in stored] == [
        ("user", "Explain recursion", {}),
        ("assistant", "Here is the explanation...", {"source": "llm"})]
    assert [(a.kind, a.content_item_id, a.course_id) for a in activity] == [
        ("CHAT_MESSAGE", item.id, item.course_id)]
    request = fake_anthropic.last_request
    assert request.api_key == USER_KEY
    assert "Recursion" in request.system_text and "beginner" in request.system_text
    assert "Socratic" in request.system_text
    assert request.plain_messages == [{"role": "user", "content": "Explain recursion"}]
    assert request.body["stream"] is True


async def test_a_turn_reads_in_one_statement_and_writes_once_the_answer_started(
        client, services, fake_anthropic):
    ada = await learner(services)
    session = await open_session(client, ada, await topic(services))
    fake_anthropic.reply_text("Take your time.", delay_before_headers=0.2)

    with count_statements(services) as counter:
        turn = asyncio.create_task(send(client, ada, session["id"], "Explain recursion"))
        for _ in range(500):
            if fake_anthropic.recorded():
                break
            await asyncio.sleep(0.01)
        before_the_call = list(counter.statements)
        _, events = await turn

    turn_reads = [s for s in before_the_call if "FROM chat_sessions" in s]
    assert len(turn_reads) == 1, before_the_call
    # Nothing was written before the model was called; the user's message came after.
    assert not any(s.lstrip().upper().startswith(("INSERT", "UPDATE", "BEGIN"))
                   for s in before_the_call), before_the_call
    assert "".join(chunks_of(events)) == "Take your time."
    async with services.db.session() as db:
        stored = [(m.role, m.content) for m in (await db.execute(select(ChatMessage).where(
            ChatMessage.session_id == session["id"]).order_by(ChatMessage.id))).scalars()]
    assert stored == [("user", "Explain recursion"), ("assistant", "Take your time.")]


async def test_a_call_failing_before_its_first_chunk_still_stores_the_message(
        client, services, fake_anthropic):
    ada = await learner(services)
    session = await open_session(client, ada, await topic(services))
    fake_anthropic.reply_error(529, error_type="overloaded_error")

    _, events = await send(client, ada, session["id"], "Explain recursion")

    assert events == [{"content": "", "done": True,
                       "error": {"status": 502, "detail": SERVICE_ERROR}}]
    async with services.db.session() as db:
        stored = [(m.role, m.content) for m in (await db.execute(select(ChatMessage).where(
            ChatMessage.session_id == session["id"]).order_by(ChatMessage.id))).scalars()]
        activity = (await db.execute(select(LearningActivity))).scalars().all()
    assert stored == [("user", "Explain recursion")]
    assert [a.kind for a in activity] == ["CHAT_MESSAGE"]


async def test_history_and_per_course_model_reach_the_llm(client, services, fake_anthropic):
    ada = await learner(services)
    item = await topic(services, llm_model="claude-haiku-4-5")
    session = await open_session(client, ada, item)
    fake_anthropic.reply_text("Welcome!")
    fake_anthropic.reply_text("Because it calls itself.")
    await greet(client, ada, session["id"])

    await send(client, ada, session["id"], "Why?")

    request = fake_anthropic.last_request
    assert request.body["model"] == "claude-haiku-4-5"
    assert request.plain_messages == [{"role": "user", "content": "Start."},
                                      {"role": "assistant", "content": "Welcome!"},
                                      {"role": "user", "content": "Why?"}]


async def test_mcq_answer_may_be_sent_as_an_object(client, services, fake_anthropic):
    ada = await learner(services)
    session = await open_session(client, ada, await topic(services))
    fake_anthropic.reply_text("Correct!")

    _, events = await send(client, ada, session["id"], {"questionId": 1, "answer": "A"})

    assert chunks_of(events) == ["Correct!"]
    sent = fake_anthropic.last_request.plain_messages[-1]["content"]
    assert json.loads(sent) == {"questionId": 1, "answer": "A"}


async def test_refusals_before_the_stream(client, services, fake_anthropic):
    ada = await learner(services)
    bob = await learner(services, "bob@example.com")
    keyless = await learner(services, "kim@example.com", key=False)
    item = await topic(services)
    session = await open_session(client, ada, item)
    keyless_session = await open_session(client, keyless, item)
    url = f"{API}/chat/sessions/{session['id']}/messages"

    anonymous = await client.post(url, json={"content": "hi"})
    theirs = await client.post(url, json={"content": "hi"}, headers=bob.headers)
    missing = await client.post(f"{API}/chat/sessions/999999/messages", json={"content": "hi"},
                                headers=ada.headers)
    empty = await client.post(url, json={"content": "  "}, headers=ada.headers)
    too_long = await client.post(url, json={"content": "x" * 10_001}, headers=ada.headers)
    no_body = await client.post(url, json={}, headers=ada.headers)
    no_key = await client.post(f"{API}/chat/sessions/{keyless_session['id']}/messages",
                               json={"content": "hi"}, headers=keyless.headers)
    no_key_greeting = await client.post(
        f"{API}/chat/sessions/{keyless_session['id']}/greeting", headers=keyless.headers)

    assert anonymous.status_code == 401
    assert theirs.status_code == 403 and theirs.json() == {"detail": "Not your chat session"}
    assert missing.status_code == 404
    assert [r.status_code for r in (empty, too_long, no_body)] == [422, 422, 422]
    assert empty.json()["detail"][0]["loc"] == ["body", "content"]
    assert no_key.status_code == 400 and no_key.json() == {"detail": NO_API_KEY}
    assert no_key_greeting.status_code == 400
    assert fake_anthropic.recorded() == []
    async with services.db.session() as db:
        assert (await db.execute(select(ChatMessage))).scalars().all() == []


async def test_failure_mid_stream_ends_with_an_error_and_the_session_goes_on(
        client, services, fake_anthropic):
    ada = await learner(services)
    session = await open_session(client, ada, await topic(services))
    fake_anthropic.reply_stream_error_after(["Part of ", "an answer"])

    _, events = await greet(client, ada, session["id"])

    assert events == [
        {"content": "Part of ", "done": False}, {"content": "an answer", "done": False},
        {"content": "", "done": True, "error": {"status": 502, "detail": SERVICE_ERROR}}]
    async with services.db.session() as db:
        stored = [(m.role, m.content) for m in (await db.execute(select(ChatMessage).where(
            ChatMessage.session_id == session["id"]).order_by(ChatMessage.id))).scalars()]
    assert stored == [("user", "Start.")]

    fake_anthropic.reply_text("Hello again!")
    _, events = await greet(client, ada, session["id"])

    assert "".join(chunks_of(events)) == "Hello again!"
    # The unanswered "Start." is left out: the cached answer is the greeting's own.
    assert fake_anthropic.last_request.plain_messages == [
        {"role": "user", "content": "Start."}]
    fresh = await client.get(f"{API}/chat/sessions/{session['id']}", headers=ada.headers)
    assert fresh.json()["cache_node_id"] is not None


async def test_after_a_failure_free_text_keeps_the_unanswered_message_and_mcq_drops_it(
        client, services, fake_anthropic):
    ada = await learner(services)
    session = await open_session(client, ada, await topic(services))
    fake_anthropic.reply_text("Welcome! Q1: A or B?")
    await greet(client, ada, session["id"])
    mcq = json.dumps({"questionId": 1, "answer": "A"})

    fake_anthropic.reply_stream_error_after(["Par"])
    await send(client, ada, session["id"], mcq)
    fake_anthropic.reply_text("Right.")
    await send(client, ada, session["id"], mcq)

    assert fake_anthropic.last_request.plain_messages == [
        {"role": "user", "content": "Start."},
        {"role": "assistant", "content": "Welcome! Q1: A or B?"},
        {"role": "user", "content": mcq}]

    fake_anthropic.reply_stream_error_after(["Par"])
    await send(client, ada, session["id"], "Why is A right?")
    fake_anthropic.reply_text("Because.")
    await send(client, ada, session["id"], "Please explain.")

    assert fake_anthropic.last_request.plain_messages[-2:] == [
        {"role": "assistant", "content": "Right."},
        {"role": "user", "content": "Why is A right?\n\nPlease explain."}]
