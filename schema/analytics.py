"""GraphQL for the course platform: analytics."""

from __future__ import annotations

import strawberry


@strawberry.type
class AnalyticsQuery:
    pass


@strawberry.type
class AnalyticsMutation:
    pass
