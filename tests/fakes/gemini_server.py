"""A fake Gemini API (``generativelanguage.googleapis.com``), served over real HTTP.

It serves ``POST /{version}/models/{model}:streamGenerateContent?alt=sse`` as Gemini
does, so the official ``google-genai`` SDK streams from it unchanged: one
``GenerateContentResponse`` JSON per ``data:`` line, the last with its
``finishReason`` and usage, Google's ``{"error": {"code", "message", "status"}}``
envelope with its statuses, and the ``x-goog-api-key`` header checked against
``valid_keys``. It runs under uvicorn on 127.0.0.1 in a background thread::

    fake = FakeGemini(valid_keys={"AIza-test"}).start()
    fake.reply_text("Hello there", chunks=["Hel", "lo there"])
    fake.reply_error(429, retry_after=7)

Replies are scripted in a FIFO queue; with nothing queued a request gets
``default_text``. Every request is recorded (path, headers, JSON body).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.fakes.threaded import serve_in_thread

STATUS_NAMES = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}


@dataclass
class Recorded:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any

    @property
    def api_key(self) -> str | None:
        return self.headers.get("x-goog-api-key") or self.query.get("key")

    @property
    def model(self) -> str:
        return self.path.rsplit("/models/", 1)[-1].split(":", 1)[0]


@dataclass
class Reply:
    kind: str  # "text" | "error" | "stream_error"
    chunks: list[str] = field(default_factory=list)
    status: int = 200
    message: str = ""
    retry_after: int | None = None
    delay_per_chunk: float = 0.0


class FakeGemini:
    def __init__(self, *, valid_keys: set[str] | None = None, default_text: str = "OK") -> None:
        self.valid_keys = valid_keys
        self.default_text = default_text
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._replies: deque[Reply] = deque()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port: int | None = None
        self.app = Starlette(routes=[Route("/{version}/models/{call:path}", self._models,
                                           methods=["POST"])])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeGemini:
        self._server, self._thread, self.port = serve_in_thread(self.app, "fake-gemini")
        return self

    def stop(self) -> None:
        if self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._thread = None

    # ----------------------------------------------------------------- scripting

    def reply_text(self, text: str, *, chunks: list[str] | None = None,
                   delay_per_chunk: float = 0.0) -> None:
        chunks = chunks if chunks is not None else [text]
        if "".join(chunks) != text:
            raise ValueError("chunks must join to text")
        with self._lock:
            self._replies.append(Reply(kind="text", chunks=chunks,
                                       delay_per_chunk=delay_per_chunk))

    def reply_error(self, status: int, message: str = "Error", *,
                    retry_after: int | None = None) -> None:
        with self._lock:
            self._replies.append(Reply(kind="error", status=status, message=message,
                                       retry_after=retry_after))

    def reply_stream_error_after(self, chunks: list[str]) -> None:
        """Stream ``chunks``, then drop the connection mid-stream."""
        with self._lock:
            self._replies.append(Reply(kind="stream_error", chunks=chunks))

    def reset(self) -> None:
        with self._lock:
            self._replies.clear()
            self.requests.clear()
        self.valid_keys = None

    def last_request(self) -> Recorded:
        with self._lock:
            return self.requests[-1]

    # ----------------------------------------------------------------- serving

    @staticmethod
    def _error(status: int, message: str, headers: dict | None = None) -> Response:
        return JSONResponse({"error": {"code": status, "message": message,
                                       "status": STATUS_NAMES.get(status, "UNKNOWN")}},
                            status_code=status, headers=headers)

    async def _models(self, request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        recorded = Recorded(path=request.url.path, query=dict(request.query_params),
                            headers={k.lower(): v for k, v in request.headers.items()},
                            json=body)
        with self._lock:
            self.requests.append(recorded)
            reply = self._replies.popleft() if self._replies else None
        call = request.path_params["call"]
        if not call.endswith(":streamGenerateContent") or recorded.query.get("alt") != "sse":
            return self._error(404, f"Method not served by this fake: {call}")
        key = recorded.api_key
        if not key:
            return self._error(403, "Method doesn't allow unregistered callers.")
        if self.valid_keys is not None and key not in self.valid_keys:
            return self._error(400, "API key not valid. Please pass a valid API key.")
        if not isinstance(body, dict) or not body.get("contents"):
            return self._error(400, "* GenerateContentRequest.contents: contents is not "
                                    "specified")
        reply = reply or Reply(kind="text", chunks=[self.default_text])
        if reply.kind == "error":
            headers = {"retry-after": str(reply.retry_after)} if reply.retry_after else None
            return self._error(reply.status, reply.message, headers)
        return StreamingResponse(self._sse(reply, recorded.model),
                                 media_type="text/event-stream")

    async def _sse(self, reply: Reply, model: str):
        for index, text in enumerate(reply.chunks):
            if index and reply.delay_per_chunk:
                await asyncio.sleep(reply.delay_per_chunk)
            last = index == len(reply.chunks) - 1 and reply.kind == "text"
            candidate: dict[str, Any] = {"content": {"parts": [{"text": text}],
                                                     "role": "model"}, "index": 0}
            chunk: dict[str, Any] = {"candidates": [candidate], "modelVersion": model,
                                     "responseId": "fake-response"}
            if last:
                candidate["finishReason"] = "STOP"
                chunk["usageMetadata"] = {"promptTokenCount": 5,
                                          "candidatesTokenCount": len(reply.chunks),
                                          "totalTokenCount": 5 + len(reply.chunks)}
            yield f"data: {json.dumps(chunk)}\r\n\r\n".encode()
        if reply.kind == "stream_error":
            raise ConnectionResetError("the fake drops the stream")
