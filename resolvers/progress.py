"""A learner's progress: module and content progress per offering, quiz attempts, labs.

Progress belongs to the viewer and to one course offering they are enrolled in;
the module or content item must be part of that offering's course. Every write
is logged as learning activity, which advances the viewer's streak.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.viewer import ROLE_INSTRUCTOR
from core.context import Context
from core.errors import Forbidden, NotFound, Validation
from core.planning import VIEWER_ID
from loaders.catalog import ContentItemByIdLoader, CourseByIdLoader, CourseOfferingByIdLoader
from loaders.learning import (
    ContentProgressByIdLoader,
    LabSubmissionByIdLoader,
    ModuleProgressByIdLoader,
    ModuleProgressByUserIdLoader,
    QuizAttemptByIdLoader,
)
from models.course import ContentItem, ContentType, Course, CourseOffering, Enrollment, Module
from models.learning import ContentProgress, LabSubmission, ModuleProgress, QuizAttempt
from resolvers.access import ENROLLED_STATUSES, self_or_admin_rule
from resolvers.activity import record_activity, visible_to_viewer
from resolvers.catalog import locked_row
from resolvers.content import valid_pass_mark
from resolvers.courses import require_owner
from resolvers.pages import Page, page_by_id, page_list

DEFAULT_PASS_MARK = 60


def check_percent(value: int | float, field: str) -> None:
    if not 0 <= value <= 100:
        raise Validation(f"{field} must be between 0 and 100", details={"field": field})


async def _enrolled_offering(session: AsyncSession, user_id: uuid.UUID,
                             offering_id: int) -> CourseOffering:
    """The offering, when the user is enrolled in it (ACTIVE or COMPLETED)."""
    offering = await session.get(CourseOffering, offering_id)
    if offering is None:
        raise NotFound("Course offering not found")
    enrolled = (await session.execute(select(Enrollment.id).where(
        Enrollment.user_id == user_id, Enrollment.course_offering_id == offering_id,
        Enrollment.status.in_(ENROLLED_STATUSES)))).first()
    if enrolled is None:
        raise Forbidden("You are not enrolled in this course offering")
    return offering


async def _content_item(session: AsyncSession, item_id: int,
                        offering: CourseOffering) -> tuple[ContentItem, ContentType]:
    row = (await session.execute(
        select(ContentItem, ContentType).join(ContentType,
                                              ContentType.id == ContentItem.content_type_id)
        .where(ContentItem.id == item_id))).first()
    if row is None:
        raise NotFound("Content item not found")
    if row[0].course_id != offering.course_id:
        raise Validation("Content item does not belong to this course offering's course")
    return row[0], row[1]


def _completed(percent: int, completed_at: datetime | None,
               previous: datetime | None) -> datetime | None:
    if completed_at is not None:
        return completed_at
    return (previous or datetime.now(UTC)) if percent == 100 else None


async def upsert_module_progress(ctx: Context, *, module_id: int, course_offering_id: int,
                                 progress_percent: int,
                                 completed_at: datetime | None = None) -> ModuleProgress:
    """Create or update the viewer's progress on a module; 100% marks it completed."""
    user_id = ctx.viewer.require_user()
    check_percent(progress_percent, "progress_percent")
    async with ctx.db.transaction() as session:
        offering = await _enrolled_offering(session, user_id, course_offering_id)
        module = await session.get(Module, module_id)
        if module is None:
            raise NotFound("Module not found")
        if module.course_id != offering.course_id:
            raise Validation("Module does not belong to this course offering's course")
        row = await locked_row(session, ModuleProgress, {
            "user_id": user_id, "module_id": module_id,
            "course_offering_id": course_offering_id}, ("user_id", "module_id",
                                                        "course_offering_id"))
        row.progress_percent = progress_percent
        row.completed_at = _completed(progress_percent, completed_at, row.completed_at)
        await record_activity(session, user_id, "MODULE_PROGRESS", course_id=module.course_id,
                              module_id=module.id,
                              summary=f"{module.title}: {progress_percent}%")
        await session.flush()
        await session.refresh(row)
    return row


