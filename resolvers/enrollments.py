"""Enrollments: a learner joins a course offering, and the enrollment's status changes.

Self-enrollment is open while the offering's enrollment window is (a null
bound is open on that side) and never for PRIVATE offerings. The unique
(user, offering) constraint decides "already enrolled", so two concurrent
requests cannot both enroll.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import false, select, true
from sqlalchemy.dialects.postgresql import insert

from core.auth.viewer import ROLE_INSTRUCTOR
from core.context import Context
from core.errors import Conflict, Forbidden, NotFound, Validation
from core.planning import VIEWER_ID
from loaders.catalog import (
    CourseByIdLoader,
    CourseOfferingByIdLoader,
    EnrollmentByIdLoader,
    EnrollmentsByUserIdLoader,
)
from loaders.user import UserByIdLoader
from models.course import ENROLLMENT_STATUSES, Course, CourseOffering, Enrollment
from resolvers.catalog import PageArgs, get_row, page_in_memory
from resolvers.courses import can_author, can_see, require_owner
from resolvers.pages import Page

OFFERING_NOT_FOUND = "Course offering not found"


@dataclass
class EnrollmentView:
    """An enrollment with what its listing shows: the offering, its course, the user's number."""

    enrollment: Enrollment
    offering: CourseOffering
    course: Course
    user_number: int


def can_see_enrollment(ctx: Context, enrollment: Enrollment | None) -> bool:
    """Learners see their own enrollments; instructors and platform admins see all."""
    return enrollment is not None and (enrollment.user_id == ctx.viewer.user_id
                                       or can_author(ctx.viewer))


def visible_rule(viewer):
    """``can_see_enrollment`` as a SQL condition on enrollments, for planned reads."""
    if can_author(viewer):
        return true()
    return Enrollment.user_id == VIEWER_ID if viewer.user_id is not None else false()


def mine_rule(viewer):
    """The viewer's own enrollments (``get_mine``), as a SQL condition."""
    return Enrollment.user_id == VIEWER_ID if viewer.user_id is not None else false()


async def get(ctx: Context, *, enrollment_id: int) -> Enrollment:
    """An enrollment the viewer may see, or NotFound."""
    enrollment = await ctx.loaders.get(EnrollmentByIdLoader).load(enrollment_id)
    if not can_see_enrollment(ctx, enrollment):
        raise NotFound("Enrollment not found")
    return enrollment


async def get_many(ctx: Context, *, ids: list[int]) -> list[Enrollment | None]:
    """Enrollments by id in one batch; None where missing or not the viewer's to see."""
    rows = await ctx.loaders.get(EnrollmentByIdLoader).load_many(ids)
    return [r if can_see_enrollment(ctx, r) else None for r in rows]


async def get_all_for_user(ctx: Context, *, user_id: uuid.UUID, page: PageArgs) -> Page:
    """A user's enrollments in the order they were made (the user or a platform admin),
    batched per request across users."""
    if ctx.viewer.require_user() != user_id and not ctx.viewer.is_admin:
        raise Forbidden("You can only see your own enrollments")
    rows = await ctx.loaders.get(EnrollmentsByUserIdLoader).load(user_id)
    result = page_in_memory(rows, ("id",), page)
    loader = ctx.loaders.get(EnrollmentByIdLoader)
    for enrollment in result.items:
        loader.prime(enrollment.id, enrollment)
    return result


async def get_mine(ctx: Context, *, page: PageArgs) -> Page:
    """The viewer's enrollments in the order they were made."""
    return await get_all_for_user(ctx, user_id=ctx.viewer.require_user(), page=page)


async def views(ctx: Context, *, enrollments: list[Enrollment]) -> list[EnrollmentView]:
    """Enrollments with their offering, course and user number, in three batched reads."""
    offerings = await ctx.loaders.get(CourseOfferingByIdLoader).load_many(
        [e.course_offering_id for e in enrollments])
    found_courses = await ctx.loaders.get(CourseByIdLoader).load_many(
        [o.course_id for o in offerings])
    users = await ctx.loaders.get(UserByIdLoader).load_many([e.user_id for e in enrollments])
    return [EnrollmentView(enrollment=e, offering=o, course=c, user_number=u.number)
            for e, o, c, u in zip(enrollments, offerings, found_courses, users, strict=True)]


