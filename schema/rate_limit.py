"""GraphQL for the viewer's query budget (``core.budget``), as GitHub's ``rateLimit``."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from core.budget import Budget


@strawberry.type(description="The viewer's GraphQL query budget: points an hour, charged "
                             "per operation (its computed cost / 100, rounded up, at least 1).")
class RateLimit:
    cost: int = strawberry.field(description="Points this operation took from the budget.")
    limit: int = strawberry.field(description="Points the budget holds each hour.")
    remaining: int = strawberry.field(description="Points left until `resetAt`.")
    used: int = strawberry.field(description="Points spent since the hour began, this "
                                             "operation's included.")
    reset_at: datetime = strawberry.field(description="When the hour ends and the whole "
                                                      "budget is available again.")

    @classmethod
    def from_budget(cls, budget: Budget) -> RateLimit:
        return cls(cost=budget.cost, limit=budget.limit, remaining=budget.remaining,
                   used=budget.used, reset_at=budget.reset_at)


@strawberry.type
class RateLimitQuery:
    @strawberry.field(description="What this operation cost and what is left of your query "
                                  "budget (your address's when signed out); null when the "
                                  "deployment has no budgets (`LEARNGRAPH_GRAPHQL_BUDGET=0`).")
    def rate_limit(self, info: Info) -> RateLimit | None:
        budget = getattr(info.context, "budget", None)
        return None if budget is None else RateLimit.from_budget(budget)
