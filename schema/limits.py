"""Abuse limits applied to every GraphQL request, and the cost report.

Depth, aliases and tokens use strawberry's extensions. Cost follows GitHub's
model: every field costs one per parent item, and a field with a ``first``,
``last`` or ``ids`` argument multiplies the cost of what it selects by the
page size. The computed cost is returned in ``extensions.cost`` of every
response, and a request over the limit is refused before it runs. The viewer's
hourly query budget (``core.budget``) is charged next, reported in
``extensions.rateLimit`` and the ``x-ratelimit-*`` headers, and an operation it
cannot pay for is refused with ``RATE_LIMITED``.

Fragment spreads are counted as they would be expanded (a fragment spread twice
counts its spreads twice) before any validation rule runs: a short chain of
fragments that each spread the next one twice expands exponentially, and walking it
(as the depth rule does) would take the server's CPU. Such a document is refused
with ``QUERY_TOO_COMPLEX``. Counting and costing visit each fragment once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
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
from starlette.responses import Response
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

from core import budget as budget_store
from core.config import Settings
from core.db import as_domain_error
from core.errors import RateLimited, Unavailable
from core.observe import note_operation
from schema.operation_metrics import operation_name

PAGE_ARGUMENTS = ("first", "last")
MAX_FRAGMENT_SPREADS = 1000
VALIDATION_CACHE_SIZE = 1000  # documents whose validation result is kept


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


def _fragments(document) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions
            if isinstance(d, FragmentDefinitionNode)}


class _FragmentCosts:
    """The cost of each fragment's selection at multiplier one, computed once: a
    selection's cost is linear in its multiplier, so a spread costs ``multiplier`` times
    the fragment's cost however often it is spread."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode],
                 variables: dict[str, Any]) -> None:
        self.fragments = fragments
        self.variables = variables
        self.costs: dict[str, int] = {}
        self.visiting: set[str] = set()

    def of(self, name: str) -> int:
        if name in self.costs:
            return self.costs[name]
        if name in self.visiting or name not in self.fragments:
            return 0  # cycles and unknown fragments are reported by validation
        self.visiting.add(name)
        cost = self.selection(self.fragments[name].selection_set, 1)
        self.visiting.discard(name)
        self.costs[name] = cost
        return cost

    def selection(self, selection_set: SelectionSetNode | None, multiplier: int) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value.startswith("__"):
                    continue
                total += multiplier
                total += self.selection(
                    selection.selection_set,
                    multiplier * _multiplier(selection, self.variables))
            elif isinstance(selection, InlineFragmentNode):
                total += self.selection(selection.selection_set, multiplier)
            elif isinstance(selection, FragmentSpreadNode):
                total += multiplier * self.of(selection.name.value)
        return total


def selection_cost(selection_set: SelectionSetNode | None, *, multiplier: int,
                   fragments: dict[str, FragmentDefinitionNode],
                   variables: dict[str, Any]) -> int:
    return _FragmentCosts(fragments, variables).selection(selection_set, multiplier)


def expanded_spreads(document) -> int:
    """How many fragment spreads the document's operations make once every spread is
    expanded, in time linear in the document (each fragment is counted once)."""
    fragments = _fragments(document)
    counts: dict[str, int] = {}
    visiting: set[str] = set()

    def in_selection(selection_set: SelectionSetNode | None) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FragmentSpreadNode):
                total += 1 + in_fragment(selection.name.value)
            elif isinstance(selection, FieldNode | InlineFragmentNode):
                total += in_selection(selection.selection_set)
        return total

    def in_fragment(name: str) -> int:
        if name in counts:
            return counts[name]
        if name in visiting or name not in fragments:
            return 0  # cycles and unknown fragments are reported by validation
        visiting.add(name)
        counts[name] = in_selection(fragments[name].selection_set)
        visiting.discard(name)
        return counts[name]

    return sum(in_selection(d.selection_set) for d in document.definitions
               if isinstance(d, OperationDefinitionNode))


class LimitedValidation(ValidationCache):
    """Validation (cached) that first refuses documents whose fragment spreads expand
    past ``max_spreads``, so that no rule (depth, cost, the spec's) walks them."""

    def __init__(self, *, max_spreads: int = MAX_FRAGMENT_SPREADS,
                 maxsize: int = VALIDATION_CACHE_SIZE) -> None:
        super().__init__(maxsize=maxsize)
        self.max_spreads = max_spreads

    def on_validate(self) -> Iterator[None]:
        document = self.execution_context.graphql_document
        if document is not None and expanded_spreads(document) > self.max_spreads:
            self.execution_context.pre_execution_errors = [GraphQLError(
                f"Fragment spreads expand to more than {self.max_spreads} selections; "
                "use fewer or less nested fragment spreads.",
                extensions={"code": "QUERY_TOO_COMPLEX", "maximumSpreads": self.max_spreads})]
            yield
            return
        yield from super().on_validate()


