"""Help requests: an attendee raises a hand on a step; a facilitator resolves it.

Creating one publishes a ``help_request`` event on the codelab's topic, which
the live room and the GraphQL subscription deliver to every instance.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update

from core.context import Context
from core.errors import NotFound, Validation
from models.codelab import CodelabAttendee, CodelabHelpRequest
from models.user import User
from resolvers import codelab_audit, codelabs

STEP_MAX = 10_000
HELP_NOT_FOUND = "Help request not found"


@dataclass(frozen=True)
class HelpRequest:
    """A help request with who asked."""

    row: CodelabHelpRequest
    attendee_user_id: uuid.UUID
    attendee_name: str


async def create(ctx: Context, *, codelab_id: int, step_number: int) -> CodelabHelpRequest:
    """Ask for help on a step (the codelab's attendees)."""
    view = await codelabs.get(ctx, codelab_id=codelab_id)
    attendee = await codelabs.require_attendee(ctx, view)
    if not 1 <= step_number <= STEP_MAX:
        raise Validation(f"step_number must be between 1 and {STEP_MAX}",
                         details={"field": "step_number"})
    async with ctx.db.transaction() as session:
        row = CodelabHelpRequest(course_id=codelab_id, attendee_id=attendee.enrollment_id,
                                 step_number=step_number)
        session.add(row)
        await session.flush()
        await session.refresh(row)
    await ctx.broker.publish(codelabs.topic(codelab_id), {
        "type": "help_request", "attendee_user_id": str(attendee.user_id),
        "step_number": step_number})
    return row


async def get_pending(ctx: Context, *, codelab_id: int) -> list[HelpRequest]:
    """A codelab's unresolved help requests, newest first (its facilitators and
    attendees)."""
    view = await codelabs.get(ctx, codelab_id=codelab_id)
    await codelabs.require_member(ctx, view)
    async with ctx.db.session() as session:
        rows = (await session.execute(
            select(CodelabHelpRequest, CodelabAttendee.user_id, User.display_name)
            .join(CodelabAttendee,
                  CodelabAttendee.enrollment_id == CodelabHelpRequest.attendee_id)
            .join(User, User.id == CodelabAttendee.user_id)
            .where(CodelabHelpRequest.course_id == codelab_id,
                   CodelabHelpRequest.status == "pending")
            .order_by(CodelabHelpRequest.created_at.desc(),
                      CodelabHelpRequest.id.desc()))).all()
    return [HelpRequest(row=r, attendee_user_id=u, attendee_name=n) for r, u, n in rows]


async def resolve(ctx: Context, *, codelab_id: int, help_id: int) -> None:
    """Mark a help request of this codelab resolved (its facilitators); resolving it again
    changes nothing."""
    await codelabs.get_for_facilitator(ctx, codelab_id=codelab_id)
    async with ctx.db.transaction() as session:
        found = (await session.execute(
            select(CodelabHelpRequest.id).where(CodelabHelpRequest.id == help_id,
                                                CodelabHelpRequest.course_id == codelab_id))
                 ).scalar_one_or_none()
        if found is None:
            raise NotFound(HELP_NOT_FOUND)
        await session.execute(
            update(CodelabHelpRequest)
            .where(CodelabHelpRequest.id == help_id, CodelabHelpRequest.status == "pending")
            .values(status="resolved", resolved_at=datetime.now(UTC)))
        codelab_audit.record(session, ctx, action=codelab_audit.HELP_RESOLVE,
                             codelab_id=codelab_id, target_id=help_id)
