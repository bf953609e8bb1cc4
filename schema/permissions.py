"""Declared permissions for GraphQL fields, backed by the same checks the REST faces run.

``agent(scope)`` is what an agent operation declares, as the OpenLesson face's
routes do: the key's per-minute count, the Teams tier, then the key's scope.
"""

from __future__ import annotations

from typing import Any

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


class CountsKeyRequest(BasePermission):
    """Counts the call against the API key's per-minute limit."""

    message = "Rate limit exceeded"

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        await api_key.count_request(info.context)
        return True


def agent(scope: str) -> list[PermissionExtension]:
    """Field extensions of an agent operation that needs ``scope``."""
    return [PermissionExtension(permissions=[CountsKeyRequest(), RequiresTeams(),
                                             RequiresScope(scope)], use_directives=False)]
