"""Completing a codelab, and the certificate of an attendee who did.

An attendee completes their codelab once its rules are met: with
``require_quiz`` every question of its quiz answered correctly (a quiz with no
questions is met), with ``require_feedback`` their feedback given. Completing
again changes nothing. The certificate is public (it is what a verification
link shows) but exists only for completed attendees.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, update

from core.context import Context
from core.errors import Forbidden, NotFound, Validation
from models.codelab import (
    Codelab,
    CodelabAttendee,
    CodelabFeedback,
    CodelabQuiz,
    CodelabQuizSubmission,
)
from models.course import Course, Enrollment
from models.user import User
from resolvers import codelabs

QUIZ_UNMET = "Answer every quiz question correctly before completing"
FEEDBACK_UNMET = "Give your feedback before completing"


@dataclass(frozen=True)
class Certificate:
    attendee_user_id: uuid.UUID
    attendee_name: str
    codelab_id: int
    codelab_title: str
    author: str
    completed_at: datetime


async def complete(ctx: Context, *, codelab_id: int) -> datetime:
    """Mark the viewer's attendance complete once the codelab's rules are met; answers
    when it was completed."""
    view = await codelabs.get(ctx, codelab_id=codelab_id)
    attendee = await codelabs.require_attendee(ctx, view)
    async with ctx.db.transaction() as session:
        enrollment = await session.get(Enrollment, attendee.enrollment_id, with_for_update=True)
        if enrollment.status == "COMPLETED" and enrollment.completed_at is not None:
            return enrollment.completed_at
        if view.codelab.require_quiz:
            questions = (await session.execute(select(func.count()).select_from(CodelabQuiz)
                                               .where(CodelabQuiz.course_id == codelab_id))
                         ).scalar_one()
            right = (await session.execute(
                select(func.count()).select_from(CodelabQuizSubmission).where(
                    CodelabQuizSubmission.course_id == codelab_id,
                    CodelabQuizSubmission.attendee_id == attendee.enrollment_id,
                    CodelabQuizSubmission.is_correct.is_(True)))).scalar_one()
            if right < questions:
                raise Validation(QUIZ_UNMET, details={"rule": "require_quiz"})
        if view.codelab.require_feedback:
            given = (await session.execute(select(CodelabFeedback.id).where(
                CodelabFeedback.attendee_id == attendee.enrollment_id))).first()
            if given is None:
                raise Validation(FEEDBACK_UNMET, details={"rule": "require_feedback"})
        now = datetime.now(UTC)
        await session.execute(update(Enrollment).where(Enrollment.id == enrollment.id)
                              .values(status="COMPLETED", completed_at=now))
    return now


async def get_certificate(ctx: Context, *, attendee_user_id: uuid.UUID) -> Certificate:
    """The certificate of a completed attendee: NotFound for no such attendee, Forbidden
    before completion."""
    async with ctx.db.session() as session:
        row = (await session.execute(
            select(CodelabAttendee.user_id, User.display_name, Course.id, Course.title,
                   Codelab.author, Enrollment.status, Enrollment.completed_at)
            .join(User, User.id == CodelabAttendee.user_id)
            .join(Course, Course.id == CodelabAttendee.course_id)
            .join(Codelab, Codelab.course_id == Course.id)
            .join(Enrollment, Enrollment.id == CodelabAttendee.enrollment_id)
            .where(CodelabAttendee.user_id == attendee_user_id))).first()
    if row is None:
        raise NotFound("Certificate not found")
    user_id, name, course_id, title, author, status, completed_at = row
    if status != "COMPLETED" or completed_at is None:
        raise Forbidden("The certificate is available once the codelab is completed")
    return Certificate(attendee_user_id=user_id, attendee_name=name, codelab_id=course_id,
                       codelab_title=title, author=author, completed_at=completed_at)
