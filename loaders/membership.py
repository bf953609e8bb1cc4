"""Which courses a user belongs to as a learner, for the membership checks of discussions."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from loaders import DbLoader
from models.course import CourseOffering, Enrollment
from resolvers.access import ENROLLED_STATUSES


class MemberCourseIdsByUserIdLoader(DbLoader):
    """The ids of the courses each user is enrolled in (ACTIVE or COMPLETED), as a set."""

    async def batch_load_fn(self, keys: list) -> list[frozenset[int]]:
        found: dict = defaultdict(set)
        async with self.db.session() as session:
            rows = await session.execute(
                select(Enrollment.user_id, CourseOffering.course_id).distinct()
                .join(CourseOffering, CourseOffering.id == Enrollment.course_offering_id)
                .where(Enrollment.user_id.in_(keys), Enrollment.status.in_(ENROLLED_STATUSES)))
            for user_id, course_id in rows:
                found[user_id].add(course_id)
        return [frozenset(found.get(key, ())) for key in keys]
