"""The ledger of model calls: what each cost and for whom, and the monthly budgets.

Every call through the gateway (``core.llm``) is one ``llm_usage`` row: provider,
model, the four token counts of the SDK's ``usage`` (input, output, cache write,
cache read), latency, outcome, its cost from the price table, and who and what it
was for (:class:`UsageFor`: user, course, chat session, feature; the user's
organization is looked up when the row is written).

Budgets (``llm_budgets``) limit the tokens and/or the cost of a course, an
organization or a user per calendar month (UTC). A call is admitted only when,
for every budget that applies, what the month has recorded, plus what calls in
flight hold, plus this call's own estimate fits the limit; the estimate (its
input at 4 characters a token and its ``max_tokens`` of output) is then held
until the call is recorded. The budget rows are locked while this is decided, so
two calls on two instances cannot both take the last of a budget. A hold expires
on its own after ``HOLD_SECONDS`` (a process that died mid-call).
"""

from __future__ import annotations

import json
import logging
import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database
from core.errors import DomainError
from core.llm_prices import PriceTable

log = logging.getLogger(__name__)

HOLD_SECONDS = 15 * 60
CHARS_PER_TOKEN = 4
BUDGET_EXCEEDED = "The AI budget for this month is used up. Please contact an administrator."


class BudgetExceeded(DomainError):
    """A call would take a budget past its monthly limit; refused before the model."""

    code = "BUDGET_EXCEEDED"
    status = 429

    def __init__(self, *, scope: str, retry_after: int) -> None:
        super().__init__(BUDGET_EXCEEDED, details={"scope": scope})
        self.retry_after = retry_after


@dataclass(frozen=True)
class UsageFor:
    """Who and what a model call is for."""

    feature: str | None = None
    user_id: uuid.UUID | None = None
    course_id: int | None = None
    chat_session_id: int | None = None

    def merged(self, other: UsageFor | None) -> UsageFor:
        """These fields, with ``other``'s where these are unset."""
        if other is None:
            return self
        return replace(self, **{name: getattr(other, name) for name in
                                ("feature", "user_id", "course_id", "chat_session_id")
                                if getattr(self, name) is None})


@dataclass(frozen=True)
class Hold:
    """What an admitted call holds of its budgets until it is recorded."""

    ids: tuple[int, ...] = ()


NO_HOLD = Hold()


def estimate_tokens(*, system: Any, messages: Any, tools: Any, max_tokens: int) -> tuple[int, int]:
    """(input, output) tokens a call may use at most, roughly: its input at
    ``CHARS_PER_TOKEN`` characters a token, and its ``max_tokens``."""
    size = len(json.dumps([system, messages, tools], default=str, ensure_ascii=False))
    return math.ceil(size / CHARS_PER_TOKEN), max_tokens


def seconds_to_next_month(now: datetime | None = None) -> int:
    now = now or datetime.now(UTC)
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return max(1, math.ceil((datetime(year, month, 1, tzinfo=UTC) - now).total_seconds()))


def applying_budgets(user_id: str, user_text: str, course_text: str) -> str:
    """The budgets that apply to a call (its user's, its course's and its user's
    organization's), as SQL selecting their ``id`` and ``scope`` in id order, over three
    SQL expressions: the user's id, and the user's and the course's ids as text (NULL
    where there is none). A caller may gather the ids with its own reads and pass them
    to ``Ledger.admit``."""
    return f"""
    SELECT b.id, b.scope FROM llm_budgets b
    WHERE (b.scope = 'USER' AND b.scope_id = {user_text})
       OR (b.scope = 'COURSE' AND b.scope_id = {course_text})
       OR (b.scope = 'ORGANIZATION' AND b.scope_id IN (
            SELECT CAST(m.organization_id AS text) FROM organization_members m
            WHERE m.user_id = {user_id}))
    ORDER BY b.id
"""


_APPLYING = applying_budgets(":user_id", ":user_text", ":course_text")

