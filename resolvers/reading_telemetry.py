"""Reading telemetry: events from the reader, and the end of a reading session.

Events are stored once per ``event_id`` (a retried send changes nothing) and
written in batches: concurrent requests of one process share one INSERT, and
each request answers only after its event is committed (group commit, no timer:
while one batch is being written the next one gathers). A batch is one statement on a
pooled connection, without a session or transaction statements around it.

Most events arrive plainly valid, thousands a second: ``plain_event`` takes such a
decoded body straight to the row it stores, and leaves anything else to ``EventIn``,
which says what is wrong with it.

Ending a session aggregates its events in one transaction that also records the
session and enqueues two durable jobs — the learner's vocabulary taps and the
session summary, what the reference posts to the learner bot. Whether the process
dies before or after that commit, nothing is half done: the jobs exist exactly
when the session does, and a worker on any instance runs them.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import uuid
import weakref
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from pydantic import model_validator
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from core import jobs
from core.context import Context
from core.db import Database
from core.errors import Conflict
from models.reading import BOOK_ID_LENGTH, WORD_LENGTH, BookPage, ReadingEvent, ReadingSession
from resolvers import reading_learners
from resolvers.reading import (
    BookId,
    Input,
    Millis,
    PageNumber,
    Word,
    ensure_learner,
    require_internal,
)

EventType = Literal["page_turned", "word_tapped", "book_opened", "session_ended",
                    "quiz_answered", "book_abandoned"]
# Which optional fields each event type needs.
REQUIRED = {"page_turned": ("book_id", "page_number"), "word_tapped": ("word",),
            "book_opened": ("book_id",), "book_abandoned": ("book_id",),
            "quiz_answered": ("book_id",), "session_ended": ()}
MAX_BATCH = 1000
# One reading mile is this many words read.
WORDS_PER_MILE = 500
# A page is slow when the learner spent this many times the session's median on it.
SLOW_FACTOR = 1.5
MIN_PAGES_FOR_SLOW = 3


class EventIn(Input):
    """One telemetry event."""

    event_id: uuid.UUID
    learner_id: uuid.UUID
    session_id: uuid.UUID
    event_type: EventType
    book_id: BookId | None = None
    page_number: PageNumber | None = None
    word: Word | None = None
    time_on_page_ms: Millis | None = None
    client_ts: Millis

    @model_validator(mode="after")
    def _fields_of_its_type(self) -> EventIn:
        missing = [name for name in REQUIRED[self.event_type] if getattr(self, name) is None]
        if missing:
            raise ValueError(f"{self.event_type} events need {', '.join(missing)}")
        return self


class SessionEndIn(Input):
    """The end of a reading session (the reader also sends its book and clock)."""

    learner_id: uuid.UUID
    session_id: uuid.UUID
    book_id: BookId | None = None
    client_ts: Millis | None = None


@dataclass(frozen=True)
class SessionEnded:
    events_received: int


# One statement, a transaction by itself; idempotent (a retried batch inserts nothing
# twice).
_INSERT_EVENTS = """
INSERT INTO reading_events (event_id, learner_id, session_id, event_type, book_id,
                            page_number, word, time_on_page_ms, client_ts)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::varchar[], $5::varchar[],
                     $6::integer[], $7::varchar[], $8::bigint[], $9::bigint[])
