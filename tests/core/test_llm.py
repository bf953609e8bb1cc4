"""The LLM gateway against the real ``anthropic`` SDK talking to FakeAnthropic over HTTP."""

from __future__ import annotations

import json
import socket
import time

import anthropic
import httpx
import pytest
from pydantic import BaseModel, Field

from core.config import Settings
from core.errors import RateLimited, Upstream, Validation
from core.llm import (
    AUTHENTICATION_FAILED,
    AWS_REJECTED,
    INVALID_ANSWER,
    MAX_CACHED_CLIENTS,
    NO_API_KEY,
    RATE_LIMITED,
    REQUEST_REJECTED,
    SERVICE_ERROR,
    TIMED_OUT,
    UNREACHABLE,
    AwsCredentials,
    LLMGateway,
)
from tests.fakes import anthropic_server
from tests.fakes.anthropic_server import FakeAnthropic

fake_anthropic_server = anthropic_server.fake_anthropic_server
fake_anthropic = anthropic_server.fake_anthropic

USER = [{"role": "user", "content": "What is the capital of France?"}]


@pytest.fixture
async def make_gateway(fake_anthropic: FakeAnthropic):
    """Build gateways pointed at the fake (no retries, short timeout unless overridden)."""
    made: list[LLMGateway] = []

    def make(**overrides: object) -> LLMGateway:
        fields: dict[str, object] = {"anthropic_base_url": fake_anthropic.base_url,
                                     "anthropic_model": "claude-test-model",
                                     "llm_timeout_seconds": 5.0, "llm_max_retries": 0}
        fields.update(overrides)
        gateway = LLMGateway(Settings(**fields))
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        await gateway.aclose()


async def collect(stream) -> tuple[list[str], BaseException | None]:
    """Every text delta of ``stream``, and the exception that ended it, if any."""
    received: list[str] = []
    try:
        async for text in stream:
            received.append(text)
    except Exception as exc:
        return received, exc
    return received, None


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ----------------------------------------------------------------- success paths


async def test_complete_returns_the_message_and_sends_key_model_and_prompt(
        fake_anthropic, make_gateway):
    fake_anthropic.reply_text("Paris.")
    gateway = make_gateway(anthropic_api_key="sk-env")

    message = await gateway.complete(api_key="sk-user", system="Answer tersely.",
                                     messages=USER, max_tokens=50, model="claude-test-1")

    assert isinstance(message, anthropic.types.Message)
    assert [(block.type, block.text) for block in message.content] == [("text", "Paris.")]
    assert message.stop_reason == "end_turn"
    assert message.model == "claude-test-1"
    [request] = fake_anthropic.recorded()
    assert request.method == "POST"
    assert request.api_key == "sk-user"
    assert request.json == {"model": "claude-test-1", "max_tokens": 50,
                            "system": "Answer tersely.", "messages": USER}
    assert request.headers["anthropic-version"]


async def test_complete_defaults_to_the_configured_model(fake_anthropic, make_gateway):
    gateway = make_gateway(anthropic_model="claude-configured")

    message = await gateway.complete(api_key="sk-user", system=None, messages=USER)

    assert message.content[0].text == "OK"  # the fake's default reply
    [request] = fake_anthropic.recorded()
    assert request.json["model"] == "claude-configured"
    assert request.json["max_tokens"] == 1024
    assert "system" not in request.json


async def test_stream_text_yields_the_scripted_chunks(fake_anthropic, make_gateway):
    chunks = ["Hel", "lo, ", "brave new", " world!"]
    fake_anthropic.reply_text("".join(chunks), chunks=chunks)
    gateway = make_gateway()

    received, error = await collect(gateway.stream_text(
        api_key="sk-user", system="Greet.", messages=USER, max_tokens=64, model="claude-s"))

    assert error is None
    assert received == chunks
    [request] = fake_anthropic.recorded()
    assert request.json["stream"] is True
    assert request.json["model"] == "claude-s"
    assert request.api_key == "sk-user"


async def test_stream_text_default_chunking_is_word_by_word(fake_anthropic, make_gateway):
    fake_anthropic.reply_text("one two  three")
    received, error = await collect(make_gateway().stream_text(
        api_key="k", system=None, messages=USER))
    assert error is None
    assert received == ["one", " two", "  three"]


