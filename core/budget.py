"""Per-viewer GraphQL query budgets, as GitHub's GraphQL API keeps them.

Each viewer (a user, an API key without a user, an organization guest, the internal
service) or, when anonymous, each client address has a budget of points per hour.
An operation costs its computed cost (``extensions.cost.requestedQueryCost``)
divided by 100, rounded up, and at least one point. The hour starts with the first
operation charged and the whole budget comes back when it ends (``resetAt``).

The points spent are held in PostgreSQL (``query_budgets``) so that every instance
draws on the same budget. A charge is one statement on an autocommit connection:
the row's lock taken by ``INSERT … ON CONFLICT DO UPDATE`` makes concurrent charges
from any instance add up, and an operation the budget cannot pay for is not charged
(its statement updates nothing and returns no row). A planned read charges in the same
statement as its data (``charged_statement``), so it still sends one statement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from core.db import Database
from core.errors import RateLimited

WINDOW_SECONDS = 3600
COST_PER_POINT = 100

# $1 key, $2 points, $3 limit, $4 window in seconds: shifted by ``_charge``.
_CHARGE = (
    "INSERT INTO query_budgets AS b (key, window_start, used) VALUES (${k}, now(), ${p}) "
    "ON CONFLICT (key) DO UPDATE SET "
    "window_start = CASE WHEN b.window_start <= now() - make_interval(secs => ${w}) "
    "THEN now() ELSE b.window_start END, "
    "used = CASE WHEN b.window_start <= now() - make_interval(secs => ${w}) "
    "THEN ${p} ELSE b.used + ${p} END "
    "WHERE b.window_start <= now() - make_interval(secs => ${w}) OR b.used + ${p} <= ${l} "
    "RETURNING b.window_start, b.used, now() AS now")
_STATE = "SELECT window_start, used, now() FROM query_budgets WHERE key = $1"
_EXPIRE = text("DELETE FROM query_budgets WHERE window_start < now() - "
               "make_interval(secs => :window)")


@dataclass(frozen=True)
class Budget:
    """What one operation cost and what is left of its viewer's budget."""

    cost: int
    limit: int
    used: int
    reset_at: datetime

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)

    def report(self) -> dict[str, Any]:
        """As every response's ``extensions.rateLimit`` reports it."""
        return {"cost": self.cost, "limit": self.limit, "remaining": self.remaining,
                "used": self.used, "resetAt": self.reset_at.isoformat()}

    def headers(self) -> dict[str, str]:
        """GitHub's ``x-ratelimit-*`` headers (reset in epoch seconds)."""
        return {"x-ratelimit-limit": str(self.limit),
                "x-ratelimit-remaining": str(self.remaining),
                "x-ratelimit-used": str(self.used),
                "x-ratelimit-reset": str(math.ceil(self.reset_at.timestamp())),
                "x-ratelimit-resource": "graphql"}


class BudgetExhausted(RateLimited):
    """The viewer's budget cannot pay for this operation before ``budget.reset_at``."""

    def __init__(self, budget: Budget, retry_after: int) -> None:
        super().__init__(
            f"API rate limit exceeded: this operation costs {budget.cost} points and "
            f"{budget.remaining} of {budget.limit} are left this hour. The budget is "
            f"restored at {budget.reset_at.isoformat()}.", retry_after=retry_after)
        self.budget = budget


def points(cost: int) -> int:
    """The points an operation of computed ``cost`` takes from a budget."""
    return max(1, math.ceil(cost / COST_PER_POINT))


def key_of(viewer: Any, client_ip: str) -> str:
    """Whose budget pays: the signed-in user (whatever credential they use), else the
    API key, guest or service, else the client's address."""
    if viewer.user_id is not None:
        return f"user:{viewer.user_id}"
    if viewer.api_key_id is not None:
        return f"key:{viewer.api_key_id}"
    if viewer.guest_id is not None:
        return f"guest:{viewer.guest_id}"
    if viewer.kind == "service":
        return "service"
    return f"address:{client_ip}"


def _charge(offset: int) -> str:
    return _CHARGE.format(k=offset + 1, p=offset + 2, l=offset + 3, w=offset + 4)


def _params(key: str, spent: int, limit: int) -> tuple[Any, ...]:
    return (key, spent, limit, float(WINDOW_SECONDS))


def _budget(spent: int, limit: int, window_start: datetime, used: int) -> Budget:
    return Budget(cost=spent, limit=limit, used=used,
                  reset_at=window_start + timedelta(seconds=WINDOW_SECONDS))


async def _exhausted(db: Database, *, key: str, spent: int, limit: int) -> RateLimited:
    row = await db.read_row(_STATE, (key,))
    now = row[2] if row is not None else datetime.now(UTC)
    if spent > limit:
        return RateLimited(
            f"API rate limit exceeded: this operation costs {spent} points, more than the "
            f"whole budget of {limit} points an hour. Request fewer items.",
            retry_after=WINDOW_SECONDS)
    if row is None or row[0] + timedelta(seconds=WINDOW_SECONDS) <= now:
        # The hour ended between the refused charge and this read: try again now.
        budget = Budget(cost=spent, limit=limit, used=0, reset_at=now)
        return BudgetExhausted(budget, 1)
    budget = _budget(spent, limit, row[0], row[1])
    return BudgetExhausted(budget, max(1, math.ceil((budget.reset_at - now).total_seconds())))


async def charge(db: Database, *, key: str, cost: int, limit: int) -> Budget:
    """Take the points of an operation of computed ``cost`` from ``key``'s budget of
    ``limit`` points an hour; raise BudgetExhausted (nothing taken) when it cannot pay."""
    spent = points(cost)
    row = await db.read_row(_charge(0), _params(key, spent, limit)) if spent <= limit else None
    if row is None:
        raise await _exhausted(db, key=key, spent=spent, limit=limit)
    window_start, used, _ = row
    return _budget(spent, limit, window_start, used)


def charged_statement(sql: str, params: list[Any], *, key: str, cost: int, limit: int,
                      prelude: str = "", gate: str | None = None
                      ) -> tuple[str, tuple[Any, ...]]:
    """One statement that charges the budget and, when it could, runs ``sql`` (one row,
    one value): its row is that value, the hour's start and the points used; no row when
    the budget could not pay (``sql`` is then not run). ``prelude`` is more of its WITH
    (named queries ``gate`` may read); the budget is charged only when the condition
    ``gate`` holds (else no row, nothing charged)."""
    offset = len(params)
    charge = _charge(offset)
    if gate is not None:
        values = f"VALUES (${offset + 1}, now(), ${offset + 2})"
        charge = charge.replace(values, f"SELECT ${offset + 1}::text, now(), "
                                        f"${offset + 2}::integer WHERE {gate}")
    with_ = f"{prelude}, " if prelude else ""
    return (f"WITH {with_}charged AS ({charge}) "
            f"SELECT ({sql}), charged.window_start, charged.used FROM charged",
            (*params, *_params(key, points(cost), limit)))


def charged_budget(cost: int, limit: int, window_start: datetime, used: int) -> Budget:
    """The Budget a ``charged_statement`` row reports."""
    return _budget(points(cost), limit, window_start, used)


async def expire(db: Database) -> int:
    """Forget budgets whose hour ended; how many went."""
    async with db.transaction() as session:
        result = await session.execute(_EXPIRE, {"window": WINDOW_SECONDS})
    return result.rowcount
