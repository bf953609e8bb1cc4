"""The learning activity log and the daily streak it drives.

Days are the learner's local days (their ``time_zone``): activity at 23:30 UTC
is already tomorrow in Tokyo. ``record_activity`` runs inside the caller's
transaction; when the activity moves the streak it locks the user row (``FOR NO KEY
UPDATE``, after the caller's inserts: see the lock order in ``core.db``), so concurrent
activity cannot lose a day; otherwise it takes no lock.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import Context
from loaders.learning import LearningActivityByIdLoader
from models.learning import ACTIVITY_KINDS, LearningActivity
from models.user import User
from resolvers.access import is_self_or_admin


def _zone(time_zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(time_zone)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def local_date(at: datetime, time_zone: str) -> date:
    """The calendar date of instant ``at`` in ``time_zone`` (UTC when unknown)."""
    return at.astimezone(_zone(time_zone)).date()


def current_streak(user: User, *, now: datetime | None = None) -> int:
    """The streak as of today in the user's zone: 0 once a whole local day went by idle."""
    if user.last_activity_date is None:
        return 0
    today = local_date(now or datetime.now(UTC), user.time_zone)
    if user.last_activity_date < today - timedelta(days=1):
        return 0
    return user.current_streak_days


def _moves_streak(user: User, day: date) -> bool:
    """Whether activity on ``day`` changes the user's streak. The last active day only
    moves forward and a streak once started stays at least 1, so activity on or before
    a last day already seen (most activity: the day's second and later) leaves the row
    as it is, and takes no lock: a user's concurrent requests (two tabs) do not queue on
    their row."""
    last = user.last_activity_date
    return last is None or day > last or user.current_streak_days < 1


def next_streak(days: int, last: date | None, today: date) -> int:
    """The streak after activity on ``today`` given the last active day."""
    if last is None:
        return 1
    if today <= last:
        return max(days, 1)
    if today == last + timedelta(days=1):
        return days + 1
    return 1


async def record_activity(session: AsyncSession, user: User | uuid.UUID, kind: str, *,
                          course_id: int | None = None, module_id: int | None = None,
                          content_item_id: int | None = None, summary: str = "",
                          at: datetime | None = None) -> LearningActivity:
    """Log one learning activity on the learner's local date and advance their streak.

    Call inside a transaction; when it moves the streak, the user's row stays locked
    until it commits.
    """
    if kind not in ACTIVITY_KINDS:
        raise ValueError(f"unknown activity kind {kind!r}")
    user_id = user.id if isinstance(user, User) else user
    at = at or datetime.now(UTC)
    query = select(User).where(User.id == user_id).execution_options(populate_existing=True)
    row = (await session.execute(query)).scalar_one()
    day = local_date(at, row.time_zone)
    if _moves_streak(row, day):
        locked = (await session.execute(query.with_for_update(key_share=True))).scalar_one()
        last = locked.last_activity_date
        locked.current_streak_days = next_streak(locked.current_streak_days, last, day)
        if last is None or day > last:
            locked.last_activity_date = day
    activity = LearningActivity(user_id=user_id, kind=kind, course_id=course_id,
                                module_id=module_id, content_item_id=content_item_id,
                                summary=summary, occurred_at=at, local_date=day)
    session.add(activity)
    await session.flush()
    return activity


def insert_quiet_activity(param: Callable[[Any], str], user: User, kind: str, *,
                          course_id: int | None = None, content_item_id: int | None = None,
                          summary: str = "", at: datetime | None = None) -> str | None:
    """``record_activity`` as one insert a caller may run within a statement of its own
    (a ``WITH`` clause; ``param`` turns each value into its placeholder), for activity
    that leaves the streak as it is: ``user`` is the user's row as read with the caller's
    other reads (``time_zone``, ``last_activity_date``, ``current_streak_days``). None
    when the activity moves the streak: then ``record_activity`` must lock the row."""
    if kind not in ACTIVITY_KINDS:
        raise ValueError(f"unknown activity kind {kind!r}")
    at = at or datetime.now(UTC)
    day = local_date(at, user.time_zone)
    if _moves_streak(user, day):
        return None
    return ("INSERT INTO learning_activities (user_id, kind, course_id, content_item_id, "
            f"summary, occurred_at, local_date) VALUES ({param(user.id)}, {param(kind)}, "
            f"{param(course_id)}, {param(content_item_id)}, {param(summary)}, {param(at)}, "
            f"{param(day)})")


# A learner's records are for themself and platform admins (progress.py reads them so too).
visible_to_viewer = is_self_or_admin


async def get_many(ctx: Context, *, ids: list[int | None]) -> list[LearningActivity | None]:
    """Activities by id in the order asked; None where missing or not the viewer's to see."""
    wanted = [i for i in ids if i is not None]
    found = dict(zip(wanted, await ctx.loaders.get(LearningActivityByIdLoader).load_many(wanted),
                     strict=True))
    rows = [found.get(i) if i is not None else None for i in ids]
    return [r if r is not None and visible_to_viewer(ctx, r.user_id) else None for r in rows]
