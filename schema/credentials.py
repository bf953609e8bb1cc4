"""A bearer token that is present but not valid is refused, not served as anonymous.

An invalid, expired or revoked access token, a refresh token sent as an access token, or
a revoked API key answers ``UNAUTHENTICATED`` with the reason, as the REST faces answer
401: a client learns that its credential needs renewing instead of silently seeing what
anyone may see. Operations that only sign in (``login``, ``register``, ``refreshToken``)
still run, so a client that sends its expired token along can renew it.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import ExecutionResult, FieldNode, GraphQLError, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

SIGN_IN_FIELDS = frozenset({"login", "register", "refreshToken", "__typename"})


def _only_signs_in(document, operation_name: str | None) -> bool:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)
                  and (operation_name is None or (d.name and d.name.value == operation_name))]
    if len(operations) != 1:
        return False
    return all(isinstance(s, FieldNode) and s.name.value in SIGN_IN_FIELDS
               for s in operations[0].selection_set.selections)


class RefuseInvalidCredentials(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        reason = getattr(ctx.context, "credential_error", None)
        if reason and ctx.graphql_document is not None and not _only_signs_in(
                ctx.graphql_document, ctx.operation_name):
            ctx.result = ExecutionResult(data=None, errors=[GraphQLError(
                reason, extensions={"code": "UNAUTHENTICATED"})])
        yield
