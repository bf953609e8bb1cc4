"""Loaders for users."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from loaders import DbLoader
from models.user import User


class UserByIdLoader(DbLoader):
    async def batch_load_fn(self, keys: list[uuid.UUID]) -> list[User | None]:
        async with self.db.session() as session:
            rows = (await session.execute(select(User).where(User.id.in_(keys)))).scalars()
            found = {user.id: user for user in rows}
        return [found.get(key) for key in keys]