LEARNER_STATUSES = ("DROPPED",)


async def enroll(ctx: Context, *, course_offering_id: int) -> Enrollment:
    """Enroll the viewer in an offering whose enrollment window is open.

    A learner who dropped the offering enrolls again this way (same checks): their
    enrollment becomes ACTIVE again. One the staff withdrew stays withdrawn (Forbidden);
    any other existing enrollment is a Conflict.
    """
    user_id = ctx.viewer.require_user()
    async with ctx.db.transaction() as session:
        offering = await get_row(session, CourseOffering, course_offering_id, OFFERING_NOT_FOUND)
        if not can_see(ctx.viewer, await session.get(Course, offering.course_id)):
            raise NotFound(OFFERING_NOT_FOUND)
        if offering.visibility == "PRIVATE":
            raise Forbidden("This offering is private: learners cannot enroll themselves")
        now = datetime.now(UTC)
        if offering.enrollment_start is not None and now < offering.enrollment_start:
            raise Validation("Enrollment for this offering has not opened yet")
        if offering.enrollment_end is not None and now >= offering.enrollment_end:
            raise Validation("Enrollment for this offering has closed")
        statement = (insert(Enrollment)
                     .values(user_id=user_id, course_offering_id=offering.id, status="ACTIVE")
                     .on_conflict_do_nothing(constraint="uq_enrollments_user_offering")
                     .returning(Enrollment))
        enrollment = (await session.scalars(statement)).one_or_none()
        if enrollment is None:
            enrollment = (await session.execute(
                select(Enrollment).where(Enrollment.user_id == user_id,
                                         Enrollment.course_offering_id == offering.id)
                .with_for_update().execution_options(populate_existing=True))).scalar_one()
            if enrollment.status == "WITHDRAWN":
                raise Forbidden("You were withdrawn from this offering: only its course's "
                                "instructor can enroll you again")
            if enrollment.status != "DROPPED":
                raise Conflict("Already enrolled")
            enrollment.status, enrollment.completed_at = "ACTIVE", None
            await session.flush()
            await session.refresh(enrollment)
    return enrollment


async def update_status(ctx: Context, *, enrollment_id: int, status: str) -> Enrollment:
    """Change an enrollment's status; COMPLETED stamps ``completed_at``, any other status
    clears it.

    The owner of the offering's course and platform admins set any status. A learner
    may only drop their own enrollment (to rejoin they ``enroll`` again, which applies
    its checks); anyone else is Forbidden.
    """
    ctx.viewer.require_user()
    if status not in ENROLLMENT_STATUSES:
        raise Validation(f"status must be one of {', '.join(ENROLLMENT_STATUSES)}")
    async with ctx.db.transaction() as session:
        enrollment = await get_row(session, Enrollment, enrollment_id, "Enrollment not found",
                                   lock=True)
        offering = await session.get(CourseOffering, enrollment.course_offering_id)
        course = await session.get(Course, offering.course_id)
        own = enrollment.user_id == ctx.viewer.user_id
        staff = ctx.viewer.is_admin or (ctx.viewer.has_role(ROLE_INSTRUCTOR)
                                        and course.created_by_id == ctx.viewer.user_id)
        if not staff:
            if own:
                if status not in LEARNER_STATUSES:
                    raise Forbidden("You can only drop your own enrollment; to rejoin, "
                                    "enroll again")
            elif can_author(ctx.viewer):
                require_owner(ctx.viewer, course)
            else:
                raise Forbidden("You can only change your own enrollments")
        if status != enrollment.status:
            enrollment.status = status
            enrollment.completed_at = datetime.now(UTC) if status == "COMPLETED" else None
        await session.flush()
        await session.refresh(enrollment)
    return enrollment
