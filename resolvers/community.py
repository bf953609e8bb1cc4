"""What learners make together: notes, flashcards and reviews of them, discussion threads
and posts, and course ratings.

Notes and flashcards are private to their author. Threads and posts are for the
course's members: learners enrolled (ACTIVE or COMPLETED) in one of its offerings,
instructors and platform admins; authors edit and delete their own, platform admins
moderate everything. Only enrolled learners rate a course, once each (a second rating
replaces the first); reviews are read by anyone who may see the course (an unpublished
course's only by staff). Every creation is logged as learning activity.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import false, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import Context
from core.errors import Forbidden, NotFound, Validation
from core.pagination import encode_cursor, page_size
from core.planning import VIEWER_ID
from loaders.learning import (
    CourseReviewByIdLoader,
    DiscussionPostByIdLoader,
    DiscussionThreadByIdLoader,
    FirstPostsByThreadLoader,
    FlashcardByIdLoader,
    LatestReviewByFlashcardIdLoader,
    NoteByIdLoader,
)
from loaders.membership import MemberCourseIdsByUserIdLoader
from models.community import (
    CourseReview,
    DiscussionPost,
    DiscussionThread,
    Flashcard,
    FlashcardReview,
    Note,
)
from models.course import ContentItem, Course, CourseOffering, Enrollment
from resolvers import courses
from resolvers.access import ENROLLED_STATUSES, is_self_or_admin, is_staff
from resolvers.activity import record_activity
from resolvers.catalog import get_row, locked_row
from resolvers.changes import OMITTED, reject_nulls, sent
from resolvers.pages import Page, page_by_id

COURSE_NOT_FOUND = courses.COURSE_NOT_FOUND
TEXT_MAX = 20_000
TITLE_MAX = 300


def _text(value: str, field: str, *, maximum: int = TEXT_MAX, required: bool = True) -> str:
    value = value.strip()
    if required and not value:
        raise Validation(f"{field} must not be empty", details={"field": field})
    if len(value) > maximum:
        raise Validation(f"{field} must be at most {maximum} characters",
                         details={"field": field})
    return value


async def _is_enrolled(session: AsyncSession, user_id: uuid.UUID, course_id: int) -> bool:
    return (await session.execute(
        select(Enrollment.id).join(CourseOffering,
                                   CourseOffering.id == Enrollment.course_offering_id)
        .where(Enrollment.user_id == user_id, CourseOffering.course_id == course_id,
               Enrollment.status.in_(ENROLLED_STATUSES)).limit(1))).first() is not None


async def _require_member(session: AsyncSession, ctx: Context, course_id: int, *,
                          staff_pass: bool = True) -> Course:
    """The course, when the viewer is enrolled in it (or is staff, when ``staff_pass``)."""
    user_id = ctx.viewer.require_user()
    course = await get_row(session, Course, course_id, COURSE_NOT_FOUND)
    if not (staff_pass and is_staff(ctx.viewer)) and not await _is_enrolled(session, user_id,
                                                                           course_id):
        raise Forbidden("You are not enrolled in this course")
    return course


async def _check_item(session: AsyncSession, content_item_id: int | None,
                      course_id: int) -> None:
    if content_item_id is None:
        return
    item = await session.get(ContentItem, content_item_id)
    if item is None:
        raise NotFound("Content item not found")
    if item.course_id != course_id:
        raise Validation("Content item does not belong to this course")


async def _own(session: AsyncSession, ctx: Context, model, row_id: int, label: str, *,
               private: bool) -> Any:
    """A row for the viewer to change: theirs, or any when they moderate (public rows)."""
    user_id = ctx.viewer.require_user()
    row = await session.get(model, row_id, with_for_update=True)
    if row is None or (private and row.user_id != user_id):
        raise NotFound(f"{label} not found")
    if row.user_id != user_id and not ctx.viewer.is_admin:
        raise Forbidden(f"You can only change your own {label.lower()}s")
    return row


async def _saved(session: AsyncSession, row: Any) -> Any:
    await session.flush()
    await session.refresh(row)
    return row


async def _page(ctx: Context, query, column, **page) -> Page:
    async with ctx.db.session() as session:
        return await page_by_id(session, query, column, **page)


def _enrolled_course_ids():
    """The courses the viewer is enrolled in (ACTIVE or COMPLETED), as a SQL select."""
    return (select(CourseOffering.course_id)
            .join(Enrollment, Enrollment.course_offering_id == CourseOffering.id)
            .where(Enrollment.user_id == VIEWER_ID, Enrollment.status.in_(ENROLLED_STATUSES)))


def member_rule(viewer):
    """The courses whose discussions the viewer belongs to (``_require_member``,
    ``_member_course_ids``): every course for staff, those they are enrolled in for
    others, as a SQL condition on courses."""
    if is_staff(viewer):
        return true()
    return Course.id.in_(_enrolled_course_ids()) if viewer.user_id is not None else false()


def thread_rule(viewer):
    """Who reads a thread by id (``get_many``): its course's members, as a SQL condition on
    threads."""
    if is_staff(viewer):
        return true()
    return (DiscussionThread.course_id.in_(_enrolled_course_ids())
            if viewer.user_id is not None else false())


def post_rule(viewer):
    """Who reads a post by id (``get_many``): its thread's course's members, as a SQL
    condition on posts."""
    if is_staff(viewer):
        return true()
    return DiscussionPost.thread_id.in_(select(DiscussionThread.id).where(thread_rule(viewer)))


def review_rule(viewer):
    """Who reads a review by id (``get_many``): anyone who may see its course, as a SQL
    condition on reviews."""
    return CourseReview.course_id.in_(select(Course.id).where(courses.visible_rule(viewer)))


# --- notes ---------------------------------------------------------------------------------

async def create_note(ctx: Context, *, course_id: int, body: str, title: str = "",
                      content_item_id: int | None = None) -> Note:
    """Write a private note on a course (or one of its content items)."""
    body = _text(body, "body")
    title = _text(title, "title", maximum=TITLE_MAX, required=False)
    async with ctx.db.transaction() as session:
        await _require_member(session, ctx, course_id)
        await _check_item(session, content_item_id, course_id)
        note = Note(user_id=ctx.viewer.user_id, course_id=course_id,
                    content_item_id=content_item_id, title=title, body=body)
        session.add(note)
        await record_activity(session, ctx.viewer.user_id, "NOTE", course_id=course_id,
                              content_item_id=content_item_id, summary=title or body[:80])
        return await _saved(session, note)


async def update_note(ctx: Context, *, note_id: int, title: str | None = OMITTED,
                      body: str | None = OMITTED) -> Note:
    """Change one of your notes (omitted fields keep their value; null is refused)."""
    reject_nulls(Note, sent(title=title, body=body))
    async with ctx.db.transaction() as session:
        note = await _own(session, ctx, Note, note_id, "Note", private=True)
        if title is not OMITTED:
            note.title = _text(title, "title", maximum=TITLE_MAX, required=False)
        if body is not OMITTED:
            note.body = _text(body, "body")
        return await _saved(session, note)


async def delete_note(ctx: Context, *, note_id: int) -> None:
    """Delete one of your notes."""
    async with ctx.db.transaction() as session:
        await session.delete(await _own(session, ctx, Note, note_id, "Note", private=True))


async def get_my_notes_page(ctx: Context, *, course_id: int | None = None, **page) -> Page:
    """Your notes (on one course when given), oldest first."""
    query = select(Note).where(Note.user_id == ctx.viewer.require_user())
    if course_id is not None:
        query = query.where(Note.course_id == course_id)
    return await _page(ctx, query, Note.id, **page)


# --- flashcards ----------------------------------------------------------------------------

async def create_flashcard(ctx: Context, *, course_id: int, front: str, back: str,
                           content_item_id: int | None = None) -> Flashcard:
    """Make a private flashcard for a course."""
    front, back = _text(front, "front"), _text(back, "back")
    async with ctx.db.transaction() as session:
        await _require_member(session, ctx, course_id)
        await _check_item(session, content_item_id, course_id)
        card = Flashcard(user_id=ctx.viewer.user_id, course_id=course_id,
                         content_item_id=content_item_id, front=front, back=back)
        session.add(card)
        return await _saved(session, card)


async def update_flashcard(ctx: Context, *, flashcard_id: int, front: str | None = OMITTED,
                           back: str | None = OMITTED) -> Flashcard:
    """Change one of your flashcards (omitted fields keep their value; null is refused)."""
    reject_nulls(Flashcard, sent(front=front, back=back))
    async with ctx.db.transaction() as session:
        card = await _own(session, ctx, Flashcard, flashcard_id, "Flashcard", private=True)
        if front is not OMITTED:
            card.front = _text(front, "front")
        if back is not OMITTED:
            card.back = _text(back, "back")
        return await _saved(session, card)


async def delete_flashcard(ctx: Context, *, flashcard_id: int) -> None:
    """Delete one of your flashcards and its reviews."""
    async with ctx.db.transaction() as session:
        await session.delete(await _own(session, ctx, Flashcard, flashcard_id, "Flashcard",
                                        private=True))


async def get_my_flashcards_page(ctx: Context, *, course_id: int | None = None,
                                 **page) -> Page:
    """Your flashcards (on one course when given), oldest first."""
    query = select(Flashcard).where(Flashcard.user_id == ctx.viewer.require_user())
    if course_id is not None:
        query = query.where(Flashcard.course_id == course_id)
    return await _page(ctx, query, Flashcard.id, **page)


def next_interval_days(grades: list[int]) -> int:
    """SM-2: days until the next review after this history of grades (0–5), oldest first.

    A grade below 3 restarts the card at one day; correct answers go 1, 6, then the
    previous interval times the easiness factor (2.5 at first, never below 1.3).
    """
    easiness, interval, repetition = 2.5, 0, 0
    for grade in grades:
        if grade < 3:
            repetition, interval = 0, 1
        else:
            repetition += 1
            interval = 1 if repetition == 1 else 6 if repetition == 2 else round(
                interval * easiness)
        easiness = max(1.3, easiness + 0.1 - (5 - grade) * (0.08 + (5 - grade) * 0.02))
    return interval


async def review_flashcard(ctx: Context, *, flashcard_id: int, grade: int,
                           at: datetime | None = None) -> FlashcardReview:
    """Grade your recall of a flashcard (0 forgot … 5 perfect); schedules the next review."""
    if not 0 <= grade <= 5:
        raise Validation("grade must be between 0 and 5", details={"field": "grade"})
    at = at or datetime.now(UTC)
    async with ctx.db.transaction() as session:
        card = await _own(session, ctx, Flashcard, flashcard_id, "Flashcard", private=True)
        grades = list((await session.execute(
            select(FlashcardReview.grade).where(FlashcardReview.flashcard_id == card.id)
            .order_by(FlashcardReview.reviewed_at, FlashcardReview.id))).scalars())
        days = next_interval_days([*grades, grade])
        review = FlashcardReview(flashcard_id=card.id, user_id=card.user_id, grade=grade,
                                 reviewed_at=at, next_review_at=at + timedelta(days=days))
        session.add(review)
        await record_activity(session, card.user_id, "FLASHCARD_REVIEW",
                              course_id=card.course_id, content_item_id=card.content_item_id,
                              summary=f"{card.front[:60]}: {grade}", at=at)
        return await _saved(session, review)


async def get_latest_review(ctx: Context, *, flashcard_id: int) -> FlashcardReview | None:
    """The latest review of a flashcard, through the request's loader."""
    return await ctx.loaders.get(LatestReviewByFlashcardIdLoader).load(flashcard_id)


