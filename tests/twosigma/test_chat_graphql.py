"""The tutor chat over GraphQL: sessions and their messages, turns started by mutations
and streamed through the chatEvents subscription (on any instance), sharing."""

from __future__ import annotations

import asyncio

from strawberry import relay

from core.pagination import encode_cursor
from resolvers.chat import topic as chat_topic
from tests.fixtures import count_statements, error_codes, gql, gql_raw, start_instance
from tests.twosigma.chat_helpers import greet, learner, open_session, topic
from tests.ws import graphql_ws

CREATE = """
mutation($item: ID!) {
  createChatSession(contentItemId: $item) {
    session { id contentItemId contentContext cacheState cacheNodeId shareEnabled
              contentItem { title } }
  }
}"""

MINE = """
query($first: Int, $after: String) {
  myChatSessions(first: $first, after: $after) {
    edges { cursor node { contentItemId } }
    pageInfo { hasNextPage endCursor }
  }
}"""

MESSAGES = """
query($id: ID!, $first: Int, $after: String) {
  node(id: $id) {
    ... on ChatSession {
      cacheState
      messages(first: $first, after: $after) {
        edges { cursor node { role content meta } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}"""

SEND = """
mutation($id: ID!, $content: String!) {
  sendChatMessage(sessionId: $id, content: $content) { accepted }
}"""

GREETING = "mutation($id: ID!) { requestChatGreeting(sessionId: $id) { accepted } }"

EVENTS = """
subscription($id: ID!) {
  chatEvents(sessionId: $id) {
    __typename
    ... on ChatChunk { content }
    ... on ChatDone { messageId }
    ... on ChatFailed { status detail }
  }
}"""
STORED_MESSAGE = "query($id: ID!) { node(id: $id) { ... on ChatMessage { role content } } }"


def gid(type_name: str, value: int) -> str:
    return relay.to_base64(type_name, value)


async def until_subscribed(services, session_id: int) -> None:
    for _ in range(500):
        if services.broker.subscriber_count(chat_topic(session_id)) == 1:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the subscription never reached the broker")


async def collect_turn(ws, op_id: str = "s") -> list[dict]:
    events = []
    while True:
        event = (await ws.next_data(op_id))["chatEvents"]
        events.append(event)
        if event["__typename"] != "ChatChunk":
            return events


async def test_create_list_and_read_messages(client, services, fake_anthropic):
    ada = await learner(services)
    bob = await learner(services, "bob@example.com")
    item = await topic(services)

    created = (await gql(client, CREATE, {"item": gid("ContentItem", item.id)},
                         headers=ada.headers))["createChatSession"]["session"]
    assert created | {"id": None} == {
        "id": None, "contentItemId": gid("ContentItem", item.id), "cacheState": "TRACKING",
        "cacheNodeId": None,
        "shareEnabled": False, "contentItem": {"title": "Recursion"},
        "contentContext": {"title": "Recursion", "description": "Functions that call "
                           "themselves.", "content_type": f"reading-{item.course_id}",
                           "data_json": {"level": "beginner"}}}
    session_id = int(relay.from_base64(created["id"])[1])
    for _ in range(2):
        await open_session(client, ada, item)
    fake_anthropic.reply_text("Hello!")
    await greet(client, ada, session_id)
    fake_anthropic.reply_text("Because.")
    await client.post(f"/api/v1/chat/sessions/{session_id}/messages",
                      json={"content": "Why?"}, headers=ada.headers)

    first = (await gql(client, MINE, {"first": 2}, headers=ada.headers))["myChatSessions"]
    rest = (await gql(client, MINE, {"first": 2, "after": first["pageInfo"]["endCursor"]},
                      headers=ada.headers))["myChatSessions"]
    assert len(first["edges"]) == 2 and first["pageInfo"]["hasNextPage"] is True
    assert len(rest["edges"]) == 1 and rest["pageInfo"]["hasNextPage"] is False
    for cursor in (encode_cursor(["x"]), encode_cursor([])):
        body = await gql_raw(client, MINE, {"first": 2, "after": cursor}, headers=ada.headers)
        assert error_codes(body) == ["BAD_USER_INPUT"], body

    page = (await gql(client, MESSAGES, {"id": created["id"], "first": 3},
                      headers=ada.headers))["node"]
    assert page["cacheState"] == "DIVERGED"
    assert [(e["node"]["role"], e["node"]["content"], e["node"]["meta"])
            for e in page["messages"]["edges"]] == [
        ("USER", "Start.", {}), ("ASSISTANT", "Hello!", {"source": "llm",
                                                          "cache_lookup": "miss"}),
        ("USER", "Why?", {})]
    assert page["messages"]["pageInfo"]["hasNextPage"] is True
    tail = (await gql(client, MESSAGES, {"id": created["id"], "first": 3,
                                         "after": page["messages"]["pageInfo"]["endCursor"]},
                      headers=ada.headers))["node"]["messages"]
    assert [e["node"]["content"] for e in tail["edges"]] == ["Because."]

    theirs = await gql(client, MESSAGES, {"id": created["id"], "first": 3}, headers=bob.headers)
    too_many = await gql_raw(client, MINE, {"first": 101}, headers=ada.headers)
    anonymous = await gql_raw(client, MINE, {"first": 1})
    assert theirs == {"node": None}
    assert error_codes(too_many) == ["BAD_USER_INPUT"]
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]