async def upsert_content_progress(ctx: Context, *, content_item_id: int, course_offering_id: int,
                                  progress_percent: int, completed_at: datetime | None = None,
                                  time_spent_seconds: int = 0) -> ContentProgress:
    """Create or update the viewer's progress on a content item; time spent accumulates."""
    user_id = ctx.viewer.require_user()
    check_percent(progress_percent, "progress_percent")
    if time_spent_seconds < 0:
        raise Validation("time_spent_seconds must not be negative",
                         details={"field": "time_spent_seconds"})
    async with ctx.db.transaction() as session:
        offering = await _enrolled_offering(session, user_id, course_offering_id)
        item, _ = await _content_item(session, content_item_id, offering)
        row = await locked_row(session, ContentProgress, {
            "user_id": user_id, "content_item_id": content_item_id,
            "course_offering_id": course_offering_id}, ("user_id", "content_item_id",
                                                        "course_offering_id"))
        row.progress_percent = progress_percent
        row.completed_at = _completed(progress_percent, completed_at, row.completed_at)
        row.time_spent_seconds += time_spent_seconds
        await record_activity(session, user_id, "CONTENT_PROGRESS", course_id=item.course_id,
                              module_id=item.module_id, content_item_id=item.id,
                              summary=f"{item.title}: {progress_percent}%")
        await session.flush()
        await session.refresh(row)
    return row


def _mine(model, user_id: uuid.UUID, course_offering_id: int | None):
    query = select(model).where(model.user_id == user_id)
    if course_offering_id is not None:
        query = query.where(model.course_offering_id == course_offering_id)
    return query


async def _check_offering(session: AsyncSession, course_offering_id: int | None) -> None:
    if course_offering_id is not None and await session.get(
            CourseOffering, course_offering_id) is None:
        raise NotFound("Course offering not found")


async def get_all_module_progress(ctx: Context, *,
                                  course_offering_id: int | None = None) -> list[ModuleProgress]:
    """The viewer's module progress (in one offering when given), oldest first."""
    return await _all_mine(ctx, ModuleProgress, course_offering_id)


async def get_all_content_progress(ctx: Context, *,
                                   course_offering_id: int | None = None) -> list[ContentProgress]:
    """The viewer's content progress (in one offering when given), oldest first."""
    return await _all_mine(ctx, ContentProgress, course_offering_id)


async def _all_mine(ctx: Context, model, course_offering_id: int | None) -> list:
    user_id = ctx.viewer.require_user()
    async with ctx.db.session() as session:
        await _check_offering(session, course_offering_id)
        return list((await session.execute(_mine(model, user_id, course_offering_id)
                                           .order_by(model.id))).scalars())


async def get_module_progress_page(ctx: Context, *, user_id: uuid.UUID | None = None,
                                   course_offering_id: int | None = None,
                                   first: int | None = None, after: str | None = None,
                                   last: int | None = None, before: str | None = None) -> Page:
    """A page of a learner's module progress (the viewer's by default; others: admins),
    batched per request across learners."""
    user_id = user_id or ctx.viewer.require_user()
    if not visible_to_viewer(ctx, user_id):
        raise Forbidden("You can only see your own progress")
    if course_offering_id is not None and await ctx.loaders.get(
            CourseOfferingByIdLoader).load(course_offering_id) is None:
        raise NotFound("Course offering not found")
    rows = await ctx.loaders.get(ModuleProgressByUserIdLoader).load(user_id)
    if course_offering_id is not None:
        rows = [r for r in rows if r.course_offering_id == course_offering_id]
    return page_list(rows, first=first, after=after, last=last, before=before)


async def get_content_progress_page(ctx: Context, *, course_offering_id: int | None = None,
                                    first: int | None = None, after: str | None = None,
                                    last: int | None = None,
                                    before: str | None = None) -> Page:
    """A page of the viewer's content progress."""
    user_id = ctx.viewer.require_user()
    async with ctx.db.session() as session:
        await _check_offering(session, course_offering_id)
        return await page_by_id(session, _mine(ContentProgress, user_id, course_offering_id),
                                ContentProgress.id, first=first, after=after, last=last,
                                before=before)


def _is_kind(content_type: ContentType, kind: str) -> bool:
    return kind in content_type.name.lower()


async def submit_quiz_attempt(ctx: Context, *, content_item_id: int, course_offering_id: int,
                              score: float, answers: Any = None) -> QuizAttempt:
    """Record a quiz attempt; it passes at ``data_json.pass_mark`` (default 60, also when
    the stored pass mark is not a number from 0 to 100)."""
    user_id = ctx.viewer.require_user()
    check_percent(score, "score")
    async with ctx.db.transaction() as session:
        offering = await _enrolled_offering(session, user_id, course_offering_id)
        item, content_type = await _content_item(session, content_item_id, offering)
        if not _is_kind(content_type, "quiz"):
            raise Validation("Content item is not a quiz")
        pass_mark = (item.data_json or {}).get("pass_mark", DEFAULT_PASS_MARK)
        if not valid_pass_mark(pass_mark):
            # Stored before pass marks were checked: no usable pass mark, the default holds.
            pass_mark = DEFAULT_PASS_MARK
        attempt = QuizAttempt(user_id=user_id, content_item_id=item.id,
                              course_offering_id=offering.id, score=Decimal(str(score)),
                              passed=score >= float(pass_mark),
                              answers=answers if answers is not None else {})
        session.add(attempt)
        await record_activity(session, user_id, "QUIZ_ATTEMPT", course_id=item.course_id,
                              module_id=item.module_id, content_item_id=item.id,
                              summary=f"{item.title}: {score:g}")
        await session.flush()
        await session.refresh(attempt)
    return attempt


