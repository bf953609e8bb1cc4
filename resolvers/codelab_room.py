"""A codelab's live room: who is in it, its chat, attendees' step progress, and the
stream of its events.

The room of a codelab is for its facilitators and its own attendees. Everything
said or done in it is published on the codelab's topic (``codelabs.topic``),
which the broker delivers to every server instance; ``events`` yields the ones
a member may see, for the WebSocket face and the GraphQL subscription alike.

- ``chat`` goes to everyone in the room and is kept (``get_history``).
- ``dm`` is a direct message: a facilitator writes to one attendee of the
  codelab; an attendee writes to the facilitators (``target`` None). Only the
  recipients see it live; in the history, facilitators see every direct message
  and an attendee those they sent or received.
- ``step_progress`` (attendees only) moves the attendee's current step and tells
  the room.
- ``help_request`` and ``inline_comment_changed`` are published by the help
  requests and inline comments.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Text, and_, case, cast, func, or_, select, update

from core.context import Context
from core.errors import Forbidden, NotFound, Validation
from core.pagination import decode_id_cursor, encode_cursor, page_size
from core.planning import VIEWER_ID
from core.pubsub import Subscription
from loaders.user import UserByIdLoader
from models.codelab import CodelabAttendee
from models.codelab_live import CodelabChatMessage
from models.course import Course
from resolvers import codelabs
from resolvers.catalog import PageArgs
from resolvers.codelab_help import STEP_MAX
from resolvers.pages import Page

MESSAGE_MAX = 2000
FACILITATOR_NAME = "Facilitator"
ROLE_ADMIN, ROLE_ATTENDEE = "admin", "attendee"
HISTORY_DEFAULT, HISTORY_MAX = 200, 1000
# The events a room carries, as published on the codelab's topic.
EVENT_TYPES = ("chat", "dm", "step_progress", "help_request", "inline_comment_changed")


@dataclass(frozen=True)
class Member:
    """The viewer in a codelab's room: one of its facilitators or one of its attendees."""

    codelab_id: int
    role: str
    user_id: uuid.UUID
    name: str

    @property
    def is_facilitator(self) -> bool:
        return self.role == ROLE_ADMIN


async def get_member(ctx: Context, *, codelab_id: int) -> Member:
    """The viewer as a member of the codelab's room; Unauthenticated, NotFound or
    Forbidden for anyone else."""
    ctx.viewer.require_user()
    view = await codelabs.get(ctx, codelab_id=codelab_id)
    if codelabs.can_facilitate(ctx.viewer, view.course):
        return Member(codelab_id=codelab_id, role=ROLE_ADMIN, user_id=ctx.viewer.user_id,
                      name=FACILITATOR_NAME)
    attendee = await codelabs.require_attendee(ctx, view)
    user = await ctx.loaders.get(UserByIdLoader).load(attendee.user_id)
    return Member(codelab_id=codelab_id, role=ROLE_ATTENDEE, user_id=attendee.user_id,
                  name=user.display_name if user else "Attendee")


