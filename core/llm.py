"""The LLM gateway: every call to the Anthropic Messages API goes through here.

It wraps the official ``anthropic.AsyncAnthropic`` client so the rest of the
code never sees the SDK's exceptions or has to decide which key to use:

* Access: a call is made either with an Anthropic API key (a user's own key
  wins, then the deployment's key; with neither the call fails with
  ``NO_API_KEY`` before any network traffic) or, for Anthropic models on AWS
  Bedrock, with :class:`AwsCredentials` (``aws=``), through the SDK's
  ``AsyncAnthropicBedrock`` client. Both speak the same Messages API, so
  streaming, retries and error mapping are the same code.
* Clients: one SDK client per key or per AWS credentials, kept in a small
  LRU. They all share one HTTP connection pool (credentials travel in
  headers, so connections are not tied to them).
* Retries and timeouts are the SDK's own (``llm_max_retries``,
  ``llm_timeout_seconds``), except that a ``retry-after`` longer than
  ``MAX_RETRY_WAIT_SECONDS`` is reported at once rather than slept through
  while a user waits.
* Failures are mapped by :func:`map_anthropic_error` to typed domain errors
  with fixed, user-facing messages; upstream details go to the log only.
* Accounting (``core.llm_usage``): every call is admitted against the monthly
  budgets that apply before it goes out (``BUDGET_EXCEEDED`` otherwise) and
  recorded with its tokens, cost, latency and outcome, for the user, course,
  chat session and feature of its :class:`UsageFor`. ``Context.llm`` is the
  gateway bound to the request's user; the feature defaults to the name of the
  module that made the call (``resolvers.gaps`` is ``gaps``).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
import math
import sys
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

import httpx2
from opentelemetry.trace import StatusCode
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from core.db import Database
from core.errors import DomainError, RateLimited, Upstream, Validation
from core.llm_usage import (
    NO_HOLD,
    Hold,
    Ledger,
    Tokens,
    UsageFor,
    cache_hit_values,
    estimate_tokens,
)
from core.metrics import Metrics
from core.tracing import Tracing

if TYPE_CHECKING:
    import anthropic
    from anthropic.types import Message, MessageParam, ToolChoiceParam, ToolUnionParam
else:
    from core import lazy

    anthropic = lazy.module("anthropic")  # imported at the first call to a model


async def sdk_imported() -> None:
    """Import the SDK, in a thread the first time (it takes a second or more: the event
    loop must not wait), before a client is made."""
    if not TYPE_CHECKING:
        await lazy.loaded(anthropic)

T = TypeVar("T", bound=BaseModel)
# A system prompt: text, or text blocks (which may carry ``cache_control`` breakpoints).
System = str | list[dict[str, Any]]
log = logging.getLogger(__name__)

NO_API_KEY = "No API key configured. Please add your Anthropic API key in Settings."
AUTHENTICATION_FAILED = (
    "Your API key is invalid or has been revoked. Please update it in settings.")
RATE_LIMITED = "Rate limit reached. Please wait a moment and try again."
UNREACHABLE = "Unable to reach the AI service. Please try again shortly."
TIMED_OUT = "The AI service timed out. Please try again."
SERVICE_ERROR = "The AI service encountered an error. Please try again."
REQUEST_REJECTED = "The AI service could not process this request."
INVALID_ANSWER = "The AI service returned an answer in an unexpected form. Please try again."
AWS_REJECTED = ("The AI service is unavailable: AWS rejected the platform's credentials. "
                "Please contact an administrator.")

INVALID_KEY = "Invalid API key"
KEY_RATE_LIMITED = "Rate limited — key may be valid"

MAX_CACHED_CLIENTS = 64
MAX_RETRY_WAIT_SECONDS = 10.0

# Errors reported inside a 200 SSE stream carry only a type; these are the
# statuses the API uses for the same types on ordinary responses.
_STATUS_FOR_ERROR_TYPE = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
    # Bedrock's exception frames inside a 200 event stream.
    "validationException": 400,
    "accessDeniedException": 403,
    "throttlingException": 429,
    "internalServerException": 500,
    "modelStreamErrorException": 500,
    "serviceUnavailableException": 503,
    "modelTimeoutException": 504,
}


@dataclass(frozen=True)
class AwsCredentials:
    """AWS credentials for Bedrock; never rendered to a client."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def __repr__(self) -> str:
        return f"AwsCredentials(access_key_id={self.access_key_id[:4]}...)"