ON CONFLICT (event_id) DO NOTHING
"""
_COLUMNS = ("event_id", "learner_id", "session_id", "event_type", "book_id", "page_number",
            "word", "time_on_page_ms", "client_ts")
# An event as it is stored: its values in the order of _COLUMNS (ids as UUIDs or in
# their canonical text, which PostgreSQL reads alike).
Row = tuple

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                   r"[0-9a-f]{12}")
_BOOK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_MAX_MILLIS = 2**53
_MAX_PAGE = 10_000
_KNOWN = frozenset(_COLUMNS)


def _plain_uuid(value) -> bool:
    return type(value) is str and len(value) == 36 and _UUID.fullmatch(value) is not None


def _plain_int(value, top: int) -> bool:
    return value is None or (type(value) is int and 0 <= value <= top)


def plain_event(data) -> Row | None:
    """``data`` (a decoded JSON body) as the row ``EventIn`` would store, when it plainly
    is a valid event: only known fields, ids in their canonical text, integers and
    strings of the right JSON type within their bounds, a word already trimmed (ASCII,
    printable, stored lower-cased), the fields its type needs. None for anything else,
    valid or not: ``EventIn`` then judges it and says what is wrong.

    It accepts nothing ``EventIn`` refuses and stores what ``EventIn`` would, so the two
    ways in hold one rule (tests/pickatale/test_telemetry.py compares them)."""
    if type(data) is not dict or not data.keys() <= _KNOWN:
        return None
    get = data.get
    event_type = get("event_type")
    needs = REQUIRED.get(event_type) if type(event_type) is str else None
    if needs is None:
        return None
    event_id, learner_id, session_id = get("event_id"), get("learner_id"), get("session_id")
    book_id, page_number, word = get("book_id"), get("page_number"), get("word")
    time_on_page_ms, client_ts = get("time_on_page_ms"), get("client_ts")
    if not (_plain_uuid(event_id) and _plain_uuid(learner_id) and _plain_uuid(session_id)
            and type(client_ts) is int and 0 <= client_ts <= _MAX_MILLIS
            and _plain_int(time_on_page_ms, _MAX_MILLIS)
            and _plain_int(page_number, _MAX_PAGE)):
        return None
    if book_id is not None and not (type(book_id) is str and len(book_id) <= BOOK_ID_LENGTH
                                    and _BOOK_ID.fullmatch(book_id)):
        return None
    if word is not None:
        if not (type(word) is str and 0 < len(word) <= WORD_LENGTH and word.isascii()
                and word.isprintable() and word.strip() == word):
            return None
        word = word.lower()
    for name in needs:
        if get(name) is None:
            return None
    return (event_id, learner_id, session_id, event_type, book_id, page_number, word,
            time_on_page_ms, client_ts)


def _row(event: EventIn) -> Row:
    return tuple(getattr(event, column) for column in _COLUMNS)


class EventWriter:
    """Group commit of events for one database: one INSERT per gathered batch."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.pending: list[tuple[Row, asyncio.Future]] = []
        self.task: asyncio.Task | None = None

    async def write(self, row: Row) -> None:
        future = asyncio.get_running_loop().create_future()
        self.pending.append((row, future))
        if self.task is None or self.task.done():
            # Its own task: a caller that goes away cannot stop the others' batch (its
            # future is then cancelled, and the batch skips it when it is done).
            self.task = asyncio.create_task(self._drain(), name="reading-events")
        await future

    async def _drain(self) -> None:
        while self.pending:
            batch, self.pending = self.pending[:MAX_BATCH], self.pending[MAX_BATCH:]
            try:
                await self._insert([row for row, _ in batch])
            except Exception as exc:  # every waiter of this batch sees the failure
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)

    async def _insert(self, rows: list[Row]) -> None:
        await self.db.execute_alone(_INSERT_EVENTS, tuple(map(list, zip(*rows, strict=True))))


_WRITERS: weakref.WeakKeyDictionary[Database, EventWriter] = weakref.WeakKeyDictionary()


def _writer(db: Database) -> EventWriter:
    writer = _WRITERS.get(db)
    if writer is None:
        writer = _WRITERS[db] = EventWriter(db)
    return writer


async def record_event(ctx: Context, *, event: EventIn | Row) -> None:
    """Store one telemetry event (once per ``event_id``): a validated ``EventIn``, or the
    row ``plain_event`` made of one."""
    require_internal(ctx)
    await _writer(ctx.db).write(_row(event) if isinstance(event, EventIn) else event)


