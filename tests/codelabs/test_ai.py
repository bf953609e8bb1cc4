"""The AI helper over real HTTP: the sealed Gemini key, the streamed answers from a local
Gemini-compatible server through the google-genai SDK (Claude through the Anthropic fake),
the kept conversations, and the same in GraphQL (the answer as a subscription over a real
WebSocket)."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select

from core.auth import secrets_box
from core.auth.viewer import ROLE_INSTRUCTOR
from models.codelab_files import CodelabAiSettings
from resolvers import codelab_ai
from tests.codelabs.helpers import API, create_codelab, csrf, facilitator_login, register
from tests.codelabs.test_graphql import _facilitator
from tests.fixtures import (
    CODELABS_ADMIN_PASSWORD,
    TEST_SECRET,
    bearer_for,
    create_user,
    error_codes,
    gql,
    gql_raw,
)
from tests.ws import TRANSPORT_WS, graphql_ws

GEMINI_KEY = "AIzaSy-facilitator-key-0123"
SETTINGS = f"{API}/admin/settings"
STREAM = f"{API}/ai/stream"
CONVERSATIONS = f"{API}/ai/conversations"


def sealed(key: str, password: str = CODELABS_ADMIN_PASSWORD) -> str:
    return secrets_box.encrypt_with_password(password, key)


# Sealing costs a PBKDF2 run; the tests share these.
SEALED_KEY = sealed(GEMINI_KEY)
SEALED_OTHER = sealed("AIzaSy-sent-with-the-request")


@pytest.fixture(autouse=True)
def gemini(fake_gemini):
    fake_gemini.reset()
    yield fake_gemini
    fake_gemini.reset()


def events(response) -> list[dict]:
    assert response.headers["content-type"].startswith("text/event-stream")
    return [json.loads(line[len("data: "):]) for line in response.text.split("\n")
            if line.startswith("data: ")]


def text_of(streamed: list[dict]) -> str:
    return "".join(e["candidates"][0]["content"]["parts"][0]["text"] for e in streamed)


async def _workshop(client, new_client) -> tuple[dict, object]:
    """A codelab whose facilitator stored the Gemini key, and one attendee's client."""
    await facilitator_login(client)
    codelab = await create_codelab(client)
    response = await client.post(SETTINGS, json={"gemini_api_key": SEALED_KEY},
                                 headers=csrf(client))
    assert response.status_code == 200, response.text
    attendee = new_client()
    await register(attendee, codelab)
    return codelab, attendee


async def test_settings_keep_only_a_sealed_key_encrypted(client, new_client, services):
    anonymous = await client.post(SETTINGS, json={"gemini_api_key": SEALED_KEY})
    assert (anonymous.status_code, anonymous.json()) == (401, {"error": "Login required"})
    await facilitator_login(client)
    for bad in (GEMINI_KEY, sealed(GEMINI_KEY, "another password"), SEALED_KEY[:-4],
                "v1.a.b.c"):
        response = await client.post(SETTINGS, json={"gemini_api_key": bad},
                                     headers=csrf(client))
        assert (response.status_code, response.json()) == (400, {"error": codelab_ai.NOT_SEALED})
    missing = await client.post(SETTINGS, json={}, headers=csrf(client))
    assert missing.status_code == 400 and missing.json()["error"].startswith("gemini_api_key")
    without_csrf = await client.post(SETTINGS, json={"gemini_api_key": SEALED_KEY})
    assert without_csrf.status_code == 403

    response = await client.post(SETTINGS, json={"gemini_api_key": SEALED_KEY},
                                 headers=csrf(client))
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    async with services.db.session() as session:
        rows = list((await session.execute(select(CodelabAiSettings))).scalars())
    assert len(rows) == 1 and GEMINI_KEY.encode() not in rows[0].gemini_key_encrypted
    assert secrets_box.decrypt(TEST_SECRET, rows[0].gemini_key_encrypted) == GEMINI_KEY
    audit = (await client.get(f"{API}/admin/audit-logs",
                              params={"action": "admin_settings_update"})).json()
    assert [(e["action"], e["metadata"]) for e in audit] == [
        ("admin_settings_update", {"gemini_api_key": "set"})]

    # Saves at once all succeed; the key is stored once.
    answers = await asyncio.gather(*(client.post(SETTINGS, json={"gemini_api_key": SEALED_KEY},
                                                 headers=csrf(client)) for _ in range(5)))
    assert [r.status_code for r in answers] == [200] * 5
    async with services.db.session() as session:
        assert len(list((await session.execute(select(CodelabAiSettings))).scalars())) == 1

    codelab = await create_codelab(client)
    attendee = new_client()
    await register(attendee, codelab)
    refused = await attendee.post(SETTINGS, json={"gemini_api_key": SEALED_KEY},
                                  headers=csrf(attendee))
    assert refused.status_code == 403 and refused.json() == {
        "error": "Only facilitators can change the settings"}