def _message(text: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise Validation("message is required", details={"field": "message"})
    if len(text) > MESSAGE_MAX or "\x00" in text:
        raise Validation(f"message must be at most {MESSAGE_MAX} characters",
                         details={"field": "message"})
    return text.strip()


def _event(row: CodelabChatMessage) -> dict:
    return {"type": row.msg_type, "id": row.id, "sender": row.sender_name,
            "sender_user_id": str(row.sender_user_id) if row.sender_user_id else None,
            "target_user_id": str(row.target_user_id) if row.target_user_id else None,
            "message": row.message, "created_at": row.created_at.isoformat()}


async def _store(ctx: Context, member: Member, *, msg_type: str, message: str,
                 target_user_id: uuid.UUID | None) -> CodelabChatMessage:
    async with ctx.db.transaction() as session:
        row = CodelabChatMessage(course_id=member.codelab_id, sender_user_id=member.user_id,
                                 sender_name=member.name, msg_type=msg_type, message=message,
                                 target_user_id=target_user_id)
        session.add(row)
        await session.flush()
        await session.refresh(row)
    await ctx.broker.publish(codelabs.topic(member.codelab_id), _event(row))
    return row


async def say(ctx: Context, *, member: Member, message: str) -> CodelabChatMessage:
    """Say ``message`` to everyone in the room; it is kept in the chat history."""
    return await _store(ctx, member, msg_type="chat", message=_message(message),
                        target_user_id=None)


async def send_direct(ctx: Context, *, member: Member, target_user_id: uuid.UUID | None,
                      message: str) -> CodelabChatMessage:
    """A direct message: from a facilitator to one attendee of the codelab, or from an
    attendee to the facilitators (``target_user_id`` None)."""
    text = _message(message)
    if member.is_facilitator:
        if target_user_id is None:
            raise Validation("target_id is required", details={"field": "target_id"})
        async with ctx.db.session() as session:
            found = (await session.execute(select(CodelabAttendee.user_id).where(
                CodelabAttendee.user_id == target_user_id,
                CodelabAttendee.course_id == member.codelab_id))).scalar_one_or_none()
        if found is None:
            raise NotFound("Attendee not found")
    elif target_user_id is not None:
        raise Forbidden("Attendees can write only to the facilitator")
    return await _store(ctx, member, msg_type="dm", message=text, target_user_id=target_user_id)


async def report_step(ctx: Context, *, member: Member, step_number: int) -> None:
    """An attendee is now on ``step_number``: kept as their current step and told to the
    room."""
    if member.is_facilitator:
        raise Forbidden("Only the codelab's attendees have a current step")
    if isinstance(step_number, bool) or not isinstance(step_number, int) \
            or not 1 <= step_number <= STEP_MAX:
        raise Validation(f"step_number must be between 1 and {STEP_MAX}",
                         details={"field": "step_number"})
    async with ctx.db.transaction() as session:
        await session.execute(update(CodelabAttendee).where(
            CodelabAttendee.user_id == member.user_id,
            CodelabAttendee.course_id == member.codelab_id).values(current_step=step_number))
    await ctx.broker.publish(codelabs.topic(member.codelab_id), {
        "type": "step_progress", "attendee_user_id": str(member.user_id),
        "step_number": step_number})


# A direct message's target when it is the codelab's facilitators (not an attendee).
FACILITATOR_TARGET = "facilitator"


def room_rule(viewer):
    """``get_member``'s codelabs (those the viewer runs or attends, of the ones it may
    read), as a SQL condition on courses."""
    return and_(Course.kind == codelabs.KIND, codelabs.visible_rule(viewer),
                codelabs.member_rule(viewer))


def message_rule(viewer):
    """``_visible_query``'s messages, as a SQL condition on room messages: all of them for
    the codelab's facilitators; for its attendees the room's chat and their own direct
    messages."""
    facilitated = CodelabChatMessage.course_id.in_(
        select(Course.id).where(codelabs.facilitate_rule(viewer)))
    if viewer.user_id is None:
        return or_(facilitated, CodelabChatMessage.msg_type == "chat")
    return or_(facilitated, CodelabChatMessage.msg_type == "chat",
               CodelabChatMessage.sender_user_id == VIEWER_ID,
               CodelabChatMessage.target_user_id == VIEWER_ID)


def target_ref_value():
    """A direct message's target (``attendee_<hex>`` or the facilitators), null for a
    message to the room, as a SQL expression on room messages."""
    attendee = func.concat("attendee_", func.replace(
        cast(CodelabChatMessage.target_user_id, Text), "-", ""))
    return case((CodelabChatMessage.msg_type != "dm", None),
                (CodelabChatMessage.target_user_id.is_(None), FACILITATOR_TARGET),
                else_=attendee)


def _visible_query(member: Member):
    query = select(CodelabChatMessage).where(CodelabChatMessage.course_id == member.codelab_id)
    if not member.is_facilitator:
        query = query.where(or_(CodelabChatMessage.msg_type == "chat",
                                CodelabChatMessage.sender_user_id == member.user_id,
                                CodelabChatMessage.target_user_id == member.user_id))
    return query


async def get_history(ctx: Context, *, codelab_id: int, page: PageArgs) -> Page:
    """The room's kept messages the viewer may see, oldest first: the latest ``limit``
    (REST, ``skip`` counting back from the newest) or a cursor page from the first."""
    member = await get_member(ctx, codelab_id=codelab_id)
    query = _visible_query(member)
    async with ctx.db.session() as session:
        if page.skip is not None:
            rows = list((await session.execute(
                query.order_by(CodelabChatMessage.id.desc()).offset(page.skip)
                .limit(page.limit))).scalars())
            rows.reverse()
            return Page(items=rows)
        size = page_size(page.first, None)
        total = query
        if page.after:
            query = query.where(CodelabChatMessage.id > decode_id_cursor(page.after))
        rows = list((await session.execute(
            query.order_by(CodelabChatMessage.id).limit(size + 1))).scalars())
    return Page(items=rows[:size], cursors=[encode_cursor([r.id]) for r in rows[:size]],
                has_next=len(rows) > size, has_previous=bool(page.after), total=total)


def sees(member: Member, event: dict) -> bool:
    """Whether ``member`` receives ``event`` live: direct messages only reach their
    recipients (an attendee, or the facilitators when sent to them)."""
    if event.get("type") not in EVENT_TYPES:
        return False
    if event["type"] != "dm":
        return True
    target = event.get("target_user_id")
    return member.is_facilitator if target is None else target == str(member.user_id)


def all_events(ctx: Context, *, codelab_id: int) -> Subscription:
    """Every event of the codelab's room, from every instance, from this call on: for one
    fan-out to several members of this process, which gives each of them the events
    ``sees`` lets them see."""
    return ctx.broker.subscribe(codelabs.topic(codelab_id))


def events(ctx: Context, *, member: Member) -> RoomEvents:
    """The room's events ``member`` may see, from every instance, from this call on."""
    return RoomEvents(member, ctx.broker.subscribe(codelabs.topic(member.codelab_id)))


class RoomEvents:
    """An async iterator of the room events one member may see; ``aclose`` ends it."""

    def __init__(self, member: Member, subscription: Subscription) -> None:
        self._member = member
        self._subscription = subscription

    def __aiter__(self) -> RoomEvents:
        return self

    async def __anext__(self) -> dict:
        while True:
            event = await self._subscription.__anext__()
            if sees(self._member, event):
                return event

    async def aclose(self) -> None:
        self._subscription.close()
