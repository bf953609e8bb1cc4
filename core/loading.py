"""The per-request DataLoader registry, and the base of loaders that read the database.

``ctx.loaders.get(UserByIdLoader)`` returns that request's one instance. The
loader classes themselves are domain code (``loaders/``); this is the part the
context needs, so that ``core`` imports none of them.
"""

from __future__ import annotations

from typing import TypeVar

from aiodataloader import DataLoader

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
