"""GraphQL for model usage and cost (``resolvers/llm_usage.py``): reports and budgets.

A call refused by a budget is ``BUDGET_EXCEEDED`` wherever the call was asked for.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from models.llm_usage import LlmBudget as LlmBudgetModel
from resolvers import llm_usage
from resolvers.llm_usage import UsageRow
from schema.pages import parse_int_id


@strawberry.enum(description="What model usage is grouped by.")
class LlmUsageGroup(Enum):
    DAY = strawberry.enum_value("DAY", description="By day (UTC).")
    USER = strawberry.enum_value("USER", description="By the user a call was for.")
    COURSE = strawberry.enum_value("COURSE", description="By course.")
    ORGANIZATION = strawberry.enum_value("ORGANIZATION", description="By organization.")
    FEATURE = strawberry.enum_value(
        "FEATURE", description="By the feature that made the call (tutor, assessment, ...).")
    MODEL = strawberry.enum_value("MODEL", description="By model.")


@strawberry.enum(description="What a budget limits: a course, an organization or a user.")
class LlmBudgetScope(Enum):
    COURSE = strawberry.enum_value("COURSE", description="A course's model usage.")
    ORGANIZATION = strawberry.enum_value(
        "ORGANIZATION", description="An organization's model usage.")
    USER = strawberry.enum_value("USER", description="One user's model usage.")


def _global(type_name: str, value: object) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(relay.to_base64(type_name, str(value)))


@strawberry.type(description="Model usage of one group (the fields it is grouped by are set; "
                             "the others are null).")
class LlmUsageRow:
    day: dt.date | None = strawberry.field(description="The UTC day (grouped by DAY).")
    user_id: strawberry.ID | None = strawberry.field(
        description="Global ID of the user the calls were for (grouped by USER).")
    course_id: strawberry.ID | None = strawberry.field(
        description="Global ID of the course (grouped by COURSE).")
    organization_id: strawberry.ID | None = strawberry.field(
        description="The organization's UUID (grouped by ORGANIZATION).")
    feature: str | None = strawberry.field(
        description="What made the calls: tutor, assessment, gaps, plans, ... (grouped by "
                    "FEATURE).")
    model: str | None = strawberry.field(description="The model (grouped by MODEL).")
    calls: int = strawberry.field(description="Model calls made, failed ones included.")
    failed_calls: int = strawberry.field(description="Of those, calls that failed.")
    saved_calls: int = strawberry.field(
        description="Answers the tutor's response cache gave instead of a call.")
    input_tokens: int = strawberry.field(description="Uncached input tokens.")
    output_tokens: int = strawberry.field(description="Output tokens.")
    cache_write_tokens: int = strawberry.field(description="Input tokens written to the "
                                                           "provider's prompt cache.")
    cache_read_tokens: int = strawberry.field(description="Input tokens read from it.")
    total_tokens: int = strawberry.field(description="All four kinds of tokens.")
    cost: Decimal = strawberry.field(description="USD, from the price table.")

    @classmethod
    def from_row(cls, row: UsageRow) -> LlmUsageRow:
        return cls(day=row.day, user_id=_global("User", row.user_id),
                   course_id=_global("Course", row.course_id),
                   organization_id=strawberry.ID(str(row.organization_id))
                   if row.organization_id else None,
                   feature=row.feature, model=row.model, calls=row.calls,
                   failed_calls=row.failed_calls, saved_calls=row.saved_calls,
                   input_tokens=row.input_tokens, output_tokens=row.output_tokens,
                   cache_write_tokens=row.cache_write_tokens,
                   cache_read_tokens=row.cache_read_tokens, total_tokens=row.total_tokens,
                   cost=row.cost)


@strawberry.type(description="A monthly (UTC calendar month) limit on model use.")
class LlmBudget:
    scope: LlmBudgetScope = strawberry.field(description="What it limits.")
    subject_id: str = strawberry.field(
        description="The course's integer id, or the organization's or user's UUID.")
    token_limit: int | None = strawberry.field(
        description="Tokens of all kinds per month; null: no token limit.")
    cost_limit: Decimal | None = strawberry.field(
        description="USD per month; null: no cost limit.")
    updated_at: dt.datetime = strawberry.field(description="When it was last set.")

    @classmethod
    def from_model(cls, model: LlmBudgetModel) -> LlmBudget:
        return cls(scope=LlmBudgetScope(model.scope), subject_id=model.scope_id,
                   token_limit=model.token_limit,
                   cost_limit=model.cost_limit.normalize() if model.cost_limit is not None
                   else None, updated_at=model.updated_at)


def _groups(group_by: list[LlmUsageGroup]) -> list[str]:
    return [g.value for g in group_by]


GROUP_BY = "Group by these (none: one row for everything)."
FROM = "First UTC day, inclusive."
TO = "Last UTC day, inclusive."


def _subject(scope: LlmBudgetScope, subject_id: str) -> str:
    if scope is LlmBudgetScope.COURSE:
        return str(parse_int_id(subject_id, "Course", field="subjectId"))
    if scope is LlmBudgetScope.USER:
        # A User global ID or the user's UUID.
        try:
            kind, raw = relay.from_base64(subject_id)
        except Exception:
            return subject_id
        return raw if kind == "User" else subject_id
    return subject_id


@strawberry.type
class LlmUsageQuery:
    @strawberry.field(description="Model calls, tokens and cost per group over a window of UTC "
                                  "days: everything for platform admins, their organization's "
                                  "for organization admins.")
    async def llm_usage(
        self, info: Info,
        group_by: Annotated[list[LlmUsageGroup] | None, strawberry.argument(
            description=GROUP_BY)] = None,
        date_from: Annotated[dt.date | None, strawberry.argument(
            name="from", description=FROM)] = None,
        date_to: Annotated[dt.date | None, strawberry.argument(
            name="to", description=TO)] = None,
    ) -> list[LlmUsageRow]:
        rows = await llm_usage.get_report(info.context, group_by=_groups(group_by or []),
                                          date_from=date_from, date_to=date_to)
        return [LlmUsageRow.from_row(r) for r in rows]

    @strawberry.field(description="Every model budget (platform admins).")
    async def llm_budgets(self, info: Info) -> list[LlmBudget]:
        return [LlmBudget.from_model(b) for b in await llm_usage.get_budgets(info.context)]


@strawberry.type
class LlmUsageMutation:
    @strawberry.mutation(description="Set the monthly token and/or cost limit of a course, an "
                                     "organization or a user (platform admins); a call that "
                                     "would pass it is refused with BUDGET_EXCEEDED.")
    async def set_llm_budget(
        self, info: Info, scope: LlmBudgetScope,
        subject_id: Annotated[str, strawberry.argument(
            description="A Course global or integer id, an organization's UUID, or a User "
                        "global ID or UUID.")],
        token_limit: int | None = None, cost_limit: Decimal | None = None,
    ) -> LlmBudget:
        budget = await llm_usage.set_budget(
            info.context, scope=scope.value, target=_subject(scope, subject_id),
            token_limit=token_limit, cost_limit=cost_limit)
        return LlmBudget.from_model(budget)

    @strawberry.mutation(description="Remove a budget (platform admins); whether there was one.")
    async def delete_llm_budget(self, info: Info, scope: LlmBudgetScope,
                                subject_id: str) -> bool:
        return await llm_usage.delete_budget(info.context, scope=scope.value,
                                             target=_subject(scope, subject_id))