class LLMGateway:
    """Anthropic Messages API access with key resolution and domain-error mapping."""

    def __init__(self, settings: Settings, *, metrics: Metrics | None = None,
                 tracing: Tracing | None = None, db: Database | None = None) -> None:
        self.settings = settings
        self.metrics = metrics
        self.tracing = tracing
        # Without a database (some tools and tests) calls are neither budgeted nor recorded.
        self.ledger = Ledger(db, settings.llm_prices) if db is not None else None
        self._clients: OrderedDict[str | AwsCredentials, Any] = OrderedDict()
        self._http: httpx2.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def resolve_key(self, user_key: str | None) -> str:
        """The user's key, else the deployment's key, else a NO_API_KEY error."""
        for key in (user_key, self.settings.anthropic_api_key):
            if key and key.strip():
                return key.strip()
        raise Validation(NO_API_KEY, code="NO_API_KEY")

    def for_user(self, user_id: uuid.UUID | None) -> BoundGateway:
        """This gateway with calls attributed to ``user_id`` (when the call does not say)."""
        return BoundGateway(self, UsageFor(user_id=user_id))

    def complete(self, *, api_key: str | None, system: System | None,
                 messages: Iterable[MessageParam], max_tokens: int = 1024,
                 model: str | None = None, tools: Iterable[ToolUnionParam] | None = None,
                 tool_choice: ToolChoiceParam | None = None,
                 aws: AwsCredentials | None = None, usage: UsageFor | None = None,
                 hold: Hold | None = None) -> Coroutine[Any, Any, Message]:
        """One non-streaming Messages API call; raises domain errors only.

        With ``aws`` the call goes to Bedrock and ``api_key`` is not used. ``usage``
        says whom the call is for; ``hold`` is what :meth:`admit` already held for it.
        """
        return self._complete(api_key=api_key, system=system, messages=messages,
                              max_tokens=max_tokens, model=model, tools=tools,
                              tool_choice=tool_choice, aws=aws,
                              usage=_with_caller(usage), hold=hold)

    async def _complete(self, *, api_key: str | None, system: System | None,
                        messages: Iterable[MessageParam], max_tokens: int, model: str | None,
                        tools: Iterable[ToolUnionParam] | None,
                        tool_choice: ToolChoiceParam | None, aws: AwsCredentials | None,
                        usage: UsageFor, hold: Hold | None) -> Message:
        await sdk_imported()
        client = self._client_for(api_key, aws)
        params = self._params(system=system, messages=messages, max_tokens=max_tokens,
                              model=model, aws=aws)
        if tools is not None:
            params["tools"] = list(tools)
        if tool_choice is not None:
            params["tool_choice"] = tool_choice
        if hold is None:
            hold = await self._admit(usage, params)
        started = time.perf_counter()
        with self._span(aws, params) as span:
            try:
                message = await client.messages.create(**params)
            except (anthropic.AnthropicError, httpx2.HTTPError) as exc:
                self._observe(aws, started, "error")
                await self._record(usage, aws, params, started, "error", None, hold)
                raise _mapped(exc, bedrock=aws is not None) from exc
            except BaseException:
                await self._release(hold)
                raise
            self._observe(aws, started, "ok", message.usage, span)
        await self._record(usage, aws, params, started, "ok", message.usage, hold)
        return message

    async def admit(self, *, usage: UsageFor, system: System | None,
                    messages: Iterable[MessageParam], max_tokens: int = 1024,
                    model: str | None = None, aws: AwsCredentials | None = None,
                    budgets: Sequence[int] | None = None) -> Hold:
        """Hold a coming call's estimate on its budgets now (``BUDGET_EXCEEDED`` when it
        does not fit), so a caller can refuse before it starts answering; pass the hold
        to the call. ``budgets``: the ids of the budgets that apply, when the caller read
        them (``core.llm_usage.applying_budgets``) with its own reads."""
        if (budgets is not None and not budgets) or self.ledger is None:
            return NO_HOLD
        params = self._params(system=system, messages=messages, max_tokens=max_tokens,
                              model=model, aws=aws)
        return await self._admit(usage, params, budgets)

    async def release(self, hold: Hold) -> None:
        """Give back a hold whose call will not be made."""
        await self._release(hold)

    async def record_cache_hit(self, db: AsyncSession, *, usage: UsageFor, model: str) -> None:
        """An answer the response cache gave instead of a call, counted as saved, in the
        caller's transaction ``db``."""
        if self.ledger is not None:
            await self.ledger.record_cache_hit(db, usage, provider=self._provider_name(),
                                               model=model)

    def cache_hit_values(self, *, usage: UsageFor, model: str) -> dict[str, Any] | None:
        """The usage ledger's row for a cache hit (``core.llm_usage.insert_usage``), for a
        caller that writes it in a statement of its own; None when calls are not
        recorded."""
        if self.ledger is None:
            return None
        return cache_hit_values(usage, provider=self._provider_name(), model=model)

    def _provider_name(self, aws: AwsCredentials | None = None) -> str:
        return "bedrock" if aws is not None or self.settings.llm_provider == "bedrock" \
            else "anthropic"

    async def _admit(self, usage: UsageFor, params: dict[str, Any],
                     budgets: Sequence[int] | None = None) -> Hold:
        if self.ledger is None:
            return NO_HOLD
        input_tokens, output_tokens = estimate_tokens(
            system=params.get("system"), messages=params["messages"],
            tools=params.get("tools"), max_tokens=params["max_tokens"])
        return await self.ledger.admit(usage, model=params["model"],
                                       input_tokens=input_tokens, output_tokens=output_tokens,
                                       applying=budgets)

    async def _release(self, hold: Hold) -> None:
        if self.ledger is not None:
            await self.ledger.release(hold)

    async def _record(self, usage_for: UsageFor, aws: AwsCredentials | None,
                      params: dict[str, Any], started: float, outcome: str, usage: Any,
                      hold: Hold) -> None:
        if self.ledger is None:
            return
        await self.ledger.record(
            usage_for, provider="bedrock" if aws is not None else "anthropic",
            model=params["model"], outcome=outcome, tokens=Tokens.of(usage),
            latency_ms=round((time.perf_counter() - started) * 1000), hold=hold)

    def complete_structured(self, *, api_key: str | None, system: System | None,
                            messages: Iterable[MessageParam], output: type[T],
                            tool_name: str, description: str, max_tokens: int = 2048,
                            model: str | None = None, attempts: int = 2,
                            usage: UsageFor | None = None) -> Coroutine[Any, Any, T]:
        """An answer forced into ``output``'s JSON schema through a tool call, validated.

        An answer that does not validate is sent back once with the validation
        errors so the model can correct it; if it still does not fit, the call
        fails with an Upstream error rather than letting bad data through.
        """
        return self._complete_structured(
            api_key=api_key, system=system, messages=messages, output=output,
            tool_name=tool_name, description=description, max_tokens=max_tokens, model=model,
            attempts=attempts, usage=_with_caller(usage))

    async def _complete_structured(self, *, api_key: str | None, system: System | None,
                                   messages: Iterable[MessageParam], output: type[T],
                                   tool_name: str, description: str, max_tokens: int,
                                   model: str | None, attempts: int, usage: UsageFor) -> T:
        conversation = list(messages)
        tool = {"name": tool_name, "description": description,
                "input_schema": output.model_json_schema()}
        for attempt in range(1, attempts + 1):
            message = await self.complete(
                api_key=api_key, system=system, messages=conversation, max_tokens=max_tokens,
                model=model, tools=[tool], tool_choice={"type": "tool", "name": tool_name},
                usage=usage)
            block = next((b for b in message.content
                          if b.type == "tool_use" and b.name == tool_name), None)
            if block is None:
                problem = f"Answer by calling the {tool_name} tool."
            else:
                try:
                    return output.model_validate(block.input)
                except ValidationError as exc:
                    problem = f"The {tool_name} input was invalid: {exc.errors(include_url=False)}"
            log.warning("structured answer rejected (attempt %s/%s): %s", attempt, attempts,
                        problem[:500])
            if block is None:
                said = "".join(b.text for b in message.content if b.type == "text")
                conversation = [*conversation,
                                {"role": "assistant", "content": said or "(no answer)"},
                                {"role": "user", "content": problem}]
            else:
                call = {"type": "tool_use", "id": block.id, "name": block.name,
                        "input": block.input}
                conversation = [*conversation, {"role": "assistant", "content": [call]},
                                {"role": "user", "content": [{
                                    "type": "tool_result", "tool_use_id": block.id,
                                    "is_error": True, "content": problem}]}]
        raise Upstream(INVALID_ANSWER, status=502, code="LLM_INVALID_ANSWER")

    def stream_text(self, *, api_key: str | None, system: System | None,
                    messages: Iterable[MessageParam], max_tokens: int = 1024,
                    model: str | None = None, aws: AwsCredentials | None = None,
                    usage: UsageFor | None = None,
                    hold: Hold | None = None) -> AsyncIterator[str]:
        """Yield the assistant's text deltas as they arrive; raises domain errors only.

        With ``aws`` the call goes to Bedrock and ``api_key`` is not used. ``usage``
        says whom the call is for; ``hold`` is what :meth:`admit` already held for it.
        """
        return self._stream_text(api_key=api_key, system=system, messages=messages,
                                 max_tokens=max_tokens, model=model, aws=aws,
                                 usage=_with_caller(usage), hold=hold)

    async def _stream_text(self, *, api_key: str | None, system: System | None,
                           messages: Iterable[MessageParam], max_tokens: int,
                           model: str | None, aws: AwsCredentials | None, usage: UsageFor,
                           hold: Hold | None) -> AsyncIterator[str]:
        try:
            await sdk_imported()
            client = self._client_for(api_key, aws)
        except BaseException:
            if hold is not None:
                await self._release(hold)
            raise
        params = self._params(system=system, messages=messages, max_tokens=max_tokens,
                              model=model, aws=aws)
        if hold is None:
            hold = await self._admit(usage, params)
        started = time.perf_counter()
        with self._span(aws, params) as span:
            try:
                async with client.messages.stream(**params) as stream:
                    async for text in stream.text_stream:
                        yield text
                    final = (await stream.get_final_message()).usage
            # The SDK raises transport errors met mid-stream (a read timeout between
            # events, a dropped connection) as raw httpx2 exceptions.
            except (anthropic.AnthropicError, httpx2.HTTPError) as exc:
                self._observe(aws, started, "error")
                await self._record(usage, aws, params, started, "error", None, hold)
                raise _mapped(exc, bedrock=aws is not None) from exc
            except BaseException:
                # Abandoned by its reader (a client that left): tokens were spent but the
                # SDK reports them only at the end; the hold is given back.
                await self._release(hold)
                raise
            self._observe(aws, started, "ok", final, span)
        await self._record(usage, aws, params, started, "ok", final, hold)

    @contextlib.contextmanager
    def _span(self, aws: AwsCredentials | None, params: dict[str, Any]) -> Iterator[Any]:
        """A trace span around one model call, when tracing is on (never made current:
        a streamed call yields in between)."""
        if self.tracing is None:
            yield None
            return
        span = self.tracing.start_span(f"chat {params['model']}", {
            "gen_ai.operation.name": "chat", "gen_ai.request.model": params["model"],
            "gen_ai.system": "aws.bedrock" if aws is not None else "anthropic",
            "gen_ai.request.max_tokens": params["max_tokens"]})
        try:
            yield span
        except BaseException as exc:
            span.set_status(StatusCode.ERROR, type(exc).__name__)
            raise
        finally:
            span.end()

    def _observe(self, aws: AwsCredentials | None, started: float, outcome: str,
                 usage: Any = None, span: Any = None) -> None:
        """One model call in the metrics (and its span): its outcome, time and tokens."""
        if span is not None and usage is not None:
            span.set_attribute("gen_ai.usage.input_tokens", usage.input_tokens or 0)
            span.set_attribute("gen_ai.usage.output_tokens", usage.output_tokens or 0)
        if self.metrics is None:
            return
        provider = "bedrock" if aws is not None else "anthropic"
        self.metrics.llm_calls.labels(provider, outcome).inc()
        self.metrics.llm_seconds.labels(provider).observe(time.perf_counter() - started)
        if usage is not None:
            self.metrics.llm_tokens.labels(provider, "input").inc(usage.input_tokens or 0)
            self.metrics.llm_tokens.labels(provider, "output").inc(usage.output_tokens or 0)

    async def validate_key(self, api_key: str) -> tuple[bool, str | None]:
        """Whether ``api_key`` works, by one minimal real call; (ok, reason)."""
        if not api_key or not api_key.strip():
            return False, INVALID_KEY
        await sdk_imported()
        client = self._client(api_key.strip()).with_options(max_retries=0)
        try:
            await client.messages.create(
                model=self.settings.anthropic_model, max_tokens=1,
                messages=[{"role": "user", "content": "ping"}])
        except (anthropic.AnthropicError, httpx2.HTTPError) as exc:
            exc = _unwrap(exc)
            status = status_of(exc)
            if status in (401, 403):
                return False, INVALID_KEY
            if status == 429:
                return False, KEY_RATE_LIMITED
            error = _mapped(exc)
            reason = _api_message(exc) if isinstance(exc, anthropic.APIStatusError) else None
            if status in (400, 402) and reason:
                # e.g. "Your credit balance is too low ...": the user can act on it.
                return False, f"The AI service rejected this key: {reason}"
            return False, error.message
        return True, None

    async def aclose(self) -> None:
        """Close the shared connection pool (clients are rebuilt on next use)."""
        self._clients.clear()
        http, self._http, self._loop = self._http, None, None
        if http is not None:
            await http.aclose()

    # ----------------------------------------------------------------- internals

    def _params(self, *, system: System | None, messages: Iterable[MessageParam],
                max_tokens: int, model: str | None,
                aws: AwsCredentials | None = None) -> dict[str, Any]:
        default = self.settings.bedrock_model if aws else self.settings.anthropic_model
        params: dict[str, Any] = {"model": model or default,
                                  "max_tokens": max_tokens, "messages": list(messages)}
        if system:
            params["system"] = system
        return params

    def _client_for(self, api_key: str | None,
                    aws: AwsCredentials | None) -> anthropic.AsyncAnthropic:
        if aws is not None:
            return self.bedrock(aws)
        return self._client(self.resolve_key(api_key))

    def bedrock(self, aws: AwsCredentials) -> anthropic.AsyncAnthropicBedrock:
        """The SDK's Bedrock client signing with ``aws`` (region and endpoint from
        ``LEARNGRAPH_BEDROCK_REGION`` / ``LEARNGRAPH_BEDROCK_BASE_URL``); shared, so
        callers must not close it."""
        return self._cached(aws, lambda http: anthropic.AsyncAnthropicBedrock(
            aws_access_key=aws.access_key_id, aws_secret_key=aws.secret_access_key,
            aws_session_token=aws.session_token or None,
            aws_region=self.settings.bedrock_region,
            base_url=self.settings.bedrock_base_url, **self._client_options(http)))

    def _client(self, api_key: str) -> anthropic.AsyncAnthropic:
        return self._cached(api_key, lambda http: anthropic.AsyncAnthropic(
            api_key=api_key, base_url=self.settings.anthropic_base_url,
            **self._client_options(http)))

    def _client_options(self, http: httpx2.AsyncClient) -> dict[str, Any]:
        return {"timeout": self.settings.llm_timeout_seconds,
                "max_retries": self.settings.llm_max_retries, "http_client": http,
                "middleware": [_retry_wait_classes()[1](MAX_RETRY_WAIT_SECONDS)]}

    def _cached(self, key: str | AwsCredentials,
                build: Callable[[httpx2.AsyncClient], Any]) -> Any:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # Pooled connections belong to the loop that opened them; a gateway
            # reused under a new loop (CLI commands, tests) starts a fresh pool.
            self._clients.clear()
            self._http = anthropic.DefaultAsyncHttpxClient()
            self._loop = loop
        client = self._clients.get(key)
        if client is not None:
            self._clients.move_to_end(key)
            return client
        client = self._clients[key] = build(self._http)
        # Evicted clients are not closed: they own nothing but a reference to
        # the shared pool, and a request may still be using them.
        while len(self._clients) > MAX_CACHED_CLIENTS:
            self._clients.popitem(last=False)
        return client


