"""Edges of the hand-made connections now paged through the shared Page: the viewer's
assessments (newest first, ties by id), the viewer's chats (newest first) and a chat's
messages (oldest first): first=0, a page beyond the end, bad cursors, anonymous; the
viewer's own rows counted on every page."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from strawberry import relay

from core.pagination import encode_cursor
from models.assessment import AssessmentSession
from models.chat import ChatMessage, ChatSession
from tests.fixtures import error_codes, gql, gql_raw
from tests.twosigma.chat_helpers import learner, topic

ASSESSMENTS = """
query($first: Int, $after: String) { myAssessments(first: $first, after: $after) {
  totalCount edges { cursor node { id skillIds } }
  pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
} }"""

CHATS = """
query($first: Int, $after: String) { myChatSessions(first: $first, after: $after) {
  totalCount edges { node { id } }
  pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
} }"""

MESSAGES = """
query($id: ID!, $first: Int, $after: String) { node(id: $id) { ... on ChatSession {
  messages(first: $first, after: $after) {
    totalCount edges { cursor node { content } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
} } }"""

SHARE = "mutation($id: ID!) { shareChatSession(sessionId: $id) { shareToken } }"

EMPTY = {"edges": [], "pageInfo": {"hasNextPage": False, "hasPreviousPage": True,
                                   "startCursor": None, "endCursor": None}}


def ids(page: dict) -> list[str]:
    return [e["node"]["id"] for e in page["edges"]]


async def test_my_assessments_pages_newest_first_with_ties_by_id(client, services):
    ada = await learner(services, key=False)
    bob = await learner(services, "bob@example.com", key=False)
    now = datetime.now(UTC)
    tied = sorted([uuid.uuid4(), uuid.uuid4()])
    rows = [(tied[0], now), (tied[1], now), (uuid.uuid4(), now - timedelta(hours=1))]
    async with services.db.transaction() as session:
        for i, (session_id, created_at) in enumerate(rows):
            session.add(AssessmentSession(
                id=session_id, user_id=ada.user.id, skill_ids=[f"s{i}"], target_level="mid",
                domain="backend", thoroughness="quick", max_questions=5,
                created_at=created_at, last_activity_at=created_at))
        session.add(AssessmentSession(user_id=bob.user.id, skill_ids=["theirs"],
                                      target_level="mid", domain="backend",
                                      thoroughness="quick", max_questions=5))

    async def page(**variables) -> dict:
        data = await gql(client, ASSESSMENTS, variables, headers=ada.headers)
        return data["myAssessments"]

    first = await page(first=2)
    rest = await page(first=2, after=first["pageInfo"]["endCursor"])
    beyond = await page(first=2, after=rest["pageInfo"]["endCursor"])
    zero = await gql_raw(client, ASSESSMENTS, {"first": 0}, headers=ada.headers)
    bad = [await gql_raw(client, ASSESSMENTS, {"first": 1, "after": cursor},
                         headers=ada.headers)
           for cursor in ("%%%", encode_cursor([1, 2]), encode_cursor(["2026-01-01", 7]))]
    anonymous = await gql_raw(client, ASSESSMENTS, {"first": 1})

    assert [e["node"]["skillIds"] for e in first["edges"]] == [["s0"], ["s1"]]
    assert ids(first) == [relay.to_base64("AssessmentSession", str(i)) for i in tied]
    assert first["pageInfo"] == {
        "hasNextPage": True, "hasPreviousPage": False,
        "startCursor": first["edges"][0]["cursor"], "endCursor": first["edges"][1]["cursor"]}
    assert [e["node"]["skillIds"] for e in rest["edges"]] == [["s2"]]
    assert rest["pageInfo"]["hasNextPage"] is False
    assert rest["pageInfo"]["hasPreviousPage"] is True
    assert beyond == {**EMPTY, "totalCount": 3}
    assert first["totalCount"] == rest["totalCount"] == 3  # not Bob's
    assert error_codes(zero) == ["BAD_USER_INPUT"]
    assert [error_codes(body) for body in bad] == [["BAD_USER_INPUT"]] * 3
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]


async def test_my_chat_sessions_and_messages_edges(client, services):
    ada = await learner(services, key=False)
    bob = await learner(services, "bob@example.com", key=False)
    item = await topic(services)
    async with services.db.transaction() as session:
        chats = [ChatSession(user_id=ada.user.id, content_item_id=item.id) for _ in range(3)]
        session.add_all([*chats, ChatSession(user_id=bob.user.id, content_item_id=item.id)])
        await session.flush()
        session.add_all([ChatMessage(session_id=chats[0].id, role=role, content=f"m{i}")
                         for i, role in enumerate(("user", "assistant", "user"))])
    chat_ids = [relay.to_base64("ChatSession", str(c.id)) for c in chats]

    async def sessions(**variables) -> dict:
        return (await gql(client, CHATS, variables, headers=ada.headers))["myChatSessions"]

    async def messages(**variables) -> dict:
        data = await gql(client, MESSAGES, {"id": chat_ids[0], **variables},
                         headers=ada.headers)
        return data["node"]["messages"]

    newest = await sessions(first=2)
    oldest = await sessions(first=2, after=newest["pageInfo"]["endCursor"])
    no_more = await sessions(first=2, after=oldest["pageInfo"]["endCursor"])
    opening = await messages(first=2)
    closing = await messages(first=2, after=opening["pageInfo"]["endCursor"])
    past_end = await messages(first=2, after=closing["pageInfo"]["endCursor"])
    zero = [await gql_raw(client, CHATS, {"first": 0}, headers=ada.headers),
            await gql_raw(client, MESSAGES, {"id": chat_ids[0], "first": 0},
                          headers=ada.headers)]
    bad_cursor = await gql_raw(client, MESSAGES, {"id": chat_ids[0], "first": 2,
                                                  "after": encode_cursor(["x"])},
                               headers=ada.headers)
    bad_id = await gql_raw(client, SHARE, {"id": "not-an-id"}, headers=ada.headers)

    assert ids(newest) == chat_ids[:0:-1]
    assert newest["pageInfo"]["hasNextPage"] is True
    assert newest["pageInfo"]["hasPreviousPage"] is False
    assert ids(oldest) == chat_ids[:1]
    assert oldest["pageInfo"]["hasNextPage"] is False
    assert no_more == {**EMPTY, "totalCount": 3}
    assert newest["totalCount"] == oldest["totalCount"] == 3  # not Bob's
    assert [e["node"]["content"] for e in opening["edges"]] == ["m0", "m1"]
    assert opening["pageInfo"] == {
        "hasNextPage": True, "hasPreviousPage": False,
        "startCursor": opening["edges"][0]["cursor"],
        "endCursor": opening["edges"][1]["cursor"]}
    assert [e["node"]["content"] for e in closing["edges"]] == ["m2"]
    assert closing["pageInfo"]["hasNextPage"] is False
    assert past_end == {**EMPTY, "totalCount": 3}
    assert opening["totalCount"] == closing["totalCount"] == 3
    assert [error_codes(body) for body in zero] == [["BAD_USER_INPUT"]] * 2
    assert error_codes(bad_cursor) == ["BAD_USER_INPUT"]
    assert error_codes(bad_id) == ["BAD_USER_INPUT"]
    assert bad_id["errors"][0]["message"] == "Invalid ChatSession id: 'not-an-id'"
