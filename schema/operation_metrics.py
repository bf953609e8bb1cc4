"""Each GraphQL operation counted and timed by name and type, its errors by code."""

from __future__ import annotations

import time
from collections.abc import Iterator

from graphql import OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from core.observe import note_errors_counted


def operation_name(document, given: str | None) -> str | None:
    """The name of the operation a request runs: the one it names, else the document's
    only operation's."""
    if given or document is None:
        return given
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return operations[0].name.value if len(operations) == 1 and operations[0].name else None


class OperationMetrics(SchemaExtension):
    """Registered first, so that it sees the errors as ErrorShaping left them."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        ctx = self.execution_context
        metrics = ctx.context.services.metrics
        document = ctx.graphql_document
        kind = ctx.operation_type.value if document is not None else "unknown"
        label = metrics.operation_label(operation_name(document, ctx.operation_name))
        metrics.operations.labels(label, kind).inc()
        metrics.operation_seconds.labels(label, kind).observe(time.perf_counter() - started)
        errors = getattr(ctx.result, "errors", None) or ctx.pre_execution_errors or []
        for error in errors:
            code = (error.extensions or {}).get("code") or (
                "GRAPHQL_PARSE_FAILED" if document is None else "INTERNAL_SERVER_ERROR")
            metrics.errors.labels(code).inc()
        note_errors_counted(getattr(ctx.context, "request", None))
