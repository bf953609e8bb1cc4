"""The tutor on Anthropic models through AWS Bedrock (``LEARNGRAPH_LLM_PROVIDER=bedrock``).

Turns go through the anthropic SDK's real ``AsyncAnthropicBedrock`` client,
signed with the AWS credentials an admin stored, to the local fake's
``/model/{model}/invoke-with-response-stream`` (AWS binary event-stream
frames). Checked: no turn before credentials are stored (and nothing stored
then), the request Bedrock sees (path, model, SigV4 signature, body), the SSE
answer and the shared cache, a per-course model, no Anthropic key needed, and
failures: refused credentials, throttling and an exception frame mid-stream.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from core.llm import AWS_REJECTED, RATE_LIMITED, SERVICE_ERROR
from models.chat import ChatMessage
from models.chat_cache import ChatCacheNode
from resolvers.platform_llm import TUTOR_NOT_CONFIGURED
from tests.fixtures import bearer_for, create_user, start_instance
from tests.twosigma.chat_helpers import API, chunks_of, greet, learner, open_session, topic

MODEL = "anthropic.claude-test-v1:0"
CREDS = {"aws_access_key_id": "AKIAIOSFODNN7EXAMPLE",
         "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
         "aws_session_token": "session-token-1"}
GREETING = ["Hello ", "from ", "Bedrock!"]


@pytest.fixture
async def bedrock(database_url, client, services, fake_anthropic, new_client):
    """An instance on the Bedrock provider, a client on it, and an admin's headers."""
    app = await start_instance(database_url, llm_provider="bedrock", bedrock_region="eu-west-1",
                               bedrock_model=MODEL, bedrock_base_url=fake_anthropic.base_url)
    http = new_client()
    http.base_url = app.base_url
    admin = await create_user(services, email="root@example.com", roles=["PLATFORM_ADMIN"])
    yield http, await bearer_for(services, admin)
    await app.stop()


async def store_credentials(http, admin_headers) -> None:
    response = await http.post(f"{API}/admin/aws-credentials", json=CREDS,
                               headers=admin_headers)
    assert response.status_code == 200, response.text


async def messages(services, session_id: int) -> list[tuple[str, str, dict | None]]:
    async with services.db.session() as db:
        rows = (await db.execute(select(ChatMessage).where(ChatMessage.session_id == session_id)
                                 .order_by(ChatMessage.id))).scalars()
        return [(m.role, m.content, m.meta) for m in rows]


async def test_no_turn_before_an_admin_stores_credentials(bedrock, services, fake_anthropic):
    http, _ = bedrock
    ada = await learner(services)
    session = await open_session(http, ada, await topic(services))

    greeting = await http.post(f"{API}/chat/sessions/{session['id']}/greeting",
                               headers=ada.headers)
    message = await http.post(f"{API}/chat/sessions/{session['id']}/messages",
                              json={"content": "Why?"}, headers=ada.headers)

    assert greeting.status_code == 503 and greeting.json() == {"detail": TUTOR_NOT_CONFIGURED}
    assert message.status_code == 503 and message.json() == {"detail": TUTOR_NOT_CONFIGURED}
    assert fake_anthropic.recorded(None) == []
    assert await messages(services, session["id"]) == []


