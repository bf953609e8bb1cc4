"""Model usage reports and monthly budgets (the ledger itself is ``core.llm_usage``).

Reports group the ``llm_usage`` rows of a window of UTC days (``date_from`` ..
``date_to``, inclusive, either side open) by any of DAY, USER, COURSE,
ORGANIZATION, FEATURE and MODEL (none: one row for everything), groups
ordered by those keys. Each row counts:
  calls: model calls made (failed ones included); failed_calls: those that failed;
  saved_calls: answers the tutor's response cache gave instead of a call;
  input / output / cache-write / cache-read tokens and their total;
  cost: USD from the price table (calls of unpriced models add nothing).

Who sees what: a platform admin every row; an organization's admin the rows of
their organization (the organization of the user a call was for); anyone signed
in their own rows (``viewer``'s usage). Budgets are set by platform admins.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert

from core.auth.viewer import ROLE_PLATFORM_ADMIN
from core.context import Context
from core.errors import Forbidden, NotFound, Validation
from models.course import Course
from models.llm_usage import BUDGET_SCOPES, LlmBudget, LlmUsage
from models.organization import Organization
from models.user import User
from resolvers import organization
from resolvers.analytics import window

GROUPS = ("DAY", "USER", "COURSE", "ORGANIZATION", "FEATURE", "MODEL")
MAX_TOKEN_LIMIT = 10**15
MAX_COST_LIMIT = Decimal("1000000000")
NOT_ALLOWED = "Only platform admins and organization admins may see model usage"


@dataclass(frozen=True)
class UsageRow:
    day: date | None
    user_id: uuid.UUID | None
    course_id: int | None
    organization_id: uuid.UUID | None
    feature: str | None
    model: str | None
    calls: int
    failed_calls: int
    saved_calls: int
    input_tokens: int
    output_tokens: int
    cache_write_tokens: int
    cache_read_tokens: int
    cost: Decimal

    @property
    def total_tokens(self) -> int:
        return (self.input_tokens + self.output_tokens + self.cache_write_tokens
                + self.cache_read_tokens)


def _keys():
    return {
        "DAY": func.date(func.timezone("UTC", LlmUsage.created_at)).label("day"),
        "USER": LlmUsage.user_id.label("user_id"),
        "COURSE": LlmUsage.course_id.label("course_id"),
        "ORGANIZATION": LlmUsage.organization_id.label("organization_id"),
        "FEATURE": LlmUsage.feature.label("feature"),
        "MODEL": LlmUsage.model.label("model"),
    }


def _check_groups(group_by: list[str]) -> list[str]:
    groups = list(dict.fromkeys(group_by))
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        raise Validation(f"Unknown group {unknown[0]!r}: use {', '.join(GROUPS)}",
                         details={"field": "group_by"})
    return [g for g in GROUPS if g in groups]


async def _report(ctx: Context, conditions: list, *, group_by: list[str],
                  date_from: date | None, date_to: date | None) -> list[UsageRow]:
    groups = _check_groups(group_by)
    span = window(date_from=date_from, date_to=date_to)
    keys = _keys()
    chosen = [keys[g] for g in groups]
    made = LlmUsage.outcome != "cache_hit"
    query = select(
        *chosen,
        func.count().filter(made).label("calls"),
        func.count().filter(LlmUsage.outcome == "error").label("failed_calls"),
        func.count().filter(LlmUsage.outcome == "cache_hit").label("saved_calls"),
        func.coalesce(func.sum(LlmUsage.input_tokens), 0).label("input_tokens"),
        func.coalesce(func.sum(LlmUsage.output_tokens), 0).label("output_tokens"),
        func.coalesce(func.sum(LlmUsage.cache_write_tokens), 0).label("cache_write_tokens"),
        func.coalesce(func.sum(LlmUsage.cache_read_tokens), 0).label("cache_read_tokens"),
        func.coalesce(func.sum(LlmUsage.cost), 0).label("cost"),
    ).where(*conditions, *span.where(LlmUsage.created_at))
    if chosen:
        query = query.group_by(*chosen).order_by(*[c.asc().nulls_last() for c in chosen])
    else:
        query = query.having(func.count() > 0)
    async with ctx.db.read() as db:
        rows = (await db.execute(query)).mappings().all()
    return [UsageRow(day=r.get("day"), user_id=r.get("user_id"), course_id=r.get("course_id"),
                     organization_id=r.get("organization_id"), feature=r.get("feature"),
                     model=r.get("model"), calls=r["calls"], failed_calls=r["failed_calls"],
                     saved_calls=r["saved_calls"], input_tokens=int(r["input_tokens"]),
                     output_tokens=int(r["output_tokens"]),
                     cache_write_tokens=int(r["cache_write_tokens"]),
                     cache_read_tokens=int(r["cache_read_tokens"]),
                     cost=Decimal(r["cost"]).normalize() if r["cost"] else Decimal(0))
            for r in rows]


async def get_report(ctx: Context, *, group_by: list[str], date_from: date | None = None,
                     date_to: date | None = None) -> list[UsageRow]:
    """Usage for a platform admin (everything) or an organization admin (their own)."""
    ctx.viewer.require_user()
    conditions = []
    if not ctx.viewer.has_role(ROLE_PLATFORM_ADMIN):
        membership = await organization.get_membership(ctx)
        if membership is None or not membership.is_admin or ctx.viewer.guest_id is not None:
            raise Forbidden(NOT_ALLOWED)
        conditions.append(LlmUsage.organization_id == membership.organization.id)
    return await _report(ctx, conditions, group_by=group_by, date_from=date_from,
                         date_to=date_to)


async def get_mine(ctx: Context, *, group_by: list[str], date_from: date | None = None,
                   date_to: date | None = None) -> list[UsageRow]:
    """The viewer's own usage."""
    user_id = ctx.viewer.require_user()
    return await _report(ctx, [LlmUsage.user_id == user_id], group_by=group_by,
                         date_from=date_from, date_to=date_to)