class BoundGateway:
    """The gateway as one request sees it: calls are for the request's user unless the
    call's ``usage`` names someone else. Everything else is the gateway's own."""

    def __init__(self, gateway: LLMGateway, usage: UsageFor) -> None:
        self._gateway = gateway
        self._usage = usage

    def __getattr__(self, name: str) -> Any:
        return getattr(self._gateway, name)

    def _for(self, usage: UsageFor | None) -> UsageFor:
        return _with_caller(usage, depth=3).merged(self._usage)

    def complete(self, **kwargs: Any) -> Coroutine[Any, Any, Message]:
        kwargs["usage"] = self._for(kwargs.get("usage"))
        return self._gateway.complete(**kwargs)

    def complete_structured(self, **kwargs: Any) -> Coroutine[Any, Any, Any]:
        kwargs["usage"] = self._for(kwargs.get("usage"))
        return self._gateway.complete_structured(**kwargs)

    def stream_text(self, **kwargs: Any) -> AsyncIterator[str]:
        kwargs["usage"] = self._for(kwargs.get("usage"))
        return self._gateway.stream_text(**kwargs)

    async def admit(self, **kwargs: Any) -> Hold:
        kwargs["usage"] = kwargs["usage"].merged(self._usage)
        return await self._gateway.admit(**kwargs)

    async def record_cache_hit(self, db: AsyncSession, *, usage: UsageFor, model: str) -> None:
        await self._gateway.record_cache_hit(db, usage=usage.merged(self._usage), model=model)

    def cache_hit_values(self, *, usage: UsageFor, model: str) -> dict[str, Any] | None:
        return self._gateway.cache_hit_values(usage=usage.merged(self._usage), model=model)


