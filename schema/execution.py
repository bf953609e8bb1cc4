"""Root fields settle in document order.

graphql-core runs a query's root fields at once and, when a non-null one fails, answers
with the first failure to happen and cancels the others: with two failing root fields,
which error the answer carries depended on which resolver was quicker (a refusal before
any I/O beat a not-found after a query, wherever it stood in the document). Here every
root field of a query is let finish, and the answer carries the failure of the first
failing field in document order, its errors listed in document order too (by root field,
each field's own in the order they happened). The planned path declines wherever the
general path would answer with an error, so both answer the same.
"""

from __future__ import annotations

import asyncio
from typing import Any

from graphql import GraphQLError
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class DocumentOrderExecution(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's execution with the root fields of a query settled in document
    order (see the module docstring); mutations already run one after another."""

    _root_order: dict[str, int] | None = None

    def execute_fields(self, parent_type, source_value, path, grouped_field_set,
                       position_context):
        if path is not None:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set,
                                          position_context)
        self._root_order = {key: i for i, key in enumerate(grouped_field_set)}
        results: dict[str, Any] = {}
        pending: list[str] = []
        failure: Exception | None = None
        for key, field_details_list in grouped_field_set.items():
            try:
                result = self.execute_field(parent_type, source_value, field_details_list,
                                            Path(None, key, parent_type.name),
                                            position_context)
            except Exception as error:  # raised below, after the earlier fields
                # The fields after it are not started, as graphql-core does.
                failure = error
                break
            if result is not Undefined:
                results[key] = result
                if self.is_awaitable(result):
                    pending.append(key)
        if not pending:
            if failure is not None:
                raise failure
            return results

        async def settled() -> dict[str, Any]:
            if len(pending) == 1 and failure is None:  # most queries: no task to start
                results[pending[0]] = await results[pending[0]]
                return results
            outcomes = await asyncio.gather(*(results[key] for key in pending),
                                            return_exceptions=True)
            for key, outcome in zip(pending, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    raise outcome  # the first in document order: they all started before
                results[key] = outcome
            if failure is not None:
                raise failure
            return results

        return settled()

    def build_response(self, data):
        order = self._root_order
        errors = self.collected_errors.errors
        if order and len(errors) > 1:
            errors.sort(key=lambda e: _root_position(e, order))
        return super().build_response(data)


def _root_position(error: GraphQLError, order: dict[str, int]) -> int:
    path = error.path
    return order.get(path[0], -1) if path else -1