# Month to date per budget (recorded use plus live holds), compared with the call's estimate.
_OVER = """
    WITH month AS (SELECT date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS
                   start),
    used AS (
        SELECT b.id, b.scope, b.token_limit, b.cost_limit,
               COALESCE((SELECT sum(u.input_tokens + u.output_tokens + u.cache_write_tokens
                                    + u.cache_read_tokens)
                         FROM llm_usage u, month
                         WHERE u.created_at >= month.start AND CASE b.scope
                           WHEN 'USER' THEN CAST(u.user_id AS text) = b.scope_id
                           WHEN 'COURSE' THEN CAST(u.course_id AS text) = b.scope_id
                           ELSE CAST(u.organization_id AS text) = b.scope_id END), 0)
               + COALESCE((SELECT sum(h.tokens) FROM llm_budget_holds h
                           WHERE h.budget_id = b.id AND h.expires_at > now()), 0) AS tokens,
               COALESCE((SELECT sum(u.cost) FROM llm_usage u, month
                         WHERE u.created_at >= month.start AND CASE b.scope
                           WHEN 'USER' THEN CAST(u.user_id AS text) = b.scope_id
                           WHEN 'COURSE' THEN CAST(u.course_id AS text) = b.scope_id
                           ELSE CAST(u.organization_id AS text) = b.scope_id END), 0)
               + COALESCE((SELECT sum(h.cost) FROM llm_budget_holds h
                           WHERE h.budget_id = b.id AND h.expires_at > now()), 0) AS cost
        FROM llm_budgets b WHERE b.id = ANY(:ids))
    SELECT scope FROM used
    WHERE (token_limit IS NOT NULL AND tokens + :tokens > token_limit)
       OR (cost_limit IS NOT NULL AND cost + :cost > cost_limit)
    ORDER BY id LIMIT 1
"""

def insert_usage(param: Callable[[str], str]) -> str:
    """The insert of one ``llm_usage`` row, its values named by ``param`` (a value's
    name to its placeholder: ``:name``, or the ``$n`` a caller's own statement gives it),
    as a caller may run it within a statement of its own (a ``WITH`` clause)."""
    p = param
    return f"""
    INSERT INTO llm_usage (provider, model, feature, outcome, user_id, organization_id,
                           course_id, chat_session_id, input_tokens, output_tokens,
                           cache_write_tokens, cache_read_tokens, latency_ms, cost)
    VALUES ({p("provider")}, {p("model")}, {p("feature")}, {p("outcome")}, {p("user_id")},
            (SELECT organization_id FROM organization_members WHERE user_id = {p("user_id")}
             ORDER BY created_at LIMIT 1),
            (SELECT id FROM courses WHERE id = {p("course_id")}), {p("chat_session_id")},
            {p("input_tokens")}, {p("output_tokens")}, {p("cache_write_tokens")},
            {p("cache_read_tokens")}, {p("latency_ms")}, {p("cost")})
"""


_INSERT_USAGE = insert_usage(lambda name: ":" + name)


@dataclass(frozen=True)
class Tokens:
    input: int = 0
    output: int = 0
    cache_write: int = 0
    cache_read: int = 0

    @classmethod
    def of(cls, usage: Any) -> Tokens:
        """The four counts of an SDK ``usage`` (missing ones are 0)."""
        if usage is None:
            return cls()
        return cls(input=getattr(usage, "input_tokens", 0) or 0,
                   output=getattr(usage, "output_tokens", 0) or 0,
                   cache_write=getattr(usage, "cache_creation_input_tokens", 0) or 0,
                   cache_read=getattr(usage, "cache_read_input_tokens", 0) or 0)


def cache_hit_values(usage_for: UsageFor, *, provider: str, model: str) -> dict[str, Any]:
    """The values of the ``llm_usage`` row of a cache hit (``insert_usage``): an answer
    the response cache gave instead of a call, no tokens, no cost."""
    return {"provider": provider, "model": model[:200],
            "feature": (usage_for.feature or "other")[:100], "outcome": "cache_hit",
            "user_id": usage_for.user_id, "course_id": usage_for.course_id,
            "chat_session_id": usage_for.chat_session_id, "input_tokens": 0,
            "output_tokens": 0, "cache_write_tokens": 0, "cache_read_tokens": 0,
            "latency_ms": 0, "cost": Decimal(0)}