async def end_session(ctx: Context, *, end: SessionEndIn) -> SessionEnded:
    """Aggregate a session's events, record the session and queue the learner bot's work."""
    require_internal(ctx)
    async with ctx.db.transaction() as session:
        existing = (await session.execute(
            select(ReadingSession.learner_id).where(ReadingSession.id == end.session_id)
            .with_for_update())).scalar_one_or_none()
        if existing is not None and existing != end.learner_id:
            raise Conflict("This session belongs to another learner")
        events = (await session.execute(
            select(ReadingEvent.event_type, ReadingEvent.book_id, ReadingEvent.page_number,
                   ReadingEvent.word, ReadingEvent.time_on_page_ms)
            .where(ReadingEvent.session_id == end.session_id,
                   ReadingEvent.learner_id == end.learner_id))).all()
        book_id = end.book_id or _most_common(e.book_id for e in events)
        page_words = await _page_words(session, book_id)
        summary = _summarize(events, total_pages=len(page_words) or None)
        miles = round(sum(page_words.get(p, 0) for p in summary["pages"]) / WORDS_PER_MILE, 2)
        await ensure_learner(session, end.learner_id)
        values = {"learner_id": end.learner_id, "book_id": book_id,
                  "events_received": len(events), "client_ts": end.client_ts, "miles": miles,
                  "ended_at": func.now()}
        await session.execute(insert(ReadingSession).values(id=end.session_id, **values)
                              .on_conflict_do_update(index_elements=[ReadingSession.id],
                                                     set_=values))
        words = Counter(e.word for e in events if e.event_type == "word_tapped" and e.word)
        key = f"{end.session_id}:{len(events)}"
        payload = {"learner_id": str(end.learner_id), "session_id": str(end.session_id)}
        if words:
            await jobs.enqueue(session, "reading.vocab_taps", {
                **payload, "words": [{"word": w, "count": c} for w, c in words.items()]},
                dedupe_key=f"reading.vocab_taps:{key}")
        await jobs.enqueue(session, "reading.session_summary", {
            **payload, "pages_read": len(summary["pages"]),
            "total_pages": summary["total_pages"],
            "avg_time_per_page_ms": summary["avg_time_per_page_ms"],
            "slow_pages": summary["slow_pages"]}, dedupe_key=f"reading.session_summary:{key}")
    await jobs.notify_enqueued(ctx.services)
    return SessionEnded(events_received=len(events))


def _most_common(values) -> str | None:
    counted = Counter(v for v in values if v)
    return counted.most_common(1)[0][0] if counted else None


async def _page_words(session, book_id: str | None) -> dict[int, int]:
    """Words on each page of a catalog book (empty for a book the catalog lacks)."""
    if book_id is None:
        return {}
    rows = await session.execute(select(BookPage.page_number, BookPage.word_count)
                                 .where(BookPage.book_id == book_id))
    return dict(rows.all())


def _summarize(events, *, total_pages: int | None) -> dict:
    """Pages read, time per page and slow pages from a session's page turns."""
    times: dict[int, int] = {}
    for e in events:
        if e.event_type == "page_turned" and e.page_number is not None:
            times[e.page_number] = times.get(e.page_number, 0) + (e.time_on_page_ms or 0)
    timed = [t for t in times.values() if t > 0]
    slow: list[int] = []
    if len(timed) >= MIN_PAGES_FOR_SLOW:
        median = statistics.median(timed)
        slow = sorted(p for p, t in times.items() if t >= SLOW_FACTOR * median)
    seen = max(times, default=0)
    return {"pages": sorted(times), "total_pages": max(total_pages or 0, seen) or None,
            "avg_time_per_page_ms": round(sum(timed) / len(timed)) if timed else None,
            "slow_pages": slow}


@jobs.job("reading.vocab_taps")
async def _vocab_taps_job(services, payload: dict) -> None:
    await reading_learners.store_vocab_taps(services.db, taps=reading_learners.VocabTapsIn(
        **payload))


@jobs.job("reading.session_summary")
async def _session_summary_job(services, payload: dict) -> None:
    await reading_learners.store_session_summary(
        services.db, summary=reading_learners.SessionSummaryIn(**payload))
