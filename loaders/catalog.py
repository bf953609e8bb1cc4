"""Loaders for the catalog: rows by id, children by parent, the viewer's progress.

Each batch is one statement on its own session, so a GraphQL level of any
width costs one query per loader.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import BigInteger, bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY

from loaders import ByIdLoader, ByParentLoader, DbLoader
from models.course import (
    ContentItem,
    ContentType,
    Course,
    CourseOffering,
    Department,
    Enrollment,
    Module,
    Subject,
    University,
)
from models.learning import ContentProgress, ModuleProgress


class UniversityByIdLoader(ByIdLoader):
    model = University


class DepartmentByIdLoader(ByIdLoader):
    model = Department


class SubjectByIdLoader(ByIdLoader):
    model = Subject


class CourseByIdLoader(ByIdLoader):
    model = Course


class CourseOfferingByIdLoader(ByIdLoader):
    model = CourseOffering


class EnrollmentByIdLoader(ByIdLoader):
    model = Enrollment


class ModuleByIdLoader(ByIdLoader):
    model = Module


class ContentTypeByIdLoader(ByIdLoader):
    model = ContentType


class ContentItemByIdLoader(ByIdLoader):
    model = ContentItem


class ModulesByParentIdLoader(ByParentLoader):
    model = Module
    key = "parent_module_id"


class ContentItemsByModuleIdLoader(ByParentLoader):
    model = ContentItem
    key = "module_id"


class DepartmentsByUniversityIdLoader(ByParentLoader):
    model = Department
    key = "university_id"
    order = ("id",)


class EnrollmentsByUserIdLoader(ByParentLoader):
    """Each user's enrollments in the order they were made."""

    model = Enrollment
    key = "user_id"
    order = ("id",)


class CourseOfferingsByCourseIdLoader(ByParentLoader):
    model = CourseOffering
    key = "course_id"
    order = ("id",)


class RootModulesByCourseIdLoader(ByParentLoader):
    """The top-level modules of each course."""

    model = Module
    key = "course_id"
    filters = (Module.parent_module_id.is_(None),)


class _ViewerProgress(DbLoader):
    """The latest progress row of a user per item, keyed by (user_id, item_id)."""

    model: type
    item: str

    async def batch_load_fn(self, keys: list[tuple[uuid.UUID, int]]) -> list[Any]:
        users = {user for user, _ in keys}
        items = {item for _, item in keys}
        column = getattr(self.model, self.item)
        async with self.db.session() as session:
            rows = (await session.execute(
                select(self.model).where(self.model.user_id.in_(users), column.in_(items))
                .order_by(self.model.updated_at, self.model.id))).scalars()
            found = {(row.user_id, getattr(row, self.item)): row for row in rows}
        return [found.get(key) for key in keys]


class ModuleProgressByUserModuleLoader(_ViewerProgress):
    model = ModuleProgress
    item = "module_id"


class ContentProgressByUserItemLoader(_ViewerProgress):
    model = ContentProgress
    item = "content_item_id"


STATS_SQL = text("""
SELECT c.id AS course_id,
  (SELECT count(*) FROM course_offerings o WHERE o.course_id = c.id) AS offerings_count,
  (SELECT coalesce(jsonb_object_agg(s.status, s.n), '{}'::jsonb) FROM (
      SELECT e.status, count(*) AS n FROM enrollments e
      JOIN course_offerings o ON o.id = e.course_offering_id
      WHERE o.course_id = c.id GROUP BY e.status) s) AS enrollments_by_status,
  (SELECT count(*) FROM modules m WHERE m.course_id = c.id) AS modules_count,
  (SELECT count(*) FROM content_items i WHERE i.course_id = c.id) AS content_items_count,
  (SELECT round(avg(r.rating)::numeric, 2) FROM course_reviews r
      WHERE r.course_id = c.id) AS average_rating,
  (SELECT count(*) FROM course_reviews r WHERE r.course_id = c.id) AS review_count
FROM unnest(:ids) AS c(id)
""")


class CourseStatsByIdLoader(DbLoader):
    """Counts behind a course's statistics, one statement for any number of courses."""

    async def batch_load_fn(self, keys: list[int]) -> list[dict[str, Any]]:
        statement = STATS_SQL.bindparams(bindparam("ids", value=list(keys),
                                                   type_=ARRAY(BigInteger)))
        async with self.db.session() as session:
            rows = (await session.execute(statement)).mappings().all()
        found = {row["course_id"]: dict(row) for row in rows}
        return [found[key] for key in keys]
