"""POST /api/auth/validate-key: the key is checked with the AI service, never stored."""

from __future__ import annotations

from tests.fixtures import gql

VALIDATE = """
mutation($key: String!) { validateAnthropicKey(input: {apiKey: $key}) { valid error } }"""


async def test_a_working_key_is_valid(ol_client, fake_anthropic):
    fake_anthropic.valid_keys = {"sk-ant-good-key-1234"}
    response = await ol_client.post("/api/auth/validate-key",
                                    json={"apiKey": "sk-ant-good-key-1234"})
    assert response.status_code == 200
    assert response.json() == {"valid": True, "error": None}
    [request] = fake_anthropic.recorded()
    assert request.api_key == "sk-ant-good-key-1234"
    # Not stored.
    assert (await ol_client.get("/api/auth/api-key")).status_code == 204


async def test_a_rejected_key_is_invalid(ol_client, fake_anthropic):
    fake_anthropic.valid_keys = {"sk-ant-good-key-1234"}
    response = await ol_client.post("/api/auth/validate-key", json={"apiKey": "sk-ant-bad"})
    assert response.status_code == 200
    assert response.json() == {"valid": False, "error": "Invalid API key"}


async def test_a_rate_limited_key_may_be_valid(ol_client, fake_anthropic):
    fake_anthropic.reply_error(429, retry_after=30)
    response = await ol_client.post("/api/auth/validate-key", json={"apiKey": "sk-ant-x"})
    assert response.status_code == 200
    assert response.json() == {"valid": False, "error": "Rate limited — key may be valid"}


async def test_empty_key_is_invalid_without_calling_out(ol_client, fake_anthropic):
    response = await ol_client.post("/api/auth/validate-key", json={"apiKey": "  "})
    assert response.json() == {"valid": False, "error": "Invalid API key"}
    assert fake_anthropic.recorded() == []


async def test_graphql_set_validate_and_delete_the_key(ol_client, fake_anthropic):
    fake_anthropic.valid_keys = {"sk-ant-good-key-1234"}
    data = await gql(ol_client, VALIDATE, {"key": "sk-ant-good-key-1234"})
    assert data == {"validateAnthropicKey": {"valid": True, "error": None}}
    data = await gql(ol_client, VALIDATE, {"key": "sk-ant-nope"})
    assert data == {"validateAnthropicKey": {"valid": False, "error": "Invalid API key"}}

    data = await gql(ol_client, 'mutation { setAnthropicKey(input: {apiKey: '
                                '"sk-ant-good-key-1234"}) { preview } }')
    assert data == {"setAnthropicKey": {"preview": "sk-...1234"}}
    assert (await gql(ol_client, "{ viewer { hasAnthropicKey } }")) == {
        "viewer": {"hasAnthropicKey": True}}
    assert (await ol_client.get("/api/auth/api-key")).json() == {"apiKeyPreview": "sk-...1234"}

    data = await gql(ol_client, "mutation { deleteAnthropicKey { preview } }")
    assert data == {"deleteAnthropicKey": {"preview": None}}
    assert (await gql(ol_client, "{ viewer { hasAnthropicKey } }")) == {
        "viewer": {"hasAnthropicKey": False}}
