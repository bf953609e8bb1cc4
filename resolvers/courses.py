"""Courses and their offerings (terms), and a course's statistics.

Visibility: instructors and platform admins see every course; everyone else
(students, anonymous callers) sees published courses only, and an
unpublished course is "not found" for them.

Offerings: lists show students PUBLIC offerings only. Reached by id (GraphQL
``node``, ``get_offering``), an offering of a course the viewer can see is
found when it is PUBLIC or UNLISTED ("unlisted" means left out of lists, yet
open to whoever has its id, like an unlisted link); a PRIVATE one only for
instructors and platform admins. A learner with an enrollment in an offering
(whatever its status) always reaches that offering and its course, even an
unpublished course, since their enrollments list it. Authoring (create needs the
INSTRUCTOR role; change, delete and new offerings need the course's creator or
a platform admin).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Numeric, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.viewer import ROLE_INSTRUCTOR, Viewer
from core.context import Context
from core.errors import Forbidden, NotFound, Validation
from loaders.catalog import (
    CourseByIdLoader,
    CourseOfferingByIdLoader,
    CourseOfferingsByCourseIdLoader,
    CourseStatsByIdLoader,
    EnrollmentsByUserIdLoader,
)
from models.community import CourseReview
from models.course import (
    ENROLLMENT_STATUSES,
    Course,
    CourseOffering,
    Department,
    Enrollment,
    Subject,
    University,
)
from resolvers.access import is_staff
from resolvers.analytics import rate, rate_sql
from resolvers.catalog import PageArgs, apply, get_row, page_in_memory, paginate
from resolvers.changes import reject_nulls
from resolvers.pages import Page

COURSE_NOT_FOUND = "Course not found"


# Instructors and platform admins write courses and see unpublished ones.
can_author = is_staff


def can_see(viewer: Viewer, course: Course | None) -> bool:
    return course is not None and (course.is_published or can_author(viewer))


EVERY_COURSE = true()
PUBLISHED_COURSES = Course.is_published.is_(True)


def visible_rule(viewer: Viewer):
    """``can_see`` as a SQL condition on the courses table, for lists and planned reads."""
    return EVERY_COURSE if can_author(viewer) else PUBLISHED_COURSES


def require_owner(viewer: Viewer, course: Course) -> None:
    """Only the course's creator or a platform admin may change a course and its tree."""
    viewer.require_role(ROLE_INSTRUCTOR)
    if not viewer.is_admin and course.created_by_id != viewer.user_id:
        raise Forbidden("Only the course's creator or a platform admin can change this course")


async def lock_for_change(ctx: Context, session: AsyncSession, course_id: int) -> Course:
    """The course, row-locked against other structural changes (new modules and content
    items, moves, reorders) until ``session`` commits, after the owner check."""
    course = (await session.execute(select(Course).where(Course.id == course_id)
                                    .with_for_update(key_share=True))
              ).scalar_one_or_none()
    if course is None:
        raise NotFound(COURSE_NOT_FOUND)
    require_owner(ctx.viewer, course)
    return course


async def get(ctx: Context, *, course_id: int) -> Course:
    """A course the viewer may see, or NotFound."""
    course = await ctx.loaders.get(CourseByIdLoader).load(course_id)
    if not can_see(ctx.viewer, course):
        raise NotFound(COURSE_NOT_FOUND)
    return course


async def get_visible_many(ctx: Context, *, course_ids: list[int]) -> list[Course | None]:
    """Courses by id in one batch; None where missing or hidden from the viewer."""
    courses = await ctx.loaders.get(CourseByIdLoader).load_many(course_ids)
    return [c if can_see(ctx.viewer, c) else None for c in courses]


async def get_all(ctx: Context, *, university_id: int | None = None, page: PageArgs) -> Page:
    """Courses in id order, optionally of one university (codelabs have their own list)."""
    query = select(Course).where(Course.kind == "COURSE")
    if university_id is not None:
        query = query.where(Course.university_id == university_id)
    result = await paginate(ctx, query.where(visible_rule(ctx.viewer)), Course.id, page)
    loader = ctx.loaders.get(CourseByIdLoader)
    for course in result.items:
        loader.prime(course.id, course)
    return result


async def _check_references(session: AsyncSession, values: dict[str, Any]) -> None:
    """University, department and subject must exist; the department must be the
    university's (a department alone implies its university)."""
    university_id = values.get("university_id")
    department_id = values.get("department_id")
    subject_id = values.get("primary_subject_id")
    if university_id is not None and await session.get(University, university_id) is None:
        raise Validation(f"University {university_id} does not exist",
                         details={"field": "university_id"})
    if department_id is not None:
        department = await session.get(Department, department_id)
        if department is None:
            raise Validation(f"Department {department_id} does not exist",
                             details={"field": "department_id"})
        if university_id is None:
            values["university_id"] = department.university_id
        elif department.university_id != university_id:
            raise Validation(f"Department {department_id} does not belong to university "
                             f"{university_id}", details={"field": "department_id"})
    if subject_id is not None and await session.get(Subject, subject_id) is None:
        raise Validation(f"Subject {subject_id} does not exist",
                         details={"field": "primary_subject_id"})


