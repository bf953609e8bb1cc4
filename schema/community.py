"""GraphQL for the course platform: community."""

from __future__ import annotations

import strawberry


@strawberry.type
class CommunityQuery:
    pass


@strawberry.type
class CommunityMutation:
    pass
