"""DataLoaders, created fresh per request through the registry on the context.

``ctx.loaders.get(UserByIdLoader)`` returns that request's one instance.
Loaders are never module-level: a cached loader would leak one viewer's data
to another.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, ClassVar, TypeVar

from aiodataloader import DataLoader
from sqlalchemy import select

from core.db import Database, Reads

L = TypeVar("L", bound=DataLoader)


class Loaders:
    def __init__(self, db: Database) -> None:
        self.reads = Reads(db)
        self._instances: dict[type, DataLoader] = {}

    def get(self, loader_class: type[L]) -> L:
        loader = self._instances.get(loader_class)
        if loader is None:
            loader = loader_class(self.reads)
            self._instances[loader_class] = loader
        return loader  # type: ignore[return-value]


class DbLoader(DataLoader):
    """A DataLoader whose batches read through the request's ``Reads``, one at a time."""

    def __init__(self, db: Reads) -> None:
        super().__init__()
        self.db = db


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
