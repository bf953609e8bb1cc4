"""GraphQL for the reading platform: the book catalog, telemetry and learners.

The same resolvers as the Pickatale REST services, with the same rules: the
learning-loop operations need ``X-Internal-Key`` (or a platform admin), inputs are
validated by the resolvers' models (BAD_USER_INPUT with ``details.fields``).
"""

from __future__ import annotations

import uuid
from enum import Enum

import strawberry
from strawberry.types import Info

from models.reading import Book, BookPage
from resolvers import reading_books, reading_learners, reading_telemetry
from resolvers.reading import parse


def _parse(model, data):
    return parse(model, strawberry.asdict(data))


@strawberry.type(description="One page of a catalog book.")
class ReadingBookPage:
    page_number: int = strawberry.field(description="1 for the first page.")
    text: str = strawberry.field(description="The page's text.")
    fk_grade: float = strawberry.field(description="Flesch-Kincaid grade of the page, measured "
                                                   "by the readability library.")
    word_count: int = strawberry.field(description="Words on the page.")

    @classmethod
    def from_model(cls, page: BookPage) -> ReadingBookPage:
        return cls(page_number=page.page_number, text=page.text, fk_grade=page.fk_grade,
                   word_count=page.word_count)


@strawberry.type(description="A book of the reading platform's catalog.")
class ReadingBook:
    id: str = strawberry.field(description="The permanent id, such as 14760-1.")
    title: str = strawberry.field(description="Title.")
    author: str = strawberry.field(description="Author (or Traditional).")
    cover_url: str = strawberry.field(description="Cover image URL; empty when there is none.")
    fk_grade: float = strawberry.field(description="Flesch-Kincaid grade of the whole text.")
    word_count: int = strawberry.field(description="Words in the book.")
    page_count: int = strawberry.field(description="Pages in the book.")

    @classmethod
    def from_model(cls, book: Book) -> ReadingBook:
        return cls(id=book.id, title=book.title, author=book.author, cover_url=book.cover_url,
                   fk_grade=book.fk_grade, word_count=book.word_count,
                   page_count=book.page_count)

    @strawberry.field(description="The pages, in order.")
    async def pages(self, info: Info) -> list[ReadingBookPage]:
        rows = await reading_books.pages(info.context, book_id=self.id)
        return [ReadingBookPage.from_model(p) for p in rows]


@strawberry.type(description="A learner's reading stats, as the reader app reports them.")
class ReaderStats:
    reading_level: float = strawberry.field(description="Current Flesch-Kincaid level.")
    books_read: int = strawberry.field(description="Distinct books with a completed session.")
    total_miles: float = strawberry.field(description="Reading miles (500 words each).")


@strawberry.enum(description="The kinds of reading telemetry event.")
class ReadingEventType(Enum):
    PAGE_TURNED = strawberry.enum_value("page_turned", description="The learner turned a page.")
    WORD_TAPPED = strawberry.enum_value("word_tapped", description="The learner tapped a word.")
    BOOK_OPENED = strawberry.enum_value("book_opened", description="The learner opened a book.")
    SESSION_ENDED = strawberry.enum_value("session_ended", description="A reading session ended.")
    QUIZ_ANSWERED = strawberry.enum_value(
        "quiz_answered", description="The learner answered a quiz question.")
    BOOK_ABANDONED = strawberry.enum_value(
        "book_abandoned", description="The learner left a book unfinished.")


@strawberry.input(description="One telemetry event; stored once per eventId.")
class ReadingEventInput:
    event_id: uuid.UUID = strawberry.field(description="The client's id for the event.")
    learner_id: uuid.UUID = strawberry.field(description="The learner.")
    session_id: uuid.UUID = strawberry.field(description="The reading session.")
    event_type: ReadingEventType = strawberry.field(description="What happened.")
    client_ts: float = strawberry.field(
        description="Client clock in milliseconds (a whole number up to 2^53).")
    book_id: str | None = strawberry.field(default=None, description="The book (page_turned, "
                                           "book_opened, book_abandoned, quiz_answered).")
    page_number: int | None = strawberry.field(default=None,
                                               description="The page (page_turned).")
    word: str | None = strawberry.field(default=None, description="The word (word_tapped).")
    time_on_page_ms: float | None = strawberry.field(
        default=None, description="Milliseconds spent on the page (a whole number).")


