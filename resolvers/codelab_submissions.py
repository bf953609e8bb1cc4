"""Assignment submissions: files an attendee hands in for a codelab.

An attendee submits for themselves (at most ``PER_ATTENDEE_MAX`` files); the
codelab's facilitators see every submission and an attendee their own
(``visible_rule``, one rule for the general path and planned reads); the attendee or a
facilitator deletes one, with its stored file.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, or_, select

from core.auth.viewer import Viewer
from core.context import Context
from core.errors import Forbidden, NotFound, Validation
from core.planning import VIEWER_ID, stored_file_url, viewer_params
from loaders.user import UserByIdLoader
from models.codelab import CodelabAttendee
from models.codelab_files import CodelabSubmission
from models.course import Course
from models.user import User
from resolvers import codelab_uploads, codelabs

PER_ATTENDEE_MAX = 20
SUBMISSION_NOT_FOUND = "Submission not found"


@dataclass(frozen=True)
class Submission:
    """A submission with who handed it in."""

    row: CodelabSubmission
    attendee_user_id: uuid.UUID
    attendee_name: str

    @property
    def id(self) -> int:
        return self.row.id


async def create(ctx: Context, *, codelab_id: int, attendee_user_id: uuid.UUID,
                 name: str | None, data: bytes) -> Submission:
    """Hand in a file (the attendee named, for themselves)."""
    view = await codelabs.get(ctx, codelab_id=codelab_id)
    attendee = await codelabs.require_attendee(ctx, view)
    if attendee.user_id != attendee_user_id:
        raise Forbidden("Attendees can only submit their own work")
    found = await codelab_uploads.sniff(name=name, data=data)
    key = f"codelabs/submissions/{codelab_id}/{uuid.uuid4().hex}.{found.extension}"
    await ctx.storage.save(key, data)
    try:
        async with ctx.db.transaction() as session:
            await session.get(CodelabAttendee, attendee.enrollment_id, with_for_update=True)
            count = (await session.execute(select(func.count()).where(
                CodelabSubmission.attendee_id == attendee.enrollment_id))).scalar_one()
            if count >= PER_ATTENDEE_MAX:
                raise Validation(f"An attendee can hand in at most {PER_ATTENDEE_MAX} files",
                                 details={"field": "file"})
            row = CodelabSubmission(course_id=codelab_id, attendee_id=attendee.enrollment_id,
                                    file_name=found.original_name,
                                    content_type=found.content_type, file_size=len(data),
                                    storage_key=key)
            session.add(row)
            await session.flush()
            await session.refresh(row)
    except BaseException:
        await ctx.storage.delete(key)
        raise
    user = await ctx.loaders.get(UserByIdLoader).load(attendee.user_id)
    return Submission(row=row, attendee_user_id=attendee.user_id,
                      attendee_name=user.display_name if user else "")


def visible_rule(viewer: Viewer):
    """Which submissions the viewer sees (all of a codelab's for its facilitators, an
    attendee's own), as a SQL condition on submissions: ``get_all`` reads by it, and
    planned reads."""
    run = select(Course.id).where(Course.id == CodelabSubmission.course_id,
                                  codelabs.facilitate_rule(viewer)).exists()
    if viewer.user_id is None:
        return run
    own = select(CodelabAttendee.enrollment_id).where(CodelabAttendee.user_id == VIEWER_ID) \
        .correlate(None).scalar_subquery()
    return or_(run, CodelabSubmission.attendee_id == own)


async def get_all(ctx: Context, *, codelab_id: int) -> list[Submission]:
    """Submissions in the order handed in: all of them for the codelab's facilitators,
    their own for an attendee (``visible_rule``)."""
    view = await codelabs.get(ctx, codelab_id=codelab_id)
    await codelabs.require_member(ctx, view)
    async with ctx.db.session() as session:
        rows = (await session.execute(
            select(CodelabSubmission, CodelabAttendee.user_id, User.display_name)
            .join(CodelabAttendee,
                  CodelabAttendee.enrollment_id == CodelabSubmission.attendee_id)
            .join(User, User.id == CodelabAttendee.user_id)
            .where(CodelabSubmission.course_id == codelab_id, visible_rule(ctx.viewer))
            .order_by(CodelabSubmission.id), viewer_params(ctx.viewer))).all()
    return [Submission(row=r, attendee_user_id=u, attendee_name=n) for r, u, n in rows]


async def delete(ctx: Context, *, codelab_id: int, submission_id: int,
                 attendee_user_id: uuid.UUID | None = None) -> None:
    """Delete a submission and its file (the attendee who handed it in, or a
    facilitator); ``attendee_user_id``, when given, must be who handed it in."""
    view = await codelabs.get(ctx, codelab_id=codelab_id)
    await codelabs.require_member(ctx, view)
    async with ctx.db.transaction() as session:
        found = (await session.execute(
            select(CodelabSubmission, CodelabAttendee.user_id)
            .join(CodelabAttendee,
                  CodelabAttendee.enrollment_id == CodelabSubmission.attendee_id)
            .where(CodelabSubmission.id == submission_id,
                   CodelabSubmission.course_id == codelab_id)
            .with_for_update(of=CodelabSubmission))).one_or_none()
        if found is None or attendee_user_id not in (None, found[1]):
            raise NotFound(SUBMISSION_NOT_FOUND)
        row, owner = found
        if owner != ctx.viewer.user_id and not codelabs.can_facilitate(ctx.viewer,
                                                                          view.course):
            raise Forbidden("Attendees can only delete their own submissions")
        key = row.storage_key
        await session.delete(row)
    await ctx.storage.delete(key)


def file_url(ctx: Context, row: CodelabSubmission) -> str:
    """Where a submission's file is served."""
    return ctx.storage.url(row.storage_key)


def file_url_value():
    """``file_url`` as a SQL expression on submissions."""
    return stored_file_url(CodelabSubmission.storage_key)
