"""GHL links: creation, visibility, the learner's private session (streamed), scoring,
results polling and the completion subscription."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from models.ghl import GhlLink
from resolvers import ghl
from tests.fixtures import error_codes, gql, gql_raw, start_instance
from tests.openlesson.helpers import (
    AGENT,
    SCORING,
    bearer,
    create_workspace,
    error_of,
    guest_key,
    mint_key,
    org_admin,
    sse_events,
    store_llm_key,
    teams_user,
)
from tests.ws import graphql_ws

CHAT = "/api/workspace-ghl-score/chat"
COMPLETE = "/api/workspace-ghl-score/complete"


async def _setup(client, services, fake_anthropic):
    admin = await org_admin(services, client)
    await store_llm_key(client)
    made = await create_workspace(client, admin.headers, fake_anthropic)
    return admin, made["workspace"]["id"], made["blocks"][0]["id"]


def _token(link: dict) -> str:
    return link["private_url"].rsplit("/", 1)[1]


async def test_create_links_with_their_durations(client, services, fake_anthropic, server):
    admin, workspace_id, block_id = await _setup(client, services, fake_anthropic)
    url = f"{AGENT}/workspaces/{workspace_id}/blocks/{block_id}/ghl-links"
    durations = []
    for minutes in (30, 15, 20, "30", None):
        response = await client.post(url, headers=admin.headers, json={"minutes": minutes})
        assert response.status_code == 201, response.text
        durations.append(response.json()["ghl_link"]["requested_duration_seconds"])
    assert durations == [1800, 900, 900, 900, 900]
    response = await client.post(url, headers={**admin.headers, "X-CSRF-Token": "1"})
    assert response.status_code == 201  # no body: 15 minutes
    link = response.json()["ghl_link"]
    assert link["plan_id"] == workspace_id and link["plan_node_id"] == block_id
    assert link["status"] == "pending" and link["expires_at"] is None
    assert link["private_url"].startswith(
        f"{services.settings.public_url}/ghl-score/session/")
    assert len(_token(link)) >= 40

    listed = await client.get(f"{AGENT}/workspaces/{workspace_id}/ghl-links",
                              headers=admin.headers)
    assert listed.status_code == 200
    assert len(listed.json()["ghl_links"]) == 6 and listed.json()["ghl_links"][0] == link

    response = await client.post(f"{AGENT}/workspaces/{workspace_id}/blocks/{uuid.uuid4()}"
                                 "/ghl-links", headers=admin.headers, json={})
    assert response.status_code == 404 and error_of(response)["code"] == "block_not_found"
    response = await client.get(f"{AGENT}/workspaces/{workspace_id}/ghl-links/"
                                f"{uuid.uuid4()}/results", headers=admin.headers)
    assert response.status_code == 404
    assert error_of(response)["code"] == "ghl_link_not_found"
    response = await client.post(url, headers=admin.headers, json={"guest_email": "nope"})
    assert response.status_code == 400 and error_of(response)["code"] == "validation_error"


async def test_who_sees_which_links(client, services, fake_anthropic, new_client):
    admin, workspace_id, block_id = await _setup(client, services, fake_anthropic)
    url = f"{AGENT}/workspaces/{workspace_id}/blocks/{block_id}/ghl-links"
    guest = bearer(await guest_key(admin, "learner@example.com"))
    other_guest = bearer(await guest_key(admin, "other@example.com"))
    # A plain member of the organization.
    member_http = new_client()
    member = await teams_user(services, member_http, "member@example.com")
    from models.organization import Organization, OrganizationMember
    async with services.db.transaction() as session:
        from sqlalchemy import select
        org_id = (await session.execute(select(Organization.id))).scalar_one()
        session.add(OrganizationMember(user_id=member.id, organization_id=org_id))
    member_key = bearer(await mint_key(member_http))

    own = (await client.post(url, headers=guest, json={"guest_email": "other@example.com"}))
    assert own.status_code == 201
    guest_link = own.json()["ghl_link"]  # a guest's link is its own, whatever it asks
    by_member = (await client.post(url, headers=member_key, json={})).json()["ghl_link"]
    assigned = await client.post(url, headers=admin.headers,
                                 json={"guest_email": "Other@example.com", "minutes": 30})
    assert assigned.status_code == 201
    assigned = assigned.json()["ghl_link"]
    assert assigned["guest_user_id"] not in (None, guest_link["guest_user_id"])
    refused = await client.post(url, headers=member_key, json={"guest_email": "o@x.com"})
    assert refused.status_code == 403 and error_of(refused)["code"] == "forbidden"
    unknown = await client.post(url, headers=admin.headers, json={"guest_user_id": str(
        uuid.uuid4())})
    assert unknown.status_code == 404 and error_of(unknown)["code"] == "guest_not_found"

    async def ids(headers) -> set[str]:
        response = await client.get(f"{AGENT}/workspaces/{workspace_id}/ghl-links",
                                    headers=headers)
        assert response.status_code == 200, response.text
        return {link["id"] for link in response.json()["ghl_links"]}

    assert await ids(admin.headers) == {guest_link["id"], by_member["id"], assigned["id"]}
    assert await ids(guest) == {guest_link["id"]}
    assert await ids(other_guest) == {assigned["id"]}
    assert await ids(member_key) == {by_member["id"]}
    results = f"{AGENT}/workspaces/{workspace_id}/ghl-links/{by_member['id']}/results"
    assert (await client.get(results, headers=guest)).status_code == 404
    pending = await client.get(results, headers=member_key)
    assert pending.json() == {"ghl_result": {"id": by_member["id"], "status": "pending",
                                             "completed": False}}


async def test_the_learner_session_end_to_end(client, services, fake_anthropic, new_client):
    admin, workspace_id, block_id = await _setup(client, services, fake_anthropic)
    link = (await client.post(f"{AGENT}/workspaces/{workspace_id}/blocks/{block_id}"
                              "/ghl-links", headers=admin.headers, json={"minutes": 15})
            ).json()["ghl_link"]
    learner = new_client()  # no login, no key: the token is the credential
    fake_anthropic.reply_text("What is an embedding?", chunks=["What is ", "an embedding?"])
    opened = await learner.post(CHAT, json={"privateToken": _token(link)})
    assert opened.status_code == 200, opened.text
    assert opened.headers["content-type"].startswith("text/event-stream")
    assert sse_events(opened.text) == [
        {"type": "delta", "text": "What is "}, {"type": "delta", "text": "an embedding?"},
        {"type": "done", "message": "What is an embedding?"}]
    sent = fake_anthropic.last_request
    assert sent.api_key == "sk-ant-org-admin-0001"
    assert "Socratic" in sent.body["system"] and "Block 1" in sent.body["system"]

    fake_anthropic.reply_text("Why does distance matter?")
    turn = await learner.post(CHAT, json={"privateToken": _token(link),
                                          "message": "A vector for meaning."})
    assert sse_events(turn.text)[-1] == {"type": "done", "message": "Why does distance matter?"}
    assert fake_anthropic.last_request.body["messages"][-1] == {
        "role": "user", "content": "A vector for meaning."}
    async with services.db.session() as session:
        row = await session.get(GhlLink, uuid.UUID(link["id"]))
    assert [t["role"] for t in row.transcript] == ["assistant", "user", "assistant"]
    assert row.expires_at - row.started_at == timedelta(minutes=15)

    fake_anthropic.reply_tool_use("score_session", SCORING)
    done = await learner.post(COMPLETE, json={"privateToken": _token(link)})
    assert done.status_code == 200, done.text
    result = done.json()["ghl_result"]
    assert result["status"] == "completed" and result["completed"] is True
    assert result["overall_score"] == 82
    assert result["marker_scores"] == SCORING["marker_scores"]
    assert result["gap_analysis"] == SCORING["gap_analysis"]
    assert result["analysis"] == {"summary": "Good session.", "learner_turns": 1}
    polled = await client.get(f"{AGENT}/workspaces/{workspace_id}/ghl-links/{link['id']}"
                              "/results", headers=admin.headers)
    assert polled.json()["ghl_result"] == result

    again = await learner.post(CHAT, json={"privateToken": _token(link), "message": "hi"})
    assert again.status_code == 409 and error_of(again)["code"] == "ghl_session_completed"
    again = await learner.post(COMPLETE, json={"privateToken": _token(link)})
    assert again.status_code == 409


async def test_learner_input_and_expiry(client, services, fake_anthropic, new_client):
    admin, workspace_id, block_id = await _setup(client, services, fake_anthropic)
    link = (await client.post(f"{AGENT}/workspaces/{workspace_id}/blocks/{block_id}"
                              "/ghl-links", headers=admin.headers, json={})).json()["ghl_link"]
    learner = new_client()
    token = _token(link)
    for body in ({}, {"privateToken": ""}, {"privateToken": token, "message": "x" * 4001},
                 {"privateToken": 5}):
        response = await learner.post(CHAT, json=body)
        assert response.status_code == 400, (body, response.text)
        assert error_of(response)["code"] == "validation_error"
    response = await learner.post(CHAT, json={"privateToken": "not-a-token"})
    assert response.status_code == 404 and error_of(response)["code"] == "ghl_link_not_found"
    response = await learner.post(COMPLETE, json={"privateToken": token})
    assert response.status_code == 400  # nothing said yet

    fake_anthropic.reply_text("First question?")
    await learner.post(CHAT, json={"privateToken": token, "message": "Hello"})
    async with services.db.transaction() as session:
        row = await session.get(GhlLink, uuid.UUID(link["id"]))
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    response = await learner.post(CHAT, json={"privateToken": token, "message": "More"})
    assert response.status_code == 410 and error_of(response)["code"] == "ghl_session_expired"
    # Time being up does not stop the session from being scored.
    fake_anthropic.reply_tool_use("score_session", SCORING)
    response = await learner.post(COMPLETE, json={"privateToken": token})
    assert response.status_code == 200, response.text


LINKS = "query($w: ID!) { ghlLinks(workspaceId: $w) { id status requestedDurationSeconds } }"
CREATE = """mutation($input: CreateGhlLinkInput!) {
  createGhlLink(input: $input) { id status privateUrl requestedDurationSeconds } }"""
RESULT = """query($w: ID!, $l: ID!) { ghlResult(workspaceId: $w, linkId: $l) {
  status completed overallScore markerScores { id score } gapAnalysis } }"""
COMPLETED = """subscription($w: ID!, $l: ID!) { ghlLinkCompleted(workspaceId: $w, linkId: $l) {
  status completed overallScore markerScores { id label score rationale } } }"""


async def test_ghl_over_graphql_with_a_completion_subscription(
        client, services, fake_anthropic, server):
    admin, workspace_id, block_id = await _setup(client, services, fake_anthropic)
    guest = bearer(await guest_key(admin))
    link = (await gql(client, CREATE, {"input": {"workspaceId": workspace_id,
                                                 "blockId": block_id, "minutes": 30}},
                      headers=guest))["createGhlLink"]
    assert link["requestedDurationSeconds"] == 1800 and link["status"] == "PENDING"
    assert (await gql(client, LINKS, {"w": workspace_id}, headers=guest))["ghlLinks"] == [
        {"id": link["id"], "status": "PENDING", "requestedDurationSeconds": 1800}]
    token = link["privateUrl"].rsplit("/", 1)[1]

    async with graphql_ws(server.ws_url) as ws:
        await ws.init({"Authorization": guest["Authorization"]})
        await ws.subscribe("c", COMPLETED, {"w": workspace_id, "l": link["id"]})
        for _ in range(200):
            if services.broker.subscriber_count(ghl.topic(uuid.UUID(link["id"]))):
                break
            await asyncio.sleep(0.02)
        fake_anthropic.reply_text("Tell me about vectors.")
        reply = await gql(client, 'mutation($t: String!) { ghlScoreChat(privateToken: $t, '
                          'message: "They are lists of numbers") { message } }', {"t": token})
        assert reply == {"ghlScoreChat": {"message": "Tell me about vectors."}}
        fake_anthropic.reply_tool_use("score_session", SCORING)
        done = await gql(client, 'mutation($t: String!) { completeGhlScore(privateToken: $t) '
                         '{ status overallScore } }', {"t": token})
        assert done == {"completeGhlScore": {"status": "COMPLETED", "overallScore": 82}}
        pushed = await ws.next_data("c")
    assert pushed["ghlLinkCompleted"]["completed"] is True
    assert pushed["ghlLinkCompleted"]["markerScores"][0]["id"] == "conceptual_clarity"
    result = (await gql(client, RESULT, {"w": workspace_id, "l": link["id"]},
                        headers=admin.headers))["ghlResult"]
    assert result["overallScore"] == 82 and result["gapAnalysis"] == SCORING["gap_analysis"]

    # A key without ghl:read may not subscribe or read.
    write_only = bearer(await mint_key(client, ["ghl:write"]))
    body = await gql_raw(client, RESULT, {"w": workspace_id, "l": link["id"]},
                         headers=write_only)
    assert error_codes(body) == ["FORBIDDEN"]
    async with graphql_ws(server.ws_url) as ws:
        await ws.init({"Authorization": write_only["Authorization"]})
        await ws.subscribe("c", COMPLETED, {"w": workspace_id, "l": link["id"]})
        refused = await ws.next_payload("c")
    assert error_codes(refused) == ["FORBIDDEN"]


CHAT_EVENTS = """subscription($t: String!) { ghlScoreChatEvents(privateToken: $t) {
  __typename
  ... on GhlLearnerMessage { text }
  ... on GhlChatDelta { text }
  ... on GhlChatDone { message }
  ... on GhlChatFailed { code }
  ... on GhlSessionCompleted { completed } } }"""


async def test_the_learner_chat_reaches_subscribers_on_another_instance(
        client, services, fake_anthropic, new_client, database_url):
    admin, workspace_id, block_id = await _setup(client, services, fake_anthropic)
    link = (await client.post(f"{AGENT}/workspaces/{workspace_id}/blocks/{block_id}"
                              "/ghl-links", headers=admin.headers, json={})).json()["ghl_link"]
    token = _token(link)
    topic = ghl.chat_topic(uuid.UUID(link["id"]))
    learner = new_client()
    other = await start_instance(database_url, anthropic_base_url=fake_anthropic.base_url)
    try:
        # A second screen of the session (the learner's page on another instance) follows it.
        async with graphql_ws(other.ws_url) as ws:
            await ws.init()
            await ws.subscribe("s", CHAT_EVENTS, {"t": token})
            await _until_subscribed(other.app.state.services, topic)

            fake_anthropic.reply_text("Why?", chunks=["Wh", "y?"])
            turn = await learner.post(CHAT, json={"privateToken": token, "message": "Hello"})
            assert sse_events(turn.text)[-1] == {"type": "done", "message": "Why?"}
            seen = [(await ws.next_data("s"))["ghlScoreChatEvents"] for _ in range(4)]
            assert seen == [{"__typename": "GhlLearnerMessage", "text": "Hello"},
                            {"__typename": "GhlChatDelta", "text": "Wh"},
                            {"__typename": "GhlChatDelta", "text": "y?"},
                            {"__typename": "GhlChatDone", "message": "Why?"}]

            # A failed turn is announced too; the session goes on.
            fake_anthropic.reply_error(429, error_type="rate_limit_error", retry_after=3)
            turn = await learner.post(CHAT, json={"privateToken": token, "message": "Again"})
            assert turn.status_code == 429
            seen = [(await ws.next_data("s"))["ghlScoreChatEvents"] for _ in range(2)]
            assert seen[0] == {"__typename": "GhlLearnerMessage", "text": "Again"}
            assert seen[1] == {"__typename": "GhlChatFailed", "code": "RATE_LIMITED"}

            fake_anthropic.reply_tool_use("score_session", SCORING)
            done = await learner.post(COMPLETE, json={"privateToken": token})
            assert done.status_code == 200, done.text
            assert (await ws.next_data("s"))["ghlScoreChatEvents"] == {
                "__typename": "GhlSessionCompleted", "completed": True}
            ended = await ws.receive()
            assert ended == {"id": "s", "type": "complete"}

        # A completed session's stream ends at once; an unknown token is refused.
        async with graphql_ws(other.ws_url) as ws:
            await ws.init()
            await ws.subscribe("s", CHAT_EVENTS, {"t": token})
            assert (await ws.next_data("s"))["ghlScoreChatEvents"]["__typename"] == (
                "GhlSessionCompleted")
            assert await ws.receive() == {"id": "s", "type": "complete"}
            await ws.subscribe("x", CHAT_EVENTS, {"t": "not-a-token"})
            assert error_codes(await ws.next_payload("x")) == ["GHL_LINK_NOT_FOUND"]
    finally:
        await other.stop()


async def _until_subscribed(services, topic: str) -> None:
    for _ in range(250):
        if services.broker.subscriber_count(topic):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"nobody subscribed to {topic}")
