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

So that cheap operations do not each pay a round trip, an instance takes a little more
than an operation costs when it charges: ``Ledger`` keeps those spare points (at most
``LEASE_SHARE`` of the budget, plus the operation) and spends them in memory on the
viewer's next operations, going back to PostgreSQL when they run out; it gives back
what is left when the instance stops. The points taken are never more than the budget,
so the budget holds across instances exactly as before; the slack is the other way: a
viewer may be refused while other instances still hold spare points for them (at most
``LEASE_SHARE`` of the hour's budget per instance, or until the hour ends for an
instance that stopped without giving them back), and the ``used`` an instance reports
counts the points other instances hold. Budgets under ``1 / LEASE_SHARE`` points
(100) are charged exactly, one statement per operation.
"""

from __future__ import annotations

import functools
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from core.db import Database
from core.errors import RateLimited

WINDOW_SECONDS = 3600
COST_PER_POINT = 100
# The share of a budget an instance takes ahead of its operations.
LEASE_SHARE = 0.01
# Spare points are not spent in an hour's last minute (a host's clock may run ahead of
# the database's a little), and at most this many viewers' are kept.
LEASE_MARGIN = timedelta(seconds=60)
LEASE_KEYS = 10_000

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
_RELEASE = text(
    "UPDATE query_budgets AS b SET used = greatest(b.used - r.spare, 0) FROM unnest("
    "CAST(:keys AS text[]), CAST(:spare AS integer[]), CAST(:starts AS timestamptz[])) "
    "AS r(key, spare, window_start) WHERE b.key = r.key AND b.window_start = r.window_start")
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
                "used": self.used, "resetAt": _iso(self.reset_at)}

    def headers(self) -> dict[str, str]:
        """GitHub's ``x-ratelimit-*`` headers (reset in epoch seconds)."""
        return {"x-ratelimit-limit": str(self.limit),
                "x-ratelimit-remaining": str(self.remaining),
                "x-ratelimit-used": str(self.used),
                "x-ratelimit-reset": _epoch(self.reset_at),
                "x-ratelimit-resource": "graphql"}


# A budget's hour ends at one time for all of its operations: its texts are made once.
@functools.lru_cache(maxsize=256)
def _iso(moment: datetime) -> str:
    return moment.isoformat()


@functools.lru_cache(maxsize=256)
def _epoch(moment: datetime) -> str:
    return str(math.ceil(moment.timestamp()))


class BudgetExhausted(RateLimited):
    """The viewer's budget cannot pay for this operation before ``budget.reset_at``."""

    def __init__(self, budget: Budget, retry_after: int) -> None:
        super().__init__(
            f"API rate limit exceeded: this operation costs {_points(budget.cost)} and "
            f"{budget.remaining} of {budget.limit} are left this hour. The budget is "
            f"restored at {budget.reset_at.isoformat()}.", retry_after=retry_after)
        self.budget = budget


def _points(count: int) -> str:
    return "1 point" if count == 1 else f"{count} points"


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
            f"API rate limit exceeded: this operation costs {_points(spent)}, more than the "
            f"whole budget of {_points(limit)} an hour. Request fewer items.",
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


def charged_statement(sql: str, params: list[Any], *, key: str, taken: int, limit: int,
                      prelude: str = "", gate: str | None = None
                      ) -> tuple[str, tuple[Any, ...]]:
    """One statement that takes ``taken`` points from the budget and, when it could, runs
    ``sql`` (one row, one value): its row is that value, the hour's start and the points
    used; no row when the budget could not pay (``sql`` is then not run). ``prelude`` is
    more of its WITH (named queries ``gate`` may read); the budget is charged only when
    the condition ``gate`` holds (else no row, nothing charged)."""
    offset = len(params)
    charge = _charge(offset)
    if gate is not None:
        values = f"VALUES (${offset + 1}, now(), ${offset + 2})"
        charge = charge.replace(values, f"SELECT ${offset + 1}::text, now(), "
                                        f"${offset + 2}::integer WHERE {gate}")
    with_ = f"{prelude}, " if prelude else ""
    return (f"WITH {with_}charged AS ({charge}) "
            f"SELECT ({sql}), charged.window_start, charged.used FROM charged",
            (*params, *_params(key, taken, limit)))


