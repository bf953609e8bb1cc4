"""Declared permissions for GraphQL fields, backed by the same checks the REST faces run.

``agent(scope)`` is what an agent operation declares, as the OpenLesson face's
routes do: the key's per-minute count, the Teams tier, then the key's scope.

An API key's per-minute limit counts requests, as on the REST face: one GraphQL
operation counts once however many agent fields it selects (the first one
counts it). Each operation is counted: a batch of three, or three operations on
one WebSocket, count three.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

from resolvers import api_key, organization


class RequiresScope(BasePermission):
    """An API key must carry the scope; other credentials are not scoped."""

    message = "Missing scope"

    def __init__(self, scope: str) -> None:
        self.scope = scope

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        info.context.viewer.require_scope(self.scope)
        return True


class RequiresTeams(BasePermission):
    """An active ``pro_teams`` tier (platform admins pass)."""

    message = "An active Teams subscription is required"

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        await organization.require_teams(info.context)
        return True


class _OperationCount:
    """The running operation's one count against the key's limit, which its agent fields
    (resolved concurrently) all await."""

    def __init__(self) -> None:
        self.task: asyncio.Task | None = None


# Set per operation by ``CountKeyRequestsOnce``; the fields of one operation (and the
# tasks graphql-core runs them in) see the same one.
_OPERATION_COUNT: ContextVar[_OperationCount | None] = ContextVar("key_request_count",
                                                                   default=None)


class CountKeyRequestsOnce(SchemaExtension):
    """Gives each operation one count of the key's requests, shared by its agent fields."""

    def on_execute(self) -> Iterator[None]:
        _OPERATION_COUNT.set(_OperationCount())
        yield


class CountsKeyRequest(BasePermission):
    """Counts the operation against the API key's per-minute limit, once: a refused count
    refuses every agent field of the operation."""

    message = "Rate limit exceeded"

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        count = _OPERATION_COUNT.get()
        if count is None:  # outside an operation's execution: count every call
            await api_key.count_request(info.context)
            return True
        if count.task is None:
            count.task = asyncio.ensure_future(api_key.count_request(info.context))
        await asyncio.shield(count.task)
        return True


def agent(scope: str) -> list[PermissionExtension]:
    """Field extensions of an agent operation that needs ``scope``."""
    return [PermissionExtension(permissions=[CountsKeyRequest(), RequiresTeams(),
                                             RequiresScope(scope)], use_directives=False)]
