"""The Gemini gateway: streamed ``generateContent`` calls through the official
``google-genai`` SDK, for the Codelabs face's AI proxy.

* The base URL is ``LEARNGRAPH_GEMINI_BASE_URL`` (any Gemini-compatible endpoint;
  Google's by default); timeouts and retries follow the Anthropic gateway's
  settings (``LEARNGRAPH_LLM_TIMEOUT``, ``LEARNGRAPH_LLM_MAX_RETRIES``).
* Clients are kept per key in a small LRU and rebuilt under a new event loop. A new
  client is built in a worker thread: the SDK reads its TLS certificates from disk.
* Failures are mapped to typed domain errors with fixed, user-facing messages; the
  upstream details go to the log only.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx
import httpx2

from core.config import Settings
from core.errors import DomainError, RateLimited, Upstream
from core.metrics import Metrics

if TYPE_CHECKING:
    from google import genai
    from google.genai import types
else:
    from core import lazy

    genai = lazy.module("google.genai")  # imported at the first call to Gemini


async def sdk_imported() -> None:
    """Import the SDK, in a thread the first time, so the event loop never waits on it."""
    if not TYPE_CHECKING:
        await lazy.loaded(genai)

log = logging.getLogger(__name__)

KEY_REJECTED = "The Gemini API key is invalid or has been revoked."
RATE_LIMITED = "Gemini's rate limit was reached. Please wait a moment and try again."
UNREACHABLE = "Unable to reach Gemini. Please try again shortly."
TIMED_OUT = "Gemini timed out. Please try again."
SERVICE_ERROR = "Gemini encountered an error. Please try again."
REQUEST_REJECTED = "Gemini could not process this request."
CLIENTS_MAX = 32


class GeminiGateway:
    """Streamed Gemini calls with domain-error mapping."""

    def __init__(self, settings: Settings, *, metrics: Metrics | None = None) -> None:
        self.settings = settings
        self.metrics = metrics
        self._clients: OrderedDict[str, genai.Client] = OrderedDict()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def stream(self, *, api_key: str, model: str, contents: Any,
                     config: types.GenerateContentConfig | None) -> AsyncIterator[
                         types.GenerateContentResponse]:
        """Yield the streamed response chunks; raises domain errors only."""
        client = await self._client(api_key)
        started = time.perf_counter()
        try:
            chunks = await client.aio.models.generate_content_stream(
                model=model, contents=contents, config=config)
            async for chunk in chunks:
                yield chunk
        except (genai.errors.APIError, httpx.HTTPError, httpx2.HTTPError) as exc:
            self._observe(started, "error")
            raise _mapped(exc) from exc
        self._observe(started, "ok")

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), OrderedDict()
        for client in clients:
            try:
                await client.aio.aclose()
            except Exception:  # a client of a loop that is gone
                log.debug("closing a Gemini client failed", exc_info=True)

    async def _client(self, api_key: str) -> genai.Client:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # Connections belong to the loop that opened them.
            self._clients.clear()
            self._loop = loop
        client = self._clients.get(api_key)
        if client is not None:
            self._clients.move_to_end(api_key)
            return client
        client = await asyncio.to_thread(_new_client, api_key, self.settings)
        self._clients[api_key] = client
        while len(self._clients) > CLIENTS_MAX:
            self._clients.popitem(last=False)
        return client

    def _observe(self, started: float, outcome: str) -> None:
        if self.metrics is None:
            return
        self.metrics.llm_calls.labels("gemini", outcome).inc()
        self.metrics.llm_seconds.labels("gemini").observe(time.perf_counter() - started)



def _new_client(api_key: str, settings: Settings) -> genai.Client:
    """A Gemini client (in a thread: the first one imports the SDK, which takes a while)."""
    options = genai.types.HttpOptions(
        base_url=settings.gemini_base_url, timeout=int(settings.llm_timeout_seconds * 1000),
        retry_options=genai.types.HttpRetryOptions(attempts=settings.llm_max_retries + 1))
    return genai.Client(api_key=api_key, http_options=options)

def map_gemini_error(exc: BaseException) -> DomainError:
    """The domain error (fixed user-facing message) for an SDK or transport failure."""
    if isinstance(exc, httpx.TimeoutException | httpx2.TimeoutException):
        return Upstream(TIMED_OUT, status=504)
    if isinstance(exc, httpx.HTTPError | httpx2.HTTPError):
        return Upstream(UNREACHABLE, status=502)
    if isinstance(exc, genai.errors.APIError):
        code = exc.code if isinstance(exc.code, int) else 500
        message = exc.message if isinstance(exc.message, str) else ""
        if code in (401, 403) or (code == 400 and "api key" in message.lower()):
            return Upstream(KEY_REJECTED, status=401, code="LLM_AUTHENTICATION_FAILED")
        if code == 429:
            return RateLimited(RATE_LIMITED, retry_after=_retry_after(exc))
        if code >= 500:
            return Upstream(SERVICE_ERROR, status=502)
        return Upstream(REQUEST_REJECTED, status=502)
    return Upstream(SERVICE_ERROR, status=502)


def _retry_after(exc: genai.errors.APIError) -> int | None:
    headers = getattr(exc.response, "headers", None)
    value = headers.get("retry-after") if headers is not None else None
    return int(value) if value and value.isdigit() else None


def _mapped(exc: BaseException) -> DomainError:
    error = map_gemini_error(exc)
    if isinstance(exc, genai.errors.APIError):
        log.warning("Gemini API error: code=%s status=%s message=%s -> %s", exc.code,
                    exc.status, str(exc.message)[:300], error.status)
    else:
        log.warning("Gemini unreachable: %s -> %s", type(exc).__name__, error.status)
    return error
