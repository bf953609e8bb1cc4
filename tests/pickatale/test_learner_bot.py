"""The learner bot: quiz results move the reading level through a durable job, in
bounded steps with history; the status carries every documented field."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
from sqlalchemy import select

from models.reading import Learner
from resolvers.reading_bot import MAX_LEVEL, MIN_LEVEL, apply_quiz_results, next_level, write_report
from tests.fixtures import bearer_for, create_user, error_codes, gql, gql_raw, start_instance
from tests.pickatale.helpers import KEY, assert_error, ids, jobs_done, until


def quiz(recommendation: str, score: float = 78.5, **extra) -> dict:
    return {"bookId": "14760-1", "fkLevel": 3.5, "scorePct": score, "questionsTotal": 5,
            "questionsCorrect": 4, "levelRecommendation": recommendation, **extra}


async def _post_quiz(http, learner: str, body: dict):
    return await http.post(f"/api/v1/bot/{learner}/quiz-result", json=body, headers=KEY)


async def _level(services, learner: str) -> float:
    async with services.db.session() as session:
        return (await session.execute(select(Learner.reading_level).where(
            Learner.id == uuid.UUID(learner)))).scalar_one()


def test_levels_move_in_bounded_steps():
    assert next_level(2.0, "raise") == 2.5
    assert next_level(2.0, "drop") == 1.5
    assert next_level(3.5, "hold") == 3.5
    assert next_level(MIN_LEVEL + 0.5, "drop") == MIN_LEVEL
    assert next_level(MIN_LEVEL, "drop") == MIN_LEVEL
    assert next_level(MAX_LEVEL - 0.5, "raise") == MAX_LEVEL
    assert next_level(MAX_LEVEL, "raise") == MAX_LEVEL


async def test_quiz_results_move_the_level_and_keep_history(client, services):
    learner, _ = ids()
    for recommendation, score in (("raise", 92.0), ("drop", 50.0), ("drop", 40.0),
                                  ("drop", 30.0), ("hold", 70.0)):
        response = await _post_quiz(client, learner, quiz(recommendation, score))
        assert response.status_code == 200 and response.json() == {"ok": True}
    await until(lambda: jobs_done(services, "reading.bot_run"), 20)
    assert await _level(services, learner) == 1.0
    status = (await client.get(f"/api/v1/bot/{learner}/status", headers=KEY)).json()
    today = datetime.now(UTC).date().isoformat()
    assert set(status) == {"reading_level", "books_read", "total_miles", "readingLevelHistory",
                           "booksCompleted", "comprehensionTrend", "latestReport",
                           "vocab_gaps", "curriculum_state"}
    assert status["reading_level"] == 1.0
    assert status["readingLevelHistory"] == [{"level": level, "date": today}
                                             for level in (2.5, 2.0, 1.5, 1.0, 1.0)]
    assert status["comprehensionTrend"] == [{"date": today, "score": s}
                                            for s in (92.0, 50.0, 40.0, 30.0, 70.0)]
    assert status["booksCompleted"] == [] and status["vocab_gaps"] == []
    assert status["curriculum_state"] is None and status["books_read"] == 0


async def test_a_result_is_applied_once(client, services):
    learner, _ = ids()
    await _post_quiz(client, learner, quiz("raise"))
    await until(lambda: jobs_done(services, "reading.bot_run"), 20)
    assert await apply_quiz_results(services.db, learner_id=uuid.UUID(learner)) == 0
    assert await _level(services, learner) == 2.5


async def test_status_lists_gaps_and_completed_books(client, services):
    learner, session = ids()
    await client.post("/api/v1/telemetry/vocab-taps", headers=KEY, json={
        "learner_id": learner, "session_id": session,
        "words": [{"word": "magnificent", "count": 3}, {"word": "hare", "count": 5}]})
    await client.post("/api/session/end", headers=KEY, json={
        "learner_id": learner, "session_id": session, "book_id": "14761-1"})
    # The summary the session end queued (no page turns) goes first; this one replaces it.
    await until(lambda: jobs_done(services, "reading.session_summary"), 20)
    await client.post("/api/v1/telemetry/session-summary", headers=KEY, json={
        "learner_id": learner, "session_id": session, "pages_read": 6, "total_pages": 6})
    status = (await client.get(f"/api/v1/bot/{learner}/status", headers=KEY)).json()
    assert status["vocab_gaps"] == [{"word": "hare", "tap_count": 5},
                                    {"word": "magnificent", "tap_count": 3}]
    assert status["booksCompleted"] == ["14761-1"] and status["books_read"] == 1


async def test_quiz_result_bad_input_and_auth(client, services):
    learner, _ = ids()
    assert_error(await _post_quiz(client, learner, quiz("hold", questionsCorrect=6)),
                 422, "validation_failed")
    assert_error(await _post_quiz(client, learner, quiz("up")), 422, "validation_failed")
    assert_error(await _post_quiz(client, learner, quiz("hold", scorePct=100.5)),
                 422, "validation_failed")
    body = quiz("hold")
    del body["bookId"]
    assert_error(await _post_quiz(client, learner, body), 400, "bad_request")
    assert_error(await _post_quiz(client, "not-a-uuid", quiz("hold")), 422, "validation_failed")
    assert_error(await client.post(f"/api/v1/bot/{learner}/quiz-result", json=quiz("hold")),
                 401, "unauthenticated")
    user = await create_user(services)
    assert_error(await client.post(f"/api/v1/bot/{learner}/quiz-result", json=quiz("hold"),
                                   headers=await bearer_for(services, user)), 403, "forbidden")
    assert_error(await client.get(f"/api/v1/bot/{learner}/status", headers=KEY),
                 404, "not_found")


async def test_the_report_is_written_by_the_llm(client, services, llm_server, fake_anthropic):
    learner, _ = ids()
    await _post_quiz(client, learner, quiz("raise", 92.0))
    await until(lambda: jobs_done(services, "reading.bot_run"), 20)
    fake_anthropic.reset()
    fake_anthropic.reply_text("Sofia read The Tortoise and the Hare with strong understanding.")
    report = await write_report(llm_server.app.state.services, learner_id=uuid.UUID(learner))
    assert report == "Sofia read The Tortoise and the Hare with strong understanding."
    sent = fake_anthropic.last_request.body["messages"][0]["content"]
    assert "Reading level (Flesch-Kincaid grade): 2.5." in sent and "92%" in sent
    status = (await client.get(f"/api/v1/bot/{learner}/status", headers=KEY)).json()
    assert status["latestReport"] == report
    # Without a key the report stays as it was.
    assert await write_report(services, learner_id=uuid.UUID(learner)) is None


async def test_a_bot_run_survives_the_instance_that_queued_it(client, services, database_url):
    learner, _ = ids()
    quiet = await start_instance(database_url, jobs_enabled=False)
    try:
        async with httpx.AsyncClient(base_url=quiet.base_url) as http:
            assert (await _post_quiz(http, learner, quiz("raise"))).json() == {"ok": True}
    finally:
        await quiet.stop()

    async def moved():
        return await _level(services, learner) == 2.5
    await until(moved, 20)


STATUS = """
query($id: UUID!) { learnerStatus(learnerId: $id) {
  readingLevel booksRead totalMiles readingLevelHistory { level date } booksCompleted
  comprehensionTrend { date score } latestReport vocabGaps { word tapCount } curriculumState
} }"""
RECORD = """
mutation($id: UUID!, $input: QuizResultInput!) {
  recordQuizResult(learnerId: $id, input: $input) { ok } }"""


async def test_the_learner_bot_in_graphql(client, services):
    learner, _ = ids()
    result = {"bookId": "14760-1", "fkLevel": 3.5, "scorePct": 90.0, "questionsTotal": 5,
              "questionsCorrect": 5, "levelRecommendation": "RAISE"}
    assert await gql(client, RECORD, {"id": learner, "input": result}, headers=KEY) == {
        "recordQuizResult": {"ok": True}}
    await until(lambda: jobs_done(services, "reading.bot_run"), 20)
    data = await gql(client, STATUS, {"id": learner}, headers=KEY)
    assert data["learnerStatus"]["readingLevel"] == 2.5
    assert [p["level"] for p in data["learnerStatus"]["readingLevelHistory"]] == [2.5]
    bad = await gql_raw(client, RECORD, {"id": learner, "input": {**result,
                                                                  "questionsCorrect": 6}},
                        headers=KEY)
    assert error_codes(bad) == ["BAD_USER_INPUT"]
    assert error_codes(await gql_raw(client, STATUS, {"id": learner})) == ["UNAUTHENTICATED"]
