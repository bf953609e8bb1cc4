"""Loaders for prompts."""

from __future__ import annotations

from sqlalchemy import select

from loaders import DbLoader
from models.prompts import PromptDependency


class DependenciesByPromptIdLoader(DbLoader):
    async def batch_load_fn(self, keys: list[int]) -> list[list[PromptDependency]]:
        async with self.db.session() as session:
            rows = (await session.execute(select(PromptDependency).where(
                PromptDependency.parent_id.in_(keys)).order_by(PromptDependency.id))).scalars()
            found: dict[int, list[PromptDependency]] = {}
            for row in rows:
                found.setdefault(row.parent_id, []).append(row)
        return [found.get(key, []) for key in keys]
