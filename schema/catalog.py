"""GraphQL for the course platform: catalog."""

from __future__ import annotations

import strawberry


@strawberry.type
class CatalogQuery:
    pass


@strawberry.type
class CatalogMutation:
    pass
