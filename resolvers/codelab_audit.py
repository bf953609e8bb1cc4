"""The audit log of workshop actions: who did what to which codelab, from where.

Facilitator actions are recorded in the same transaction as the action itself
(``record``), so an entry exists exactly when the action happened. Platform
admins read every entry; an instructor reads the entries of the codelabs they
run and their own; attendees read none.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.viewer import ROLE_INSTRUCTOR
from core.context import Context
from core.errors import Validation
from core.pagination import decode_id_cursor, encode_cursor, page_size
from models.codelab_live import CodelabAuditLog
from models.course import Course
from models.user import User
from resolvers.access import is_staff
from resolvers.catalog import PageArgs
from resolvers.pages import Page

ACTION_MAX = 64
LIMIT_DEFAULT, LIMIT_MAX = 100, 1000
OFFSET_MAX = 1_000_000

# The actions recorded (other workshop modules add theirs with ``record``).
LOGIN = "admin_login"
CODELAB_CREATE = "codelab_create"
CODELAB_UPDATE = "codelab_update"
CODELAB_DELETE = "codelab_delete"
CODELAB_COPY = "codelab_copy"
STEPS_UPDATE = "codelab_steps_update"
HELP_RESOLVE = "help_resolve"
QUIZ_UPDATE = "quiz_update"
COMMENT_DELETE = "inline_comment_delete"


def record(session: AsyncSession, ctx: Context, *, action: str, codelab_id: int | None = None,
           target_id: int | str | None = None, details: dict[str, Any] | None = None,
           actor: User | None = None) -> None:
    """Add an entry for the viewer's ``action`` (or ``actor``'s, signing in) to
    ``session``: it commits with the action."""
    viewer = ctx.viewer
    user_id = actor.id if actor is not None else viewer.user_id
    staff = ROLE_INSTRUCTOR in actor.roles if actor is not None else is_staff(viewer)
    session.add(CodelabAuditLog(
        action=action, actor_type="admin" if staff else "attendee",
        actor_id=str(user_id) if user_id else None,
        actor_user_id=user_id, target_id=None if target_id is None else str(target_id),
        course_id=codelab_id, ip=(ctx.client_ip or "")[:64] or None,
        user_agent=(ctx.user_agent or "")[:500] or None, details=details))


async def get_all(ctx: Context, *, codelab_id: int | None = None, action: str | None = None,
                  page: PageArgs) -> Page:
    """Entries the viewer may read, newest first: every entry for platform admins; for an
    instructor, those of the codelabs they run and their own."""
    viewer = ctx.viewer
    viewer.require_role(ROLE_INSTRUCTOR)
    if action is not None and (not action or len(action) > ACTION_MAX):
        raise Validation(f"action must be 1 to {ACTION_MAX} characters",
                         details={"field": "action"})
    query = select(CodelabAuditLog)
    if not viewer.is_admin:
        runs = select(Course.id).where(Course.created_by_id == viewer.user_id)
        query = query.where(or_(CodelabAuditLog.actor_user_id == viewer.user_id,
                                CodelabAuditLog.course_id.in_(runs)))
    if codelab_id is not None:
        query = query.where(CodelabAuditLog.course_id == codelab_id)
    if action is not None:
        query = query.where(CodelabAuditLog.action == action)
    query = query.order_by(CodelabAuditLog.id.desc())
    if page.skip is not None:
        async with ctx.db.session() as session:
            rows = list((await session.execute(
                query.offset(page.skip).limit(page.limit))).scalars())
        return Page(items=rows)
    size = page_size(page.first, None)
    if page.after:
        query = query.where(CodelabAuditLog.id < decode_id_cursor(page.after))
    async with ctx.db.session() as session:
        rows = list((await session.execute(query.limit(size + 1))).scalars())
    return Page(items=rows[:size], cursors=[encode_cursor([r.id]) for r in rows[:size]],
                has_next=len(rows) > size, has_previous=bool(page.after))