def _with_caller(usage: UsageFor | None, *, depth: int = 2) -> UsageFor:
    """``usage`` with its feature defaulting to the calling module's last name part."""
    usage = usage or UsageFor()
    if usage.feature is not None:
        return usage
    frame = sys._getframe(depth)
    while frame is not None and frame.f_globals.get("__name__", "").startswith("core.llm"):
        frame = frame.f_back
    module = frame.f_globals.get("__name__", "") if frame is not None else ""
    return UsageFor(feature=module.rsplit(".", 1)[-1] or "other", user_id=usage.user_id,
                    course_id=usage.course_id, chat_session_id=usage.chat_session_id)


def map_anthropic_error(exc: BaseException, *, bedrock: bool = False) -> DomainError:
    """The domain error (fixed user-facing message) for an SDK or transport failure.

    On Bedrock a 401/403 means the platform's AWS credentials were refused: not
    something the user can fix with a key of their own.
    """
    exc = _unwrap(exc)
    if isinstance(exc, anthropic.APITimeoutError | httpx2.TimeoutException):
        return Upstream(TIMED_OUT, status=504)
    if isinstance(exc, anthropic.APIConnectionError | httpx2.TransportError):
        return Upstream(UNREACHABLE, status=502)
    if isinstance(exc, anthropic.APIStatusError):
        status = _effective_status(exc)
        if bedrock and status in (401, 403):
            return Upstream(AWS_REJECTED, status=502, code="LLM_AUTHENTICATION_FAILED")
        if status == 401:
            return Upstream(AUTHENTICATION_FAILED, status=401, code="LLM_AUTHENTICATION_FAILED")
        if status == 429:
            return RateLimited(RATE_LIMITED, retry_after=_retry_after(exc.response.headers))
        if status >= 500:
            return Upstream(SERVICE_ERROR, status=502)
        return Upstream(REQUEST_REJECTED, status=502)
    return Upstream(SERVICE_ERROR, status=502)