@strawberry.input(description="The end of a reading session.")
class EndReadingSessionInput:
    learner_id: uuid.UUID = strawberry.field(description="The learner.")
    session_id: uuid.UUID = strawberry.field(description="The session.")
    book_id: str | None = strawberry.field(default=None, description="The book read.")
    client_ts: float | None = strawberry.field(
        default=None, description="Client clock in milliseconds (a whole number).")


@strawberry.input(description="How often a word was tapped.")
class WordCountInput:
    word: str = strawberry.field(description="The word (trimmed and lower-cased).")
    count: int = strawberry.field(description="Taps, 1–100,000.")


@strawberry.input(description="The words a learner tapped in one session.")
class VocabTapsInput:
    learner_id: uuid.UUID = strawberry.field(description="The learner.")
    session_id: uuid.UUID = strawberry.field(description="The session.")
    words: list[WordCountInput] = strawberry.field(description="1–500 words with counts.")


@strawberry.input(description="A session's reading pattern.")
class SessionSummaryInput:
    learner_id: uuid.UUID = strawberry.field(description="The learner.")
    session_id: uuid.UUID = strawberry.field(description="The session.")
    pages_read: int = strawberry.field(description="Pages read.")
    total_pages: int | None = strawberry.field(default=None, description="Pages in the book.")
    avg_time_per_page_ms: int | None = strawberry.field(default=None,
                                                        description="Average time per page.")
    slow_pages: list[int] = strawberry.field(default_factory=list,
                                             description="Pages the learner was slow on.")


@strawberry.type(description="The outcome of a write that returns nothing else.")
class ReadingOkPayload:
    ok: bool = strawberry.field(description="Always true.")


@strawberry.type(description="The session after it ended.")
class EndReadingSessionPayload:
    ok: bool = strawberry.field(description="Always true.")
    events_received: int = strawberry.field(description="Events stored for the session.")


@strawberry.type(description="The vocabulary gaps stored.")
class RecordVocabTapsPayload:
    ok: bool = strawberry.field(description="Always true.")
    upserted: int = strawberry.field(description="Distinct words stored.")


@strawberry.type
class ReadingQuery:
    @strawberry.field(description="A catalog book by its permanent id (null when unknown).")
    async def reading_book(self, info: Info, id: str) -> ReadingBook | None:
        book = await reading_books.get(info.context, book_id=reading_books.lookup_id(id))
        return ReadingBook.from_model(book) if book else None

    @strawberry.field(description="A learner's reader stats (services and admins; NOT_FOUND "
                                  "for an unknown learner).")
    async def reader_stats(self, info: Info, learner_id: uuid.UUID) -> ReaderStats:
        stats = await reading_learners.get_reader_stats(info.context, learner_id=learner_id)
        return ReaderStats(reading_level=stats.reading_level, books_read=stats.books_read,
                           total_miles=stats.total_miles)


@strawberry.type
class ReadingMutation:
    @strawberry.mutation(description="Store one reading telemetry event (services and admins).")
    async def record_reading_event(self, info: Info,
                                   input: ReadingEventInput) -> ReadingOkPayload:
        data = strawberry.asdict(input)
        data["event_type"] = input.event_type.value
        event = parse(reading_telemetry.EventIn, data)
        await reading_telemetry.record_event(info.context, event=event)
        return ReadingOkPayload(ok=True)

    @strawberry.mutation(description="End a reading session: aggregate it and queue the "
                                     "learner bot's updates (services and admins).")
    async def end_reading_session(self, info: Info,
                                  input: EndReadingSessionInput) -> EndReadingSessionPayload:
        ended = await reading_telemetry.end_session(
            info.context, end=_parse(reading_telemetry.SessionEndIn, input))
        return EndReadingSessionPayload(ok=True, events_received=ended.events_received)

    @strawberry.mutation(description="Upsert a session's vocabulary gap counts (services and "
                                     "admins).")
    async def record_vocab_taps(self, info: Info, input: VocabTapsInput) -> RecordVocabTapsPayload:
        upserted = await reading_learners.record_vocab_taps(
            info.context, taps=_parse(reading_learners.VocabTapsIn, input))
        return RecordVocabTapsPayload(ok=True, upserted=upserted)

    @strawberry.mutation(description="Store a session's reading pattern (services and admins).")
    async def record_session_summary(self, info: Info,
                                     input: SessionSummaryInput) -> ReadingOkPayload:
        await reading_learners.record_session_summary(
            info.context, summary=_parse(reading_learners.SessionSummaryIn, input))
        return ReadingOkPayload(ok=True)