async def test_messages_of_many_sessions_load_in_batches(client, services, fake_anthropic):
    ada = await learner(services)
    item = await topic(services)
    for _ in range(4):
        session = await open_session(client, ada, item)
        fake_anthropic.reply_text("Hi!")
        await greet(client, ada, session["id"])
    query = """{ myChatSessions(first: 10) { edges { node {
        messages(first: 10) { edges { node { content } } } } } } }"""

    with count_statements(services) as counted:
        data = await gql(client, query, headers=ada.headers)

    assert [len(e["node"]["messages"]["edges"]) for e in data["myChatSessions"]["edges"]] == \
        [2, 2, 2, 2]
    assert len(counted) <= 4


async def test_turns_stream_through_the_subscription(client, services, server, fake_anthropic):
    ada, bob = await learner(services), await learner(services, "bob@example.com")
    item = await topic(services)
    first, second = await open_session(client, ada, item), await open_session(client, bob, item)

    async with graphql_ws(server.ws_url, headers=ada.headers) as ws:
        await ws.init()
        await ws.subscribe("s", EVENTS, {"id": gid("ChatSession", first["id"])})
        await until_subscribed(services, first["id"])
        fake_anthropic.reply_text("Hello, Ada!", chunks=["Hello, ", "Ada!"])
        assert await gql(client, GREETING, {"id": gid("ChatSession", first["id"])},
                         headers=ada.headers) == {"requestChatGreeting": {"accepted": True}}
        greeting = await collect_turn(ws)
        fake_anthropic.reply_stream_error_after(["Half "])
        await gql(client, SEND, {"id": str(first["id"]), "content": "Why?"},
                  headers=ada.headers)
        failed = await collect_turn(ws)

    assert greeting[:2] == [{"__typename": "ChatChunk", "content": "Hello, "},
                            {"__typename": "ChatChunk", "content": "Ada!"}]
    assert greeting[2]["__typename"] == "ChatDone"
    # The stored message, by the global ID the stream ends with.
    stored = await gql(client, STORED_MESSAGE, {"id": greeting[2]["messageId"]},
                       headers=ada.headers)
    assert stored == {"node": {"role": "ASSISTANT", "content": "Hello, Ada!"}}
    assert failed[-1] == {"__typename": "ChatFailed", "status": 502,
                          "detail": "The AI service encountered an error. Please try again."}

    calls = len(fake_anthropic.recorded())
    async with graphql_ws(server.ws_url, headers=bob.headers) as ws:
        await ws.init()
        await ws.subscribe("s", EVENTS, {"id": str(second["id"])})
        await until_subscribed(services, second["id"])
        await gql(client, GREETING, {"id": str(second["id"])}, headers=bob.headers)
        replayed = await collect_turn(ws)
    assert [e.get("content") for e in replayed[:2]] == ["Hello, ", "Ada!"]
    assert len(fake_anthropic.recorded()) == calls


async def test_a_subscriber_on_another_instance_gets_the_turn(
        client, services, fake_anthropic, database_url):
    ada = await learner(services)
    session = await open_session(client, ada, await topic(services))
    other = await start_instance(database_url)
    try:
        async with graphql_ws(other.ws_url, headers=ada.headers) as ws:
            await ws.init()
            await ws.subscribe("s", EVENTS, {"id": str(session["id"])})
            await until_subscribed(other.app.state.services, session["id"])
            fake_anthropic.reply_text("Hi from afar.", chunks=["Hi ", "from afar."])
            await gql(client, GREETING, {"id": str(session["id"])}, headers=ada.headers)
            events = await collect_turn(ws)
    finally:
        await other.stop()
    assert [e.get("content") for e in events] == ["Hi ", "from afar.", None]
    assert events[-1]["__typename"] == "ChatDone"


async def watchers(services, session_id: int) -> int:
    return await services.db.read_value("SELECT watchers FROM chat_sessions WHERE id = $1",
                                        (session_id,))