def _check_credit_hours(values: dict[str, Any]) -> None:
    if values.get("credit_hours") is not None and values["credit_hours"] < 0:
        raise Validation("credit_hours must be >= 0", details={"field": "credit_hours"})


async def create(ctx: Context, *, fields: dict[str, Any]) -> Course:
    """A new course, created by the viewer (instructors and platform admins)."""
    ctx.viewer.require_role(ROLE_INSTRUCTOR)
    _check_credit_hours(fields)
    values = dict(fields)
    async with ctx.db.transaction() as session:
        await _check_references(session, values)
        course = Course(**values, created_by_id=ctx.viewer.user_id)
        session.add(course)
        await session.flush()
        await session.refresh(course)
    return course


async def update(ctx: Context, *, course_id: int, changes: dict[str, Any]) -> Course:
    """Change some of a course's fields (its creator or a platform admin)."""
    ctx.viewer.require_role(ROLE_INSTRUCTOR)
    reject_nulls(Course, changes)
    _check_credit_hours(changes)
    async with ctx.db.transaction() as session:
        course = await get_row(session, Course, course_id, COURSE_NOT_FOUND, lock=True)
        require_owner(ctx.viewer, course)
        references = {k: changes.get(k, getattr(course, k))
                      for k in ("university_id", "department_id", "primary_subject_id")}
        if changes.get("department_id") is not None and "university_id" not in changes:
            references["university_id"] = None
        if any(k in changes for k in references):
            await _check_references(session, references)
            changes = {**changes, "university_id": references["university_id"]}
        apply(course, changes)
        await session.flush()
        await session.refresh(course)
    return course


async def delete(ctx: Context, *, course_id: int) -> None:
    """Delete a course with its offerings, enrollments and module tree."""
    ctx.viewer.require_role(ROLE_INSTRUCTOR)
    async with ctx.db.transaction() as session:
        course = await get_row(session, Course, course_id, COURSE_NOT_FOUND, lock=True)
        require_owner(ctx.viewer, course)
        await session.delete(course)


# --- offerings ----------------------------------------------------------------------


def offering_list_rule(viewer: Viewer):
    """``offering_visible`` as a SQL condition on offerings (None: every offering), for
    planned reads."""
    return None if can_author(viewer) else CourseOffering.visibility == "PUBLIC"


def offering_visible(viewer: Viewer, offering: CourseOffering) -> bool:
    """Students see PUBLIC offerings in lists; UNLISTED and PRIVATE ones are for authors."""
    return offering.visibility == "PUBLIC" or can_author(viewer)


def offering_reachable(viewer: Viewer, offering: CourseOffering) -> bool:
    """By id, UNLISTED offerings are open like PUBLIC ones; PRIVATE ones are for authors."""
    return offering.visibility != "PRIVATE" or can_author(viewer)


async def enrolled_offering_ids(ctx: Context) -> frozenset[int]:
    """The offerings the viewer has an enrollment in, any status (one batched read)."""
    if ctx.viewer.user_id is None:
        return frozenset()
    rows = await ctx.loaders.get(EnrollmentsByUserIdLoader).load(ctx.viewer.user_id)
    return frozenset(e.course_offering_id for e in rows)


async def get_offerings(ctx: Context, *, course_id: int, page: PageArgs) -> Page:
    """A course's offerings in id order, by the course's id (a course the viewer may see,
    ``get``)."""
    await get(ctx, course_id=course_id)
    return await offerings_of(ctx, course_id=course_id, page=page)


async def offerings_of(ctx: Context, *, course_id: int, page: PageArgs) -> Page:
    """``get_offerings`` of a course the viewer has already reached (they follow it, as
    ``stats_of`` says), one batched read for many courses."""
    rows = await ctx.loaders.get(CourseOfferingsByCourseIdLoader).load(course_id)
    visible = [o for o in rows if offering_visible(ctx.viewer, o)]
    return page_in_memory(visible, ("id",), page)


async def get_offerings_many(ctx: Context, *, ids: list[int]) -> list[CourseOffering | None]:
    """Offerings by id in one batch; None where missing or hidden from the viewer: the
    offering's course must be visible and the offering not PRIVATE (authors see all), or
    the viewer has an enrollment in it."""
    rows = await ctx.loaders.get(CourseOfferingByIdLoader).load_many(ids)
    present = [r for r in rows if r is not None]
    seen = await get_visible_many(ctx, course_ids=[r.course_id for r in present])
    open_ids = {r.id for r, c in zip(present, seen, strict=True)
                if c is not None and offering_reachable(ctx.viewer, r)}
    enrolled = (await enrolled_offering_ids(ctx)
                if any(r.id not in open_ids for r in present) else frozenset())
    return [r if r is not None and (r.id in open_ids or r.id in enrolled) else None
            for r in rows]