async def test_stream_text_delivers_chunks_as_they_arrive(fake_anthropic, make_gateway):
    fake_anthropic.reply_text("a b c", delay_per_chunk=0.15)
    arrivals: list[float] = []
    start = time.monotonic()
    async for _ in make_gateway().stream_text(api_key="k", system=None, messages=USER):
        arrivals.append(time.monotonic() - start)
    assert len(arrivals) == 3
    assert arrivals[0] < arrivals[2] - 0.2


async def test_complete_with_a_forced_tool_returns_structured_input(fake_anthropic,
                                                                    make_gateway):
    answer = {"answer": "Paris", "confidence": 0.9, "sources": ["atlas"]}
    fake_anthropic.reply_tool_use("record_answer", answer, tool_id="toolu_fixed")
    tool = {"name": "record_answer", "description": "Record the answer.",
            "input_schema": {"type": "object", "properties": {"answer": {"type": "string"}}}}
    choice = {"type": "tool", "name": "record_answer"}

    message = await make_gateway().complete(api_key="k", system="Use the tool.",
                                            messages=USER, tools=[tool], tool_choice=choice)

    [block] = message.content
    assert (block.type, block.id, block.name, block.input) == (
        "tool_use", "toolu_fixed", "record_answer", answer)
    assert message.stop_reason == "tool_use"
    [request] = fake_anthropic.recorded()
    assert request.json["tools"] == [tool]
    assert request.json["tool_choice"] == choice


class Capital(BaseModel):
    answer: str
    confidence: float = Field(ge=0, le=1)


async def test_structured_answer_is_validated_into_the_model(fake_anthropic, make_gateway):
    fake_anthropic.reply_tool_use("record_answer", {"answer": "Paris", "confidence": 0.9})
    result = await make_gateway().complete_structured(
        api_key="k", system="Answer.", messages=USER, output=Capital,
        tool_name="record_answer", description="Record the answer.")
    assert result == Capital(answer="Paris", confidence=0.9)
    [request] = fake_anthropic.recorded()
    assert request.json["tool_choice"] == {"type": "tool", "name": "record_answer"}
    assert request.json["tools"][0]["input_schema"] == Capital.model_json_schema()


async def test_an_invalid_structured_answer_is_sent_back_once(fake_anthropic, make_gateway):
    fake_anthropic.reply_tool_use("record_answer", {"answer": "Paris", "confidence": 7},
                                  tool_id="toolu_bad")
    fake_anthropic.reply_tool_use("record_answer", {"answer": "Paris", "confidence": 0.7})
    result = await make_gateway().complete_structured(
        api_key="k", system="Answer.", messages=USER, output=Capital,
        tool_name="record_answer", description="Record the answer.")
    assert result.confidence == 0.7
    _, second = fake_anthropic.recorded()
    correction = second.json["messages"]
    assert correction[:1] == USER
    assert correction[1] == {"role": "assistant", "content": [{
        "type": "tool_use", "id": "toolu_bad", "name": "record_answer",
        "input": {"answer": "Paris", "confidence": 7}}]}
    [tool_result] = correction[2]["content"]
    assert tool_result["tool_use_id"] == "toolu_bad" and tool_result["is_error"] is True
    assert "confidence" in tool_result["content"]


async def test_a_structured_answer_that_never_fits_is_an_upstream_error(fake_anthropic,
                                                                        make_gateway):
    fake_anthropic.reply_text("Paris, probably.")
    fake_anthropic.reply_tool_use("record_answer", {"answer": 42})
    with pytest.raises(Upstream) as raised:
        await make_gateway().complete_structured(
            api_key="k", system="Answer.", messages=USER, output=Capital,
            tool_name="record_answer", description="Record the answer.")
    assert (raised.value.status, raised.value.code) == (502, "LLM_INVALID_ANSWER")
    assert raised.value.message == INVALID_ANSWER
    _, second = fake_anthropic.recorded()
    assert second.json["messages"][1] == {"role": "assistant", "content": "Paris, probably."}
    assert second.json["messages"][2]["content"] == "Answer by calling the record_answer tool."