async def submit_lab(ctx: Context, *, content_item_id: int, course_offering_id: int,
                     submission: str) -> LabSubmission:
    """Hand in a lab; instructors grade it later."""
    user_id = ctx.viewer.require_user()
    if not submission.strip():
        raise Validation("submission must not be empty", details={"field": "submission"})
    async with ctx.db.transaction() as session:
        offering = await _enrolled_offering(session, user_id, course_offering_id)
        item, content_type = await _content_item(session, content_item_id, offering)
        if not _is_kind(content_type, "lab"):
            raise Validation("Content item is not a lab")
        row = LabSubmission(user_id=user_id, content_item_id=item.id,
                            course_offering_id=offering.id, submission=submission)
        session.add(row)
        await record_activity(session, user_id, "LAB_SUBMISSION", course_id=item.course_id,
                              module_id=item.module_id, content_item_id=item.id,
                              summary=item.title)
        await session.flush()
        await session.refresh(row)
    return row


async def grade_lab_submission(ctx: Context, *, submission_id: int, score: float,
                               feedback: str = "") -> LabSubmission:
    """Grade a lab submission 0–100 with feedback (the owner of its course, or a platform
    admin)."""
    ctx.viewer.require_role(ROLE_INSTRUCTOR)
    check_percent(score, "score")
    async with ctx.db.transaction() as session:
        row = await session.get(LabSubmission, submission_id, with_for_update=True)
        if row is None:
            raise NotFound("Lab submission not found")
        item = await session.get(ContentItem, row.content_item_id)
        require_owner(ctx.viewer, await session.get(Course, item.course_id))
        row.score, row.feedback = Decimal(str(score)), feedback
        row.status, row.graded_at = "GRADED", datetime.now(UTC)
        await session.flush()
        await session.refresh(row)
    return row


def lab_rule(viewer):
    """Who reads a lab submission by id (``get_many``): its learner, admins, and the
    instructor who owns its course, as a SQL condition on submissions."""
    own = self_or_admin_rule(LabSubmission)(viewer)
    if not viewer.has_role(ROLE_INSTRUCTOR) or viewer.user_id is None:
        return own
    return or_(own, LabSubmission.content_item_id.in_(
        select(ContentItem.id).join(Course, Course.id == ContentItem.course_id)
        .where(Course.created_by_id == VIEWER_ID)))


async def _of_owned_courses(ctx: Context, rows: list[LabSubmission]) -> set[int]:
    """The ids of those ``rows`` whose course the viewer owns (two batched reads)."""
    if not rows or not ctx.viewer.has_role(ROLE_INSTRUCTOR):
        return set()
    items = await ctx.loaders.get(ContentItemByIdLoader).load_many(
        [r.content_item_id for r in rows])
    found = await ctx.loaders.get(CourseByIdLoader).load_many(
        [i.course_id if i is not None else -1 for i in items])
    return {r.id for r, c in zip(rows, found, strict=True)
            if c is not None and c.created_by_id == ctx.viewer.user_id}


async def get_many(ctx: Context, *, kind: str, ids: list[int | None]) -> list[Any]:
    """Progress rows, attempts or submissions by id; None where missing or not visible.

    A lab submission is also visible to the owner of its course."""
    loader_class = {"module": ModuleProgressByIdLoader, "content": ContentProgressByIdLoader,
                    "quiz": QuizAttemptByIdLoader, "lab": LabSubmissionByIdLoader}[kind]
    wanted = [i for i in ids if i is not None]
    found = dict(zip(wanted, await ctx.loaders.get(loader_class).load_many(wanted), strict=True))
    rows = [found.get(i) if i is not None else None for i in ids]
    others = [r for r in rows if r is not None and not visible_to_viewer(ctx, r.user_id)]
    owned = await _of_owned_courses(ctx, others) if kind == "lab" else set()

    def visible(row) -> bool:
        return visible_to_viewer(ctx, row.user_id) or row.id in owned

    return [r if r is not None and visible(r) else None for r in rows]