# --- discussions ---------------------------------------------------------------------------

async def create_thread(ctx: Context, *, course_id: int, title: str, body: str,
                        content_item_id: int | None = None) -> DiscussionThread:
    """Open a discussion thread in a course you belong to."""
    title = _text(title, "title", maximum=TITLE_MAX)
    body = _text(body, "body")
    async with ctx.db.transaction() as session:
        await _require_member(session, ctx, course_id)
        await _check_item(session, content_item_id, course_id)
        thread = DiscussionThread(user_id=ctx.viewer.user_id, course_id=course_id,
                                  content_item_id=content_item_id, title=title, body=body)
        session.add(thread)
        await record_activity(session, ctx.viewer.user_id, "DISCUSSION_POST",
                              course_id=course_id, content_item_id=content_item_id,
                              summary=title)
        return await _saved(session, thread)


async def update_thread(ctx: Context, *, thread_id: int, title: str | None = OMITTED,
                        body: str | None = OMITTED) -> DiscussionThread:
    """Edit your thread in a course you still belong to (platform admins may edit any);
    omitted fields keep their value, null is refused."""
    reject_nulls(DiscussionThread, sent(title=title, body=body))
    async with ctx.db.transaction() as session:
        thread = await _own(session, ctx, DiscussionThread, thread_id, "Thread", private=False)
        # The edited thread comes back with its posts: only members may read them.
        await _require_member(session, ctx, thread.course_id)
        if title is not OMITTED:
            thread.title = _text(title, "title", maximum=TITLE_MAX)
        if body is not OMITTED:
            thread.body = _text(body, "body")
        return await _saved(session, thread)


