"""DataLoaders of workshops: a codelab's settings, its steps, attendees by user."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from loaders import ByParentLoader, DbLoader
from models.codelab import Codelab, CodelabAttendee
from models.course import Module


class CodelabByCourseIdLoader(DbLoader):
    """The workshop settings of CODELAB courses, None for other courses."""

    async def batch_load_fn(self, keys: list[int]) -> list[Codelab | None]:
        async with self.db.session() as session:
            rows = (await session.execute(
                select(Codelab).where(Codelab.course_id.in_(keys)))).scalars()
            found = {row.course_id: row for row in rows}
        return [found.get(key) for key in keys]


class CodelabAttendeeByUserIdLoader(DbLoader):
    """The attendee a (guest) user is, None for other users."""

    async def batch_load_fn(self, keys: list[Any]) -> list[CodelabAttendee | None]:
        async with self.db.session() as session:
            rows = (await session.execute(
                select(CodelabAttendee).where(CodelabAttendee.user_id.in_(keys)))).scalars()
            found = {row.user_id: row for row in rows}
        return [found.get(key) for key in keys]


class StepsByCourseIdLoader(ByParentLoader):
    """A codelab's steps (its modules) in step order."""

    model = Module
    key = "course_id"