@dataclass
class _Held:
    window_start: datetime
    used: int  # the row's points used, as last seen (our spare points among them)
    spare: int  # points taken and not spent yet

    def __post_init__(self) -> None:
        # Worked out once for the many operations the points pay for.
        self.reset_at = self.window_start + timedelta(seconds=WINDOW_SECONDS)
        self.spend_until = (self.reset_at - LEASE_MARGIN).timestamp()


class Ledger:
    """One instance's spare points per budget (see the module's documentation)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.held: OrderedDict[str, _Held] = OrderedDict()

    def spend(self, *, key: str, cost: int, limit: int) -> Budget | None:
        """Pay for an operation from the spare points held for ``key``, in memory; None
        when they do not cover it (then PostgreSQL is asked)."""
        spent = points(cost)
        held = self.held.get(key)
        if held is None or held.spare < spent or time.time() >= held.spend_until:
            return None
        held.spare -= spent
        self.held.move_to_end(key)
        return Budget(cost=spent, limit=limit, used=held.used - held.spare,
                      reset_at=held.reset_at)

    def refund(self, *, key: str, budget: Budget) -> None:
        """Give back the points ``spend`` took for an operation that did not run."""
        held = self.held.get(key)
        if held is not None and budget.reset_at == held.window_start + timedelta(
                seconds=WINDOW_SECONDS):
            held.spare += budget.cost

    def to_take(self, *, key: str, cost: int, limit: int) -> int:
        """How many points to take from PostgreSQL for an operation: its own and a share
        of the budget to spend later, unless that share is under a point or the budget
        was last seen too low for it."""
        spent = points(cost)
        share = int(limit * LEASE_SHARE)
        held = self.held.get(key)
        if share < 1 or (held is not None and held.used + spent + share > limit):
            return spent
        return spent + share

    def took(self, *, key: str, cost: int, limit: int, taken: int, window_start: datetime,
             used: int) -> Budget:
        """Note ``taken`` points taken for an operation of ``cost`` (the row now says
        ``used`` in the hour from ``window_start``) and report the operation's Budget."""
        spent = points(cost)
        held = self.held.get(key)
        if held is not None and held.window_start == window_start:
            held.used = max(held.used, used)
            held.spare += taken - spent
        elif held is None or window_start > held.window_start:
            held = self.held[key] = _Held(window_start, used, taken - spent)
        else:  # an answer from an hour already over
            return _budget(spent, limit, window_start, used - (taken - spent))
        self.held.move_to_end(key)
        while len(self.held) > LEASE_KEYS:
            self.held.popitem(last=False)
        # As the row stood after this take (concurrent takes may have come back first).
        return _budget(spent, limit, held.window_start, max(used - held.spare, spent))

    async def charge(self, *, key: str, cost: int, limit: int) -> Budget:
        """Take an operation's points: spare ones in memory, else from PostgreSQL (with a
        share to spare when the budget allows); BudgetExhausted (nothing taken) when the
        budget cannot pay."""
        budget = self.spend(key=key, cost=cost, limit=limit)
        if budget is not None:
            return budget
        spent = points(cost)
        taken = self.to_take(key=key, cost=cost, limit=limit)
        row = None
        if spent <= limit:
            row = await self.db.read_row(_charge(0), _params(key, taken, limit))
            if row is None and taken > spent:
                taken = spent
                row = await self.db.read_row(_charge(0), _params(key, taken, limit))
        if row is None:
            raise await _exhausted(self.db, key=key, spent=spent, limit=limit)
        window_start, used, _ = row
        return self.took(key=key, cost=cost, limit=limit, taken=taken,
                         window_start=window_start, used=used)

    async def release(self) -> None:
        """Give the spare points back to their budgets (when the instance stops)."""
        spare = [(k, h) for k, h in self.held.items() if h.spare > 0]
        self.held.clear()
        if not spare:
            return
        async with self.db.transaction() as session:
            await session.execute(_RELEASE, {
                "keys": [k for k, _ in spare], "spare": [h.spare for _, h in spare],
                "starts": [h.window_start for _, h in spare]})

    def forget(self) -> None:
        """Drop the spare points without giving them back (the table was emptied)."""
        self.held.clear()


async def expire(db: Database) -> int:
    """Forget budgets whose hour ended; how many went."""
    async with db.transaction() as session:
        result = await session.execute(_EXPIRE, {"window": WINDOW_SECONDS})
    return result.rowcount
