"""Feedback: each attendee rates a codelab once (difficulty and satisfaction, 1 to 5)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.context import Context
from core.errors import Conflict, Validation
from models.codelab import CodelabAttendee, CodelabFeedback
from resolvers import codelabs
from resolvers.catalog import is_unique_violation

COMMENT_MAX = 2000
ALREADY_GIVEN = "Feedback already submitted"


def _score(name: str, value: int) -> int:
    if not 1 <= value <= 5:
        raise Validation(f"{name} must be between 1 and 5", details={"field": name})
    return value


@dataclass(frozen=True)
class Feedback:
    """Feedback with the attendee who gave it."""

    row: CodelabFeedback
    attendee_user_id: uuid.UUID


async def create(ctx: Context, *, codelab_id: int, difficulty: int, satisfaction: int,
                 comment: str | None) -> Feedback:
    """The viewer's feedback on the codelab it attends; a second one is Conflict."""
    view = await codelabs.get(ctx, codelab_id=codelab_id)
    attendee = await codelabs.require_attendee(ctx, view)
    row = CodelabFeedback(course_id=codelab_id, attendee_id=attendee.enrollment_id,
                          difficulty=_score("difficulty", difficulty),
                          satisfaction=_score("satisfaction", satisfaction),
                          comment=(comment or "").strip() or None)
    if row.comment and len(row.comment) > COMMENT_MAX:
        raise Validation(f"comment must be at most {COMMENT_MAX} characters",
                         details={"field": "comment"})
    try:
        async with ctx.db.transaction() as session:
            session.add(row)
            await session.flush()
            await session.refresh(row)
    except IntegrityError as exc:
        if is_unique_violation(exc):
            raise Conflict(ALREADY_GIVEN) from None
        raise
    return Feedback(row=row, attendee_user_id=attendee.user_id)


async def get_all(ctx: Context, *, codelab_id: int) -> list[Feedback]:
    """A codelab's feedback, newest first (its facilitators)."""
    await codelabs.get_for_facilitator(ctx, codelab_id=codelab_id)
    async with ctx.db.session() as session:
        rows = (await session.execute(
            select(CodelabFeedback, CodelabAttendee.user_id)
            .join(CodelabAttendee, CodelabAttendee.enrollment_id == CodelabFeedback.attendee_id)
            .where(CodelabFeedback.course_id == codelab_id)
            .order_by(CodelabFeedback.created_at.desc(), CodelabFeedback.id.desc()))).all()
    return [Feedback(row=r, attendee_user_id=u) for r, u in rows]