async def delete_thread(ctx: Context, *, thread_id: int) -> None:
    """Delete your thread and its posts (platform admins may delete any)."""
    async with ctx.db.transaction() as session:
        await session.delete(await _own(session, ctx, DiscussionThread, thread_id, "Thread",
                                        private=False))


async def get_threads_page(ctx: Context, *, course_id: int, **page) -> Page:
    """A course's threads, oldest first; for its members."""
    async with ctx.db.session() as session:
        await _require_member(session, ctx, course_id)
    query = select(DiscussionThread).where(DiscussionThread.course_id == course_id)
    result = await _page(ctx, query, DiscussionThread.id, **page)
    loader = ctx.loaders.get(DiscussionThreadByIdLoader)
    for thread in result.items:
        loader.prime(thread.id, thread)
    return result


async def _thread_for_member(session: AsyncSession, ctx: Context,
                             thread_id: int) -> DiscussionThread:
    thread = await session.get(DiscussionThread, thread_id)
    if thread is None:
        raise NotFound("Thread not found")
    await _require_member(session, ctx, thread.course_id)
    return thread


async def create_post(ctx: Context, *, thread_id: int, body: str,
                      parent_post_id: int | None = None) -> DiscussionPost:
    """Reply in a thread of a course you belong to (optionally to another post)."""
    body = _text(body, "body")
    async with ctx.db.transaction() as session:
        thread = await _thread_for_member(session, ctx, thread_id)
        if parent_post_id is not None:
            parent = await session.get(DiscussionPost, parent_post_id)
            if parent is None or parent.thread_id != thread.id:
                raise Validation("The parent post is not in this thread",
                                 details={"field": "parentPostId"})
        post = DiscussionPost(thread_id=thread.id, user_id=ctx.viewer.user_id,
                              parent_post_id=parent_post_id, body=body)
        session.add(post)
        await record_activity(session, ctx.viewer.user_id, "DISCUSSION_POST",
                              course_id=thread.course_id, summary=body[:80])
        return await _saved(session, post)