# ----------------------------------------------------------------- budgets


async def _scope_id(ctx: Context, scope: str, target: str) -> str:
    """The budget's subject as stored: checked to exist."""
    if scope not in BUDGET_SCOPES:
        raise Validation(f"Unknown scope: use {', '.join(BUDGET_SCOPES)}",
                         details={"field": "scope"})
    model = {"COURSE": Course, "ORGANIZATION": Organization, "USER": User}[scope]
    try:
        key: int | uuid.UUID = int(target) if scope == "COURSE" else uuid.UUID(target)
    except ValueError:
        raise Validation(f"Invalid {scope.lower()} id", details={"field": "id"}) from None
    if scope == "COURSE" and not 0 < key < 2**63:
        raise Validation("Invalid course id", details={"field": "id"})
    async with ctx.db.read() as db:
        if await db.get(model, key) is None:
            raise NotFound(f"{scope.capitalize()} not found")
    return str(key)


async def get_budgets(ctx: Context) -> list[LlmBudget]:
    """Every budget, by scope and subject (platform admins)."""
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)
    async with ctx.db.read() as db:
        return list((await db.execute(select(LlmBudget).order_by(
            LlmBudget.scope, LlmBudget.scope_id))).scalars())


async def set_budget(ctx: Context, *, scope: str, target: str, token_limit: int | None,
                     cost_limit: Decimal | None) -> LlmBudget:
    """Set (or replace) the monthly limits of a course, organization or user; at least
    one of tokens and cost (platform admins)."""
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)
    if token_limit is None and cost_limit is None:
        raise Validation("Give a token limit, a cost limit or both",
                         details={"field": "token_limit"})
    if token_limit is not None and not 0 <= token_limit <= MAX_TOKEN_LIMIT:
        raise Validation(f"token_limit must be between 0 and {MAX_TOKEN_LIMIT}",
                         details={"field": "token_limit"})
    if cost_limit is not None and not (cost_limit.is_finite()
                                       and 0 <= cost_limit <= MAX_COST_LIMIT):
        raise Validation(f"cost_limit must be between 0 and {MAX_COST_LIMIT}",
                         details={"field": "cost_limit"})
    scope_id = await _scope_id(ctx, scope, target)
    values = {"scope": scope, "scope_id": scope_id, "token_limit": token_limit,
              "cost_limit": cost_limit, "updated_by": ctx.viewer.user_id}
    async with ctx.db.transaction() as db:
        statement = insert(LlmBudget).values(**values).on_conflict_do_update(
            constraint="uq_llm_budgets_scope_scope_id",
            set_={"token_limit": token_limit, "cost_limit": cost_limit,
                  "updated_by": ctx.viewer.user_id, "updated_at": func.now()},
        ).returning(LlmBudget)
        return (await db.execute(statement)).scalar_one()


async def delete_budget(ctx: Context, *, scope: str, target: str) -> bool:
    """Remove a budget; whether there was one (platform admins)."""
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)
    if scope not in BUDGET_SCOPES:
        raise Validation(f"Unknown scope: use {', '.join(BUDGET_SCOPES)}",
                         details={"field": "scope"})
    async with ctx.db.transaction() as db:
        result = await db.execute(delete(LlmBudget).where(
            LlmBudget.scope == scope, LlmBudget.scope_id == target[:64]))
    return result.rowcount > 0