async def get_offering(ctx: Context, *, offering_id: int) -> CourseOffering:
    """An offering the viewer may reach by id (see ``get_offerings_many``), or NotFound."""
    offering = (await get_offerings_many(ctx, ids=[offering_id]))[0]
    if offering is None:
        raise NotFound("Course offering not found")
    return offering


async def get_course_of(ctx: Context, *, offering: CourseOffering) -> Course:
    """The course an offering (already reached by the viewer) runs: visible as ``get``
    decides, or because the viewer has an enrollment in that offering; NotFound otherwise."""
    course = await ctx.loaders.get(CourseByIdLoader).load(offering.course_id)
    if course is not None and (can_see(ctx.viewer, course)
                               or offering.id in await enrolled_offering_ids(ctx)):
        return course
    raise NotFound(COURSE_NOT_FOUND)


def _as_utc(value: datetime) -> datetime:
    """A datetime without an offset is taken as UTC, whichever face sent it."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _ordered(values: dict[str, Any], start: str, end: str) -> None:
    first: datetime | None = values.get(start)
    last: datetime | None = values.get(end)
    if first is not None and last is not None and last <= first:
        raise Validation(f"{end} must be after {start}", details={"field": end})


async def create_offering(ctx: Context, *, course_id: int,
                          fields: dict[str, Any]) -> CourseOffering:
    """A new term of a course (its creator or a platform admin)."""
    ctx.viewer.require_role(ROLE_INSTRUCTOR)
    fields = {k: _as_utc(v) if isinstance(v, datetime) else v for k, v in fields.items()}
    _ordered(fields, "starts_at", "ends_at")
    _ordered(fields, "enrollment_start", "enrollment_end")
    async with ctx.db.transaction() as session:
        course = await get_row(session, Course, course_id, COURSE_NOT_FOUND)
        require_owner(ctx.viewer, course)
        offering = CourseOffering(course_id=course_id, **fields)
        session.add(offering)
        await session.flush()
        await session.refresh(offering)
    return offering


def may_see_stats(viewer: Viewer) -> bool:
    """Course statistics are for signed-in viewers (the reference's stats need a token)."""
    return viewer.user_id is not None


def enrollments_count_sql(status: str | None = None):
    """How many enrollments the course's offerings have (in ``status``), as SQL over the
    courses table: ``get_stats``' counts, for planned reads."""
    query = (select(func.count()).select_from(Enrollment).join(CourseOffering)
             .where(CourseOffering.course_id == Course.id))
    if status is not None:
        query = query.where(Enrollment.status == status)
    return query.scalar_subquery()


# ``get_stats``' average rating and completion rate as SQL over the courses table.
AVERAGE_RATING_SQL = (select(func.round(func.avg(CourseReview.rating).cast(Numeric), 2))
                      .where(CourseReview.course_id == Course.id).scalar_subquery())
COMPLETION_RATE_SQL = rate_sql(enrollments_count_sql("COMPLETED"), enrollments_count_sql())


async def get_stats(ctx: Context, *, course_id: int) -> dict[str, Any]:
    """Counts for a course: offerings, enrollments by status, modules, content, ratings.

    ``completion_rate`` is the percentage of the course's enrollments that are
    COMPLETED (two decimals; 0.0 without enrollments). Signed-in viewers only, on
    every face (the reference's stats endpoint needs a token). By id, the course must be
    one the viewer may see (``get``).
    """
    if not may_see_stats(ctx.viewer):
        ctx.viewer.require_user()
    await get(ctx, course_id=course_id)
    return await stats_of(ctx, course_id=course_id)


async def stats_of(ctx: Context, *, course_id: int) -> dict[str, Any]:
    """``get_stats`` of a course the viewer has already reached (by id, in a list, or
    through an offering they are enrolled in, ``get_course_of``): what a course holds
    follows the course (its counts here, its offerings in ``offerings_of``, its tree in
    ``modules.roots_of``), so whoever reads the course reads them (the counts: signed in),
    without deciding its visibility again. This is the rule of planned reads too (a row
    reached through a visible parent is visible)."""
    if not may_see_stats(ctx.viewer):
        ctx.viewer.require_user()
    row = await ctx.loaders.get(CourseStatsByIdLoader).load(course_id)
    by_status = {status: int(row["enrollments_by_status"].get(status, 0))
                 for status in ENROLLMENT_STATUSES}
    total = sum(by_status.values())
    average = row["average_rating"]
    return {
        "course_id": course_id,
        "offerings_count": row["offerings_count"],
        "total_enrollments": total,
        "active_enrollments": by_status["ACTIVE"],
        "enrollments_by_status": by_status,
        "modules_count": row["modules_count"],
        "content_items_count": row["content_items_count"],
        "average_rating": float(average) if average is not None else None,
        "review_count": row["review_count"],
        "completion_rate": rate(by_status["COMPLETED"], total),
    }
