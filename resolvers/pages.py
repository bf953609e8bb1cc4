"""One page of rows, and the keyset pagers behind GraphQL connections.

``page_by_id`` pages a query in SQL, ``page_list`` a list a DataLoader already
loaded for many parents at once, ``page_of_fetched`` rows a resolver fetched
with one row more than the page holds (the extra row says that more exist),
``page_at_offset`` rows fetched by offset (cursors are positions, see
``offset_after``).

Every page knows how many rows it was cut from (a connection's ``totalCount``): the
visibility rules and filters applied, not the cursor or the page size. A pager that
holds every row already (a loaded list, an offset page's count) knows the number; one
that reads a window in SQL keeps the query it cut the window from, and ``count`` counts
it only when asked, the pages counted at once (a list's of many parents) in one
statement (``RowCountLoader``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Validation
from core.pagination import decode_id_cursor, encode_cursor, page_size
from core.planning import viewer_params
from loaders import RowCountLoader


@dataclass
class Page:
    """The rows of one page, their cursors (none for offset pages), whether more exist
    after and before it, and how many rows it was cut from: the number, or the query
    whose rows they are (counted by ``count`` when asked)."""

    items: list[Any]
    cursors: list[str] = field(default_factory=list)
    has_next: bool = False
    has_previous: bool = False
    total: int | Select | None = None


async def count(ctx: Any, page: Page) -> int:
    """How many rows ``page`` was cut from; a query is counted with the other pages' asked
    at the same time in one statement."""
    if isinstance(page.total, int):
        return page.total
    if page.total is None:
        raise AssertionError("a page without its total")
    return await ctx.loaders.get(RowCountLoader).load(
        page.total.params(**viewer_params(ctx.viewer)))


async def page_by_id(session: AsyncSession, query: Select, id_column, *, first: int | None,
                     after: str | None, last: int | None, before: str | None) -> Page:
    """One page of ``query`` ordered by the unique integer ``id_column`` (first/after
    forward, last/before back)."""
    size = page_size(first, last)
    forward = last is None
    cursor = after if forward else before
    total = query
    if cursor:
        key = decode_id_cursor(cursor)
        query = query.where(id_column > key if forward else id_column < key)
    query = query.order_by(id_column if forward else id_column.desc()).limit(size + 1)
    rows = list((await session.execute(query)).scalars())
    more = len(rows) > size
    rows = rows[:size]
    if not forward:
        rows.reverse()
    return Page(items=rows, cursors=[encode_cursor([getattr(r, id_column.key)]) for r in rows],
                has_next=more if forward else bool(before),
                has_previous=bool(after) if forward else more, total=total)


def page_list(rows: Sequence[Any], *, first: int | None, after: str | None,
              last: int | None = None, before: str | None = None, key: str = "id") -> Page:
    """One page of ``rows``, already ordered by the unique integer attribute ``key``,
    paged exactly like ``page_by_id`` (first/after forward, last/before back)."""
    size = page_size(first, last)
    forward = last is None
    cursor = after if forward else before
    total = len(rows)
    if cursor:
        position = decode_id_cursor(cursor)
        rows = [r for r in rows
                if (getattr(r, key) > position if forward else getattr(r, key) < position)]
    more = len(rows) > size
    items = list(rows[:size] if forward else rows[max(len(rows) - size, 0):])
    return Page(items=items, cursors=[encode_cursor([getattr(r, key)]) for r in items],
                has_next=more if forward else bool(before),
                has_previous=bool(after) if forward else more, total=total)


def page_of_fetched(rows: Sequence[Any], size: int, *, after: str | None,
                    cursor: Callable[[Any], str], total: Select) -> Page:
    """A forward page from ``rows`` fetched after the cursor ``after`` with a limit of
    ``size + 1``: the extra row is not shown, it only tells that more exist. ``total``:
    the query of every row the page is read from (no cursor, no limit)."""
    items = list(rows[:size])
    return Page(items=items, cursors=[cursor(r) for r in items], has_next=len(rows) > size,
                has_previous=bool(after), total=total)


def offset_after(after: str | None) -> int:
    """Where the page after the position cursor ``after`` starts; 0 without one."""
    if not after:
        return 0
    position = decode_id_cursor(after)
    if position < 0:
        raise Validation("Invalid cursor")
    return position + 1


def page_at_offset(items: Sequence[Any], start: int, total: int) -> Page:
    """The ``items`` found at offset ``start`` of ``total`` rows, with position cursors."""
    return Page(items=list(items), cursors=[encode_cursor([start + i]) for i in range(len(items))],
                has_next=start + len(items) < total, has_previous=start > 0, total=total)
