"""Inline comments: threads anchored to a range of a step's or the guide's text.

A thread is identified within its codelab by the client's ``anchor_key``;
creating a comment with an anchor that has a thread appends to it (the anchor
must then name the same target, range and content hash, else 400). A new
thread may not overlap another thread's range on the same target and content
(400: reply to that one instead). ``content_hash`` is the client's hash of the
text the range was taken from: a reply sent with another hash was written
against changed content and is refused as stale (400). A comment is deleted by
its author or a facilitator (whose deletions of others' comments are audited);
deleting a thread's last comment deletes the thread. Every change tells the
room (``inline_comment_changed``). The room's members (facilitators and the
codelab's attendees) read and write them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select

from core.context import Context
from core.errors import Forbidden, NotFound, Validation
from loaders.codelab_live import CommentsByThreadIdLoader
from models.codelab import Codelab
from models.codelab_live import CodelabComment, CodelabCommentThread
from models.course import Module
from resolvers import codelab_audit, codelabs
from resolvers.codelab_room import Member, get_member

TARGETS = ("step", "guide")
ANCHOR_MAX = 512
SELECTED_MAX = 2000
HASH_MAX = 128
MESSAGE_MAX = 1000
OFFSET_MAX = 10_000_000
THREADS_MAX = 2000
COMMENTS_MAX = 500
THREAD_NOT_FOUND = "Inline comment thread not found"
COMMENT_NOT_FOUND = "Inline comment not found"


@dataclass(frozen=True)
class Thread:
    """A thread with its comments, oldest first."""

    row: CodelabCommentThread
    comments: list[CodelabComment]


@dataclass(frozen=True)
class Anchor:
    """Where a new thread is anchored."""

    anchor_key: str
    target_type: str
    step_id: int | None
    start_offset: int
    end_offset: int
    selected_text: str
    content_hash: str


def _bad(field: str, message: str) -> Validation:
    return Validation(message, details={"field": field})


def _text(field: str, value: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _bad(field, f"{field} is required")
    if len(value) > limit or "\x00" in value:
        raise _bad(field, f"{field} must be at most {limit} characters")
    return value.strip()


def check_target_type(target_type: str | None) -> None:
    if target_type is not None and target_type not in TARGETS:
        raise _bad("target_type", "target_type must be step or guide")


def _check_anchor(anchor: Anchor) -> Anchor:
    check_target_type(anchor.target_type)
    if anchor.target_type == "guide" and anchor.step_id is not None:
        raise _bad("target_step_id", "Guide comments have no target_step_id")
    if anchor.target_type == "step" and anchor.step_id is None:
        raise _bad("target_step_id", "target_step_id is required")
    if not 0 <= anchor.start_offset < anchor.end_offset <= OFFSET_MAX:
        raise _bad("end_offset", "Offsets must satisfy 0 <= start_offset < end_offset")
    return Anchor(anchor_key=_text("anchor_key", anchor.anchor_key, ANCHOR_MAX),
                  target_type=anchor.target_type, step_id=anchor.step_id,
                  start_offset=anchor.start_offset, end_offset=anchor.end_offset,
                  selected_text=_text("selected_text", anchor.selected_text, SELECTED_MAX),
                  content_hash=_text("content_hash", anchor.content_hash, HASH_MAX))


async def _with_comments(ctx: Context, rows: list[CodelabCommentThread]) -> list[Thread]:
    comments = await ctx.loaders.get(CommentsByThreadIdLoader).load_many([r.id for r in rows])
    return [Thread(row=r, comments=c) for r, c in zip(rows, comments, strict=True)]


async def get_all(ctx: Context, *, codelab_id: int, target_type: str | None = None,
                  step_id: int | None = None, skip: int = 0,
                  limit: int = THREADS_MAX) -> list[Thread]:
    """A codelab's threads in creation order, optionally of one target (the room's
    members)."""
    check_target_type(target_type)
    await get_member(ctx, codelab_id=codelab_id)
    query = select(CodelabCommentThread).where(CodelabCommentThread.course_id == codelab_id)
    if target_type is not None:
        query = query.where(CodelabCommentThread.target_type == target_type)
    if step_id is not None:
        query = query.where(CodelabCommentThread.step_id == step_id)
    async with ctx.db.session() as session:
        rows = list((await session.execute(
            query.order_by(CodelabCommentThread.id).offset(skip).limit(limit))).scalars())
    return await _with_comments(ctx, rows)


async def _announce(ctx: Context, row: CodelabCommentThread) -> None:
    await ctx.broker.publish(codelabs.topic(row.course_id), {
        "type": "inline_comment_changed", "target_type": row.target_type,
        "step_id": row.step_id})


def _comment(member: Member, thread: CodelabCommentThread, message: str) -> CodelabComment:
    return CodelabComment(thread_id=thread.id, course_id=thread.course_id,
                          author_role=member.role, author_user_id=member.user_id,
                          author_name=member.name, message=message)


async def _thread(ctx: Context, codelab_id: int, thread_id: int) -> Thread:
    async with ctx.db.session() as session:
        row = await session.get(CodelabCommentThread, thread_id)
    if row is None or row.course_id != codelab_id:
        raise NotFound(THREAD_NOT_FOUND)
    [thread] = await _with_comments(ctx, [row])
    return thread


def _same_anchor(row: CodelabCommentThread, anchor: Anchor) -> bool:
    return (row.target_type, row.step_id, row.start_offset, row.end_offset,
            row.content_hash) == (anchor.target_type, anchor.step_id, anchor.start_offset,
                                  anchor.end_offset, anchor.content_hash)


async def create(ctx: Context, *, codelab_id: int, anchor: Anchor, message: str) -> Thread:
    """Comment on a range: a new thread, or a comment appended to the anchor's thread."""
    member = await get_member(ctx, codelab_id=codelab_id)
    anchor = _check_anchor(anchor)
    text = _text("message", message, MESSAGE_MAX)
    async with ctx.db.transaction() as session:
        # One writer of a codelab's threads at a time: the overlap check holds.
        await session.execute(select(Codelab.course_id).where(
            Codelab.course_id == codelab_id).with_for_update())
        if anchor.step_id is not None:
            step = await session.get(Module, anchor.step_id)
            if step is None or step.course_id != codelab_id:
                raise NotFound("Step not found")
        row = (await session.execute(select(CodelabCommentThread).where(
            CodelabCommentThread.course_id == codelab_id,
            CodelabCommentThread.anchor_key == anchor.anchor_key))).scalar_one_or_none()
        if row is not None:
            if not _same_anchor(row, anchor):
                raise _bad("anchor_key", "anchor_key names another range")
            await _check_room_for(session, row)
        else:
            row = await _new_thread(session, member, codelab_id, anchor)
        session.add(_comment(member, row, text))
    await _announce(ctx, row)
    return await _thread(ctx, codelab_id, row.id)


