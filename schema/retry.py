"""Every mutation runs again when its transaction met a deadlock or a serialization
failure before anything committed (``core.db.retrying``, the rule the REST faces follow
too)."""

from __future__ import annotations

from typing import Any

from strawberry.extensions import FieldExtension

from core.db import retrying


class RetryOnDeadlock(FieldExtension):
    def resolve(self, next_, source: Any, info: Any, **kwargs: Any) -> Any:
        return next_(source, info, **kwargs)

    async def resolve_async(self, next_, source: Any, info: Any, **kwargs: Any) -> Any:
        return await retrying(lambda: next_(source, info, **kwargs))


def retry_mutations(mutation: type) -> type:
    """``mutation`` (a merged Mutation type) with every field retried on deadlock."""
    for field in mutation.__strawberry_definition__.fields:
        if not any(isinstance(e, RetryOnDeadlock) for e in field.extensions):
            field.extensions.append(RetryOnDeadlock())
    return mutation
