"""Abuse limits applied to every GraphQL request, and the cost report.

Depth, aliases and tokens use strawberry's extensions. Cost follows GitHub's
model: every field costs one per parent item, and a field with a ``first``,
``last`` or ``ids`` argument multiplies the cost of what it selects by the
page size. The computed cost is returned in ``extensions.cost`` of every
response, and a request over the limit is refused before it runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from core.config import Settings

PAGE_ARGUMENTS = ("first", "last")


def _argument_value(node, variables: dict[str, Any]) -> Any:
    if isinstance(node, VariableNode):
        return variables.get(node.name.value)
    if isinstance(node, IntValueNode):
        return int(node.value)
    if isinstance(node, ListValueNode):
        return node.values
    return None


def _multiplier(field: FieldNode, variables: dict[str, Any]) -> int:
    for argument in field.arguments or ():
        name = argument.name.value
        value = _argument_value(argument.value, variables)
        if name in PAGE_ARGUMENTS and isinstance(value, int):
            return max(value, 1)
        if name == "ids" and isinstance(value, list | tuple):
            return max(len(value), 1)
    return 1


def selection_cost(selection_set: SelectionSetNode | None, *, multiplier: int,
                   fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any],
                   seen: frozenset[str] = frozenset()) -> int:
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value.startswith("__"):
                continue
            total += multiplier
            total += selection_cost(selection.selection_set,
                                    multiplier=multiplier * _multiplier(selection, variables),
                                    fragments=fragments, variables=variables, seen=seen)
        elif isinstance(selection, InlineFragmentNode):
            total += selection_cost(selection.selection_set, multiplier=multiplier,
                                    fragments=fragments, variables=variables, seen=seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in seen or name not in fragments:
                continue  # cycles and unknown fragments are reported by validation
            total += selection_cost(fragments[name].selection_set, multiplier=multiplier,
                                    fragments=fragments, variables=variables, seen=seen | {name})
    return total


def operation_cost(document, operation_name: str | None, variables: dict[str, Any]) -> int:
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if not operations:
        return 0
    return selection_cost(operations[0].selection_set, multiplier=1, fragments=fragments,
                          variables=variables or {})


class CostLimiter(SchemaExtension):
    """Refuse operations whose computed cost exceeds ``max_cost``; report the cost."""

    def __init__(self, *, max_cost: int) -> None:
        self.max_cost = max_cost
        self.cost: int | None = None

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.graphql_document is not None:
            self.cost = operation_cost(ctx.graphql_document, ctx.operation_name,
                                       ctx.variables or {})
            if self.cost > self.max_cost:
                ctx.result = ExecutionResult(data=None, errors=[GraphQLError(
                    f"Query cost {self.cost} exceeds the maximum of {self.max_cost}. "
                    "Request fewer items with `first`/`last`, or fewer nested lists.",
                    extensions={"code": "QUERY_TOO_COSTLY", "cost": self.cost,
                                "maximumCost": self.max_cost})])
        yield

    def get_results(self) -> dict[str, Any]:
        if self.cost is None:
            return {}
        return {"cost": {"requestedQueryCost": self.cost, "maximumAvailable": self.max_cost}}


def limit_extensions(settings: Settings) -> list:
    """The abuse-limit extensions for a schema built with ``settings``."""
    extensions: list = [
        lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
        lambda: QueryDepthLimiter(max_depth=settings.graphql_max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases),
        lambda: CostLimiter(max_cost=settings.graphql_max_cost),
    ]
    if not settings.graphql_introspection:
        extensions.append(DisableIntrospection)
    return extensions
