"""GraphQL for the course platform: notes, flashcards, discussions and course reviews.

The course platform's REST API has none of these; they are GraphQL only.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from resolvers import community
from resolvers import user as user_resolvers
from schema.catalog_common import DeletePayload, set_fields
from schema.learning import global_id
from schema.pages import Connection, connection, ids_or_none, parse_int_id
from schema.user import User


async def _author(info: Info, user_id) -> User | None:
    user = await user_resolvers.get(info.context, user_id=user_id)
    return User.from_model(user) if user else None


def _course(value: strawberry.ID) -> int:
    return parse_int_id(value, "Course", field="courseId")


def _opt_course(value: strawberry.ID | None) -> int | None:
    return None if value is None else _course(value)


def _item(value: strawberry.ID | None) -> int | None:
    return None if value is None else parse_int_id(value, "ContentItem", field="contentItemId")


def _own_id(value: strawberry.ID, type_name: str) -> int:
    return parse_int_id(value, type_name, field="id")


@strawberry.type(description="A private note of a learner on a course or content item.")
class Note(relay.Node):
    id: relay.NodeID[int]
    title: str
    body: str
    course_id: strawberry.ID = strawberry.field(description="Global ID of the Course.")
    content_item_id: strawberry.ID | None = strawberry.field(
        description="Global ID of the ContentItem.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, row) -> Note:
        return cls(id=row.id, title=row.title, body=row.body,
                   course_id=global_id("Course", row.course_id),
                   content_item_id=global_id("ContentItem", row.content_item_id),
                   created_at=row.created_at, updated_at=row.updated_at)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Note | None]:
        rows = await community.get_many(info.context, kind="note", ids=ids_or_none(node_ids))
        return [cls.from_model(r) if r else None for r in rows]


@strawberry.type(description="One review of a flashcard.")
class FlashcardReview:
    grade: int = strawberry.field(description="0 (forgot) to 5 (perfect recall).")
    reviewed_at: datetime
    next_review_at: datetime | None = strawberry.field(description="When to review next (SM-2).")

    @classmethod
    def from_model(cls, row) -> FlashcardReview:
        return cls(grade=row.grade, reviewed_at=row.reviewed_at,
                   next_review_at=row.next_review_at)


@strawberry.type(description="A private flashcard of a learner.")
class Flashcard(relay.Node):
    id: relay.NodeID[int]
    front: str
    back: str
    course_id: strawberry.ID = strawberry.field(description="Global ID of the Course.")
    content_item_id: strawberry.ID | None = strawberry.field(
        description="Global ID of the ContentItem.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, row) -> Flashcard:
        return cls(id=row.id, front=row.front, back=row.back,
                   course_id=global_id("Course", row.course_id),
                   content_item_id=global_id("ContentItem", row.content_item_id),
                   created_at=row.created_at, updated_at=row.updated_at)

    @strawberry.field(description="The latest review; null before the first one.")
    async def last_review(self, info: Info) -> FlashcardReview | None:
        row = await community.get_latest_review(info.context, flashcard_id=self.id)
        return FlashcardReview.from_model(row) if row else None

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Flashcard | None]:
        rows = await community.get_many(info.context, kind="flashcard", ids=ids_or_none(node_ids))
        return [cls.from_model(r) if r else None for r in rows]


@strawberry.type(description="A reply in a discussion thread.")
class DiscussionPost(relay.Node):
    id: relay.NodeID[int]
    body: str
    thread_id: strawberry.ID = strawberry.field(description="Global ID of the thread.")
    parent_post_id: strawberry.ID | None = strawberry.field(
        description="Global ID of the post this replies to.")
    created_at: datetime
    updated_at: datetime
    _user_id: strawberry.Private[object]

    @classmethod
    def from_model(cls, row) -> DiscussionPost:
        return cls(id=row.id, body=row.body,
                   thread_id=global_id("DiscussionThread", row.thread_id),
                   parent_post_id=global_id("DiscussionPost", row.parent_post_id),
                   created_at=row.created_at, updated_at=row.updated_at, _user_id=row.user_id)

    @strawberry.field(description="Who wrote it.")
    async def author(self, info: Info) -> User | None:
        return await _author(info, self._user_id)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[DiscussionPost | None]:
        rows = await community.get_many(info.context, kind="post", ids=ids_or_none(node_ids))
        return [cls.from_model(r) if r else None for r in rows]


@strawberry.type(description="A page of discussion posts.")
class DiscussionPostConnection(Connection[DiscussionPost]):
    pass


@strawberry.type(description="A discussion thread in a course.")
class DiscussionThread(relay.Node):
    id: relay.NodeID[int]
    title: str
    body: str
    course_id: strawberry.ID = strawberry.field(description="Global ID of the Course.")
    content_item_id: strawberry.ID | None = strawberry.field(
        description="Global ID of the ContentItem.")
    created_at: datetime
    updated_at: datetime
    _user_id: strawberry.Private[object]

    @classmethod
    def from_model(cls, row) -> DiscussionThread:
        return cls(id=row.id, title=row.title, body=row.body,
                   course_id=global_id("Course", row.course_id),
                   content_item_id=global_id("ContentItem", row.content_item_id),
                   created_at=row.created_at, updated_at=row.updated_at, _user_id=row.user_id)

    @strawberry.field(description="Who opened it.")
    async def author(self, info: Info) -> User | None:
        return await _author(info, self._user_id)

    @strawberry.field(description="Replies, oldest first; for the course's members. First "
                                  "pages (`first` without a cursor) of many threads load in "
                                  "one batch.")
    async def posts(self, info: Info, first: int | None = None, after: str | None = None,
                    last: int | None = None,
                    before: str | None = None) -> DiscussionPostConnection:
        page = await community.get_posts_page(info.context, thread_id=self.id, first=first,
                                              after=after, last=last, before=before)
        return connection(DiscussionPostConnection, page, DiscussionPost.from_model)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[DiscussionThread | None]:
        rows = await community.get_many(info.context, kind="thread", ids=ids_or_none(node_ids))
        return [cls.from_model(r) if r else None for r in rows]


@strawberry.type(description="A learner's rating (1–5) of a course with a review text.")
class CourseReview(relay.Node):
    id: relay.NodeID[int]
    rating: int
    review: str
    course_id: strawberry.ID = strawberry.field(description="Global ID of the Course.")
    created_at: datetime
    updated_at: datetime
    _user_id: strawberry.Private[object]

    @classmethod
    def from_model(cls, row) -> CourseReview:
        return cls(id=row.id, rating=row.rating, review=row.review,
                   course_id=global_id("Course", row.course_id), created_at=row.created_at,
                   updated_at=row.updated_at, _user_id=row.user_id)

    @strawberry.field(description="Who wrote it.")
    async def author(self, info: Info) -> User | None:
        return await _author(info, self._user_id)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[CourseReview | None]:
        rows = await community.get_many(info.context, kind="review", ids=ids_or_none(node_ids))
        return [cls.from_model(r) if r else None for r in rows]


@strawberry.type(description="A page of notes.")
class NoteConnection(Connection[Note]):
    pass


@strawberry.type(description="A page of flashcards.")
class FlashcardConnection(Connection[Flashcard]):
    pass


@strawberry.type(description="A page of discussion threads.")
class DiscussionThreadConnection(Connection[DiscussionThread]):
    pass


@strawberry.type(description="A page of course reviews.")
class CourseReviewConnection(Connection[CourseReview]):
    pass


@strawberry.type
class CommunityQuery:
    @strawberry.field(description="Your notes, on one course when given.")
    async def my_notes(self, info: Info, course_id: strawberry.ID | None = None,
                       first: int | None = None, after: str | None = None,
                       last: int | None = None, before: str | None = None) -> NoteConnection:
        page = await community.get_my_notes_page(info.context, course_id=_opt_course(course_id),
                                                 first=first, after=after, last=last,
                                                 before=before)
        return connection(NoteConnection, page, Note.from_model)

    @strawberry.field(description="Your flashcards, on one course when given.")
    async def my_flashcards(self, info: Info, course_id: strawberry.ID | None = None,
                            first: int | None = None, after: str | None = None,
                            last: int | None = None,
                            before: str | None = None) -> FlashcardConnection:
        page = await community.get_my_flashcards_page(
            info.context, course_id=_opt_course(course_id), first=first, after=after,
            last=last, before=before)
        return connection(FlashcardConnection, page, Flashcard.from_model)

    @strawberry.field(description="A course's discussion threads (for its members).")
    async def discussion_threads(self, info: Info, course_id: strawberry.ID,
                                 first: int | None = None, after: str | None = None,
                                 last: int | None = None,
                                 before: str | None = None) -> DiscussionThreadConnection:
        page = await community.get_threads_page(info.context, course_id=_course(course_id),
                                                first=first, after=after, last=last,
                                                before=before)
        return connection(DiscussionThreadConnection, page, DiscussionThread.from_model)

    @strawberry.field(description="A course's reviews (public).")
    async def course_reviews(self, info: Info, course_id: strawberry.ID,
                             first: int | None = None, after: str | None = None,
                             last: int | None = None,
                             before: str | None = None) -> CourseReviewConnection:
        page = await community.get_reviews_page(info.context, course_id=_course(course_id),
                                                first=first, after=after, last=last,
                                                before=before)
        return connection(CourseReviewConnection, page, CourseReview.from_model)


@strawberry.input(description="A new note.")
class CreateNoteInput:
    course_id: strawberry.ID
    body: str
    title: str = ""
    content_item_id: strawberry.ID | None = None


@strawberry.input(description="Changes to one of your notes; omitted fields keep their "
                              "value, null is refused.")
class UpdateNoteInput:
    id: strawberry.ID
    title: str | None = strawberry.UNSET
    body: str | None = strawberry.UNSET


@strawberry.input(description="A new flashcard.")
class CreateFlashcardInput:
    course_id: strawberry.ID
    front: str
    back: str
    content_item_id: strawberry.ID | None = None


@strawberry.input(description="Changes to one of your flashcards; omitted fields keep their "
                              "value, null is refused.")
class UpdateFlashcardInput:
    id: strawberry.ID
    front: str | None = strawberry.UNSET
    back: str | None = strawberry.UNSET


@strawberry.input(description="How well you recalled a flashcard.")
class ReviewFlashcardInput:
    id: strawberry.ID
    grade: int = strawberry.field(description="0 (forgot) to 5 (perfect recall).")


@strawberry.input(description="A new discussion thread.")
class CreateDiscussionThreadInput:
    course_id: strawberry.ID
    title: str
    body: str
    content_item_id: strawberry.ID | None = None


@strawberry.input(description="Changes to a thread; omitted fields keep their value, null "
                              "is refused.")
class UpdateDiscussionThreadInput:
    id: strawberry.ID
    title: str | None = strawberry.UNSET
    body: str | None = strawberry.UNSET


@strawberry.input(description="A reply in a thread.")
class CreateDiscussionPostInput:
    thread_id: strawberry.ID
    body: str
    parent_post_id: strawberry.ID | None = None


@strawberry.input(description="Changes to a post.")
class UpdateDiscussionPostInput:
    id: strawberry.ID
    body: str


@strawberry.input(description="Your rating of a course you are enrolled in.")
class RateCourseInput:
    course_id: strawberry.ID
    rating: int = strawberry.field(description="1 to 5.")
    review: str = ""


@strawberry.type(description="A note after a change.")
class NotePayload:
    note: Note


@strawberry.type(description="A flashcard after a change.")
class FlashcardPayload:
    flashcard: Flashcard


@strawberry.type(description="The recorded review and the card.")
class FlashcardReviewPayload:
    review: FlashcardReview
    flashcard: Flashcard


@strawberry.type(description="A thread after a change.")
class DiscussionThreadPayload:
    thread: DiscussionThread


@strawberry.type(description="A post after a change.")
class DiscussionPostPayload:
    post: DiscussionPost


@strawberry.type(description="Your review of the course.")
class CourseReviewPayload:
    review: CourseReview


@strawberry.type
class CommunityMutation:
    @strawberry.mutation(description="Write a private note on a course you belong to.")
    async def create_note(self, info: Info, input: CreateNoteInput) -> NotePayload:
        row = await community.create_note(info.context, course_id=_course(input.course_id),
                                          body=input.body, title=input.title,
                                          content_item_id=_item(input.content_item_id))
        return NotePayload(note=Note.from_model(row))

    @strawberry.mutation(description="Change one of your notes.")
    async def update_note(self, info: Info, input: UpdateNoteInput) -> NotePayload:
        row = await community.update_note(info.context, note_id=_own_id(input.id, "Note"),
                                          **set_fields(input, skip=("id",)))
        return NotePayload(note=Note.from_model(row))

    @strawberry.mutation(description="Delete one of your notes.")
    async def delete_note(self, info: Info, id: strawberry.ID) -> DeletePayload:
        note_id = _own_id(id, "Note")
        await community.delete_note(info.context, note_id=note_id)
        return DeletePayload(deleted_id=global_id("Note", note_id))

    @strawberry.mutation(description="Make a private flashcard for a course you belong to.")
    async def create_flashcard(self, info: Info, input: CreateFlashcardInput) -> FlashcardPayload:
        row = await community.create_flashcard(
            info.context, course_id=_course(input.course_id), front=input.front,
            back=input.back, content_item_id=_item(input.content_item_id))
        return FlashcardPayload(flashcard=Flashcard.from_model(row))

    @strawberry.mutation(description="Change one of your flashcards.")
    async def update_flashcard(self, info: Info, input: UpdateFlashcardInput) -> FlashcardPayload:
        row = await community.update_flashcard(
            info.context, flashcard_id=_own_id(input.id, "Flashcard"),
            **set_fields(input, skip=("id",)))
        return FlashcardPayload(flashcard=Flashcard.from_model(row))

    @strawberry.mutation(description="Delete one of your flashcards.")
    async def delete_flashcard(self, info: Info, id: strawberry.ID) -> DeletePayload:
        card_id = _own_id(id, "Flashcard")
        await community.delete_flashcard(info.context, flashcard_id=card_id)
        return DeletePayload(deleted_id=global_id("Flashcard", card_id))

    @strawberry.mutation(description="Grade your recall of a flashcard; schedules the next "
                                     "review (SM-2).")
    async def review_flashcard(self, info: Info,
                               input: ReviewFlashcardInput) -> FlashcardReviewPayload:
        card_id = _own_id(input.id, "Flashcard")
        review = await community.review_flashcard(info.context, flashcard_id=card_id,
                                                  grade=input.grade)
        [card] = await community.get_many(info.context, kind="flashcard", ids=[card_id])
        return FlashcardReviewPayload(review=FlashcardReview.from_model(review),
                                      flashcard=Flashcard.from_model(card))

    @strawberry.mutation(description="Open a discussion thread in a course you belong to.")
    async def create_discussion_thread(
            self, info: Info, input: CreateDiscussionThreadInput) -> DiscussionThreadPayload:
        row = await community.create_thread(
            info.context, course_id=_course(input.course_id), title=input.title,
            body=input.body, content_item_id=_item(input.content_item_id))
        return DiscussionThreadPayload(thread=DiscussionThread.from_model(row))

    @strawberry.mutation(description="Edit your thread (platform admins: any).")
    async def update_discussion_thread(
            self, info: Info, input: UpdateDiscussionThreadInput) -> DiscussionThreadPayload:
        row = await community.update_thread(
            info.context, thread_id=_own_id(input.id, "DiscussionThread"),
            **set_fields(input, skip=("id",)))
        return DiscussionThreadPayload(thread=DiscussionThread.from_model(row))

    @strawberry.mutation(description="Delete your thread and its posts (platform admins: any).")
    async def delete_discussion_thread(self, info: Info, id: strawberry.ID) -> DeletePayload:
        thread_id = _own_id(id, "DiscussionThread")
        await community.delete_thread(info.context, thread_id=thread_id)
        return DeletePayload(deleted_id=global_id("DiscussionThread", thread_id))

    @strawberry.mutation(description="Reply in a thread of a course you belong to.")
    async def create_discussion_post(
            self, info: Info, input: CreateDiscussionPostInput) -> DiscussionPostPayload:
        parent = (None if input.parent_post_id is None
                  else parse_int_id(input.parent_post_id, "DiscussionPost",
                                    field="parentPostId"))
        row = await community.create_post(
            info.context, thread_id=parse_int_id(input.thread_id, "DiscussionThread",
                                                 field="threadId"),
            body=input.body, parent_post_id=parent)
        return DiscussionPostPayload(post=DiscussionPost.from_model(row))

    @strawberry.mutation(description="Edit your post (platform admins: any).")
    async def update_discussion_post(
            self, info: Info, input: UpdateDiscussionPostInput) -> DiscussionPostPayload:
        row = await community.update_post(
            info.context, post_id=_own_id(input.id, "DiscussionPost"), body=input.body)
        return DiscussionPostPayload(post=DiscussionPost.from_model(row))

    @strawberry.mutation(description="Delete your post and its replies (platform admins: any).")
    async def delete_discussion_post(self, info: Info, id: strawberry.ID) -> DeletePayload:
        post_id = _own_id(id, "DiscussionPost")
        await community.delete_post(info.context, post_id=post_id)
        return DeletePayload(deleted_id=global_id("DiscussionPost", post_id))

    @strawberry.mutation(description="Rate a course you are enrolled in (1–5); rating again "
                                     "replaces your review.")
    async def rate_course(self, info: Info, input: RateCourseInput) -> CourseReviewPayload:
        row = await community.rate_course(info.context, course_id=_course(input.course_id),
                                          rating=input.rating, review=input.review)
        return CourseReviewPayload(review=CourseReview.from_model(row))
