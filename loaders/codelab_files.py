"""DataLoaders of what a codelab keeps beside its steps: materials, submissions, AI
conversations."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select

from loaders import ByParentLoader, DbLoader
from models.codelab import CodelabAttendee
from models.codelab_files import CodelabAiConversation, CodelabMaterial, CodelabSubmission
from models.user import User


class MaterialsByCourseIdLoader(ByParentLoader):
    """A codelab's materials in the order they were added."""

    model = CodelabMaterial
    key = "course_id"
    order = ("id",)


class SubmissionsByCourseIdLoader(DbLoader):
    """A codelab's submissions in the order handed in, each as (row, attendee user id,
    name)."""

    async def batch_load_fn(self, keys: list[int]) -> list[list[tuple[Any, Any, str]]]:
        async with self.db.session() as session:
            rows = (await session.execute(
                select(CodelabSubmission, CodelabAttendee.user_id, User.display_name)
                .join(CodelabAttendee,
                      CodelabAttendee.enrollment_id == CodelabSubmission.attendee_id)
                .join(User, User.id == CodelabAttendee.user_id)
                .where(CodelabSubmission.course_id.in_(keys))
                .order_by(CodelabSubmission.id))).all()
        grouped: dict[int, list[tuple[Any, Any, str]]] = defaultdict(list)
        for row, user_id, name in rows:
            grouped[row.course_id].append((row, user_id, name))
        return [grouped.get(key, []) for key in keys]


class AiConversationsByCourseIdLoader(ByParentLoader):
    """A codelab's saved AI conversations, oldest first."""

    model = CodelabAiConversation
    key = "course_id"
    order = ("id",)