async def update_post(ctx: Context, *, post_id: int, body: str) -> DiscussionPost:
    """Edit your post in a course you still belong to (platform admins may edit any)."""
    async with ctx.db.transaction() as session:
        post = await _own(session, ctx, DiscussionPost, post_id, "Post", private=False)
        # Like threads: an author who left the course no longer writes in it.
        await _thread_for_member(session, ctx, post.thread_id)
        post.body = _text(body, "body")
        return await _saved(session, post)


async def delete_post(ctx: Context, *, post_id: int) -> None:
    """Delete your post and its replies (platform admins may delete any)."""
    async with ctx.db.transaction() as session:
        await session.delete(await _own(session, ctx, DiscussionPost, post_id, "Post",
                                        private=False))


async def get_posts_page(ctx: Context, *, thread_id: int, first: int | None = None,
                         after: str | None = None, last: int | None = None,
                         before: str | None = None) -> Page:
    """A thread's posts, oldest first; for the course's members.

    The membership check and the first pages (``first`` without a cursor) of many
    threads each load in one batch, so a page of threads with their posts costs the
    same for two threads or fifty.
    """
    await _readable_thread(ctx, thread_id)
    query = select(DiscussionPost).where(DiscussionPost.thread_id == thread_id)
    if first is not None and after is None and last is None and before is None:
        size = page_size(first, None)
        rows = await ctx.loaders.get(FirstPostsByThreadLoader).load((thread_id, size))
        shown = rows[:size]
        return Page(items=shown, cursors=[encode_cursor([r.id]) for r in shown],
                    has_next=len(rows) > size, total=query)
    return await _page(ctx, query, DiscussionPost.id, first=first, after=after, last=last,
                       before=before)


