"""Activity and streaks: local days per time zone, day boundaries, concurrency, reads."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from models.learning import LearningActivity
from models.user import User
from resolvers.activity import current_streak, record_activity
from tests.fixtures import bearer_for, create_user
from tests.twosigma.learner_helpers import API


async def set_zone(services, user, zone: str) -> None:
    async with services.db.transaction() as session:
        (await session.get(User, user.id)).time_zone = zone


async def record(services, user, at: datetime, kind: str = "NOTE") -> LearningActivity:
    async with services.db.transaction() as session:
        return await record_activity(session, user, kind, summary="s", at=at)


async def state(services, user) -> tuple[int, date | None]:
    async with services.db.session() as session:
        row = await session.get(User, user.id)
    return row.current_streak_days, row.last_activity_date


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def test_first_activity_starts_a_streak_and_logs_local_date(client, services, user):
    activity = await record(services, user, utc(2026, 1, 20, 10, 0))
    assert activity.local_date == date(2026, 1, 20)
    assert activity.kind == "NOTE" and activity.user_id == user.id
    assert await state(services, user) == (1, date(2026, 1, 20))


async def test_same_day_keeps_next_day_adds_and_a_gap_restarts(client, services, user):
    await record(services, user, utc(2026, 1, 20, 0, 0))
    await record(services, user, utc(2026, 1, 20, 23, 59, 59))
    assert await state(services, user) == (1, date(2026, 1, 20))
    await record(services, user, utc(2026, 1, 21, 0, 0))
    assert await state(services, user) == (2, date(2026, 1, 21))
    await record(services, user, utc(2026, 1, 22, 12, 0))
    assert await state(services, user) == (3, date(2026, 1, 22))
    await record(services, user, utc(2026, 1, 24, 12, 0))  # the 23rd was missed
    assert await state(services, user) == (1, date(2026, 1, 24))


async def test_days_are_counted_in_the_users_time_zone(client, services, user):
    await set_zone(services, user, "Asia/Tokyo")  # UTC+9
    first = await record(services, user, utc(2026, 1, 20, 10, 0))  # 19:00 on the 20th
    assert first.local_date == date(2026, 1, 20)
    # 23:30 UTC on the 20th is 08:30 on the 21st in Tokyo: the next day.
    second = await record(services, user, utc(2026, 1, 20, 23, 30))
    assert second.local_date == date(2026, 1, 21)
    assert await state(services, user) == (2, date(2026, 1, 21))


async def test_west_of_utc_late_evening_is_still_the_same_day(client, services):
    user = await create_user(services, email="ny@example.com")
    await set_zone(services, user, "America/New_York")  # UTC-5 in January
    await record(services, user, utc(2026, 1, 20, 15, 0))  # 10:00 on the 20th
    late = await record(services, user, utc(2026, 1, 21, 4, 30))  # 23:30 on the 20th
    assert late.local_date == date(2026, 1, 20)
    assert await state(services, user) == (1, date(2026, 1, 20))
    await record(services, user, utc(2026, 1, 21, 5, 0))  # 00:00 on the 21st
    assert await state(services, user) == (2, date(2026, 1, 21))


async def test_backdated_activity_does_not_move_the_streak(client, services, user):
    await record(services, user, utc(2026, 1, 20, 10))
    await record(services, user, utc(2026, 1, 21, 10))
    old = await record(services, user, utc(2026, 1, 10, 10))
    assert old.local_date == date(2026, 1, 10)
    assert await state(services, user) == (2, date(2026, 1, 21))


async def test_concurrent_activity_on_a_new_day_counts_once(client, services, user):
    await record(services, user, utc(2026, 1, 20, 10))
    at = utc(2026, 1, 21, 10)
    await asyncio.gather(*(record(services, user, at) for _ in range(8)))
    assert await state(services, user) == (2, date(2026, 1, 21))
    async with services.db.session() as session:
        count = (await session.execute(select(func.count()).select_from(LearningActivity)
                                       .where(LearningActivity.user_id == user.id))).scalar_one()
    assert count == 9


def test_current_streak_reads_zero_after_a_missed_day():
    user = User(time_zone="Asia/Tokyo", current_streak_days=5,
                last_activity_date=date(2026, 1, 20))
    # 20:00 UTC on the 21st is the 22nd in Tokyo: the 21st was missed.
    assert current_streak(user, now=utc(2026, 1, 21, 20)) == 0
    # 10:00 UTC on the 21st is the 21st in Tokyo: yesterday was active.
    assert current_streak(user, now=utc(2026, 1, 21, 10)) == 5
    assert current_streak(user, now=utc(2026, 1, 20, 10)) == 5
    assert current_streak(User(time_zone="UTC", current_streak_days=0,
                               last_activity_date=None)) == 0


async def test_users_me_reports_the_current_streak(client, services, user):
    headers = await bearer_for(services, user)
    now = datetime.now(UTC)
    await record(services, user, now - timedelta(days=1))
    await record(services, user, now)
    body = (await client.get(f"{API}/users/me", headers=headers)).json()
    assert body["current_streak_days"] == 2
    assert body["last_activity_date"] == now.date().isoformat()

    async with services.db.transaction() as session:
        row = await session.get(User, user.id)
        row.last_activity_date = now.date() - timedelta(days=3)
    body = (await client.get(f"{API}/users/me", headers=headers)).json()
    assert body["current_streak_days"] == 0
    overview = (await client.get(f"{API}/users/me/overview", headers=headers)).json()
    assert overview["stats"]["current_streak"] == 0
