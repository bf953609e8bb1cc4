"""The curriculum mapper's objectives: sample curricula filtered by territory, year, subject.

Filters match exactly, territory and subject without regard to case. Objectives
come by id, a page at a time (cursor pagination: the cursor carries the last id).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field
from sqlalchemy import func, select

from core.context import Context
from core.pagination import decode_id_cursor, encode_cursor
from models.curriculum import Objective
from resolvers.reading import Input, require_internal

DEFAULT_LIMIT, MAX_LIMIT = 50, 200


class ObjectivesFilter(Input):
    territory: str | None = Field(default=None, min_length=1, max_length=100)
    year_level: int | None = Field(default=None, ge=0, le=13)
    subject: str | None = Field(default=None, min_length=1, max_length=100)
    cursor: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


@dataclass(frozen=True)
class ObjectivePage:
    objectives: list[Objective]
    next_cursor: str | None


async def get_objectives(ctx: Context, *, filters: ObjectivesFilter) -> ObjectivePage:
    """One page of objectives matching the filters, by id."""
    require_internal(ctx)
    query = select(Objective).order_by(Objective.id).limit(filters.limit + 1)
    if filters.territory:
        query = query.where(func.lower(Objective.territory) == filters.territory.lower())
    if filters.subject:
        query = query.where(func.lower(Objective.subject) == filters.subject.lower())
    if filters.year_level is not None:
        query = query.where(Objective.year_level == filters.year_level)
    if filters.cursor:
        query = query.where(Objective.id > decode_id_cursor(filters.cursor))
    async with ctx.db.session() as session:
        rows = list((await session.execute(query)).scalars())
    more = len(rows) > filters.limit
    rows = rows[:filters.limit]
    return ObjectivePage(objectives=rows,
                         next_cursor=encode_cursor([rows[-1].id]) if more else None)
