"""GraphQL for teachers' notifications: the same resolvers as the Pickatale teacher
portal, with the same rules."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from core.pagination import decode_id_cursor, encode_cursor, page_size
from resolvers import teacher_notifications
from resolvers.pages import page_of_fetched
from resolvers.teacher_notifications import NotificationView
from schema.pages import Connection, connection, ids_or_zero, parse_int_id


@strawberry.enum(description="What a teacher is told about.")
class TeacherNotificationType(Enum):
    PARENT_CLAIM_REQUEST = strawberry.enum_value(
        "parent_claim_request", description="A parent asks to be linked to a child.")
    LOW_SCORE = strawberry.enum_value("low_score",
                                      description="A quiz result below the 65 % pass mark.")
    INACTIVE = strawberry.enum_value("inactive",
                                     description="No reading session finished for 7 days.")
    NO_PLACEMENT = strawberry.enum_value(
        "no_placement", description="Not placed at a reading level 3 days after joining.")
    CHILD_LOCKED_PIN = strawberry.enum_value(
        "child_locked_pin", description="The child's sign-in locked after wrong PINs.")


@strawberry.type(description="Something a teacher should look at.")
class TeacherNotification(relay.Node):
    id: relay.NodeID[int]
    number: int = strawberry.field(description="Its number (the teacher portal's `id`).")
    type: TeacherNotificationType = strawberry.field(description="What happened.")
    child_name: str | None = strawberry.field(description="The child it is about.")
    message: str = strawberry.field(description="What happened, in a sentence.")
    action_url: str = strawberry.field(description="The teacher portal page to open.")
    read: bool = strawberry.field(description="Whether it was marked read.")
    created_at: datetime = strawberry.field(description="When it was raised.")

    @classmethod
    def from_view(cls, view: NotificationView) -> TeacherNotification:
        row = view.row
        return cls(id=row.id, number=row.id,
                   type=TeacherNotificationType(row.type), child_name=view.child_name,
                   message=row.message, action_url=row.action_url,
                   read=row.read_at is not None, created_at=row.created_at)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[TeacherNotification | None]:
        views = await teacher_notifications.get_many(info.context,
                                                     notification_ids=ids_or_zero(node_ids))
        return [cls.from_view(v) if v else None for v in views]


@strawberry.type(description="A page of a teacher's notifications, newest first.")
class TeacherNotificationConnection(Connection[TeacherNotification]):
    pass


@strawberry.type(description="A notification marked read.")
class MarkTeacherNotificationReadPayload:
    notification: TeacherNotification = strawberry.field(description="The notification.")


IdArg = Annotated[strawberry.ID, strawberry.argument(description="Its global id or number.")]


@strawberry.type
class TeacherNotificationQuery:
    @strawberry.field(description="The signed-in teacher's notifications, newest first.")
    async def teacher_notifications(
            self, info: Info,
            first: Annotated[int, strawberry.argument(description="Page size, 1 to 200.")] = 50,
            after: Annotated[str | None, strawberry.argument(
                description="The cursor to page after.")] = None,
            unread_only: Annotated[bool, strawberry.argument(
                description="Only those not marked read.")] = False,
    ) -> TeacherNotificationConnection:
        size = page_size(first, None, maximum=teacher_notifications.PAGE_MAXIMUM)
        views, more = await teacher_notifications.get_page(
            info.context, after=decode_id_cursor(after) if after else None, limit=size,
            unread_only=unread_only)
        page = page_of_fetched([*views, *([None] if more else [])], size, after=after,
                               cursor=lambda v: encode_cursor([v.row.id]),
                               total=teacher_notifications.mine_query(info.context,
                                                                      unread_only=unread_only))
        return connection(TeacherNotificationConnection, page,
                          TeacherNotification.from_view)



@strawberry.type
class TeacherNotificationMutation:
    @strawberry.mutation(description="Mark one of the teacher's notifications read.")
    async def mark_teacher_notification_read(self, info: Info, id: IdArg
                                             ) -> MarkTeacherNotificationReadPayload:
        view = await teacher_notifications.mark_read(
            info.context, notification_id=parse_int_id(str(id), "TeacherNotification",
                                                       field="id"))
        return MarkTeacherNotificationReadPayload(
            notification=TeacherNotification.from_view(view))


@strawberry.type
class TeacherNotificationSubscription:
    @strawberry.subscription(description="The signed-in teacher's (or school admin's) "
                                         "notifications as they are raised (a low score, "
                                         "inactivity, a parent's claim...), from every "
                                         "instance.")
    async def teacher_notification_raised(
            self, info: Info) -> AsyncGenerator[TeacherNotification, None]:
        async for view in teacher_notifications.follow(info.context):
            yield TeacherNotification.from_view(view)
