"""A fake Anthropic Messages API, served over real HTTP.

It speaks enough of the wire protocol that the official ``anthropic`` SDK
(sync or async, plain or streaming) works against it unchanged: the Message
JSON, the SSE event sequence of a streamed message, the error envelope and
status codes, and ``x-api-key`` checking. It runs under uvicorn on 127.0.0.1
in a background thread with its own event loop, so sync and async tests can
both use it::

    with FakeAnthropic() as fake:
        fake.reply_text("Hello there", chunks=["Hel", "lo ", "there"])
        fake.reply_error(429, retry_after=7)
        client = anthropic.Anthropic(api_key="k", base_url=fake.base_url)

It also serves Anthropic models the way AWS Bedrock does, for the SDK's
``AnthropicBedrock`` clients: ``POST /model/{model}/invoke`` and
``/model/{model}/invoke-with-response-stream`` (the same events, each wrapped
as ``{"bytes": base64}`` in an AWS binary event-stream frame), SigV4
``Authorization`` checking, Bedrock's ``{"message"}`` error bodies and
exception frames. Scripted replies serve both APIs alike.

Replies are scripted in a FIFO queue; each request takes the first queued
reply that applies to its endpoint (content replies apply to
``POST /v1/messages`` only, errors and delays to any endpoint unless given a
``path``). With nothing queued a request gets the default text reply.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import re
import secrets
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

MESSAGES_PATH = "/v1/messages"
COUNT_TOKENS_PATH = "/v1/messages/count_tokens"
MODELS_PATH = "/v1/models"
BEDROCK_PREFIX = "/model/"

# Bedrock's HTTP error types (x-amzn-ErrorType) and its exception frames' types.
BEDROCK_ERRORS = {
    400: ("ValidationException", "Malformed input request, please reformat your input."),
    403: ("UnrecognizedClientException", "The security token included in the request is "
                                         "invalid."),
    404: ("ResourceNotFoundException", "Could not resolve the foundation model."),
    429: ("ThrottlingException", "Too many requests, please wait before trying again."),
    500: ("InternalServerException", "The system encountered an unexpected error."),
    503: ("ServiceUnavailableException", "The service is unavailable. Try again later."),
}
BEDROCK_STREAM_EXCEPTIONS = {
    "rate_limit_error": "throttlingException",
    "overloaded_error": "serviceUnavailableException",
    "timeout_error": "modelTimeoutException",
    "invalid_request_error": "validationException",
}

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}
ERROR_MESSAGES = {
    "invalid_request_error": "Invalid request",
    "authentication_error": "invalid x-api-key",
    "billing_error": "Your credit balance is too low to access the Anthropic API.",
    "permission_error": "Your API key does not have permission to use the specified resource.",
    "not_found_error": "Not found",
    "request_too_large": "Request exceeds the maximum allowed number of bytes.",
    "rate_limit_error": "Number of request tokens has exceeded your per-minute rate limit.",
    "api_error": "Internal server error",
    "timeout_error": "Request timed out",
    "overloaded_error": "Overloaded",
}
STATUS_FOR_ERROR_TYPE = {error_type: status for status, error_type in ERROR_TYPES.items()}

MODELS = [
    {"type": "model", "id": "claude-sonnet-4-6", "display_name": "Claude Sonnet 4.6",
     "created_at": "2026-02-17T00:00:00Z"},
    {"type": "model", "id": "claude-haiku-4-5", "display_name": "Claude Haiku 4.5",
     "created_at": "2025-10-01T00:00:00Z"},
]


def word_chunks(text: str) -> list[str]:
    """Split ``text`` into word-ish tokens (leading whitespace kept), which join back to it."""
    return re.findall(r"\s*\S+|\s+", text)


def _estimate_tokens(value: Any) -> int:
    return max(1, len(json.dumps(value, ensure_ascii=False)) // 4) if value else 0


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any

    @property
    def body(self) -> Any:
        return self.json

    @property
    def api_key(self) -> str | None:
        """The key the client sent: ``x-api-key``, or an ``Authorization: Bearer`` token
        (recent SDKs send API keys that way)."""
        return _api_key(self.headers)

    @property
    def aws_access_key_id(self) -> str | None:
        """The access key id of a SigV4 signature, for Bedrock requests."""
        return _aws_access_key_id(self.headers)

    @property
    def is_bedrock(self) -> bool:
        return self.path.startswith(BEDROCK_PREFIX)

    @property
    def system_text(self) -> str | None:
        """The system prompt as text, whether sent as a string or as text blocks."""
        system = self.json.get("system")
        if isinstance(system, list):
            return "".join(block.get("text", "") for block in system)
        return system

    @property
    def plain_messages(self) -> list[dict[str, Any]]:
        """The messages with text-only block lists turned back into strings, so a prompt
        sent with cache breakpoints compares equal to the plain conversation."""
        plain = []
        for message in self.json.get("messages", []):
            content = message.get("content")
            if isinstance(content, list) and all(b.get("type") == "text" for b in content):
                content = "".join(b["text"] for b in content)
            plain.append({**message, "content": content})
        return plain

    @property
    def breakpoints(self) -> list[str]:
        """Where the request put ``cache_control`` breakpoints: ``system`` or
        ``message N`` (the index of the message)."""
        found = []
        system = self.json.get("system")
        if isinstance(system, list) and any("cache_control" in b for b in system):
            found.append("system")
        for index, message in enumerate(self.json.get("messages", [])):
            content = message.get("content")
            if isinstance(content, list) and any("cache_control" in b for b in content):
                found.append(f"message {index}")
        return found


@dataclass
class Reply:
    """One scripted reply; built by the ``reply_*`` methods of :class:`FakeAnthropic`."""

    kind: str  # "text" | "tool_use" | "error" | "stream_error" | "default"
    text: str = ""
    chunks: list[str] | None = None
    delay_per_chunk: float = 0.0
    stop_reason: str = "end_turn"
    tool_name: str = ""
    tool_input: dict[str, Any] = field(default_factory=dict)
    tool_id: str = ""
    status: int = 500
    error_type: str | None = None
    message: str | None = None
    retry_after: float | int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_before_headers: float = 0.0
    path: str | None = None
    # The usage the answer reports, instead of the simulated one (see ``PromptCache``).
    usage: dict[str, int] | None = None

    def applies_to(self, path: str, body: Any = None) -> bool:
        if self.path is not None:
            return self.path == path
        if self.kind in ("error", "default"):
            return True
        if self.kind == "tool_use":
            # A tool call answers only a request that offers that tool, so work running
            # concurrently (a background job) cannot take another caller's answer.
            offered = [t.get("name") for t in (body or {}).get("tools", [])
                       if isinstance(t, dict)] if isinstance(body, dict) else []
            return _is_messages(path) and self.tool_name in offered
        return _is_messages(path)


class FakeAnthropic:
    """Fake ``POST /v1/messages`` (plain and SSE), ``/v1/messages/count_tokens`` and
    ``GET /v1/models``."""

    def __init__(self, *, valid_keys: set[str] | None = None, default_text: str = "OK") -> None:
        self.valid_keys = valid_keys
        self.valid_aws_keys: set[str] | None = None
        self.default_text = default_text
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._replies: deque[Reply] = deque()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self.port: int | None = None
        self.prompt_cache = PromptCache()
        # The usage each answer reported, in order.
        self.usages: list[dict[str, Any]] = []
        self.app = Starlette(routes=[
            Route(MESSAGES_PATH, self._messages, methods=["POST"]),
            Route(COUNT_TOKENS_PATH, self._count_tokens, methods=["POST"]),
            Route(MODELS_PATH, self._models, methods=["GET"]),
            Route(BEDROCK_PREFIX + "{model:path}/invoke", self._bedrock_invoke,
                  methods=["POST"]),
            Route(BEDROCK_PREFIX + "{model:path}/invoke-with-response-stream",
                  self._bedrock_invoke, methods=["POST"]),
        ])

    # ----------------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("FakeAnthropic is not started")
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeAnthropic:
        if self._thread is not None:
            return self
        # IPPROTO_TCP, so asyncio sets TCP_NODELAY on each connection as a real API's
        # servers do; without it streamed events wait for the client's delayed ACKs.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off",
                                timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, args=(sock,), daemon=True,
                                        name="fake-anthropic")
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("FakeAnthropic failed to start")
            time.sleep(0.01)
        return self

    def _run(self, sock: socket.socket) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._stopping = asyncio.Event()
        try:
            self._loop.run_until_complete(self._server.serve(sockets=[sock]))
        finally:
            self._loop.close()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._server.should_exit = True
        if self._loop is not None and not self._loop.is_closed():
            try:
                self._loop.call_soon_threadsafe(self._stopping.set)
            except RuntimeError:
                pass  # the loop closed between the check and the call
        self._thread.join(timeout=10)
        self._thread = self._server = self._loop = self._stopping = None
        self.port = None

    def __enter__(self) -> FakeAnthropic:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------- scripting

    def _enqueue(self, reply: Reply) -> Reply:
        with self._lock:
            self._replies.append(reply)
        return reply

    def reply_text(self, text: str, *, chunks: list[str] | None = None,
                   delay_per_chunk: float = 0.0, stop_reason: str = "end_turn",
                   delay_before_headers: float = 0.0,
                   usage: dict[str, int] | None = None) -> Reply:
        """Answer the next message request with ``text``.

        Streamed, each of ``chunks`` (default: :func:`word_chunks` of ``text``) is one
        ``text_delta`` event, ``delay_per_chunk`` seconds apart. ``usage`` (any of
        ``input_tokens``, ``output_tokens``, ``cache_creation_input_tokens``,
        ``cache_read_input_tokens``) replaces the simulated figures it names.
        """
        if chunks is not None and "".join(chunks) != text:
            raise ValueError("chunks must join to text")
        return self._enqueue(Reply(kind="text", text=text, chunks=chunks,
                                   delay_per_chunk=delay_per_chunk, stop_reason=stop_reason,
                                   delay_before_headers=delay_before_headers, usage=usage))

    def reply_tool_use(self, name: str, input_dict: dict[str, Any], *,
                       tool_id: str | None = None, chunks: list[str] | None = None,
                       delay_before_headers: float = 0.0,
                       usage: dict[str, int] | None = None) -> Reply:
        """Answer the next message request that offers tool ``name`` with one ``tool_use``
        block calling it (requests without that tool pass this reply by).

        Streamed, the input arrives as ``input_json_delta`` pieces (``chunks`` of its
        JSON text, by default a handful of even slices).
        """
        encoded = json.dumps(input_dict)
        if chunks is not None and "".join(chunks) != encoded:
            raise ValueError("chunks must join to the JSON encoding of input_dict")
        return self._enqueue(Reply(kind="tool_use", tool_name=name, tool_input=dict(input_dict),
                                   tool_id=tool_id or "toolu_" + secrets.token_hex(12),
                                   chunks=chunks, stop_reason="tool_use",
                                   delay_before_headers=delay_before_headers, usage=usage))

    def reply_error(self, status: int, *, error_type: str | None = None,
                    message: str | None = None, retry_after: float | int | None = None,
                    headers: dict[str, str] | None = None, path: str | None = None,
                    delay_before_headers: float = 0.0) -> Reply:
        """Answer the next request (to ``path``, or any) with Anthropic's error envelope."""
        return self._enqueue(Reply(kind="error", status=status, error_type=error_type,
                                   message=message, retry_after=retry_after,
                                   headers=dict(headers or {}), path=path,
                                   delay_before_headers=delay_before_headers))

    def reply_slow(self, seconds: float, then: str | None = None, *,
                   path: str | None = None) -> Reply:
        """Wait ``seconds`` before answering the next request: with text ``then``, or
        as usual."""
        if then is not None:
            return self.reply_text(then, delay_before_headers=seconds)
        return self._enqueue(Reply(kind="default", path=path, delay_before_headers=seconds))

    def reply_stream_error_after(self, chunks_before_error: list[str], *,
                                 error_type: str = "overloaded_error",
                                 message: str | None = None) -> Reply:
        """Stream ``chunks_before_error`` as text deltas, then an SSE ``error`` event.

        A non-streaming request gets the matching HTTP error instead.
        """
        return self._enqueue(Reply(kind="stream_error", text="".join(chunks_before_error),
                                   chunks=list(chunks_before_error), error_type=error_type,
                                   message=message,
                                   status=STATUS_FOR_ERROR_TYPE.get(error_type, 500)))

    def reset(self) -> None:
        """Forget queued replies and recorded requests."""
        with self._lock:
            self._replies.clear()
            self.requests.clear()
            self.usages.clear()
        self.prompt_cache.clear()

    def pending(self) -> int:
        """How many scripted replies are still queued."""
        with self._lock:
            return len(self._replies)

    def recorded(self, path: str | None = MESSAGES_PATH) -> list[RecordedRequest]:
        """A snapshot of the recorded requests (to ``path``; ``None`` for all)."""
        with self._lock:
            return [r for r in self.requests if path is None or r.path == path]

    def recorded_bedrock(self) -> list[RecordedRequest]:
        """A snapshot of the recorded Bedrock requests."""
        with self._lock:
            return [r for r in self.requests if r.is_bedrock]

    @property
    def last_request(self) -> RecordedRequest:
        with self._lock:
            if not self.requests:
                raise AssertionError("FakeAnthropic has received no requests")
            return self.requests[-1]

    # ----------------------------------------------------------------- plumbing

    async def _receive(self, request: Request) -> tuple[Any, Response | None]:
        """Record the request and check its headers; returns (body, early error response)."""
        body, bad_json, headers = await self._record(request)
        key = _api_key(headers)
        if key is None:
            return body, self._error_response(401, "authentication_error",
                                              "x-api-key header is required")
        if self.valid_keys is not None and key not in self.valid_keys:
            return body, self._error_response(401, "authentication_error", "invalid x-api-key")
        if "anthropic-version" not in headers:
            return body, self._error_response(400, "invalid_request_error",
                                              "anthropic-version: header is required")
        if bad_json:
            return body, self._error_response(400, "invalid_request_error",
                                              "There was an issue with the request body: "
                                              "invalid JSON")
        return body, None

    async def _record(self, request: Request) -> tuple[Any, bool, dict[str, str]]:
        """Record the request; its JSON body (None when absent or invalid), whether the
        body was invalid JSON, and its headers with lower-case names."""
        raw = await request.body()
        body: Any = None
        bad_json = False
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                bad_json = True
        headers = {k.lower(): v for k, v in request.headers.items()}
        with self._lock:
            self.requests.append(RecordedRequest(
                method=request.method, path=request.url.path,
                query=dict(request.query_params), headers=headers, json=body))
        return body, bad_json, headers

    def _next_reply(self, path: str, body: Any = None) -> Reply | None:
        with self._lock:
            reply = next((r for r in self._replies if r.applies_to(path, body)), None)
            if reply is not None:
                self._replies.remove(reply)
        return reply

    async def _pause(self, seconds: float) -> None:
        if seconds <= 0:
            return
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            pass

    @staticmethod
    def _error_body(error_type: str, message: str) -> dict[str, Any]:
        return {"type": "error", "error": {"type": error_type, "message": message},
                "request_id": "req_" + secrets.token_hex(12)}

    def _error_response(self, status: int, error_type: str | None = None,
                        message: str | None = None, *, retry_after: float | int | None = None,
                        headers: dict[str, str] | None = None) -> Response:
        error_type = error_type or ERROR_TYPES.get(status, "api_error")
        body = self._error_body(error_type, message or ERROR_MESSAGES.get(error_type, "Error"))
        out = {"request-id": body["request_id"], **(headers or {})}
        if retry_after is not None:
            out["retry-after"] = str(retry_after)
        return JSONResponse(body, status_code=status, headers=out)

    @staticmethod
    def _headers() -> dict[str, str]:
        return {"request-id": "req_" + secrets.token_hex(12)}

    # ----------------------------------------------------------------- endpoints

    async def _messages(self, request: Request) -> Response:
        body, failure = await self._receive(request)
        if failure is not None:
            return failure
        problem = _validate_message_body(body)
        if problem is not None:
            return self._error_response(400, "invalid_request_error", problem)
        reply = self._next_reply(MESSAGES_PATH, body) or Reply(kind="default")
        await self._pause(reply.delay_before_headers)
        if reply.kind == "error":
            return self._error_response(reply.status, reply.error_type, reply.message,
                                        retry_after=reply.retry_after, headers=reply.headers)
        if reply.kind == "default":
            reply = Reply(kind="text", text=self.default_text)
        if reply.kind == "stream_error" and not body.get("stream"):
            return self._error_response(reply.status, reply.error_type, reply.message)
        if body.get("stream"):
            return StreamingResponse(self._sse(reply, body), media_type="text/event-stream",
                                     headers={**self._headers(), "cache-control": "no-cache"})
        return JSONResponse(self._message(reply, body), headers=self._headers())

    async def _count_tokens(self, request: Request) -> Response:
        body, failure = await self._receive(request)
        if failure is not None:
            return failure
        if not isinstance(body, dict) or not body.get("model") or not body.get("messages"):
            return self._error_response(400, "invalid_request_error",
                                        "model and messages are required")
        reply = self._next_reply(COUNT_TOKENS_PATH)
        if reply is not None:
            await self._pause(reply.delay_before_headers)
            if reply.kind == "error":
                return self._error_response(reply.status, reply.error_type, reply.message,
                                            retry_after=reply.retry_after, headers=reply.headers)
        tokens = _estimate_tokens(body.get("messages")) + _estimate_tokens(body.get("system"))
        return JSONResponse({"input_tokens": tokens}, headers=self._headers())

    async def _models(self, request: Request) -> Response:
        _, failure = await self._receive(request)
        if failure is not None:
            return failure
        reply = self._next_reply(MODELS_PATH)
        if reply is not None:
            await self._pause(reply.delay_before_headers)
            if reply.kind == "error":
                return self._error_response(reply.status, reply.error_type, reply.message,
                                            retry_after=reply.retry_after, headers=reply.headers)
        return JSONResponse({"data": MODELS, "has_more": False, "first_id": MODELS[0]["id"],
                             "last_id": MODELS[-1]["id"]}, headers=self._headers())

    def _message(self, reply: Reply, body: dict[str, Any]) -> dict[str, Any]:
        message = _message(reply, body)
        message["usage"].update(self.prompt_cache.usage(body))
        if reply.usage:
            message["usage"].update(reply.usage)
        with self._lock:
            self.usages.append(dict(message["usage"]))
        return message

    async def _sse(self, reply: Reply, body: dict[str, Any]) -> AsyncIterator[bytes]:
        async for name, data in self._events(reply, body):
            yield _event(name, data)

    async def _events(self, reply: Reply,
                      body: dict[str, Any]) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """The streamed message as (event name, data) pairs, paced as scripted."""
        message = self._message(reply, body)
        usage = message["usage"]
        start = {**message, "content": [], "stop_reason": None, "stop_sequence": None,
                 "usage": {**usage, "output_tokens": 1}}
        yield "message_start", {"type": "message_start", "message": start}
        if reply.kind == "tool_use":
            encoded = json.dumps(reply.tool_input)
            block = {"type": "tool_use", "id": reply.tool_id, "name": reply.tool_name,
                     "input": {}}
            deltas = [{"type": "input_json_delta", "partial_json": piece}
                      for piece in ["", *(reply.chunks or _slices(encoded))]]
        else:
            block = {"type": "text", "text": ""}
            pieces = reply.chunks if reply.chunks is not None else word_chunks(reply.text)
            deltas = [{"type": "text_delta", "text": piece} for piece in pieces]
        yield "content_block_start", {"type": "content_block_start", "index": 0,
                                      "content_block": block}
        yield "ping", {"type": "ping"}
        for delta in deltas:
            await self._pause(reply.delay_per_chunk)
            yield "content_block_delta", {"type": "content_block_delta", "index": 0,
                                          "delta": delta}
        if reply.kind == "stream_error":
            error_type = reply.error_type or "overloaded_error"
            yield "error", self._error_body(
                error_type, reply.message or ERROR_MESSAGES.get(error_type, "Error"))
            return
        yield "content_block_stop", {"type": "content_block_stop", "index": 0}
        yield "message_delta", {
            "type": "message_delta",
            "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
            "usage": {"output_tokens": usage["output_tokens"]},
        }
        yield "message_stop", {"type": "message_stop"}

    # ----------------------------------------------------------------- Bedrock

    async def _bedrock_invoke(self, request: Request) -> Response:
        """``invoke`` (one Message) and ``invoke-with-response-stream`` (event stream)."""
        body, _, headers = await self._record(request)
        access_key = _aws_access_key_id(headers)
        if access_key is None or (self.valid_aws_keys is not None
                                  and access_key not in self.valid_aws_keys):
            return _bedrock_error(403)
        if not isinstance(body, dict) or not body.get("anthropic_version"):
            return _bedrock_error(400, "anthropic_version is required in the body")
        if "model" in body or "stream" in body:
            return _bedrock_error(400, "model and stream belong in the path, not the body")
        body = {**body, "model": request.path_params["model"]}
        problem = _validate_message_body(body)
        if problem is not None:
            return _bedrock_error(400, problem)
        reply = self._next_reply(request.url.path, body) or Reply(kind="default")
        await self._pause(reply.delay_before_headers)
        if reply.kind == "error":
            return _bedrock_error(reply.status, reply.message, retry_after=reply.retry_after)
        if reply.kind == "default":
            reply = Reply(kind="text", text=self.default_text)
        streaming = request.url.path.endswith("/invoke-with-response-stream")
        if reply.kind == "stream_error" and not streaming:
            return _bedrock_error(reply.status, reply.message)
        if streaming:
            return StreamingResponse(self._frames(reply, body),
                                     media_type="application/vnd.amazon.eventstream",
                                     headers=_bedrock_headers())
        return JSONResponse(self._message(reply, body), headers=_bedrock_headers())

    async def _frames(self, reply: Reply, body: dict[str, Any]) -> AsyncIterator[bytes]:
        async for name, data in self._events(reply, body):
            if name == "error":
                error = data["error"]
                yield _frame({":exception-type": BEDROCK_STREAM_EXCEPTIONS.get(
                                  error["type"], "modelStreamErrorException"),
                              ":content-type": "application/json",
                              ":message-type": "exception"},
                             json.dumps({"message": error["message"]}).encode())
                return
            encoded = base64.b64encode(json.dumps(data).encode()).decode()
            yield _frame({":event-type": "chunk", ":content-type": "application/json",
                          ":message-type": "event"},
                         json.dumps({"bytes": encoded, "p": "abcd"}).encode())


