"""Error shaping: domain errors carry ``extensions.code``; everything else is masked.

Request-level errors (no path) about the request's variables, such as a value a
scalar cannot parse or a missing non-null variable, are the client's mistake:
``BAD_USER_INPUT`` with their message, not logged as server errors.

The client of a masked error sees a generic message and the request id; the
log has the traceback under the same id. That is the only log line an error
makes: strawberry's own logging of every error (a wrong password, a 404, a
typo in a query, each at ERROR with a traceback) is turned off in ``Schema``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing

import strawberry
from graphql import GraphQLError, GraphQLSyntaxError, VariableDefinitionNode
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.execution import PreExecutionError

from core.db import as_domain_error, invalid_data
from core.errors import DomainError, Unavailable
from core.input_bounds import shorten

log = logging.getLogger("learngraph.graphql")

QUOTE_LENGTH = 120
SERVICE_UNAVAILABLE = Unavailable.code


def _request_id(context) -> str:
    return getattr(context, "request_id", "") or ""


def _is_bad_input(error: GraphQLError) -> bool:
    """Whether ``error`` is about the request's variable values (not a resolver's fault)."""
    if error.path is not None:
        return False
    if isinstance(error.original_error, StrawberryInputCoercionError | GraphQLError):
        return True
    return any(isinstance(node, VariableDefinitionNode) for node in error.nodes or ())


def shape_error(error: GraphQLError, request_id: str) -> GraphQLError:
    original = error.original_error
    if original is None:
        extensions = dict(error.extensions or {})
        extensions.setdefault("code", "GRAPHQL_PARSE_FAILED" if isinstance(
            error, GraphQLSyntaxError) else "GRAPHQL_VALIDATION_FAILED")
        return GraphQLError(error.message, nodes=error.nodes, source=error.source,
                            positions=error.positions, path=error.path, extensions=extensions)
    if isinstance(original, DomainError):
        extensions = {"code": original.code}
        if original.details is not None:
            extensions["details"] = original.details
        if getattr(original, "retry_after", None):
            extensions["retryAfter"] = original.retry_after
        return GraphQLError(original.message, nodes=error.nodes, source=error.source,
                            positions=error.positions, path=error.path, extensions=extensions)
    if isinstance(original, StrawberryInputCoercionError):
        # An argument strawberry could not convert, such as a malformed global ID: the
        # client's mistake, at the field that took it; the message quotes only a prefix.
        return GraphQLError(shorten(error.message, QUOTE_LENGTH), nodes=error.nodes,
                            source=error.source, positions=error.positions, path=error.path,
                            extensions={"code": "BAD_USER_INPUT"})
    if isinstance(original, InvalidOperationTypeError):
        # Over the legacy graphql-ws protocol, which runs subscriptions only.
        return GraphQLError(
            f"This protocol runs only subscriptions, not a {original.operation_type.value}: "
            "send it over HTTP or graphql-transport-ws", nodes=error.nodes,
            source=error.source, positions=error.positions, extensions={"code": "BAD_REQUEST"})
    if isinstance(original, RecursionError) and error.path is None:
        return GraphQLError("The document is nested too deeply", nodes=error.nodes,
                            source=error.source, positions=error.positions,
                            extensions={"code": "BAD_USER_INPUT"})
    invalid = invalid_data(original)
    if invalid is not None:  # a value the database cannot store (too long for its column)
        return GraphQLError(invalid.message, nodes=error.nodes, source=error.source,
                            positions=error.positions, path=error.path,
                            extensions={"code": invalid.code})
    if _is_bad_input(error):
        return GraphQLError(shorten(error.message), nodes=error.nodes, source=error.source,
                            positions=error.positions, extensions={"code": "BAD_USER_INPUT"})
    unavailable = as_domain_error(original)
    if unavailable is not None:
        log.warning("%s (request %s, %s at %s)", unavailable.message, request_id,
                    type(original).__name__, error.path)
        return GraphQLError(unavailable.message, nodes=error.nodes, source=error.source,
                            positions=error.positions, path=error.path,
                            extensions={"code": unavailable.code,
                                        "retryAfter": unavailable.retry_after})
    log.error("unexpected error (request %s) at %s", request_id, error.path,
              exc_info=(type(original), original, original.__traceback__))
    return GraphQLError("Internal server error", nodes=error.nodes, source=error.source,
                        positions=error.positions, path=error.path,
                        extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id})


def _unavailable_status(errors: list[GraphQLError], response) -> None:
    """A request that could not reach the database answers 503 with ``Retry-After``, as
    the REST faces do (over HTTP; a WebSocket has no status)."""
    waits = [(e.extensions or {}).get("retryAfter") or 1 for e in errors
             if (e.extensions or {}).get("code") == SERVICE_UNAVAILABLE]
    if waits and response is not None and hasattr(response, "headers"):
        response.status_code = 503
        response.headers["Retry-After"] = str(max(waits))


class Schema(strawberry.Schema):
    """strawberry's Schema without its per-error ERROR log; see the module docstring."""

    def process_errors(self, errors: list[GraphQLError], execution_context=None) -> None:
        return None

    async def execute(self, query, variable_values=None, context_value=None, *args, **kwargs):
        result = await super().execute(query, variable_values, context_value, *args, **kwargs)
        # An error raised while the document is parsed (a syntax error, an input bound)
        # leaves the operation before ErrorShaping sees it; it is shaped here.
        if result.errors and not all((e.extensions or {}).get("code") for e in result.errors):
            request_id = _request_id(context_value)
            result.errors = [e if (e.extensions or {}).get("code") else shape_error(e, request_id)
                             for e in result.errors]
        return result

    async def stream(self, query, variable_values=None, context_value=None, *args, **kwargs):
        source = await super().stream(query, variable_values, context_value, *args, **kwargs)
        return _refusals_as_results(source, context_value)


async def _refusals_as_results(source, context) -> AsyncIterator:
    """A streamed operation (a subscription over WebSocket) refused while its document is
    parsed (an input bound, a syntax error) gets that error as its first result, as over
    HTTP, instead of ending with nothing sent and an error in the log: strawberry's stream
    path does not catch what a parsing extension raises."""
    try:
        async with aclosing(source):
            async for result in source:
                yield result
    except GraphQLError as error:
        yield PreExecutionError(data=None, errors=[shape_error(error, _request_id(context))])


class ErrorShaping(SchemaExtension):
    def _shape(self, result) -> None:
        if result is not None and getattr(result, "errors", None):
            context = self.execution_context.context
            result.errors = [shape_error(e, _request_id(context)) for e in result.errors]
            _unavailable_status(result.errors, getattr(context, "response", None))

    def on_operation(self) -> Iterator[None]:
        yield
        self._shape(self.execution_context.result)

    def on_stream_result(self, result) -> Iterator[None]:
        # Each subscription event is shaped before it is sent.
        self._shape(result)
        yield