async def test_an_attendee_streams_an_answer_with_the_facilitators_key(client, new_client,
                                                                        gemini):
    codelab, attendee = await _workshop(client, new_client)
    gemini.valid_keys = {GEMINI_KEY}
    gemini.reply_text("Use a Result.", chunks=["Use ", "a ", "Result."])
    response = await attendee.post(STREAM, json={
        "prompt": "How do I handle errors?", "system_instruction": "You teach Rust.",
        "model": "gemini-2.5-flash", "generation_config": {"temperature": 0.2,
                                                           "maxOutputTokens": 500},
        "tools": {"googleSearch": {}}, "codelab_id": codelab["id"], "step_number": 2},
        headers=csrf(attendee))
    assert response.status_code == 200, response.text
    streamed = events(response)
    assert len(streamed) == 3 and text_of(streamed) == "Use a Result."
    assert streamed[-1]["candidates"][0]["finishReason"] == "STOP"
    assert streamed[-1]["usageMetadata"]["totalTokenCount"] == 8

    seen = gemini.last_request()
    assert seen.api_key == GEMINI_KEY
    assert seen.path == "/v1/models/gemini-2.5-flash:streamGenerateContent"
    assert seen.json["contents"] == [{"parts": [{"text": "How do I handle errors?"}],
                                      "role": "user"}]
    assert seen.json["systemInstruction"]["parts"] == [{"text": "You teach Rust."}]
    assert seen.json["generationConfig"] == {"temperature": 0.2, "maxOutputTokens": 500}
    assert seen.json["tools"] == [{"googleSearch": {}}]

    # The attendee's own codelab is the default; the deployment's model too.
    gemini.reply_text("Yes")
    response = await attendee.post(STREAM, json={"prompt": "Again?"}, headers=csrf(attendee))
    assert text_of(events(response)) == "Yes"
    assert gemini.last_request().model == "gemini-3-flash-preview"
    assert gemini.last_request().api_key == GEMINI_KEY

    # A key sealed in the request wins; a plain one is refused before any call.
    response = await attendee.post(STREAM, json={"prompt": "Hi", "api_key": SEALED_OTHER},
                                   headers=csrf(attendee))
    assert response.status_code == 401  # the fake only knows the facilitator's key
    assert response.json() == {"error": "The Gemini API key is invalid or has been revoked."}
    assert gemini.last_request().api_key == "AIzaSy-sent-with-the-request"
    calls = len(gemini.requests)
    response = await attendee.post(STREAM, json={"prompt": "Hi", "api_key": GEMINI_KEY},
                                   headers=csrf(attendee))
    assert (response.status_code, response.json()) == (
        400, {"error": codelab_ai.API_KEY_NOT_SEALED})
    assert len(gemini.requests) == calls


async def test_gemini_failures_have_their_statuses(client, new_client, gemini):
    codelab, attendee = await _workshop(client, new_client)

    async def ask() -> object:
        return await attendee.post(STREAM, json={"prompt": "Q", "codelab_id": codelab["id"]},
                                   headers=csrf(attendee))

    gemini.reply_error(429, "Resource has been exhausted", retry_after=7)
    response = await ask()
    assert response.status_code == 429 and response.headers["retry-after"] == "7"
    assert response.json() == {"error": "Gemini's rate limit was reached. Please wait a "
                                        "moment and try again."}
    gemini.reply_error(500, "Internal error with a secret detail")
    response = await ask()
    assert (response.status_code, response.json()) == (
        502, {"error": "Gemini encountered an error. Please try again."})
    gemini.reply_error(404, "models/x is not found")
    response = await ask()
    assert (response.status_code, response.json()) == (
        502, {"error": "Gemini could not process this request."})
    # A failure once the answer has started ends the stream with an error event.
    gemini.reply_stream_error_after(["Half ", "an answer"])
    response = await ask()
    assert response.status_code == 200
    streamed = events(response)
    assert text_of(streamed[:-1]) == "Half an answer"
    assert streamed[-1]["status"] in (502, 504) and "error" in streamed[-1]


