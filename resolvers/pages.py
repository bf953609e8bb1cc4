"""One page of rows, and keyset pages over integer ids for GraphQL connections."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Validation
from core.pagination import decode_cursor, encode_cursor, page_size


@dataclass
class Page:
    """The rows of one page, their cursors (none for offset pages) and whether more exist
    after and before it."""

    items: list[Any]
    cursors: list[str] = field(default_factory=list)
    has_next: bool = False
    has_previous: bool = False


def _key(cursor: str) -> int:
    values = decode_cursor(cursor)
    if len(values) != 1 or not isinstance(values[0], int):
        raise Validation("Invalid cursor")
    return values[0]


async def page_by_id(session: AsyncSession, query: Select, id_column, *, first: int | None,
                     after: str | None, last: int | None, before: str | None) -> Page:
    """One page of ``query`` ordered by the unique integer ``id_column`` (first/after
    forward, last/before back)."""
    size = page_size(first, last)
    forward = last is None
    cursor = after if forward else before
    if cursor:
        key = _key(cursor)
        query = query.where(id_column > key if forward else id_column < key)
    query = query.order_by(id_column if forward else id_column.desc()).limit(size + 1)
    rows = list((await session.execute(query)).scalars())
    more = len(rows) > size
    rows = rows[:size]
    if not forward:
        rows.reverse()
    return Page(items=rows, cursors=[encode_cursor([getattr(r, id_column.key)]) for r in rows],
                has_next=more if forward else bool(before),
                has_previous=bool(after) if forward else more)
