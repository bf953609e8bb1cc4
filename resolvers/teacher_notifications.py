"""Notifications for teachers, raised by what happens to the children of their classes.

Each is raised by an event and at most once per event (its ``event_key``):
- ``low_score``: a comprehension quiz result below 65 % (the assessment bot's pass
  mark) for a child of a class, when the learner bot receives it;
- ``inactive``: no reading session finished for 7 days (counted from the child's
  last session, or from when they joined); once per quiet stretch;
- ``no_placement``: the learner bot has not placed a child 3 days after they joined
  (the child has not read yet);
- ``parent_claim_request``: a parent asked to be linked to a child;
- ``child_locked_pin``: a child's sign-in was locked after too many wrong PINs.
``inactive`` and ``no_placement`` come from a periodic job (``roster.notify``, hourly)
that checks every class at once in SQL. Each notification raised is published on its
teacher's topic when its transaction commits (``core.pubsub.publish_on_commit``), so
``follow`` hands it to the teacher's live subscriptions on every instance.
``action_url`` is the teacher portal page to open: the student
(``/classes/:id/students/:id``) or the claim (``/parent-claims/:id``).

A teacher (or school admin) reads only their own notifications; another account's is
NotFound, as one that does not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, false, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core import jobs
from core.context import Context
from core.errors import NotFound
from core.planning import VIEWER_ID
from core.pubsub import publish_on_commit
from models.roster import SchoolClass, Student, TeacherNotification
from resolvers import portal_roles
from resolvers.reading_assessment import PASS_PCT
from resolvers.roster import INACTIVE_DAYS

NO_PLACEMENT_DAYS = 3
SWEEP_SECONDS = 3600


@dataclass(frozen=True)
class NotificationView:
    row: TeacherNotification
    child_name: str | None


def student_url(student: Student) -> str:
    return f"/classes/{student.class_id}/students/{student.id}"


async def raise_for_student(session: AsyncSession, *, student: Student, type: str,
                            message: str, event_key: str, action_url: str | None = None,
                            claim_id: int | None = None) -> None:
    """Notify the teacher of ``student``'s class, once per ``event_key``."""
    teacher_id = (await session.execute(select(SchoolClass.teacher_id).where(
        SchoolClass.id == student.class_id))).scalar_one()
    raised = (await session.execute(insert(TeacherNotification).values(
        teacher_id=teacher_id, type=type, student_id=student.id, claim_id=claim_id,
        message=message, action_url=action_url or student_url(student),
        event_key=event_key[:120]).on_conflict_do_nothing(
        index_elements=[TeacherNotification.event_key])
        .returning(TeacherNotification.id))).scalar_one_or_none()
    if raised is not None:
        await publish_on_commit(session, topic(teacher_id), {"id": raised})


def topic(teacher_id: uuid.UUID) -> str:
    """Where a teacher's new notifications are announced."""
    return f"teacher-notifications:{teacher_id}"


async def on_quiz_result(session: AsyncSession, *, learner_id: uuid.UUID, result_id: int,
                         score_pct: float, book_id: str) -> None:
    """A quiz result was stored: a low score notifies the child's teacher."""
    if score_pct >= PASS_PCT:
        return
    student = (await session.execute(select(Student).where(
        Student.user_id == learner_id))).scalar_one_or_none()
    if student is None:
        return  # a learner of no class
    await raise_for_student(
        session, student=student, type="low_score", event_key=f"low_score:{result_id}",
        message=f"{student.name} scored {score_pct:.0f}% on a comprehension quiz "
                f"(book {book_id}), below the {PASS_PCT:.0f}% pass mark.")


async def on_child_locked(session: AsyncSession, *, child_id: uuid.UUID,
                          locked_at: datetime) -> None:
    """A child's sign-in was locked after wrong PINs: tell their teacher."""
    student = (await session.execute(select(Student).where(
        Student.user_id == child_id))).scalar_one_or_none()
    if student is None:
        return
    await raise_for_student(
        session, student=student, type="child_locked_pin",
        event_key=f"child_locked_pin:{student.id}:{int(locked_at.timestamp())}",
        message=f"{student.name}'s sign-in is locked after too many wrong PINs.")


# Children who have read nothing for INACTIVE_DAYS, once per quiet stretch (keyed by
# the moment it began), and children not placed NO_PLACEMENT_DAYS after joining.
_SWEEP = text("""
WITH activity AS (
    SELECT s.id, s.class_id, s.name, s.user_id, s.created_at,
           (SELECT max(r.ended_at) FROM reading_sessions r WHERE r.learner_id = s.user_id)
               AS last_read,
           EXISTS (SELECT 1 FROM reading_learners l WHERE l.id = s.user_id) AS placed
    FROM students s
)
INSERT INTO teacher_notifications (teacher_id, type, student_id, message, action_url,
                                   event_key)
SELECT c.teacher_id, n.type, a.id, n.message,
       '/classes/' || a.class_id || '/students/' || a.id, n.event_key
FROM activity a
JOIN classes c ON c.id = a.class_id
CROSS JOIN LATERAL (
    SELECT 'inactive' AS type,
           a.name || ' has not finished a reading session for '
               || CAST(:inactive_days AS integer) || ' days.' AS message,
           'inactive:' || a.id || ':'
               || extract(epoch FROM coalesce(a.last_read, a.created_at))::bigint AS event_key
    WHERE coalesce(a.last_read, a.created_at)
          < now() - make_interval(days => CAST(:inactive_days AS integer))
    UNION ALL
    SELECT 'no_placement',
           a.name || ' has not been placed at a reading level yet, '
               || CAST(:placement_days AS integer) || ' days after joining.',
           'no_placement:' || a.id
    WHERE NOT a.placed
      AND a.created_at < now() - make_interval(days => CAST(:placement_days AS integer))
) n
ON CONFLICT (event_key) DO NOTHING
RETURNING teacher_id
""")


