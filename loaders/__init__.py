"""DataLoaders, created fresh per request through the registry on the context.

``ctx.loaders.get(UserByIdLoader)`` returns that request's one instance.
Loaders are never module-level: a cached loader would leak one viewer's data
to another.
"""

from __future__ import annotations

from typing import TypeVar

from aiodataloader import DataLoader

from core.db import Database

L = TypeVar("L", bound=DataLoader)


class Loaders:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._instances: dict[type, DataLoader] = {}

    def get(self, loader_class: type[L]) -> L:
        loader = self._instances.get(loader_class)
        if loader is None:
            loader = loader_class(self.db)
            self._instances[loader_class] = loader
        return loader  # type: ignore[return-value]


class DbLoader(DataLoader):
    """A DataLoader whose batches each take their own session from the factory."""

    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db