def operation_cost(document, operation_name: str | None, variables: dict[str, Any]) -> int:
    fragments = _fragments(document)
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if not operations:
        return 0
    return selection_cost(operations[0].selection_set, multiplier=1, fragments=fragments,
                          variables=variables or {})


def cost_variables(document) -> frozenset[str]:
    """The variables whose values ``operation_cost`` reads (those given to a ``first``,
    ``last`` or ``ids`` argument anywhere in the document): a request that gives none of
    them costs what the document costs without variables."""
    names: set[str] = set()

    def walk(selection_set: SelectionSetNode | None) -> None:
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                for argument in selection.arguments or ():
                    if (argument.name.value in PAGE_ARGUMENTS or argument.name.value == "ids"
                            ) and isinstance(argument.value, VariableNode):
                        names.add(argument.value.name.value)
            if isinstance(selection, FieldNode | InlineFragmentNode):
                walk(selection.selection_set)

    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode):
            walk(definition.selection_set)
    return frozenset(names)


class CostLimiter(SchemaExtension):
    """Refuse operations whose computed cost exceeds ``max_cost``; report the cost. With a
    ``budget`` (points an hour), charge the operation to its viewer's budget first
    (``core.budget``) and report what is left; an exhausted budget refuses it with
    ``RATE_LIMITED`` (over HTTP, 429 and ``Retry-After``)."""

    def __init__(self, *, max_cost: int, budget: int = 0) -> None:
        self.max_cost = max_cost
        self.budget = budget
        self.cost: int | None = None
        self.rate_limit: budget_store.Budget | None = None

    async def on_execute(self) -> AsyncIterator[None]:
        ctx = self.execution_context
        if ctx.graphql_document is not None:
            self.cost = operation_cost(ctx.graphql_document, ctx.operation_name,
                                       ctx.variables or {})
            note_operation(getattr(ctx.context, "request", None),
                           name=operation_name(ctx.graphql_document, ctx.operation_name),
                           kind=ctx.operation_type.value, cost=self.cost)
            if self.cost > self.max_cost:
                ctx.result = ExecutionResult(data=None, errors=[GraphQLError(
                    f"Query cost {self.cost} exceeds the maximum of {self.max_cost}. "
                    "Request fewer items with `first`/`last`, or fewer nested lists.",
                    extensions={"code": "QUERY_TOO_COSTLY", "cost": self.cost,
                                "maximumCost": self.max_cost})])
            elif self.budget > 0:
                await self._charge(ctx)
        yield

    async def _charge(self, ctx) -> None:
        context = ctx.context
        if getattr(context, "services", None) is None:
            return  # a schema executed outside a request: nobody to charge
        # An HTTP request's response (a WebSocket has neither status nor headers to set).
        response = getattr(context, "response", None)
        if not isinstance(response, Response):
            response = None
        try:
            self.rate_limit = await context.services.budgets.charge(
                key=budget_store.key_of(context.viewer, context.client_ip), cost=self.cost,
                limit=self.budget)
        except RateLimited as refused:
            self.rate_limit = getattr(refused, "budget", None)
            ctx.result = _refusal(refused)
            if response is not None:
                response.status_code = 429
                response.headers["Retry-After"] = str(refused.retry_after)
        except Exception as exc:
            # A database that cannot be reached: SERVICE_UNAVAILABLE (ErrorShaping makes
            # it a 503 with Retry-After), as when a resolver meets it.
            known = as_domain_error(exc)
            if not isinstance(known, Unavailable):
                raise
            ctx.result = _refusal(known)
        else:
            context.budget = self.rate_limit
        if self.rate_limit is not None and response is not None:
            response.headers.update(self.rate_limit.headers())

    def get_results(self) -> dict[str, Any]:
        if self.cost is None:
            return {}
        results: dict[str, Any] = {
            "cost": {"requestedQueryCost": self.cost, "maximumAvailable": self.max_cost}}
        if self.rate_limit is not None:
            results["rateLimit"] = self.rate_limit.report()
        return results


def _refusal(error: RateLimited | Unavailable) -> ExecutionResult:
    return ExecutionResult(data=None, errors=[GraphQLError(error.message, extensions={
        "code": error.code, "retryAfter": error.retry_after})])


def limit_extensions(settings: Settings) -> list:
    """The abuse-limit extensions for a schema built with ``settings``."""
    # The depth and alias rules are classes made by their limiter's constructor. Make them
    # once: the validation cache is keyed by the rule classes too, so a limiter built per
    # request would make every request miss it and validate its document again.
    rules = (QueryDepthLimiter(max_depth=settings.graphql_max_depth).validation_rules
             + MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases).validation_rules)
    extensions: list = [
        lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
        lambda: AddValidationRules(rules),
        lambda: CostLimiter(max_cost=settings.graphql_max_cost,
                            budget=settings.graphql_budget),
    ]
    if not settings.graphql_introspection:
        extensions.append(DisableIntrospection)
    return extensions
