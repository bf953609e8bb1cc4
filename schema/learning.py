"""GraphQL for the course platform: a learner's activity and progress."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from models.learning import LearningActivity as ActivityModel
from resolvers import activity as activity_resolvers


def int_or_none(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def global_id(type_name: str, value: int | None) -> strawberry.ID | None:
    """The global ID of a row of another type (for ``node(id:)``), or None."""
    return None if value is None else strawberry.ID(relay.to_base64(type_name, str(value)))


@strawberry.type(description="One thing a learner did, on their local date; feeds streaks.")
class LearningActivity(relay.Node):
    id: relay.NodeID[int]
    kind: str = strawberry.field(description="CONTENT_PROGRESS, QUIZ_ATTEMPT, NOTE, ...")
    summary: str = strawberry.field(description="A short human-readable description.")
    occurred_at: datetime = strawberry.field(description="When it happened.")
    local_date: date = strawberry.field(description="The day in the learner's time zone.")
    course_id: strawberry.ID | None = strawberry.field(description="Global ID of the course.")
    module_id: strawberry.ID | None = strawberry.field(description="Global ID of the module.")
    content_item_id: strawberry.ID | None = strawberry.field(
        description="Global ID of the content item.")

    @classmethod
    def from_model(cls, row: ActivityModel) -> LearningActivity:
        return cls(id=row.id, kind=row.kind, summary=row.summary, occurred_at=row.occurred_at,
                   local_date=row.local_date, course_id=global_id("Course", row.course_id),
                   module_id=global_id("Module", row.module_id),
                   content_item_id=global_id("ContentItem", row.content_item_id))

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[LearningActivity | None]:
        rows = await activity_resolvers.get_many(
            info.context, ids=[int_or_none(i) for i in node_ids])
        return [cls.from_model(r) if r else None for r in rows]


@strawberry.type
class LearningQuery:
    pass


@strawberry.type
class LearningMutation:
    pass
