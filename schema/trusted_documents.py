"""Trusted documents mode (``LEARNGRAPH_TRUSTED_DOCUMENTS_ONLY``): only documents
registered with ``learngraph documents add`` run, over HTTP and WebSockets alike."""

from __future__ import annotations

from collections.abc import AsyncIterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from core.persisted import NOT_TRUSTED, sha256_of


class TrustedDocuments(SchemaExtension):
    """Refuses, before parsing, any document whose hash is not registered as trusted."""

    async def on_parse(self) -> AsyncIterator[None]:
        ctx = self.execution_context
        documents = getattr(getattr(ctx.context, "services", None), "documents", None)
        if documents is not None and ctx.query is not None and (
                await documents.get(sha256_of(ctx.query), trusted=True)) is None:
            raise GraphQLError(NOT_TRUSTED, extensions={"code": "PERSISTED_QUERY_NOT_IN_LIST"})
        yield
