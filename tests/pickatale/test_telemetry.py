"""Telemetry: POST /api/events (validated, idempotent by event_id, batched) and the
session end on the reader and telemetry services, whose learner bot work is durable."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy import func, select

from core.readability import word_count
from models.jobs import Job
from models.reading import BookPage, ReadingEvent, ReadingSession, SessionWord
from tests.fixtures import bearer_for, create_user, start_instance
from tests.pickatale.helpers import KEY, assert_error, event, ids, until


async def _events(services, session_id: str) -> list[ReadingEvent]:
    async with services.db.session() as session:
        return list((await session.execute(select(ReadingEvent).where(
            ReadingEvent.session_id == uuid.UUID(session_id)))).scalars())


async def test_an_event_is_stored_once_by_its_event_id(client, services):
    learner, session = ids()
    first = event(learner, session, "word_tapped", word="  Magnificent ", book_id="14760-1",
                  page_number=3)
    response = await client.post("/api/events", json=first, headers=KEY)
    assert response.status_code == 200 and response.json() == {"ok": True}
    again = {**first, "word": "other"}
    assert (await client.post("/api/events", json=again, headers=KEY)).json() == {"ok": True}
    stored = await _events(services, session)
    assert [(e.event_type, e.word, e.page_number, e.client_ts) for e in stored] == [
        ("word_tapped", "magnificent", 3, 1713470400000)]


async def test_concurrent_events_are_all_stored(client, services):
    learner, session = ids()
    batch = [event(learner, session, "page_turned", book_id="14760-1", page_number=n,
                   time_on_page_ms=1000 + n) for n in range(1, 121)]
    responses = await asyncio.gather(*(client.post("/api/events", json=e, headers=KEY)
                                       for e in batch))
    assert {r.status_code for r in responses} == {200}
    stored = await _events(services, session)
    assert sorted(e.page_number for e in stored) == list(range(1, 121))


async def test_events_need_the_internal_key(client, services):
    learner, session = ids()
    body = event(learner, session, "book_opened", book_id="14760-1")
    assert_error(await client.post("/api/events", json=body), 401, "unauthenticated")
    assert_error(await client.post("/api/events", json=body,
                                   headers={"X-Internal-Key": "wrong"}), 401, "unauthenticated")
    user = await create_user(services)
    assert_error(await client.post("/api/events", json=body,
                                   headers=await bearer_for(services, user)), 403, "forbidden")
    admin = await create_user(services, email="admin@example.com", roles=["PLATFORM_ADMIN"])
    response = await client.post("/api/events", json=body,
                                 headers=await bearer_for(services, admin))
    assert response.json() == {"ok": True}
    assert len(await _events(services, session)) == 1


async def test_bad_events_get_the_error_shape(client):
    learner, session = ids()
    missing = event(learner, session, "page_turned", book_id="14760-1", page_number=1)
    del missing["session_id"]
    body = assert_error(await client.post("/api/events", json=missing, headers=KEY),
                        400, "bad_request")
    assert body["details"]["fields"][0]["field"] == "body.session_id"
    assert_error(await client.post("/api/events", content=b"{not json", headers={
        **KEY, "content-type": "application/json"}), 400, "bad_request")
    assert_error(await client.post("/api/events", json=[1, 2], headers=KEY), 400, "bad_request")
    cases = [
        event(learner, session, "page_flipped"),
        event(learner, session, "page_turned", book_id="14760-1"),  # no page_number
        event(learner, session, "word_tapped"),  # no word
        event(learner, session, "word_tapped", word="x" * 65),
        event(learner, session, "book_opened", book_id="../etc/passwd"),
        event(learner, session, "page_turned", book_id="14760-1", page_number=-1),
        {**event(learner, session, "session_ended"), "client_ts": 2**63},
        {**event(learner, session, "session_ended"), "learner_id": "not-a-uuid"},
    ]
    for case in cases:
        body = assert_error(await client.post("/api/events", json=case, headers=KEY),
                            422, "validation_failed")
        assert "x" * 20 not in str(body) and "passwd" not in str(body)


async def _read_book(client, learner: str, session: str, times: list[int],
                     words: list[str]) -> None:
    events = [event(learner, session, "book_opened", book_id="14760-1")]
    events += [event(learner, session, "page_turned", book_id="14760-1", page_number=n,
                     time_on_page_ms=t) for n, t in enumerate(times, start=1)]
    events += [event(learner, session, "word_tapped", word=w, book_id="14760-1") for w in words]
    for e in events:
        assert (await client.post("/api/events", json=e, headers=KEY)).status_code == 200


async def _book_words(services, book_id: str) -> int:
    async with services.db.session() as session:
        return (await session.execute(select(func.sum(BookPage.word_count)).where(
            BookPage.book_id == book_id))).scalar_one()


async def _gaps(services, learner: str) -> dict[str, int]:
    async with services.db.session() as session:
        rows = await session.execute(select(SessionWord.word, func.sum(SessionWord.count))
                                     .where(SessionWord.learner_id == uuid.UUID(learner))
                                     .group_by(SessionWord.word))
        return {w: int(c) for w, c in rows}


async def _session(services, session_id: str) -> ReadingSession | None:
    async with services.db.session() as session:
        return await session.get(ReadingSession, uuid.UUID(session_id))


async def test_reader_session_end_aggregates_and_runs_the_learner_bot_jobs(client, services):
    learner, session = ids()
    await _read_book(client, learner, session, [9000, 10000, 11000, 30000, 10000, 9000],
                     ["Tortoise", "tortoise", "steadily"])
    response = await client.post("/api/session/end", headers=KEY, json={
        "learner_id": learner, "session_id": session, "book_id": "14760-1",
        "client_ts": 1713470400000})
    assert response.status_code == 200
    assert response.json() == {"ok": True, "events_received": 10}

    async def summarized():
        row = await _session(services, session)
        return row is not None and row.summarized_at is not None
    await until(summarized)
    await until(lambda: _has_gaps(services, learner))
    row = await _session(services, session)
    assert (row.pages_read, row.total_pages, row.slow_pages, row.completed, row.engagement) == (
        6, 6, [4], True, "high")
    assert row.avg_time_per_page_ms == 13167
    assert await _gaps(services, learner) == {"tortoise": 2, "steadily": 1}

    stats = await client.get(f"/api/internal/learner/{learner}", headers=KEY)
    words = await _book_words(services, "14760-1")
    assert stats.json() == {"reading_level": 2.0, "books_read": 1,
                            "total_miles": round(words / 500, 1)}


async def _has_gaps(services, learner: str) -> bool:
    return bool(await _gaps(services, learner))


async def test_telemetry_session_end_answers_on_its_own_compat_prefix(client, services):
    learner, session = ids()
    await _read_book(client, learner, session, [1000, 1000], [])
    response = await client.post("/compat/pickatale-telemetry/api/session/end", headers=KEY,
                                 json={"learner_id": learner, "session_id": session})
    assert response.json() == {"ok": True, "events_received": 3}
    row = await _session(services, session)
    assert row.book_id == "14760-1" and row.events_received == 3
    # Pages 1-2 of the book: miles count the words on them.
    async with services.db.session() as db:
        texts = (await db.execute(select(BookPage.text).where(
            BookPage.book_id == "14760-1", BookPage.page_number <= 2))).scalars().all()
    assert row.miles == round(sum(word_count(t) for t in texts) / 500, 2)


async def test_a_session_of_another_learner_is_a_conflict(client):
    learner, session = ids()
    end = {"learner_id": learner, "session_id": session}
    assert (await client.post("/api/session/end", json=end, headers=KEY)).status_code == 200
    other = {"learner_id": str(uuid.uuid4()), "session_id": session}
    assert_error(await client.post("/api/session/end", json=other, headers=KEY), 409, "conflict")
    assert_error(await client.post("/api/session/end", json={"learner_id": learner},
                                   headers=KEY), 400, "bad_request")
    assert_error(await client.post("/api/session/end", json=end), 401, "unauthenticated")


async def test_session_jobs_survive_the_instance_that_queued_them(client, services,
                                                                  database_url):
    """The instance that ended the session works no jobs and stops; its jobs are rows in
    the database, and another instance's worker does them."""
    learner, session = ids()
    quiet = await start_instance(database_url, jobs_enabled=False)
    try:
        async with httpx.AsyncClient(base_url=quiet.base_url) as http:
            await _read_book(http, learner, session, [1000, 2000], ["hare"])
            response = await http.post("/api/session/end", headers=KEY,
                                        json={"learner_id": learner, "session_id": session})
            assert response.json() == {"ok": True, "events_received": 4}
    finally:
        await quiet.stop()
    async with services.db.session() as db:
        kinds = (await db.execute(select(Job.kind).where(
            Job.kind.like("reading.%")))).scalars().all()
    assert sorted(kinds) == ["reading.session_summary", "reading.vocab_taps"]
    await until(lambda: _has_gaps(services, learner))
    assert await _gaps(services, learner) == {"hare": 1}
