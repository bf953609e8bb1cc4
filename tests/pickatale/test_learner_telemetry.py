"""The learner bot's telemetry endpoints, the reader's learner stats, and both in GraphQL."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import func, select

from core.app import create_face_app
from models.reading import ReadingSession, SessionWord
from resolvers.reading_learners import SessionSummaryIn, engagement
from tests.fixtures import bearer_for, create_user, error_codes, gql, gql_raw, start_server
from tests.pickatale.helpers import KEY, assert_error, event, ids


async def _counts(services, learner: str) -> dict[str, int]:
    async with services.db.session() as session:
        rows = await session.execute(select(SessionWord.word, func.sum(SessionWord.count))
                                     .where(SessionWord.learner_id == uuid.UUID(learner))
                                     .group_by(SessionWord.word))
        return {w: int(c) for w, c in rows}


async def test_vocab_taps_upsert_per_session(client, services):
    learner, session = ids()
    report = {"learner_id": learner, "session_id": session, "words": [
        {"word": "magnificent", "count": 2}, {"word": "Photosynthesis", "count": 1},
        {"word": "magnificent ", "count": 1}]}
    response = await client.post("/api/v1/telemetry/vocab-taps", json=report, headers=KEY)
    assert response.json() == {"ok": True, "upserted": 2}
    # The same report again replaces, never adds.
    await client.post("/api/v1/telemetry/vocab-taps", json=report, headers=KEY)
    _, other_session = ids()
    await client.post("/api/v1/telemetry/vocab-taps", headers=KEY, json={
        "learner_id": learner, "session_id": other_session,
        "words": [{"word": "magnificent", "count": 4}]})
    assert await _counts(services, learner) == {"magnificent": 7, "photosynthesis": 1}


async def test_vocab_taps_bad_input_and_auth(client, services):
    learner, session = ids()
    url = "/api/v1/telemetry/vocab-taps"
    base = {"learner_id": learner, "session_id": session}
    assert_error(await client.post(url, json=base, headers=KEY), 400, "bad_request")
    for words in ([], [{"word": "a", "count": 0}], [{"word": "", "count": 1}],
                  [{"word": "a", "count": 1}] * 501):
        assert_error(await client.post(url, json={**base, "words": words}, headers=KEY),
                     422, "validation_failed")
    good = {**base, "words": [{"word": "a", "count": 1}]}
    assert_error(await client.post(url, json=good), 401, "unauthenticated")
    user = await create_user(services)
    assert_error(await client.post(url, json=good, headers=await bearer_for(services, user)),
                 403, "forbidden")
    await client.post(url, json=good, headers=KEY)
    stolen = {**good, "learner_id": str(uuid.uuid4())}
    assert_error(await client.post(url, json=stolen, headers=KEY), 409, "conflict")


async def test_session_summary_is_stored_with_its_signals(client, services):
    learner, session = ids()
    response = await client.post("/api/v1/telemetry/session-summary", headers=KEY, json={
        "learner_id": learner, "session_id": session, "pages_read": 12, "total_pages": 15,
        "avg_time_per_page_ms": 48600, "slow_pages": [3, 5, 7]})
    assert response.json() == {"ok": True}
    async with services.db.session() as db:
        row = await db.get(ReadingSession, uuid.UUID(session))
    assert (row.pages_read, row.total_pages, row.avg_time_per_page_ms, row.slow_pages,
            row.engagement, row.completed) == (12, 15, 48600, [3, 5, 7], "high", False)
    assert_error(await client.post("/api/v1/telemetry/session-summary", headers=KEY, json={
        "learner_id": learner, "session_id": session, "pages_read": 16, "total_pages": 15}),
        422, "validation_failed")
    assert_error(await client.post("/api/v1/telemetry/session-summary", headers=KEY, json={
        "learner_id": learner, "session_id": session}), 400, "bad_request")


def _summary(read: int, total: int | None, slow: list[int]) -> SessionSummaryIn:
    return SessionSummaryIn(learner_id=uuid.uuid4(), session_id=uuid.uuid4(), pages_read=read,
                            total_pages=total, slow_pages=slow)


def test_engagement_boundaries():
    assert engagement(_summary(8, 10, [1, 2])) == "high"  # 80 % read, a quarter slow
    assert engagement(_summary(9, 10, [1, 2, 3])) == "high"  # exactly a third slow
    assert engagement(_summary(9, 10, [1, 2, 3, 4])) == "medium"
    assert engagement(_summary(7, 10, [])) == "medium"  # just under 80 %
    assert engagement(_summary(4, 10, [])) == "medium"  # exactly 40 %
    assert engagement(_summary(3, 10, [])) == "low"
    assert engagement(_summary(10, 10, [1, 2, 3, 4, 5])) == "medium"  # exactly half slow
    assert engagement(_summary(10, 10, [1, 2, 3, 4, 5, 6])) == "low"
    assert engagement(_summary(0, None, [])) == "low"


async def test_learner_stats_404_422_and_auth(client, services):
    learner, session = ids()
    body = assert_error(await client.get(f"/api/internal/learner/{learner}", headers=KEY),
                        404, "not_found")
    assert body["message"] == "Learner not found"
    assert_error(await client.get("/api/internal/learner/12345", headers=KEY),
                 422, "validation_failed")
    assert_error(await client.get(f"/api/internal/learner/{learner}"), 401, "unauthenticated")
    await client.post("/api/v1/telemetry/vocab-taps", headers=KEY, json={
        "learner_id": learner, "session_id": session, "words": [{"word": "a", "count": 1}]})
    response = await client.get(f"/api/internal/learner/{learner}", headers=KEY)
    assert response.json() == {"reading_level": 2.0, "books_read": 0, "total_miles": 0.0}


RECORD_EVENT = """
mutation($input: ReadingEventInput!) { recordReadingEvent(input: $input) { ok } }"""
END_SESSION = """
mutation($input: EndReadingSessionInput!) {
  endReadingSession(input: $input) { ok eventsReceived } }"""
VOCAB = """
mutation($input: VocabTapsInput!) { recordVocabTaps(input: $input) { ok upserted } }"""
SUMMARY = """
mutation($input: SessionSummaryInput!) { recordSessionSummary(input: $input) { ok } }"""
STATS = """
query($id: UUID!) { readerStats(learnerId: $id) { readingLevel booksRead totalMiles } }"""
BOOK = """
query($id: String!) { readingBook(id: $id) { id title author pageCount fkGrade
  pages { pageNumber text fkGrade wordCount } } }"""


async def test_the_same_operations_in_graphql(client, services):
    learner, session = ids()
    turned = {"eventId": str(uuid.uuid4()), "learnerId": learner, "sessionId": session,
              "eventType": "PAGE_TURNED", "bookId": "14761-1", "pageNumber": 1,
              "timeOnPageMs": 4000, "clientTs": 1713470400000}
    assert await gql(client, RECORD_EVENT, {"input": turned}, headers=KEY) == {
        "recordReadingEvent": {"ok": True}}
    data = await gql(client, END_SESSION, {"input": {"learnerId": learner,
                                                     "sessionId": session}}, headers=KEY)
    assert data == {"endReadingSession": {"ok": True, "eventsReceived": 1}}
    data = await gql(client, VOCAB, {"input": {"learnerId": learner, "sessionId": session,
                                               "words": [{"word": "Lion", "count": 2}]}},
                     headers=KEY)
    assert data == {"recordVocabTaps": {"ok": True, "upserted": 1}}
    assert await _counts(services, learner) == {"lion": 2}
    data = await gql(client, SUMMARY, {"input": {"learnerId": learner, "sessionId": session,
                                                 "pagesRead": 6, "totalPages": 6}},
                     headers=KEY)
    assert data == {"recordSessionSummary": {"ok": True}}
    data = await gql(client, STATS, {"id": learner}, headers=KEY)
    assert data["readerStats"]["booksRead"] == 1 and data["readerStats"]["readingLevel"] == 2.0


async def test_graphql_rules_match_the_rest_face(client, services):
    learner, session = ids()
    variables = {"id": learner}
    assert error_codes(await gql_raw(client, STATS, variables)) == ["UNAUTHENTICATED"]
    user = await create_user(services)
    assert error_codes(await gql_raw(client, STATS, variables,
                                     headers=await bearer_for(services, user))) == ["FORBIDDEN"]
    assert error_codes(await gql_raw(client, STATS, variables, headers=KEY)) == ["NOT_FOUND"]
    bad = await gql_raw(client, VOCAB, {"input": {"learnerId": learner, "sessionId": session,
                                                  "words": [{"word": "w", "count": 0}]}},
                        headers=KEY)
    assert error_codes(bad) == ["BAD_USER_INPUT"]
    assert bad["errors"][0]["extensions"]["details"]["fields"][0]["field"] == "words.0.count"
    wrong_type = {"eventId": str(uuid.uuid4()), "learnerId": learner, "sessionId": session,
                  "eventType": "PAGE_TURNED", "clientTs": 1.5}
    assert error_codes(await gql_raw(client, RECORD_EVENT, {"input": wrong_type},
                                     headers=KEY)) == ["BAD_USER_INPUT"]


async def test_catalog_books_are_graded_by_the_readability_library(client):
    from core.readability import fk_grade

    data = await gql(client, BOOK, {"id": "14760-1"})
    book = data["readingBook"]
    assert book["title"] == "The Tortoise and the Hare" and book["author"] == "Aesop"
    assert book["pageCount"] == len(book["pages"]) == 6
    for page in book["pages"]:
        assert page["fkGrade"] == fk_grade(page["text"])
    assert book["fkGrade"] == fk_grade(" ".join(p["text"] for p in book["pages"]))
    assert (await gql(client, BOOK, {"id": "nope"})) == {"readingBook": None}


async def test_catalog_has_a_few_dozen_books(services, client):
    from models.reading import Book

    async with services.db.session() as session:
        books = (await session.execute(select(Book))).scalars().all()
    assert len(books) >= 25
    assert all(b.page_count >= 3 and 0 <= b.fk_grade <= 18 for b in books)
    assert len({round(b.fk_grade) for b in books}) >= 4  # a spread of levels


async def test_each_service_answers_on_its_own_port(server, client):
    running = await start_server(create_face_app("pickatale-telemetry",
                                                 services=server.app.state.services))
    try:
        learner, session = ids()
        async with httpx.AsyncClient(base_url=running.base_url) as http:
            response = await http.post("/api/events", headers=KEY, json=event(
                learner, session, "book_opened", book_id="14760-1"))
            assert response.json() == {"ok": True}
            assert_error(await http.get("/api/nothing-here"), 404, "not_found")
            assert_error(await http.get("/api/events"), 405, "method_not_allowed")
            assert_error(await http.get("/api/recommendations"), 404, "not_found")
    finally:
        await running.stop()
