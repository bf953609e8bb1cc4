"""Loaders for learners' onboarding answers and subject preferences."""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import select

from loaders import DbLoader
from models.course import UserProfile, UserSubjectPreference


class UserProfileByUserIdLoader(DbLoader):
    async def batch_load_fn(self, keys: list[uuid.UUID]) -> list[UserProfile | None]:
        async with self.db.session() as session:
            rows = (await session.execute(
                select(UserProfile).where(UserProfile.user_id.in_(keys)))).scalars()
            found = {row.user_id: row for row in rows}
        return [found.get(key) for key in keys]


class SubjectIdsByUserIdLoader(DbLoader):
    async def batch_load_fn(self, keys: list[uuid.UUID]) -> list[list[int]]:
        found: dict[uuid.UUID, list[int]] = defaultdict(list)
        async with self.db.session() as session:
            rows = await session.execute(
                select(UserSubjectPreference.user_id, UserSubjectPreference.subject_id)
                .where(UserSubjectPreference.user_id.in_(keys))
                .order_by(UserSubjectPreference.subject_id))
            for user_id, subject_id in rows:
                found[user_id].append(subject_id)
        return [found.get(key, []) for key in keys]