async def test_turns_notify_other_instances_only_while_a_subscription_watches(
        client, services, server, fake_anthropic):
    ada, bob = await learner(services), await learner(services, "bob@example.com")
    session = await open_session(client, ada, await topic(services))
    session_id = gid("ChatSession", session["id"])
    fake_anthropic.reply_text("Hello, Ada!", chunks=["Hello, ", "Ada!"])
    fake_anthropic.reply_text("Again.")

    with count_statements(services) as unwatched:
        await greet(client, ada, session["id"])
    async with graphql_ws(server.ws_url, headers=bob.headers) as ws:
        await ws.init()
        await ws.subscribe("theirs", EVENTS, {"id": session_id})
        refused = await ws.next_payload("theirs")
        assert await ws.receive() == {"id": "theirs", "type": "complete"}
        await ws.subscribe("missing", EVENTS, {"id": gid("ChatSession", 999999)})
        missing = await ws.next_payload("missing")
    assert error_codes(refused) == ["FORBIDDEN"] and error_codes(missing) == ["NOT_FOUND"]
    assert await watchers(services, session["id"]) == 0
    async with graphql_ws(server.ws_url, headers=ada.headers) as ws:
        await ws.init()
        await ws.subscribe("s", EVENTS, {"id": session_id})
        await until_subscribed(services, session["id"])
        assert await watchers(services, session["id"]) == 1
        with count_statements(services) as watched:
            await gql(client, SEND, {"id": session_id, "content": "Once more?"},
                      headers=ada.headers)
            turn = await collect_turn(ws)
            for _ in range(500):  # notifications are sent in the background
                if any("pg_notify" in s for s in watched.statements):
                    break
                await asyncio.sleep(0.01)
    for _ in range(500):
        if await watchers(services, session["id"]) == 0:
            break
        await asyncio.sleep(0.01)

    assert [e.get("content") for e in turn] == ["Again.", None]
    assert not any("pg_notify" in s for s in unwatched.statements), unwatched.statements
    assert any("pg_notify" in s for s in watched.statements)
    assert await watchers(services, session["id"]) == 0


async def test_mutation_refusals(client, services, fake_anthropic):
    ada, bob = await learner(services), await learner(services, "bob@example.com")
    keyless = await learner(services, "kim@example.com", key=False)
    item = await topic(services)
    session = await open_session(client, ada, item)
    keyless_session = await open_session(client, keyless, item)

    theirs = await gql_raw(client, SEND, {"id": str(session["id"]), "content": "hi"},
                           headers=bob.headers)
    missing = await gql_raw(client, GREETING, {"id": "999999"}, headers=ada.headers)
    empty = await gql_raw(client, SEND, {"id": str(session["id"]), "content": " "},
                          headers=ada.headers)
    no_key = await gql_raw(client, GREETING, {"id": str(keyless_session["id"])},
                           headers=keyless.headers)
    anonymous = await gql_raw(client, GREETING, {"id": str(session["id"])})
    hidden = await gql_raw(client, CREATE, {"item": gid("ContentItem", 999999)},
                           headers=ada.headers)

    assert error_codes(theirs) == ["FORBIDDEN"]
    assert error_codes(missing) == ["NOT_FOUND"]
    assert error_codes(empty) == ["BAD_USER_INPUT"]
    assert error_codes(no_key) == ["NO_API_KEY"]
    assert no_key["errors"][0]["message"].startswith("No API key configured")
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]
    assert error_codes(hidden) == ["NOT_FOUND"]
    assert fake_anthropic.recorded() == []


async def test_share_and_unshare(client, services, fake_anthropic):
    ada = await learner(services)
    session = await open_session(client, ada, await topic(services))
    fake_anthropic.reply_text("Welcome!")
    await greet(client, ada, session["id"])

    shared = (await gql(client, """mutation($id: ID!) { shareChatSession(sessionId: $id) {
        shareToken shareUrl session { shareEnabled } } }""", {"id": str(session["id"])},
                        headers=ada.headers))["shareChatSession"]
    view = await gql(client, """query($t: String!) { sharedChatSession(token: $t) {
        contentItemId messages { role content } } }""", {"t": shared["shareToken"]})
    unshared = await gql(client, """mutation($id: ID!) { unshareChatSession(sessionId: $id) {
        session { shareEnabled shareToken } } }""", {"id": str(session["id"])},
                         headers=ada.headers)
    gone = await gql_raw(client, "query($t: String!) { sharedChatSession(token: $t) { "
                                 "contentItemId } }", {"t": shared["shareToken"]})

    assert shared["shareUrl"] == f"/api/v1/chat/share/{shared['shareToken']}"
    assert shared["session"] == {"shareEnabled": True}
    assert view["sharedChatSession"]["messages"] == [
        {"role": "USER", "content": "Start."}, {"role": "ASSISTANT", "content": "Welcome!"}]
    assert unshared["unshareChatSession"]["session"] == {"shareEnabled": False,
                                                         "shareToken": None}
    assert error_codes(gone) == ["NOT_FOUND"]
