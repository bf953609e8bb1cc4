"""A trace span for each GraphQL operation, when tracing is on (``core.tracing``)."""

from __future__ import annotations

from collections.abc import Iterator

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import StatusCode
from strawberry.extensions import SchemaExtension

from core.tracing import tracing_of
from schema.operation_metrics import operation_name


class OperationTracing(SchemaExtension):
    """``query CourseTree`` spans, under the request's span, over the SQL they run.

    Over HTTP the span is made current while the operation runs, so the statements it
    sends nest under it. A WebSocket operation's span is not made current: a
    subscription's events are produced across many task switches."""

    def on_operation(self) -> Iterator[None]:
        ctx = self.execution_context
        tracing = tracing_of(ctx.context)
        if tracing is None:
            yield
            return
        span = tracing.start_span("graphql.operation")
        request = getattr(ctx.context, "request", None)
        over_http = getattr(request, "scope", {}).get("type") == "http"
        token = (otel_context.attach(trace.set_span_in_context(span)) if over_http
                 else None)
        try:
            yield
        finally:
            if token is not None:
                otel_context.detach(token)
            document = ctx.graphql_document
            name = operation_name(document, ctx.operation_name)
            kind = ctx.operation_type.value if document is not None else "unknown"
            span.update_name(f"{kind} {name}" if name else kind)
            span.set_attribute("graphql.operation.type", kind)
            if name:
                span.set_attribute("graphql.operation.name", name[:100])
            errors = getattr(ctx.result, "errors", None) or ctx.pre_execution_errors or []
            if errors:
                codes = sorted({(e.extensions or {}).get("code") or "INTERNAL_SERVER_ERROR"
                                for e in errors})
                span.set_attribute("graphql.error.codes", codes)
                span.set_status(StatusCode.ERROR, codes[0])
            span.end()