async def test_stream_refusals_and_bad_input(client, new_client, services, gemini):
    _, attendee = await _workshop(client, new_client)
    anonymous = await new_client().post(STREAM, json={"prompt": "Q"})
    assert (anonymous.status_code, anonymous.json()) == (401, {"error": "Login required"})
    other = await create_codelab(client, is_public=True)
    outsider = await attendee.post(STREAM, json={"prompt": "Q", "codelab_id": other["id"]},
                                   headers=csrf(attendee))
    assert outsider.status_code == 403
    missing = await attendee.post(STREAM, json={"prompt": "Q", "codelab_id": "codelab_999999"},
                                  headers=csrf(attendee))
    assert (missing.status_code, missing.json()) == (404, {"error": "Codelab not found"})
    bad = [{}, {"prompt": ""}, {"prompt": "x" * 32_001}, {"prompt": "Q", "model": "../etc"},
           {"prompt": "Q", "generation_config": {"temperature": "hot"}},
           {"prompt": "Q", "generation_config": {"bogus": 1}},
           {"prompt": "Q", "tools": [{"noSuchTool": {}}]},
           {"prompt": "Q", "tools": [{}] * 9}, {"prompt": "Q", "step_number": 0},
           {"prompt": "Q", "generation_config": [1]}]
    for body in bad:
        response = await attendee.post(STREAM, json=body, headers=csrf(attendee))
        assert response.status_code == 400, (body, response.text)
        assert set(response.json()) == {"error"}
    assert gemini.requests == []

    # A facilitator with no stored key and no deployment key is told so.
    instructor = await create_user(services, email="grace@example.com",
                                   roles=[ROLE_INSTRUCTOR])
    response = await new_client().post(STREAM, json={"prompt": "Q"},
                                       headers=await bearer_for(services, instructor))
    assert (response.status_code, response.json()) == (400, {"error": codelab_ai.NO_GEMINI_KEY})


async def test_a_claude_model_goes_through_the_anthropic_gateway(client, new_client,
                                                                  fake_anthropic, gemini):
    codelab, attendee = await _workshop(client, new_client)
    response = await attendee.post(STREAM, json={"prompt": "Q", "model": "claude-haiku-4-5"},
                                   headers=csrf(attendee))
    assert response.status_code == 400 and response.json()["error"].startswith(
        "No API key configured")
    admin = await _facilitator(client)
    await gql(client, 'mutation { setAnthropicKey(input: {apiKey: "sk-ant-facilitator"}) '
                      '{ preview } }', headers=admin)
    fake_anthropic.reply_text("Claude here", chunks=["Claude ", "here"])
    response = await attendee.post(STREAM, json={
        "prompt": "Who are you?", "system_instruction": "Be brief.",
        "model": "claude-haiku-4-5", "codelab_id": codelab["id"]}, headers=csrf(attendee))
    assert response.status_code == 200, response.text
    streamed = events(response)
    assert text_of(streamed) == "Claude here"
    assert streamed[0]["modelVersion"] == "claude-haiku-4-5"
    seen = fake_anthropic.last_request
    assert seen.api_key == "sk-ant-facilitator"
    assert (seen.json["model"], seen.json["system"]) == ("claude-haiku-4-5", "Be brief.")
    assert gemini.requests == []


async def test_conversations_are_kept_and_listed_for_facilitators(client, new_client):
    codelab, attendee = await _workshop(client, new_client)
    body = {"codelab_id": codelab["id"], "step_number": 2, "question": "Why?",
            "answer": "Because.", "model": "gemini-3-flash-preview"}
    saved = await attendee.post(CONVERSATIONS, json=body, headers=csrf(attendee))
    assert saved.status_code == 200, saved.text
    assert saved.json()["id"].startswith("conversation_") and set(saved.json()) == {"id"}
    by_facilitator = await client.post(CONVERSATIONS, json={**body, "step_number": None},
                                       headers=csrf(client))
    assert by_facilitator.status_code == 200

    url = f"{API}/codelabs/{codelab['id']}/ai/conversations"
    listed = (await client.get(url)).json()
    attendee_id = (await client.get(f"{API}/codelabs/{codelab['id']}/attendees")).json()[0]["id"]
    assert [{k: c[k] for k in ("id", "codelab_id", "attendee_id", "step_number", "question",
                               "answer", "model")} for c in listed] == [
        {"id": saved.json()["id"], "codelab_id": codelab["id"], "attendee_id": attendee_id,
         "step_number": 2, "question": "Why?", "answer": "Because.",
         "model": "gemini-3-flash-preview"},
        {"id": by_facilitator.json()["id"], "codelab_id": codelab["id"], "attendee_id": None,
         "step_number": None, "question": "Why?", "answer": "Because.",
         "model": "gemini-3-flash-preview"}]
    assert [c["id"] for c in (await client.get(url, params={"limit": 1, "offset": 1})).json()
            ] == [by_facilitator.json()["id"]]

    refused = await attendee.get(url)
    assert (refused.status_code, refused.json()) == (
        403, {"error": "Only the codelab's facilitator can do this"})
    assert (await new_client().get(url)).status_code == 401
    assert (await client.get(url, params={"limit": 0})).status_code == 400
    for bad in ({**body, "question": ""}, {**body, "model": "bad model"},
                {**body, "step_number": 10_001}, {k: v for k, v in body.items()
                                                  if k != "answer"}):
        response = await attendee.post(CONVERSATIONS, json=bad, headers=csrf(attendee))
        assert response.status_code == 400, (bad, response.text)
    other = await create_codelab(client, is_public=True)
    outsider = await attendee.post(CONVERSATIONS, json={**body, "codelab_id": other["id"]},
                                   headers=csrf(attendee))
    assert outsider.status_code == 403