# --- course reviews ------------------------------------------------------------------------

async def rate_course(ctx: Context, *, course_id: int, rating: int,
                      review: str = "") -> CourseReview:
    """Rate a course you are enrolled in (1–5); rating again replaces your review."""
    if not 1 <= rating <= 5:
        raise Validation("rating must be between 1 and 5", details={"field": "rating"})
    review = _text(review, "review", required=False)
    async with ctx.db.transaction() as session:
        await _require_member(session, ctx, course_id, staff_pass=False)
        user_id = ctx.viewer.user_id
        row = await locked_row(session, CourseReview, {
            "course_id": course_id, "user_id": user_id, "rating": rating, "review": review},
            ("course_id", "user_id"))
        row.rating, row.review = rating, review
        await record_activity(session, user_id, "COURSE_REVIEW", course_id=course_id,
                              summary=f"{rating}/5")
        return await _saved(session, row)


async def get_reviews_page(ctx: Context, *, course_id: int, **page) -> Page:
    """A course's reviews, oldest first; readable by anyone who may see the course."""
    await courses.get(ctx, course_id=course_id)
    query = select(CourseReview).where(CourseReview.course_id == course_id)
    return await _page(ctx, query, CourseReview.id, **page)


# --- nodes ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Kind:
    loader: type
    private: bool


_KINDS = {"note": _Kind(NoteByIdLoader, True), "flashcard": _Kind(FlashcardByIdLoader, True),
          "thread": _Kind(DiscussionThreadByIdLoader, False),
          "post": _Kind(DiscussionPostByIdLoader, False),
          "review": _Kind(CourseReviewByIdLoader, False)}


async def _member_course_ids(ctx: Context) -> frozenset[int] | None:
    """Courses whose discussions the viewer may read; None means all (staff)."""
    if is_staff(ctx.viewer):
        return None
    if ctx.viewer.user_id is None:
        return frozenset()
    return await ctx.loaders.get(MemberCourseIdsByUserIdLoader).load(ctx.viewer.user_id)


async def _readable_thread(ctx: Context, thread_id: int) -> DiscussionThread:
    """The thread, when the viewer is a member of its course (batched for many threads)."""
    ctx.viewer.require_user()
    thread = await ctx.loaders.get(DiscussionThreadByIdLoader).load(thread_id)
    if thread is None:
        raise NotFound("Thread not found")
    members = await _member_course_ids(ctx)
    if members is not None and thread.course_id not in members:
        raise Forbidden("You are not enrolled in this course")
    return thread


async def get_many(ctx: Context, *, kind: str, ids: list[int | None]) -> list[Any]:
    """Community rows by id; None where missing or not the viewer's to see."""
    spec = _KINDS[kind]
    wanted = [i for i in ids if i is not None]
    found = dict(zip(wanted, await ctx.loaders.get(spec.loader).load_many(wanted), strict=True))
    rows = [found.get(i) if i is not None else None for i in ids]
    present = [r for r in rows if r is not None]
    if spec.private:
        return [r if r is not None and is_self_or_admin(ctx, r.user_id) else None for r in rows]
    if kind == "review":
        seen = await courses.get_visible_many(ctx, course_ids=[r.course_id for r in present])
        visible = {c.id for c in seen if c is not None}
        return [r if r is not None and r.course_id in visible else None for r in rows]
    if not present:
        return rows
    members = await _member_course_ids(ctx)
    if members is None:
        return rows
    if kind == "thread":
        course_of = {r.id: r.course_id for r in present}
    else:
        threads = await ctx.loaders.get(DiscussionThreadByIdLoader).load_many(
            [r.thread_id for r in present])
        by_thread = {t.id: t.course_id for t in threads if t is not None}
        course_of = {r.id: by_thread.get(r.thread_id) for r in present}
    return [r if r is not None and course_of.get(r.id) in members else None for r in rows]
