"""OpenTelemetry traces, only when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set.

Spans: one per HTTP request and WebSocket connection (the ASGI instrumentation), one
per GraphQL operation (``schema.operation_tracing`` and the planned-reads path), one
per SQL statement (the SQLAlchemy instrumentation, on this process's engine) and one
per model call (``core.llm``). They go over OTLP/HTTP (protobuf) to the endpoint's
``/v1/traces`` in batches, from the SDK's own thread. Without the variable no tracer
provider exists and nothing is recorded or sent.

Each process owns its provider (never the global one), so several app instances in
one process keep their spans apart.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from opentelemetry import metrics as otel_metrics
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, Tracer
from starlette.types import ASGIApp, Receive, Scope, Send

from core.config import Settings
from core.metrics import route_label

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

TRACER_NAME = "learngraph"
# Liveness, readiness and scrapes would be most of the spans and tell nothing.
UNTRACED_PATHS = "healthz,readyz,metrics"


class Tracing:
    """One process's tracer provider and what it instruments."""

    def __init__(self, provider: TracerProvider) -> None:
        self.provider = provider
        self.tracer: Tracer = provider.get_tracer(TRACER_NAME)

    @classmethod
    def from_settings(cls, settings: Settings) -> Tracing | None:
        """A provider exporting to ``settings.otel_endpoint``; None when it is not set."""
        if not settings.otel_endpoint:
            return None
        provider = TracerProvider(resource=Resource.create(
            {"service.name": settings.otel_service_name}))
        exporter = OTLPSpanExporter(endpoint=settings.otel_endpoint.rstrip("/") + "/v1/traces")
        provider.add_span_processor(BatchSpanProcessor(exporter))
        return cls(provider)

    def instrument_engine(self, engine: AsyncEngine) -> None:
        """A span for every SQL statement the engine runs."""
        # The engine tracer counts connections in use through a meter; metrics have their
        # own exposition (/metrics), so it gets one that records nothing.
        meter = otel_metrics.NoOpMeterProvider().get_meter(TRACER_NAME)
        EngineTracer(self.tracer, engine.sync_engine,
                     meter.create_up_down_counter("db.client.connections.usage"))

    def start_span(self, name: str, attributes: dict[str, Any] | None = None) -> Span:
        """A span under the current one, not made current (safe across ``yield``)."""
        return self.tracer.start_span(name, attributes=attributes)

    @contextmanager
    def current_span(self, name: str, attributes: dict[str, Any] | None = None,
                     ) -> Iterator[Span]:
        """A span made current while the block runs (what it calls nests under it)."""
        with self.tracer.start_as_current_span(name, attributes=attributes) as span:
            yield span

    async def shutdown(self) -> None:
        """Export what is still buffered and stop (the export blocks: off the loop)."""
        await asyncio.to_thread(self.provider.shutdown)


def tracing_of(holder: Any) -> Tracing | None:
    """The tracing of whatever carries the services (a context, an app), if any."""
    services = getattr(holder, "services", None)
    return getattr(services, "tracing", None)


class TracingMiddleware:
    """The ASGI instrumentation, over this app's own provider when tracing is on. The
    request's span is named by the route template that served it (``GET /graphql``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._traced: tuple[Tracing, ASGIApp] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        tracing = (tracing_of(getattr(scope.get("app"), "state", None))
                   if scope["type"] in ("http", "websocket") else None)
        if tracing is None:
            await self.app(scope, receive, send)
            return
        if self._traced is None or self._traced[0] is not tracing:
            self._traced = (tracing, OpenTelemetryMiddleware(
                self._named, excluded_urls=UNTRACED_PATHS, tracer_provider=tracing.provider,
                meter_provider=otel_metrics.NoOpMeterProvider(),
                exclude_spans=["receive", "send"]))
        await self._traced[1](scope, receive, send)

    async def _named(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Named when the answer starts: routing has chosen the route by then, and the
        # span ends with the last body chunk.
        span = trace.get_current_span()
        method = scope.get("method", "GET") if scope["type"] == "http" else "WS"

        async def naming_send(message) -> None:
            if message["type"] in ("http.response.start", "websocket.accept",
                                   "websocket.close") and span.is_recording():
                route = route_label(scope)
                span.update_name(f"{method} {route}")
                span.set_attribute("http.route", route)
            await send(message)

        await self.app(scope, receive, naming_send)