def test_fake_streams_tool_input_as_json_deltas_to_the_sync_sdk(fake_anthropic):
    answer = {"topic": "graphs", "steps": [1, 2, 3]}
    fake_anthropic.reply_tool_use("plan", answer)
    client = anthropic.Anthropic(api_key="k", base_url=fake_anthropic.base_url, max_retries=0)
    tool = {"name": "plan", "input_schema": {"type": "object"}}
    with client.messages.stream(model="m", max_tokens=10, messages=USER,
                                tools=[tool]) as stream:
        events = list(stream)
        final = stream.get_final_message()
    client.close()
    partials = [e.delta.partial_json for e in events
                if e.type == "content_block_delta" and e.delta.type == "input_json_delta"]
    assert len(partials) > 2
    assert json.loads("".join(partials)) == answer
    assert (final.content[0].name, final.content[0].input) == ("plan", answer)
    assert final.stop_reason == "tool_use"


def test_a_tool_reply_waits_for_a_request_offering_that_tool(fake_anthropic):
    fake_anthropic.reply_tool_use("record_review", {"ok": True})
    fake_anthropic.reply_text("plain answer")
    client = anthropic.Anthropic(api_key="k", base_url=fake_anthropic.base_url, max_retries=0)
    plain = client.messages.create(model="m", max_tokens=10, messages=USER)
    tool = {"name": "record_review", "input_schema": {"type": "object"}}
    called = client.messages.create(model="m", max_tokens=10, messages=USER, tools=[tool])
    client.close()
    assert plain.content[0].text == "plain answer"
    assert called.content[0].input == {"ok": True}


