"""Telemetry: POST /api/events (validated, idempotent by event_id, batched) and the
session end on the reader and telemetry services, whose learner bot work is durable."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import orjson
from sqlalchemy import func, select

from core.readability import word_count
from models.jobs import Job
from models.reading import BookPage, ReadingEvent, ReadingSession, SessionWord
from tests.fixtures import bearer_for, count_statements, create_user, start_instance
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


# Bodies next to the plain form of an event: what the general path alone takes (ids not
# in their canonical text, a word to trim or lower-case, numbers as text), what it
# refuses, and fields it ignores (which may hold anything, so the general path checks
# their bounds).
_ODD = [
    {"word": "  Magnificent "}, {"word": "Ünïcode"}, {"word": "tab\there"}, {"word": ""},
    {"word": "x" * 65}, {"word": 7}, {"event_id": "{%s}"}, {"event_id": "%s-upper"},
    {"learner_id": "not-a-uuid"}, {"session_id": None}, {"page_number": "3"},
    {"page_number": True}, {"page_number": 3.0}, {"page_number": 10_001},
    {"client_ts": 2**53 + 1}, {"client_ts": -1}, {"time_on_page_ms": None},
    {"book_id": "14760-1\n"}, {"book_id": "-lead"}, {"book_id": "b" * 41},
    {"event_type": "page_flipped"}, {"event_type": None}, {"extra": "x" * 10_000},
]


def _variant(base: dict, change: dict) -> dict:
    body = {**base, **change}
    if "event_id" in change:
        body["event_id"] = (str(uuid.uuid4()).upper() if change["event_id"] == "%s-upper"
                            else change["event_id"] % base["event_id"])
    return body


def test_plain_events_are_what_the_event_model_stores():
    """``plain_event`` accepts only what ``EventIn`` accepts, and makes the row it makes."""
    from pydantic import ValidationError

    from resolvers.reading_telemetry import EventIn, _row, plain_event

    learner, session = ids()
    bases = [event(learner, session, "word_tapped", word="tortoise"),
             event(learner, session, "page_turned", book_id="14760-1", page_number=3,
                   time_on_page_ms=42000),
             event(learner, session, "book_opened", book_id="14760-1"),
             event(learner, session, "session_ended")]
    taken = 0
    for base in bases:
        for body in [base, *(_variant(base, change) for change in _ODD)]:
            row = plain_event(body)
            try:
                expected = _row(EventIn.model_validate(body))
            except ValidationError:
                assert row is None, body
                continue
            if row is not None:
                taken += 1
                assert tuple(str(v) if isinstance(v, uuid.UUID) else v
                             for v in expected) == row, body
    assert taken >= len(bases) + 4
    assert plain_event([base]) is None and plain_event("x") is None


async def test_concurrent_sends_store_each_event_once_and_answer_each_error(client, services):
    """Plain events, events only the general path takes, replays of one event and bad
    events, sent at once: every good event stored once, every bad one its own error."""
    learner, session = ids()
    good = [event(learner, session, "page_turned", book_id="14760-1", page_number=n,
                  time_on_page_ms=100 * n) for n in range(1, 41)]
    general = [{**event(learner, session, "word_tapped", word=f" Word{n} "),
                "learner_id": learner.upper()} for n in range(10)]
    replays = [good[0]] * 5 + [general[0]] * 3
    no_page = [event(learner, session, "page_turned", book_id="14760-1") for _ in range(3)]
    no_session = [{k: v for k, v in e.items() if k != "session_id"} for e in good[:3]]
    bad = [*no_page, *no_session]
    sends = [*good, *general, *replays, *bad]
    responses = await asyncio.gather(*(client.post("/api/events", json=e, headers=KEY)
                                       for e in sends))
    for response in responses[:-len(bad)]:
        assert response.status_code == 200 and response.json() == {"ok": True}
    for response in responses[-len(bad):-len(no_session)]:
        assert_error(response, 422, "validation_failed")
    for response in responses[-len(no_session):]:
        assert_error(response, 400, "bad_request")
    stored = await _events(services, session)
    assert sorted(e.event_id for e in stored) == sorted(
        uuid.UUID(e["event_id"]) for e in [*good, *general])
    assert {e.learner_id for e in stored} == {uuid.UUID(learner)}
    assert sorted(e.word for e in stored if e.word) == sorted(f"word{n}" for n in range(10))
    assert sorted(e.page_number for e in stored if e.page_number) == list(range(1, 41))


async def test_an_event_sent_in_pieces_or_with_a_query_is_stored(client, services):
    learner, session = ids()
    plain = event(learner, session, "book_opened", book_id="14760-1")
    trimmed = event(learner, session, "word_tapped", word=" Hare ")

    async def pieces(body: dict):
        raw = orjson.dumps(body)
        for start in range(0, len(raw), 40):
            yield raw[start:start + 40]

    for body in (plain, trimmed):
        response = await client.post("/api/events", content=pieces(body), headers={
            **KEY, "content-type": "application/json"})
        assert response.json() == {"ok": True}
    queried = event(learner, session, "session_ended")
    response = await client.post("/api/events?source=reader", json=queried, headers=KEY)
    assert response.json() == {"ok": True}
    bad = {k: v for k, v in event(learner, session, "word_tapped", word="a").items()
           if k != "session_id"}
    response = await client.post("/api/events", content=pieces(bad), headers={
        **KEY, "content-type": "application/json"})
    assert_error(response, 400, "bad_request")
    stored = await _events(services, session)
    assert sorted((e.event_type, e.word) for e in stored) == [
        ("book_opened", None), ("session_ended", None), ("word_tapped", "hare")]


async def test_a_batch_of_events_is_one_statement_sent_alone(client, services):
    """Concurrent events share INSERTs, sent on the connections of statements sent alone
    (no session, pool checkout or transaction statements around them)."""
    learner, session = ids()
    events = [event(learner, session, "book_opened", book_id="14760-1") for _ in range(30)]
    sent: list[str] = []
    services.db.statements.watchers.append(sent.append)
    try:
        with count_statements(services) as counter:
            responses = await asyncio.gather(*(client.post("/api/events", json=e, headers=KEY)
                                               for e in events))
    finally:
        services.db.statements.watchers.remove(sent.append)
    assert {r.status_code for r in responses} == {200}
    inserts = [s for s in sent if "INSERT INTO reading_events" in s]
    assert 1 <= len(inserts) < len(events)
    assert len(counter.statements) == len(sent)  # nothing went through the engine
    assert len(await _events(services, session)) == len(events)
