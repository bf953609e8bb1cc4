"""Loaders for the catalog: rows by id, children by parent, the viewer's progress.

Each batch is one statement on its own session, so a GraphQL level of any
width costs one query per loader.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import BigInteger, BindParameter, any_, bindparam, select, text
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


def _ids(ids: set[int]) -> BindParameter:
    """Many integer ids as one array parameter (``= ANY(:ids)``), cheaper to bind and send
    than an IN list of as many parameters."""
    return bindparam("ids", value=list(ids), type_=ARRAY(BigInteger))


class _RowsByParents(DbLoader):
    """Read-only rows of ``model`` (Core rows: no ORM identity or state per row) for many
    parents at once, for big trees: keyed by a tuple of parent ids, each key gets one list
    of rows per parent, in sequence order. One future per list rather than per parent,
    and every tuple asked for in the same tick is one statement."""

    model: type
    key: str

    async def batch_load_fn(self, keys: list[tuple[int, ...]]) -> list[list[list[Any]]]:
        table = self.model.__table__
        column = table.c[self.key]
        async with self.db.session() as session:
            rows = (await session.execute(
                select(table).where(column == any_(_ids({p for key in keys for p in key})))
                .order_by(column, table.c.sequence_index, table.c.id))).all()
        grouped: dict[int, list[Any]] = defaultdict(list)
        position = list(table.c.keys()).index(self.key)
        for row in rows:
            grouped[row[position]].append(row)
        empty: list[Any] = []
        return [[grouped.get(parent, empty) for parent in key] for key in keys]


class ModuleRowsByParentsLoader(_RowsByParents):
    model = Module
    key = "parent_module_id"


class ContentRowsByModulesLoader(_RowsByParents):
    model = ContentItem
    key = "module_id"


class _ViewerProgressMany(DbLoader):
    """The latest progress row (a Core row) of a user per item, or None, for many items at
    once: keyed by ``(user_id, item ids tuple)``, one list per key."""

    model: type
    item: str

    async def batch_load_fn(self, keys: list[tuple[uuid.UUID, tuple[int, ...]]]
                            ) -> list[list[Any]]:
        table = self.model.__table__
        column = table.c[self.item]
        async with self.db.session() as session:
            rows = (await session.execute(
                select(table).where(table.c.user_id.in_({user for user, _ in keys}),
                                    column == any_(_ids({i for _, items in keys for i in items})))
                .order_by(table.c.updated_at, table.c.id))).all()
        user, item = (list(table.c.keys()).index(name) for name in ("user_id", self.item))
        # Later rows win: the latest update of each (user, item).
        found = {(row[user], row[item]): row for row in rows}
        return [[found.get((user_id, i)) for i in items] for user_id, items in keys]


class ModuleProgressRowsLoader(_ViewerProgressMany):
    model = ModuleProgress
    item = "module_id"


class ContentProgressRowsLoader(_ViewerProgressMany):
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