def test_fake_sends_anthropic_sse_on_the_wire(fake_anthropic):
    fake_anthropic.reply_text("Hi there", chunks=["Hi", " there"])
    body = {"model": "m", "max_tokens": 5, "messages": USER, "stream": True}
    response = httpx.post(f"{fake_anthropic.base_url}/v1/messages", json=body,
                          headers={"x-api-key": "k", "anthropic-version": "2023-06-01"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    frames = [frame for frame in response.text.split("\n\n") if frame]
    names = [frame.split("\n")[0].removeprefix("event: ") for frame in frames]
    assert names == ["message_start", "content_block_start", "ping", "content_block_delta",
                     "content_block_delta", "content_block_stop", "message_delta",
                     "message_stop"]
    data = [json.loads(frame.split("\n")[1].removeprefix("data: ")) for frame in frames]
    assert data[0]["message"]["content"] == [] and data[0]["message"]["stop_reason"] is None
    assert [d["delta"]["text"] for d in data[3:5]] == ["Hi", " there"]
    assert data[6]["delta"]["stop_reason"] == "end_turn"
    assert fake_anthropic.last_request.api_key == "k"


def test_fake_serves_models_and_count_tokens_with_key_checks(fake_anthropic):
    fake_anthropic.valid_keys = {"sk-good"}
    good = anthropic.Anthropic(api_key="sk-good", base_url=fake_anthropic.base_url,
                               max_retries=0)
    bad = anthropic.Anthropic(api_key="sk-bad", base_url=fake_anthropic.base_url,
                              max_retries=0)
    try:
        assert [m.id for m in good.models.list()] == ["claude-sonnet-4-6", "claude-haiku-4-5"]
        counted = good.messages.count_tokens(model="m", messages=USER)
        assert counted.input_tokens > 0
        with pytest.raises(anthropic.AuthenticationError) as caught:
            bad.models.list()
        assert caught.value.type == "authentication_error"
        with pytest.raises(anthropic.AuthenticationError):
            bad.messages.count_tokens(model="m", messages=USER)
    finally:
        good.close()
        bad.close()
    assert [(r.method, r.path) for r in fake_anthropic.recorded(None)] == [
        ("GET", "/v1/models"), ("POST", "/v1/messages/count_tokens"),
        ("GET", "/v1/models"), ("POST", "/v1/messages/count_tokens")]


# ----------------------------------------------------------------- keys


def test_resolve_key_prefers_the_user_key():
    gateway = LLMGateway(Settings(anthropic_api_key="sk-env"))
    assert gateway.resolve_key("sk-user") == "sk-user"
    assert gateway.resolve_key(None) == "sk-env"
    assert gateway.resolve_key("   ") == "sk-env"


def test_resolve_key_without_any_key_is_a_400():
    with pytest.raises(Validation) as caught:
        LLMGateway(Settings(anthropic_api_key=None)).resolve_key(None)
    assert (caught.value.status, caught.value.code, caught.value.message) == (
        400, "NO_API_KEY", NO_API_KEY)


async def test_calls_use_the_user_key_over_the_env_key(fake_anthropic, make_gateway):
    gateway = make_gateway(anthropic_api_key="sk-env")
    await gateway.complete(api_key="sk-user", system=None, messages=USER)
    await gateway.complete(api_key=None, system=None, messages=USER)
    await collect(gateway.stream_text(api_key=None, system=None, messages=USER))
    assert [r.api_key for r in fake_anthropic.recorded()] == ["sk-user", "sk-env", "sk-env"]


async def test_no_key_fails_before_any_request(fake_anthropic, make_gateway):
    gateway = make_gateway(anthropic_api_key=None)
    with pytest.raises(Validation) as caught:
        await gateway.complete(api_key=None, system=None, messages=USER)
    assert caught.value.code == "NO_API_KEY"
    _, error = await collect(gateway.stream_text(api_key="", system=None, messages=USER))
    assert isinstance(error, Validation) and error.code == "NO_API_KEY"
    assert fake_anthropic.recorded(None) == []


async def test_validate_key(fake_anthropic, make_gateway):
    fake_anthropic.valid_keys = {"sk-good"}
    gateway = make_gateway(llm_max_retries=2, anthropic_model="claude-check")

    assert await gateway.validate_key("sk-good") == (True, None)
    assert await gateway.validate_key("sk-bad") == (False, "Invalid API key")
    fake_anthropic.reply_error(429, retry_after=1)
    assert await gateway.validate_key("sk-good") == (False, "Rate limited — key may be valid")
    fake_anthropic.reply_error(403)
    assert await gateway.validate_key("sk-good") == (False, "Invalid API key")
    fake_anthropic.reply_error(529)
    assert await gateway.validate_key("sk-good") == (False, SERVICE_ERROR)
    fake_anthropic.reply_error(400, error_type="invalid_request_error",
                               message="Your credit balance is too low.")
    assert await gateway.validate_key("sk-good") == (
        False, "The AI service rejected this key: Your credit balance is too low.")
    assert await gateway.validate_key("  ") == (False, "Invalid API key")

    requests = fake_anthropic.recorded()
    assert len(requests) == 6  # one call per check: no retries, even with llm_max_retries=2
    assert [r.api_key for r in requests] == ["sk-good", "sk-bad"] + ["sk-good"] * 4
    assert requests[0].json == {"model": "claude-check", "max_tokens": 1,
                                "messages": [{"role": "user", "content": "ping"}]}


async def test_validate_key_when_the_service_is_unreachable(make_gateway):
    gateway = make_gateway(anthropic_base_url=f"http://127.0.0.1:{closed_port()}")
    assert await gateway.validate_key("sk-any") == (False, UNREACHABLE)


async def test_clients_are_cached_per_key_with_a_bound(make_gateway):
    gateway = make_gateway()
    first = gateway._client("key-0")
    assert gateway._client("key-0") is first
    for n in range(1, MAX_CACHED_CLIENTS + 1):
        gateway._client(f"key-{n}")
    assert len(gateway._clients) == MAX_CACHED_CLIENTS
    assert "key-0" not in gateway._clients and "key-1" in gateway._clients
    assert gateway._client("key-0") is not first


# ----------------------------------------------------------------- error mapping


async def call(gateway: LLMGateway, mode: str, api_key: str = "sk-secret-user-key"):
    """Run one call in ``mode``; returns the exception it raised (and the streamed text)."""
    if mode == "complete":
        try:
            await gateway.complete(api_key=api_key, system=None, messages=USER)
        except Exception as exc:
            return exc, []
        return None, []
    received, error = await collect(gateway.stream_text(api_key=api_key, system=None,
                                                        messages=USER))
    return error, received


MODES = ["complete", "stream"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("status", "kind", "expected_status", "code", "message"), [
    (401, Upstream, 401, "LLM_AUTHENTICATION_FAILED", AUTHENTICATION_FAILED),
    (500, Upstream, 502, "UPSTREAM_ERROR", SERVICE_ERROR),
    (529, Upstream, 502, "UPSTREAM_ERROR", SERVICE_ERROR),
    (503, Upstream, 502, "UPSTREAM_ERROR", SERVICE_ERROR),
    (400, Upstream, 502, "UPSTREAM_ERROR", REQUEST_REJECTED),
    (403, Upstream, 502, "UPSTREAM_ERROR", REQUEST_REJECTED),
])
async def test_http_errors_map_to_domain_errors(fake_anthropic, make_gateway, mode, status,
                                                kind, expected_status, code, message):
    fake_anthropic.reply_error(status)
    error, _ = await call(make_gateway(), mode)
    assert type(error) is kind
    assert (error.status, error.code, error.message) == (expected_status, code, message)
    assert "sk-secret" not in str(error)


async def test_invalid_key_maps_to_401(fake_anthropic, make_gateway):
    fake_anthropic.valid_keys = {"sk-good"}
    error, _ = await call(make_gateway(), "complete", api_key="sk-revoked")
    assert (error.status, error.code, error.message) == (
        401, "LLM_AUTHENTICATION_FAILED", AUTHENTICATION_FAILED)


@pytest.mark.parametrize("mode", MODES)
async def test_rate_limit_carries_retry_after(fake_anthropic, make_gateway, mode):
    fake_anthropic.reply_error(429, retry_after=7)
    error, _ = await call(make_gateway(), mode)
    assert type(error) is RateLimited
    assert (error.status, error.code, error.message, error.retry_after) == (
        429, "RATE_LIMITED", RATE_LIMITED, 7)


async def test_rate_limit_without_retry_after(fake_anthropic, make_gateway):
    fake_anthropic.reply_error(429)
    error, _ = await call(make_gateway(), "complete")
    assert type(error) is RateLimited and error.retry_after is None


@pytest.mark.parametrize("mode", MODES)
async def test_long_retry_after_is_reported_not_slept_through(fake_anthropic, make_gateway,
                                                              mode):
    fake_anthropic.reply_error(429, retry_after=30)
    gateway = make_gateway(llm_max_retries=2)
    start = time.monotonic()
    error, _ = await call(gateway, mode)
    assert time.monotonic() - start < 2
    assert type(error) is RateLimited and error.retry_after == 30
    assert len(fake_anthropic.recorded()) == 1


async def test_short_waits_are_retried(fake_anthropic, make_gateway):
    fake_anthropic.reply_error(529, headers={"retry-after-ms": "10"})
    fake_anthropic.reply_text("recovered")
    message = await make_gateway(llm_max_retries=1).complete(api_key="k", system=None,
                                                             messages=USER)
    assert message.content[0].text == "recovered"
    assert [r.headers["x-stainless-retry-count"] for r in fake_anthropic.recorded()] == [
        "0", "1"]


@pytest.mark.parametrize("mode", MODES)
async def test_slow_server_times_out_as_504(fake_anthropic, make_gateway, mode):
    fake_anthropic.reply_slow(2.0, then="too late")
    gateway = make_gateway(llm_timeout_seconds=0.2)
    start = time.monotonic()
    error, _ = await call(gateway, mode)
    assert time.monotonic() - start < 1.5
    assert type(error) is Upstream
    assert (error.status, error.code, error.message) == (504, "UPSTREAM_ERROR", TIMED_OUT)


async def test_stalled_stream_times_out_as_504(fake_anthropic, make_gateway):
    fake_anthropic.reply_text("first second", chunks=["first", " second"], delay_per_chunk=1.0)
    error, received = await call(make_gateway(llm_timeout_seconds=0.2), "stream")
    assert received == []
    assert (type(error), error.status, error.message) == (Upstream, 504, TIMED_OUT)


@pytest.mark.parametrize("mode", MODES)
async def test_connection_refused_maps_to_502(make_gateway, mode):
    gateway = make_gateway(anthropic_base_url=f"http://127.0.0.1:{closed_port()}")
    error, _ = await call(gateway, mode)
    assert type(error) is Upstream
    assert (error.status, error.code, error.message) == (502, "UPSTREAM_ERROR", UNREACHABLE)


@pytest.mark.parametrize("error_type", ["overloaded_error", "api_error"])
async def test_mid_stream_error_event_maps_to_502(fake_anthropic, make_gateway, error_type):
    fake_anthropic.reply_stream_error_after(["Partial ", "answer"], error_type=error_type)
    error, received = await call(make_gateway(), "stream")
    assert received == ["Partial ", "answer"]
    assert type(error) is Upstream
    assert (error.status, error.code, error.message) == (502, "UPSTREAM_ERROR", SERVICE_ERROR)


async def test_stream_error_reply_to_a_plain_request_is_an_http_error(fake_anthropic,
                                                                      make_gateway):
    fake_anthropic.reply_stream_error_after(["ignored"])
    error, _ = await call(make_gateway(), "complete")
    assert (type(error), error.status, error.message) == (Upstream, 502, SERVICE_ERROR)
    assert fake_anthropic.pending() == 0


# ----------------------------------------------------------------- AWS Bedrock

AWS = AwsCredentials(access_key_id="AKIAIOSFODNN7EXAMPLE", secret_access_key="secret",
                     session_token="token-1")


def bedrock_gateway(make_gateway, fake_anthropic: FakeAnthropic) -> LLMGateway:
    return make_gateway(bedrock_base_url=fake_anthropic.base_url, bedrock_region="eu-west-1",
                        bedrock_model="anthropic.claude-test-v1:0")


async def test_bedrock_calls_need_no_key_and_use_the_bedrock_model(fake_anthropic,
                                                                   make_gateway):
    gateway = bedrock_gateway(make_gateway, fake_anthropic)
    fake_anthropic.reply_text("Paris.")
    message = await gateway.complete(api_key=None, aws=AWS, system="Be brief.", messages=USER)
    fake_anthropic.reply_text("Paris, France.", chunks=["Paris", ", France."])
    received, error = await collect(gateway.stream_text(api_key=None, aws=AWS, system=None,
                                                        messages=USER, model="anthropic.x-v2:0"))

    assert message.content[0].text == "Paris."
    assert (received, error) == (["Paris", ", France."], None)
    plain, streamed = fake_anthropic.recorded_bedrock()
    assert plain.path == "/model/anthropic.claude-test-v1:0/invoke"
    assert streamed.path == "/model/anthropic.x-v2:0/invoke-with-response-stream"
    assert plain.body["system"] == "Be brief." and plain.body["messages"] == USER
    assert plain.aws_access_key_id == streamed.aws_access_key_id == "AKIAIOSFODNN7EXAMPLE"
    assert plain.headers["x-amz-security-token"] == "token-1"
    assert fake_anthropic.recorded() == []
    assert "secret" not in repr(AWS)


async def test_bedrock_failures_map_to_the_same_domain_errors(fake_anthropic, make_gateway):
    gateway = bedrock_gateway(make_gateway, fake_anthropic)

    async def failure(stream: bool = True) -> tuple[list[str], BaseException | None]:
        if stream:
            return await collect(gateway.stream_text(api_key=None, aws=AWS, system=None,
                                                     messages=USER))
        try:
            await gateway.complete(api_key=None, aws=AWS, system=None, messages=USER)
        except Exception as exc:
            return [], exc
        return [], None

    fake_anthropic.valid_aws_keys = {"AKIASOMEONEELSE00000"}
    _, refused = await failure()
    fake_anthropic.valid_aws_keys = None
    fake_anthropic.reply_error(429)
    _, throttled = await failure(stream=False)
    fake_anthropic.reply_error(500)
    _, broken = await failure()
    fake_anthropic.reply_stream_error_after(["Half "], error_type="rate_limit_error")
    half, throttled_mid_stream = await failure()

    assert (type(refused), refused.status, refused.code, refused.message) == (
        Upstream, 502, "LLM_AUTHENTICATION_FAILED", AWS_REJECTED)
    assert (type(throttled), throttled.message) == (RateLimited, RATE_LIMITED)
    assert (type(broken), broken.status, broken.message) == (Upstream, 502, SERVICE_ERROR)
    assert half == ["Half "]
    assert (type(throttled_mid_stream), throttled_mid_stream.message) == (
        RateLimited, RATE_LIMITED)
