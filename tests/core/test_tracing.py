"""OpenTelemetry traces: with ``OTEL_EXPORTER_OTLP_ENDPOINT`` set, spans for requests,
GraphQL operations, SQL and model calls, nested in one trace per request, read from an
in-memory exporter and received over OTLP/HTTP by a local collector; without it, no
tracer at all."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from strawberry import relay

from tests.fixtures import gql, start_instance, start_server
from tests.twosigma.chat_helpers import greet, learner, open_session, topic

SESSIONS = "query MySessions { myChatSessions(first: 5) { edges { node { contentItemId } } } }"


class Collector:
    """An OTLP/HTTP receiver: keeps the span names of every export it is sent."""

    def __init__(self) -> None:
        self.span_names: list[str] = []
        self.content_types: set[str] = set()

    def app(self) -> Starlette:
        async def traces(request: Request) -> Response:
            self.content_types.add(request.headers.get("content-type", ""))
            export = ExportTraceServiceRequest.FromString(await request.body())
            self.span_names += [span.name for resource in export.resource_spans
                                for scope in resource.scope_spans for span in scope.spans]
            return Response(b"", media_type="application/x-protobuf")

        return Starlette(routes=[Route("/v1/traces", traces, methods=["POST"])])


@pytest.fixture
async def traced(database_url, client, fake_anthropic):
    collector = Collector()
    receiver = await start_server(collector.app())
    running = await start_instance(database_url, jobs_enabled=False,
                                   anthropic_base_url=fake_anthropic.base_url,
                                   otel_endpoint=receiver.base_url, otel_service_name="lg-test")
    memory = InMemorySpanExporter()
    running.app.state.services.tracing.provider.add_span_processor(SimpleSpanProcessor(memory))
    async with httpx.AsyncClient(base_url=running.base_url, timeout=10) as http:
        yield running, http, memory, collector
    await running.stop()
    await receiver.stop()


def by_name(spans, name: str) -> list:
    return [span for span in spans if span.name == name]


def ancestors(span, spans) -> list:
    """The span's parents, nearest first."""
    index = {s.context.span_id: s for s in spans}
    chain = []
    while span.parent is not None and span.parent.span_id in index:
        span = index[span.parent.span_id]
        chain.append(span)
    return chain


async def test_requests_operations_sql_and_model_calls_are_spans(traced, fake_anthropic):
    running, http, memory, collector = traced
    services = running.app.state.services
    ada = await learner(services)
    item = await topic(services)
    session = await open_session(http, ada, item)
    fake_anthropic.reply_text("Hello, Ada!", chunks=["Hello, ", "Ada!"])
    await greet(http, ada, session["id"])
    data = await gql(http, SESSIONS, headers=ada.headers)
    assert [e["node"]["contentItemId"] for e in data["myChatSessions"]["edges"]] == [
        relay.to_base64("ContentItem", str(item.id))]
    broken = await http.post("/graphql", json={"query": "query Broken { nosuchfield }"})
    assert broken.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert (await http.get("/healthz")).status_code == 200
    spans = memory.get_finished_spans()

    # The model call: its own span under the greeting's request span, with its tokens.
    [greeting] = by_name(spans, "POST /api/v1/chat/sessions/{session_id}/greeting")
    [call] = [s for s in spans if s.name.startswith("chat ")]
    assert call.attributes["gen_ai.system"] == "anthropic"
    assert call.attributes["gen_ai.request.model"] == services.settings.anthropic_model
    assert call.attributes["gen_ai.usage.output_tokens"] > 0
    assert call.context.trace_id == greeting.context.trace_id
    assert greeting in ancestors(call, spans)

    # The GraphQL operation: named by type and name, under its request, over its SQL.
    [operation] = by_name(spans, "query MySessions")
    assert operation.attributes["graphql.operation.name"] == "MySessions"
    assert operation.status.status_code == StatusCode.UNSET
    [request] = [s for s in ancestors(operation, spans) if s.name == "POST /graphql"]
    assert request.attributes["http.route"] == "/graphql"
    statements = [s for s in spans if s.attributes.get("db.system") == "postgresql"
                  and operation in ancestors(s, spans)]
    assert any("chat_sessions" in s.attributes.get("db.statement", "") for s in statements)
    [failed] = by_name(spans, "query Broken")
    assert failed.status.status_code == StatusCode.ERROR
    assert list(failed.attributes["graphql.error.codes"]) == ["GRAPHQL_VALIDATION_FAILED"]
    assert failed.resource.attributes["service.name"] == "lg-test"
    # Liveness probes are not traced.
    assert not [s for s in spans if "/healthz" in s.name]

    # The batch exporter sends them over OTLP/HTTP, at the latest when the instance stops.
    await running.stop()
    for _ in range(100):
        if "query MySessions" in collector.span_names:
            break
        await asyncio.sleep(0.05)
    assert {"query MySessions", "POST /graphql", call.name} <= set(collector.span_names)
    assert collector.content_types == {"application/x-protobuf"}


async def test_nothing_is_traced_without_an_endpoint(client, services):
    assert services.settings.otel_endpoint is None
    assert services.tracing is None and services.llm.tracing is None
    answer = await client.post("/graphql", json={"query": "{ viewer { isAuthenticated } }"})
    assert answer.json()["data"] == {"viewer": {"isAuthenticated": False}}
