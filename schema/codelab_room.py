"""GraphQL for a codelab's live room: its events as a subscription, what members say and
do in it, and the kept chat (the same resolvers and rules as ``WS /api/ws/:id``).

Attendees and chat messages are named as the Codelabs face names them
(``attendee_<hex>``, ``chat_<n>``), so a client can mix both; a direct message to
the facilitators names ``facilitator`` as its target.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum

import strawberry
from strawberry import relay
from strawberry.types import Info

from core.errors import NotFound
from resolvers import codelab_room
from resolvers.catalog import PageArgs
from resolvers.codelab_room import FACILITATOR_TARGET
from schema.pages import Connection, connection, global_int_id


@strawberry.enum(description="What happened in a codelab's room.")
class CodelabRoomEventType(Enum):
    CHAT = strawberry.enum_value("chat", description="A message to the whole room.")
    DM = strawberry.enum_value(
        "dm", description="A direct message between a facilitator and one attendee.")
    STEP_PROGRESS = strawberry.enum_value(
        "step_progress", description="An attendee moved to another step.")
    HELP_REQUEST = strawberry.enum_value(
        "help_request", description="An attendee's help request was raised or changed.")
    INLINE_COMMENT_CHANGED = strawberry.enum_value(
        "inline_comment_changed",
        description="An inline comment thread on a step was added to or changed.")


@strawberry.type(description="One event of a codelab's live room, as its members see it.")
class CodelabRoomEvent:
    type: CodelabRoomEventType = strawberry.field(description="What happened.")
    message_legacy_id: str | None = strawberry.field(
        description="`chat` and `dm`: the kept message (`chat_<n>`).")
    sender: str | None = strawberry.field(
        description="`chat` and `dm`: the sender's name (`Facilitator` for facilitators).")
    message: str | None = strawberry.field(description="`chat` and `dm`: the text.")
    target_legacy_id: str | None = strawberry.field(
        description="`dm`: the attendee written to (`attendee_<hex>`), or `facilitator`.")
    attendee_legacy_id: str | None = strawberry.field(
        description="`step_progress` and `help_request`: the attendee (`attendee_<hex>`).")
    step_number: int | None = strawberry.field(
        description="`step_progress` and `help_request`: the step.")
    target_type: str | None = strawberry.field(
        description="`inline_comment_changed`: `step` or `guide`.")
    target_step_legacy_id: str | None = strawberry.field(
        description="`inline_comment_changed` on a step: the step (`step_<n>`).")
    created_at: datetime | None = strawberry.field(
        description="`chat` and `dm`: when it was said.")

    @classmethod
    def from_event(cls, event: dict) -> CodelabRoomEvent:
        kind = event["type"]
        shown = cls(type=CodelabRoomEventType(kind), message_legacy_id=None, sender=None,
                    message=None, target_legacy_id=None, attendee_legacy_id=None,
                    step_number=None, target_type=None, target_step_legacy_id=None,
                    created_at=None)
        if kind in ("chat", "dm"):
            shown.message_legacy_id = f"chat_{event['id']}"
            shown.sender, shown.message = event["sender"], event["message"]
            shown.created_at = datetime.fromisoformat(event["created_at"])
            if kind == "dm":
                shown.target_legacy_id = _target_ref(event.get("target_user_id"))
        elif kind in ("step_progress", "help_request"):
            user_id = event.get("attendee_user_id")
            shown.attendee_legacy_id = f"attendee_{uuid.UUID(user_id).hex}" if user_id else None
            shown.step_number = event["step_number"]
        else:
            shown.target_type = event["target_type"]
            step_id = event.get("step_id")
            shown.target_step_legacy_id = f"step_{step_id}" if step_id else None
        return shown


@strawberry.type(description="A message kept in a codelab's room.")
class CodelabChatMessage:
    legacy_id: str = strawberry.field(description="The id the Codelabs face shows (`chat_<n>`).")
    type: CodelabRoomEventType = strawberry.field(description="`CHAT` or `DM`.")
    sender: str = strawberry.field(description="The sender's name.")
    message: str = strawberry.field(description="The text.")
    target_legacy_id: str | None = strawberry.field(
        description="A direct message's attendee (`attendee_<hex>`) or `facilitator`.")
    created_at: datetime = strawberry.field(description="When it was said.")

    @classmethod
    def from_model(cls, row) -> CodelabChatMessage:
        return cls(legacy_id=f"chat_{row.id}", type=CodelabRoomEventType(row.msg_type),
                   sender=row.sender_name, message=row.message,
                   target_legacy_id=_target_ref(row.target_user_id)
                   if row.msg_type == "dm" else None, created_at=row.created_at)


@strawberry.type(description="A page of a codelab's kept room messages, oldest first.")
class CodelabChatConnection(Connection[CodelabChatMessage]):
    pass


@strawberry.type(description="What was said or done in the room.")
class CodelabRoomPayload:
    message: CodelabChatMessage | None = strawberry.field(
        description="The kept message (null for step progress).")


def _target_ref(user_id) -> str:
    return f"attendee_{uuid.UUID(str(user_id)).hex}" if user_id else FACILITATOR_TARGET


def _target_user(value: str | None) -> uuid.UUID | None:
    if value is None or value == FACILITATOR_TARGET:
        return None
    match = re.fullmatch(r"attendee_([0-9a-f]{32})", value)
    if match is None:
        raise NotFound("Attendee not found")
    return uuid.UUID(match.group(1))


def _codelab_id(value: relay.GlobalID) -> int:
    return global_int_id(value, "Codelab", field="codelabId")


async def _member(info: Info, codelab_id: relay.GlobalID) -> codelab_room.Member:
    return await codelab_room.get_member(info.context, codelab_id=_codelab_id(codelab_id))


@strawberry.type
class CodelabRoomQuery:
    @strawberry.field(description="The room's kept messages the viewer may see, oldest "
                                  "first (facilitators see every direct message, an attendee "
                                  "only their own).")
    async def codelab_chat(self, info: Info, codelab_id: relay.GlobalID,
                           first: int | None = None, after: str | None = None
                           ) -> CodelabChatConnection:
        page = await codelab_room.get_history(info.context, codelab_id=_codelab_id(codelab_id),
                                              page=PageArgs(first=first, after=after))
        return connection(CodelabChatConnection, page, CodelabChatMessage.from_model)


@strawberry.type
class CodelabRoomMutation:
    @strawberry.mutation(description="Say something to everyone in the codelab's room "
                                     "(1 to 2,000 characters); it is kept.")
    async def say_in_codelab_room(self, info: Info, codelab_id: relay.GlobalID,
                                  message: str) -> CodelabRoomPayload:
        member = await _member(info, codelab_id)
        row = await codelab_room.say(info.context, member=member, message=message)
        return CodelabRoomPayload(message=CodelabChatMessage.from_model(row))

    @strawberry.mutation(description="A direct message: a facilitator writes to one attendee "
                                     "(`attendee_<hex>`); an attendee writes to the "
                                     "facilitators (no target, or `facilitator`).")
    async def send_codelab_direct_message(self, info: Info, codelab_id: relay.GlobalID,
                                          message: str, target_legacy_id: str | None = None
                                          ) -> CodelabRoomPayload:
        member = await _member(info, codelab_id)
        row = await codelab_room.send_direct(info.context, member=member,
                                             target_user_id=_target_user(target_legacy_id),
                                             message=message)
        return CodelabRoomPayload(message=CodelabChatMessage.from_model(row))

    @strawberry.mutation(description="The viewer (an attendee) is now on this step; the room "
                                     "is told.")
    async def report_codelab_step(self, info: Info, codelab_id: relay.GlobalID,
                                  step_number: int) -> CodelabRoomPayload:
        member = await _member(info, codelab_id)
        await codelab_room.report_step(info.context, member=member, step_number=step_number)
        return CodelabRoomPayload(message=None)


@strawberry.type
class CodelabRoomSubscription:
    @strawberry.subscription(description="The codelab's live room, from every instance: chat, "
                                         "direct messages to the viewer, step progress, help "
                                         "requests and inline comment changes (its "
                                         "facilitators and attendees).")
    async def codelab_room_events(self, info: Info, codelab_id: relay.GlobalID
                                  ) -> AsyncGenerator[CodelabRoomEvent, None]:
        member = await _member(info, codelab_id)
        events = codelab_room.events(info.context, member=member)
        try:
            async for event in events:
                yield CodelabRoomEvent.from_event(event)
        finally:
            await events.aclose()