def _api_key(headers: dict[str, str]) -> str | None:
    if "x-api-key" in headers:
        return headers["x-api-key"]
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _is_messages(path: str) -> bool:
    return path == MESSAGES_PATH or path.startswith(BEDROCK_PREFIX)


def _aws_access_key_id(headers: dict[str, str]) -> str | None:
    """``AKIA...`` from ``AWS4-HMAC-SHA256 Credential=AKIA.../date/region/service/...``."""
    scheme, _, rest = headers.get("authorization", "").partition(" ")
    if scheme != "AWS4-HMAC-SHA256" or not rest.startswith("Credential="):
        return None
    return rest.removeprefix("Credential=").split("/", 1)[0] or None


def _bedrock_headers() -> dict[str, str]:
    return {"x-amzn-requestid": secrets.token_hex(16)}


def _bedrock_error(status: int, message: str | None = None, *,
                   retry_after: float | int | None = None) -> Response:
    error_type, default = BEDROCK_ERRORS.get(status, ("InternalServerException", "Error"))
    headers = {**_bedrock_headers(), "x-amzn-errortype": error_type}
    if retry_after is not None:
        headers["retry-after"] = str(retry_after)
    return JSONResponse({"message": message or default}, status_code=status, headers=headers)


def _frame(headers: dict[str, str], payload: bytes) -> bytes:
    """One AWS event-stream message: prelude with CRC, string headers, payload, CRC."""
    encoded = b"".join(struct.pack("!B", len(name.encode())) + name.encode()
                       + struct.pack("!BH", 7, len(value.encode())) + value.encode()
                       for name, value in headers.items())
    prelude = struct.pack("!II", 12 + len(encoded) + len(payload) + 4, len(encoded))
    message = prelude + struct.pack("!I", binascii.crc32(prelude)) + encoded + payload
    return message + struct.pack("!I", binascii.crc32(message))