async def sweep(session: AsyncSession) -> int:
    """Raise the ``inactive`` and ``no_placement`` notifications due now; how many."""
    teachers = (await session.execute(_SWEEP, {"inactive_days": INACTIVE_DAYS,
                                               "placement_days": NO_PLACEMENT_DAYS})
                ).scalars().all()
    for teacher_id in sorted(set(teachers)):
        await publish_on_commit(session, topic(teacher_id), {})
    return len(teachers)


@jobs.job("roster.notify", every_seconds=SWEEP_SECONDS)
async def _sweep_job(services, payload: dict) -> None:
    async with services.db.transaction() as session:
        await sweep(session)


# Not marked read (``unreadOnly``), as a SQL condition on notifications.
UNREAD = TeacherNotification.read_at.is_(None)
PAGE_MAXIMUM = 200


def visible_rule(viewer):
    """A notification is its teacher's alone (``get_page``), for teachers and school
    admins: a SQL condition on notifications, for ``node`` and planned reads."""
    if not portal_roles.holds_any(viewer, portal_roles.STAFF):
        return false()
    return TeacherNotification.teacher_id == VIEWER_ID


async def get_many(ctx: Context, *, notification_ids: list[int]
                   ) -> list[NotificationView | None]:
    """Notifications by id in one query; None where missing or not the viewer's."""
    async with ctx.db.read() as session:
        rows = (await session.execute(
            select(TeacherNotification, Student.name)
            .outerjoin(Student, Student.id == TeacherNotification.student_id)
            .where(TeacherNotification.id.in_(notification_ids), visible_rule(ctx.viewer)),
            {VIEWER_ID.key: ctx.viewer.user_id})).all()
    found = {row.id: NotificationView(row=row, child_name=name) for row, name in rows}
    return [found.get(i) for i in notification_ids]


def mine_query(ctx: Context, *, unread_only: bool = False) -> Select:
    """The viewer's notifications (only unread ones with ``unread_only``), as the query
    ``get_page`` reads its pages from."""
    portal_roles.require_any(ctx, portal_roles.STAFF)
    query = select(TeacherNotification).where(
        TeacherNotification.teacher_id == ctx.viewer.require_user())
    if unread_only:
        query = query.where(UNREAD)
    return query


async def get_page(ctx: Context, *, after: int | None = None, limit: int = 50,
                   unread_only: bool = False) -> tuple[list[NotificationView], bool]:
    """The viewer's notifications, newest first, before the id ``after``; whether more
    follow."""
    query = (mine_query(ctx, unread_only=unread_only).add_columns(Student.name)
             .outerjoin(Student, Student.id == TeacherNotification.student_id))
    if after is not None:
        query = query.where(TeacherNotification.id < after)
    async with ctx.db.read() as session:
        rows = (await session.execute(query.order_by(TeacherNotification.id.desc())
                                      .limit(limit + 1))).all()
    return [NotificationView(row=r, child_name=name) for r, name in rows[:limit]], \
        len(rows) > limit


async def follow(ctx: Context) -> AsyncIterator[NotificationView]:
    """The viewer's notifications raised from now on, oldest first, from any instance."""
    portal_roles.require_any(ctx, portal_roles.STAFF)
    teacher_id = ctx.viewer.require_user()
    mine = TeacherNotification.teacher_id == teacher_id
    async with ctx.db.read() as session:
        last = (await session.execute(select(func.max(TeacherNotification.id))
                                      .where(mine))).scalar_one_or_none() or 0
    async with ctx.broker.subscribe(topic(teacher_id)) as signals:
        # A signal says only "something new", and one may be lost: each read takes what
        # is past the last one sent (the first read, what came before subscribing).
        while True:
            async with ctx.db.read() as session:
                rows = (await session.execute(
                    select(TeacherNotification, Student.name)
                    .outerjoin(Student, Student.id == TeacherNotification.student_id)
                    .where(mine, TeacherNotification.id > last)
                    .order_by(TeacherNotification.id))).all()
            for row, name in rows:
                last = row.id
                yield NotificationView(row=row, child_name=name)
            try:
                await anext(signals)
            except StopAsyncIteration:
                return


async def mark_read(ctx: Context, *, notification_id: int) -> NotificationView:
    """Mark one of the viewer's notifications read (again is fine)."""
    portal_roles.require_any(ctx, portal_roles.STAFF)
    async with ctx.db.transaction() as session:
        await session.execute(update(TeacherNotification).where(
            TeacherNotification.id == notification_id,
            TeacherNotification.teacher_id == ctx.viewer.require_user(),
            TeacherNotification.read_at.is_(None)).values(read_at=text("now()")))
        row = (await session.execute(
            select(TeacherNotification, Student.name)
            .outerjoin(Student, Student.id == TeacherNotification.student_id)
            .where(TeacherNotification.id == notification_id,
                   TeacherNotification.teacher_id == ctx.viewer.user_id))).first()
    if row is None:
        raise NotFound("Notification not found")
    return NotificationView(row=row[0], child_name=row[1])