async def test_turns_stream_through_bedrock_and_fill_the_shared_cache(
        bedrock, services, fake_anthropic):
    http, admin_headers = bedrock
    await store_credentials(http, admin_headers)
    # Neither learner has an Anthropic key, and the deployment has none: not needed.
    ada = await learner(services, key=False)
    bob = await learner(services, "bob@example.com", key=False)
    item = await topic(services)
    first, second = await open_session(http, ada, item), await open_session(http, bob, item)
    fake_anthropic.reply_text("".join(GREETING), chunks=GREETING)

    miss_text, miss = await greet(http, ada, first["id"])

    assert chunks_of(miss) == GREETING
    assert miss[-1]["done"] is True and isinstance(miss[-1]["message_id"], int)
    [request] = fake_anthropic.recorded(None)
    assert request.path == f"/model/{MODEL}/invoke-with-response-stream"
    signature = request.headers["authorization"]
    assert signature.startswith("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/")
    assert "/eu-west-1/bedrock/aws4_request" in signature
    assert request.headers["x-amz-security-token"] == "session-token-1"
    assert "model" not in request.body and "stream" not in request.body
    assert request.body["anthropic_version"]
    assert request.plain_messages == [{"role": "user", "content": "Start."}]
    assert "Recursion" in request.system_text
    assert await messages(services, first["id"]) == [
        ("user", "Start.", {}),
        ("assistant", "Hello from Bedrock!", {"source": "llm", "cache_lookup": "miss"})]

    hit_text, hit = await greet(http, bob, second["id"])

    assert len(fake_anthropic.recorded(None)) == 1
    assert chunks_of(hit) == GREETING
    assert hit_text.split("message_id")[0] == miss_text.split("message_id")[0]
    for _ in range(500):  # the hit is written a moment after the answer, by that instance
        async with services.db.session() as db:
            [node] = (await db.execute(select(ChatCacheNode))).scalars().all()
        if node.hits:
            break
        await asyncio.sleep(0.01)
    assert node.model == MODEL and node.chunks == GREETING and node.hits == 1


async def test_a_course_model_is_the_bedrock_model_id(bedrock, services, fake_anthropic):
    http, admin_headers = bedrock
    await store_credentials(http, admin_headers)
    ada = await learner(services, key=False)
    item = await topic(services, llm_model="anthropic.claude-course-v2:0")
    session = await open_session(http, ada, item)

    _, events = await greet(http, ada, session["id"])

    assert "".join(chunks_of(events)) == "OK"
    assert fake_anthropic.last_request.path == (
        "/model/anthropic.claude-course-v2:0/invoke-with-response-stream")


async def test_refused_credentials_end_the_stream_with_a_clear_error(
        bedrock, services, fake_anthropic):
    http, admin_headers = bedrock
    await store_credentials(http, admin_headers)
    fake_anthropic.valid_aws_keys = {"AKIASOMEONEELSE00000"}
    ada = await learner(services)
    session = await open_session(http, ada, await topic(services))

    _, events = await greet(http, ada, session["id"])

    assert events == [{"content": "", "done": True,
                       "error": {"status": 502, "detail": AWS_REJECTED}}]
    # The learner's own Anthropic key is not used under Bedrock.
    assert fake_anthropic.recorded() == []
    assert await messages(services, session["id"]) == [("user", "Start.", {})]


async def test_throttling_and_a_failure_mid_stream(bedrock, services, fake_anthropic):
    http, admin_headers = bedrock
    await store_credentials(http, admin_headers)
    ada = await learner(services, key=False)
    session = await open_session(http, ada, await topic(services))

    fake_anthropic.reply_error(429)
    _, throttled = await greet(http, ada, session["id"])
    fake_anthropic.reply_stream_error_after(["Part of ", "an answer"],
                                            error_type="overloaded_error")
    _, broken = await greet(http, ada, session["id"])

    assert throttled == [{"content": "", "done": True,
                          "error": {"status": 429, "detail": RATE_LIMITED}}]
    assert broken == [
        {"content": "Part of ", "done": False}, {"content": "an answer", "done": False},
        {"content": "", "done": True, "error": {"status": 502, "detail": SERVICE_ERROR}}]
    async with services.db.session() as db:
        assert (await db.execute(select(ChatCacheNode))).scalars().all() == []

    fake_anthropic.reply_text("Back again.")
    _, events = await greet(http, ada, session["id"])

    assert "".join(chunks_of(events)) == "Back again."
    assert fake_anthropic.last_request.plain_messages == [
        {"role": "user", "content": "Start."}]
    assert [m[:2] for m in await messages(services, session["id"])] == [
        ("user", "Start."), ("user", "Start."), ("user", "Start."),
        ("assistant", "Back again.")]