def _validate_message_body(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "The request body must be a JSON object"
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model: Field required"
    max_tokens = body.get("max_tokens")
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        return "max_tokens: Field required and must be a positive integer"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    return None


def _slices(text: str, parts: int = 4) -> list[str]:
    size = max(1, -(-len(text) // parts))
    return [text[i:i + size] for i in range(0, len(text), size)]


def _event(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def _blocks(body: dict[str, Any]) -> list[tuple[str, bool]]:
    """The prompt in the order the API caches it (tools, system, messages): each block's
    JSON without its ``cache_control``, and whether it carries one (a breakpoint)."""
    def plain(block: Any) -> tuple[str, bool]:
        if isinstance(block, dict):
            marked = "cache_control" in block
            block = {k: v for k, v in block.items() if k != "cache_control"}
            return json.dumps(block, sort_keys=True, ensure_ascii=False), marked
        return json.dumps(block, ensure_ascii=False), False

    blocks = [plain(tool) for tool in body.get("tools") or []]
    system = body.get("system")
    if isinstance(system, list):
        blocks += [plain(block) for block in system]
    elif system:
        blocks.append(plain(system))
    for message in body.get("messages") or []:
        if not isinstance(message, dict):
            blocks.append(plain(message))
            continue
        content = message.get("content")
        # A string is one text block, as the API reads it.
        if isinstance(content, str):
            content = [{"type": "text", "text": content}]
        blocks += [plain({"role": message.get("role"), **b}) if isinstance(b, dict) else plain(b)
                   for b in content or []]
    return blocks


class PromptCache:
    """Prompt caching as the API does it, in miniature: a prefix of the prompt that ends
    at a ``cache_control`` breakpoint is written to the cache (``cache_creation_input_tokens``)
    and read back by later requests that share it (``cache_read_input_tokens``) for
    ``ttl`` seconds; the longest cached prefix wins, breakpoint or not (the API looks back
    from each breakpoint). A block counts ``len(its JSON) // 4`` tokens (at least 1).

    Requests without any breakpoint are counted as before: their input is
    ``len(JSON of messages) // 4 + len(JSON of system) // 4``, no cache figures.
    """

    def __init__(self, ttl: float = 300.0) -> None:
        self.ttl = ttl
        self._entries: dict[str, float] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def usage(self, body: dict[str, Any]) -> dict[str, int]:
        blocks = _blocks(body)
        if not any(marked for _, marked in blocks):
            return {}
        now = time.monotonic()
        digest = hashlib.sha256(str(body.get("model")).encode())
        prefixes, totals, total = [], [], 0
        for text, _ in blocks:
            digest.update(text.encode())
            prefixes.append(digest.copy().hexdigest())
            total += max(1, len(text) // 4)
            totals.append(total)
        last_mark = max(i for i, (_, marked) in enumerate(blocks) if marked)
        with self._lock:
            read = next((totals[i] for i in range(last_mark, -1, -1)
                         if self._entries.get(prefixes[i], 0) > now), 0)
            for i, (_, marked) in enumerate(blocks):
                if marked:
                    self._entries[prefixes[i]] = now + self.ttl
        written = max(0, totals[last_mark] - read)
        return {"input_tokens": total - read - written, "cache_creation_input_tokens": written,
                "cache_read_input_tokens": read}


def _message(reply: Reply, body: dict[str, Any]) -> dict[str, Any]:
    if reply.kind == "tool_use":
        content: list[dict[str, Any]] = [{"type": "tool_use", "id": reply.tool_id,
                                          "name": reply.tool_name, "input": reply.tool_input}]
        output_tokens = _estimate_tokens(reply.tool_input)
    else:
        content = [{"type": "text", "text": reply.text}]
        output_tokens = max(1, len(reply.text) // 4)
    return {
        "id": "msg_" + secrets.token_hex(12),
        "type": "message",
        "role": "assistant",
        "model": body["model"],
        "content": content,
        "stop_reason": reply.stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": _estimate_tokens(body.get("messages")) + _estimate_tokens(
                body.get("system")),
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": output_tokens,
            "service_tier": "standard",
        },
    }


@pytest.fixture(scope="session")
def fake_anthropic_server() -> Iterator[FakeAnthropic]:
    """One FakeAnthropic for the whole test run."""
    with FakeAnthropic() as fake:
        yield fake


@pytest.fixture
def fake_anthropic(fake_anthropic_server: FakeAnthropic) -> Iterator[FakeAnthropic]:
    """The shared FakeAnthropic, with an empty queue, no recorded requests and any key valid."""
    fake_anthropic_server.reset()
    fake_anthropic_server.valid_keys = fake_anthropic_server.valid_aws_keys = None
    fake_anthropic_server.default_text = "OK"
    yield fake_anthropic_server
    fake_anthropic_server.reset()
    fake_anthropic_server.valid_keys = fake_anthropic_server.valid_aws_keys = None