class Ledger:
    """Records model calls and admits them against the budgets, in PostgreSQL."""

    def __init__(self, db: Database, prices: PriceTable) -> None:
        self.db = db
        self.prices = prices

    async def admit(self, usage_for: UsageFor, *, model: str, input_tokens: int,
                    output_tokens: int, applying: Sequence[int] | None = None) -> Hold:
        """Hold this call's estimate on every budget that applies, or BudgetExceeded.
        ``applying``: the ids ``applying_budgets`` found for the call just before, when
        the caller read them already (none: nothing to hold, no round trip)."""
        if usage_for.user_id is None and usage_for.course_id is None:
            return NO_HOLD
        params = {"user_id": usage_for.user_id,
                  "user_text": str(usage_for.user_id) if usage_for.user_id else None,
                  "course_text": str(usage_for.course_id) if usage_for.course_id else None}
        if applying is None:
            async with self.db.read() as db:
                applying = [row.id for row in (await db.execute(text(_APPLYING), params))]
        if not applying:
            return NO_HOLD
        cost = self.prices.cost(model, input_tokens=input_tokens, output_tokens=output_tokens,
                                cache_write_tokens=0, cache_read_tokens=0) or Decimal(0)
        tokens = input_tokens + output_tokens
        async with self.db.transaction() as db:
            # Locked in id order everywhere; the sums below then see every hold and use
            # committed before the lock was granted (each statement takes a new snapshot).
            ids = [row.id for row in (await db.execute(
                text(_APPLYING + " FOR UPDATE OF b"), params)).all()]
            if not ids:
                return NO_HOLD
            over = (await db.execute(text(_OVER), {"ids": ids, "tokens": tokens,
                                                   "cost": cost})).scalar()
            if over is not None:
                raise BudgetExceeded(scope=over, retry_after=seconds_to_next_month())
            held = (await db.execute(text(
                "INSERT INTO llm_budget_holds (budget_id, tokens, cost, expires_at) "
                "SELECT id, :tokens, :cost, now() + make_interval(secs => :seconds) "
                "FROM unnest(CAST(:ids AS bigint[])) AS id RETURNING id"),
                {"ids": ids, "tokens": tokens, "cost": cost, "seconds": HOLD_SECONDS})).all()
        return Hold(tuple(row.id for row in held))

    async def record(self, usage_for: UsageFor, *, provider: str, model: str, outcome: str,
                     tokens: Tokens, latency_ms: int, hold: Hold = NO_HOLD) -> None:
        """One call in the ledger (and its hold released), in one transaction; a failure
        here is logged, never the caller's."""
        cost = self.prices.cost(model, input_tokens=tokens.input, output_tokens=tokens.output,
                                cache_write_tokens=tokens.cache_write,
                                cache_read_tokens=tokens.cache_read)
        try:
            async with self.db.transaction() as db:
                await db.execute(text(_INSERT_USAGE), {
                    "provider": provider, "model": model[:200],
                    "feature": (usage_for.feature or "other")[:100], "outcome": outcome,
                    "user_id": usage_for.user_id, "course_id": usage_for.course_id,
                    "chat_session_id": usage_for.chat_session_id,
                    "input_tokens": tokens.input, "output_tokens": tokens.output,
                    "cache_write_tokens": tokens.cache_write,
                    "cache_read_tokens": tokens.cache_read, "latency_ms": latency_ms,
                    "cost": cost})
                if hold.ids:
                    await db.execute(text("DELETE FROM llm_budget_holds WHERE id = ANY(:ids)"),
                                     {"ids": list(hold.ids)})
        except Exception:
            log.exception("could not record a model call in the usage ledger")

    async def record_cache_hit(self, db: AsyncSession, usage_for: UsageFor, *, provider: str,
                               model: str) -> None:
        """An answer the response cache gave instead of a call, in the caller's
        transaction: no tokens, no cost; reports count it as a saved call."""
        await db.execute(text(_INSERT_USAGE), cache_hit_values(usage_for, provider=provider,
                                                               model=model))

    async def release(self, hold: Hold) -> None:
        """Give back a hold whose call never went out."""
        if not hold.ids:
            return
        try:
            async with self.db.transaction() as db:
                await db.execute(text("DELETE FROM llm_budget_holds WHERE id = ANY(:ids)"),
                                 {"ids": list(hold.ids)})
        except Exception:
            log.exception("could not release a budget hold")