def status_of(exc: BaseException) -> int | None:
    """The HTTP status an SDK failure stands for (an error event inside a 200 stream
    counts as its type's status); None when no answer came (timeouts, connections)."""
    exc = _unwrap(exc)
    return _effective_status(exc) if isinstance(exc, anthropic.APIStatusError) else None


def _mapped(exc: BaseException, *, bedrock: bool = False) -> DomainError:
    error = map_anthropic_error(exc, bedrock=bedrock)
    inner = _unwrap(exc)
    if isinstance(inner, anthropic.APIStatusError):
        log.warning("Anthropic API error: status=%s type=%s request_id=%s message=%s -> %s %s",
                    inner.status_code, inner.type, inner.request_id, _api_message(inner),
                    error.status, error.code)
    else:
        log.warning("Anthropic API unreachable: %s -> %s %s", type(inner).__name__,
                    error.status, error.code)
    return error


def _effective_status(exc: anthropic.APIStatusError) -> int:
    if exc.status_code >= 400:
        return exc.status_code
    return _STATUS_FOR_ERROR_TYPE.get(str(exc.type), 500)


def _api_message(exc: anthropic.APIStatusError) -> str | None:
    message = exc.api_message
    return message.strip() if isinstance(message, str) and message.strip() else None


def _retry_after(headers: httpx2.Headers) -> int | None:
    """Whole seconds from ``retry-after`` (or ``retry-after-ms``), rounded up."""
    seconds = _retry_after_seconds(headers)
    return max(0, math.ceil(seconds)) if seconds is not None else None