ANSWER = """subscription($input: CodelabAiQuestionInput!) {
  codelabAiAnswer(input: $input) { text } }"""
SAVE_KEY = "mutation($k: String!) { saveCodelabGeminiKey(sealedKey: $k) { ok } }"
SAVE = """mutation($input: SaveCodelabAiConversationInput!) {
  saveCodelabAiConversation(input: $input) {
    conversation { legacyId attendeeLegacyId stepNumber question answer model } } }"""
LIST = """query($id: ID!) { codelabAiConversations(codelabId: $id, first: 10) {
  totalCount edges { node { legacyId question } } } }"""
CREATE = """mutation { createCodelab(input: {title: "AI", isPublic: false,
  attendanceCode: "AI-LAB-1"}) { codelab { id } } }"""
REGISTER = """mutation($id: ID!) { registerCodelabAttendee(input: {codelabId: $id, name: "Ada",
  code: "AI-LAB-1"}) { accessToken attendee { legacyId } } }"""


async def test_the_same_in_graphql(client, new_client, server, gemini):
    admin = await _facilitator(client)
    body = await gql_raw(client, SAVE_KEY, {"k": GEMINI_KEY}, headers=admin)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert (await gql(client, SAVE_KEY, {"k": SEALED_KEY}, headers=admin))[
        "saveCodelabGeminiKey"] == {"ok": True}
    codelab_id = (await gql(client, CREATE, headers=admin))["createCodelab"]["codelab"]["id"]
    registered = (await gql(new_client(), REGISTER, {"id": codelab_id}))[
        "registerCodelabAttendee"]
    attendee = {"Authorization": f"Bearer {registered['accessToken']}"}

    gemini.valid_keys = {GEMINI_KEY}
    gemini.reply_text("Streamed over GraphQL", chunks=["Streamed ", "over ", "GraphQL"])
    async with graphql_ws(server.ws_url, TRANSPORT_WS) as ws:
        assert (await ws.init(attendee))["type"] == "connection_ack"
        await ws.subscribe("ai", ANSWER, {"input": {"prompt": "Q", "codelabId": codelab_id}})
        pieces = [(await ws.next_data("ai"))["codelabAiAnswer"]["text"] for _ in range(3)]
        assert pieces == ["Streamed ", "over ", "GraphQL"]
        assert (await ws.receive()) == {"id": "ai", "type": "complete"}
        # Errors come as the operation's error, with the resolvers' codes.
        gemini.reply_error(429, "exhausted")
        await ws.subscribe("limited", ANSWER, {"input": {"prompt": "Q"}})
        assert error_codes(await ws.next_payload("limited")) == ["RATE_LIMITED"]
        assert (await ws.receive()) == {"id": "limited", "type": "complete"}
        await ws.subscribe("bad", ANSWER, {"input": {"prompt": ""}})
        assert error_codes(await ws.next_payload("bad")) == ["BAD_USER_INPUT"]
    assert gemini.last_request().api_key == GEMINI_KEY

    saved = (await gql(client, SAVE, {"input": {
        "codelabId": codelab_id, "question": "Q", "answer": "A", "model": "gemini-x",
        "stepNumber": 1}}, headers=attendee))["saveCodelabAiConversation"]["conversation"]
    assert saved["attendeeLegacyId"] == registered["attendee"]["legacyId"]
    assert (saved["stepNumber"], saved["question"], saved["answer"], saved["model"]) == (
        1, "Q", "A", "gemini-x")
    listed = (await gql(client, LIST, {"id": codelab_id}, headers=admin))[
        "codelabAiConversations"]
    assert [e["node"] for e in listed["edges"]] == [{"legacyId": saved["legacyId"],
                                                     "question": "Q"}]
    assert listed["totalCount"] == 1
    body = await gql_raw(client, LIST, {"id": codelab_id}, headers=attendee)
    assert error_codes(body) == ["FORBIDDEN"]