async def _new_thread(session, member: Member, codelab_id: int,
                      anchor: Anchor) -> CodelabCommentThread:
    same_target = select(CodelabCommentThread).where(
        CodelabCommentThread.course_id == codelab_id,
        CodelabCommentThread.target_type == anchor.target_type,
        CodelabCommentThread.content_hash == anchor.content_hash)
    same_target = same_target.where(
        CodelabCommentThread.step_id == anchor.step_id if anchor.step_id is not None
        else CodelabCommentThread.step_id.is_(None))
    overlapping = (await session.execute(same_target.where(
        CodelabCommentThread.start_offset < anchor.end_offset,
        CodelabCommentThread.end_offset > anchor.start_offset).limit(1))).scalar_one_or_none()
    if overlapping is not None:
        raise _bad("start_offset", "An overlapping highlight exists: reply on it instead")
    count = (await session.execute(select(func.count()).select_from(CodelabCommentThread)
                                   .where(CodelabCommentThread.course_id == codelab_id))
             ).scalar_one()
    if count >= THREADS_MAX:
        raise _bad("anchor_key", f"A codelab has at most {THREADS_MAX} comment threads")
    row = CodelabCommentThread(
        course_id=codelab_id, anchor_key=anchor.anchor_key, target_type=anchor.target_type,
        step_id=anchor.step_id, start_offset=anchor.start_offset,
        end_offset=anchor.end_offset, selected_text=anchor.selected_text,
        content_hash=anchor.content_hash, created_by_user_id=member.user_id,
        created_by_role=member.role)
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row


async def _check_room_for(session, row: CodelabCommentThread) -> None:
    count = (await session.execute(select(func.count()).select_from(CodelabComment).where(
        CodelabComment.thread_id == row.id))).scalar_one()
    if count >= COMMENTS_MAX:
        raise _bad("message", f"A thread holds at most {COMMENTS_MAX} comments")


async def reply(ctx: Context, *, codelab_id: int, thread_id: int, message: str,
                content_hash: str) -> Thread:
    """Reply in a thread; refused as stale when ``content_hash`` is not the thread's."""
    member = await get_member(ctx, codelab_id=codelab_id)
    text = _text("message", message, MESSAGE_MAX)
    content_hash = _text("content_hash", content_hash, HASH_MAX)
    async with ctx.db.transaction() as session:
        row = (await session.execute(select(CodelabCommentThread).where(
            CodelabCommentThread.id == thread_id).with_for_update())).scalar_one_or_none()
        if row is None or row.course_id != codelab_id:
            raise NotFound(THREAD_NOT_FOUND)
        if row.content_hash != content_hash:
            raise _bad("content_hash", "The content changed since this thread was started: "
                                       "it is stale and takes no replies")
        await _check_room_for(session, row)
        session.add(_comment(member, row, text))
    await _announce(ctx, row)
    return await _thread(ctx, codelab_id, thread_id)


async def delete_comment(ctx: Context, *, codelab_id: int, thread_id: int,
                         comment_id: int) -> bool:
    """Delete a comment (its author or a facilitator); True when it was the thread's last
    and the thread went with it."""
    member = await get_member(ctx, codelab_id=codelab_id)
    async with ctx.db.transaction() as session:
        row = (await session.execute(select(CodelabCommentThread).where(
            CodelabCommentThread.id == thread_id).with_for_update())).scalar_one_or_none()
        comment = await session.get(CodelabComment, comment_id)
        if (row is None or row.course_id != codelab_id or comment is None
                or comment.thread_id != thread_id):
            raise NotFound(COMMENT_NOT_FOUND)
        if not member.is_facilitator and comment.author_user_id != member.user_id:
            raise Forbidden("Only the comment's author or a facilitator can delete it")
        await session.delete(comment)
        await session.flush()
        left = (await session.execute(select(func.count()).select_from(CodelabComment).where(
            CodelabComment.thread_id == thread_id))).scalar_one()
        if left == 0:
            await session.execute(delete(CodelabCommentThread).where(
                CodelabCommentThread.id == thread_id))
        if comment.author_user_id != member.user_id:
            codelab_audit.record(session, ctx, action=codelab_audit.COMMENT_DELETE,
                                 codelab_id=codelab_id, target_id=comment_id,
                                 details={"thread_id": thread_id})
    await _announce(ctx, row)
    return left == 0
