"""Each GraphQL operation counted and timed by name and type, its errors by code."""

from __future__ import annotations

import time
from collections.abc import Iterator

from graphql import OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from core.observe import count_operation, note_operation


def operation_name(document, given: str | None) -> str | None:
    """The name of the operation a request runs: the one it names, else the document's
    only operation's."""
    if not isinstance(given, str | None):  # refused by the view (BAD_REQUEST)
        return None
    if given or document is None:
        return given
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return operations[0].name.value if len(operations) == 1 and operations[0].name else None


class OperationMetrics(SchemaExtension):
    """Registered first, so that it sees the errors as ErrorShaping left them."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            # A subscription's operation ends when its stream is closed (the client
            # completes it, or goes away), which ends this hook with that exception.
            self._count(started)

    def _count(self, started: float) -> None:
        ctx = self.execution_context
        document = ctx.graphql_document
        errors = getattr(ctx.result, "errors", None) or ctx.pre_execution_errors or []
        fallback = "GRAPHQL_PARSE_FAILED" if document is None else "INTERNAL_SERVER_ERROR"
        name = operation_name(document, ctx.operation_name)
        kind = _kind(ctx)
        request = getattr(ctx.context, "request", None)
        if document is not None and "graphql" not in getattr(request, "scope", {}).get(
                "state", {"graphql": None}):
            # Refused before it ran (it did not validate): its access line still names it.
            note_operation(request, name=name, kind=kind, cost=None)
        count_operation(ctx.context, name=name, kind=kind,
                        seconds=time.perf_counter() - started,
                        error_codes=[(e.extensions or {}).get("code") or fallback
                                     for e in errors])


def _kind(ctx) -> str:
    """The operation's type; "unknown" where the document has no operation of the
    requested name (strawberry's ``operation_type`` raises then)."""
    if ctx.graphql_document is None:
        return "unknown"
    try:
        return ctx.operation_type.value
    except RuntimeError:
        return "unknown"