def _retry_after_seconds(headers: httpx2.Headers) -> float | None:
    value = headers.get("retry-after")
    if value is not None:
        try:
            return float(value)
        except ValueError:
            parsed = email.utils.parsedate_tz(value)
            if parsed is not None:
                return email.utils.mktime_tz(parsed) - time.time()
    try:
        return float(headers["retry-after-ms"]) / 1000
    except (KeyError, ValueError):
        return None


@cache
def _retry_wait_classes() -> tuple[type[Exception], type]:
    """The error and the SDK middleware below, defined once the SDK is imported."""

    class RetryWaitTooLong(anthropic.AnthropicError):
        """Carries the status error the SDK would otherwise have slept on and retried."""

        def __init__(self, error: anthropic.APIStatusError) -> None:
            super().__init__(str(error))
            self.error = error

    class RetryWaitCap(anthropic.Middleware):
        """Fail fast when the API asks for a longer wait than an interactive request can
        afford.

        The SDK honours any ``retry-after`` before retrying. Raising a type outside its
        retry policy from middleware ends the call with the error instead.
        """

        def __init__(self, max_wait: float) -> None:
            self.max_wait = max_wait

        async def handle_async(self, request: anthropic.APIRequest,
                               call_next: anthropic.AsyncCallNext,
                               ) -> anthropic.AsyncAPIResponse[Any]:
            response = await call_next(request)
            http = response.http_response
            if http.is_success or not _sdk_would_retry(http):
                return response
            wait = _retry_after_seconds(http.headers)
            if wait is None or wait <= self.max_wait:
                return response
            await http.aread()
            try:
                body: object = http.json()
            except ValueError:
                body = http.text
            error_class = (anthropic.RateLimitError if http.status_code == 429
                           else anthropic.InternalServerError if http.status_code >= 500
                           else anthropic.APIStatusError)
            raise RetryWaitTooLong(error_class(f"Error code: {http.status_code} - {body}",
                                               response=http, body=body))

    return RetryWaitTooLong, RetryWaitCap


def _unwrap(exc: BaseException) -> BaseException:
    return exc.error if isinstance(exc, _retry_wait_classes()[0]) else exc


def _sdk_would_retry(response: httpx2.Response) -> bool:
    should_retry = response.headers.get("x-should-retry")
    if should_retry in ("true", "false"):
        return should_retry == "true"
    return response.status_code in (408, 409, 429) or response.status_code >= 500

