"""DataLoaders, created fresh per request through the registry on the context
(``core.loading.Loaders``).

``ctx.loaders.get(UserByIdLoader)`` returns that request's one instance.
Loaders are never module-level: a cached loader would leak one viewer's data
to another.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, ClassVar

from sqlalchemy import func, select

from core.loading import DbLoader, Loaders

__all__ = ["ByIdLoader", "ByParentLoader", "DbLoader", "Loaders", "RowCountLoader"]


class ByIdLoader(DbLoader):
    """Rows of ``model`` by primary key, ``None`` where there is none."""

    model: ClassVar[Any]

    async def batch_load_fn(self, keys: list[Any]) -> list[Any]:
        async with self.db.session() as session:
            rows = (await session.execute(
                select(self.model).where(self.model.id.in_(keys)))).scalars()
            found = {row.id: row for row in rows}
        return [found.get(key) for key in keys]


class ByParentLoader(DbLoader):
    """Lists of rows sharing a parent key, each list in sequence order."""

    model: type
    key: str
    order: tuple[str, ...] = ("sequence_index", "id")
    filters: tuple[Any, ...] = ()

    async def batch_load_fn(self, keys: list[Any]) -> list[list[Any]]:
        column = getattr(self.model, self.key)
        order = [getattr(self.model, name) for name in self.order]
        async with self.db.session() as session:
            rows = (await session.execute(
                select(self.model).where(column.in_(keys), *self.filters)
                .order_by(column, *order))).scalars()
            grouped: dict[Any, list[Any]] = defaultdict(list)
            for row in rows:
                grouped[getattr(row, self.key)].append(row)
        return [grouped.get(key, []) for key in keys]


class RowCountLoader(DbLoader):
    """How many rows each query returns (a connection's ``totalCount``): the queries of one
    batch, whatever their tables, counted in one statement."""

    async def batch_load_fn(self, queries: list[Any]) -> list[int]:
        counts = [select(func.count()).select_from(q.order_by(None).subquery()).scalar_subquery()
                  for q in queries]
        async with self.db.session() as session:
            return list((await session.execute(select(*counts))).one())
