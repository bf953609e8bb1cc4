"""The adaptive content engine: LLM rewrites measured by the readability library,
retried within a bound, cached with the ±0.1 tolerance; 400/422/503."""

from __future__ import annotations

from core.readability import fk_grade
from tests.fixtures import error_codes, gql, gql_raw
from tests.pickatale.helpers import KEY, assert_error, ids, jobs_done, until

SIMPLE = "The hare laughed at the slow tortoise, so the tortoise asked him to run a race."
HARD = ("The little rabbit hopped across the garden, looking for crunchy carrots and sweet "
        "lettuce.")
PAGE = "A Hare was making fun of the Tortoise one day for being so slow."


def page(target: float, text: str = PAGE, **extra) -> dict:
    return {"bookId": "14760-1", "pageNumber": 1, "text": text, "targetFkLevel": target,
            **extra}


async def test_a_page_is_rewritten_measured_and_cached(llm_client, fake_anthropic):
    target = fk_grade(SIMPLE)
    fake_anthropic.reply_text(SIMPLE)
    response = await llm_client.post("/api/v1/level-page", json=page(target), headers=KEY)
    assert response.json() == {"leveledText": SIMPLE, "actualFkScore": target,
                               "cached": False}
    sent = fake_anthropic.last_request.body["messages"][0]["content"]
    assert f"Target Flesch-Kincaid grade: {target:.1f}" in sent and PAGE in sent
    # Within ±0.1 of a cached target: the cache answers, the LLM is not asked.
    for near in (target + 0.1, target - 0.1, target + 0.05):
        response = await llm_client.post("/api/v1/level-page", json=page(near), headers=KEY)
        assert response.json() == {"leveledText": SIMPLE, "actualFkScore": target,
                                   "cached": True}
    assert len(fake_anthropic.recorded()) == 1
    # Just outside the tolerance, or another source text: a new rewrite.
    fake_anthropic.reply_text(SIMPLE)
    response = await llm_client.post("/api/v1/level-page", json=page(target + 0.11),
                                     headers=KEY)
    assert response.json()["cached"] is False
    fake_anthropic.reply_text(SIMPLE)
    response = await llm_client.post("/api/v1/level-page", headers=KEY,
                                     json=page(target, text=PAGE + " He laughed."))
    assert response.json()["cached"] is False
    assert len(fake_anthropic.recorded()) == 3


async def test_a_rewrite_far_from_the_target_is_asked_again_within_a_bound(llm_client,
                                                                           fake_anthropic):
    target = fk_grade(HARD)
    fake_anthropic.reply_text(SIMPLE)
    fake_anthropic.reply_text(HARD)
    response = await llm_client.post("/api/v1/level-page", json=page(target), headers=KEY)
    assert response.json() == {"leveledText": HARD, "actualFkScore": target, "cached": False}
    second = fake_anthropic.recorded()[1].body["messages"]
    assert second[-1]["content"].startswith(f"That measures grade {fk_grade(SIMPLE):.1f}")
    # Never within reach: three attempts, the closest kept.
    fake_anthropic.reset()
    attempts = (SIMPLE, HARD, PAGE)
    for text in attempts:
        fake_anthropic.reply_text(text)
    response = await llm_client.post("/api/v1/level-page", json=page(16.0, pageNumber=2),
                                     headers=KEY)
    closest = max(attempts, key=fk_grade)
    assert response.json()["leveledText"] == closest
    assert len(fake_anthropic.recorded()) == 3


async def test_level_page_errors(client, llm_client, fake_anthropic):
    body = page(3.5)
    del body["targetFkLevel"]
    assert_error(await client.post("/api/v1/level-page", json=body, headers=KEY),
                 400, "bad_request")
    assert_error(await client.post("/api/v1/level-page", json=page(18.5), headers=KEY),
                 422, "validation_failed")
    assert_error(await client.post("/api/v1/level-page", json=page(3.5, text=""),
                                   headers=KEY), 422, "validation_failed")
    assert_error(await client.post("/api/v1/level-page", json=page(3.5)), 401, "unauthenticated")
    # No LLM configured, or the LLM failing: 503.
    assert_error(await client.post("/api/v1/level-page", json=page(3.5), headers=KEY),
                 503, "llm_unavailable")
    fake_anthropic.reply_error(500)
    assert_error(await llm_client.post("/api/v1/level-page", json=page(3.5), headers=KEY),
                 503, "llm_unavailable")


async def test_a_book_is_adapted_and_cached_by_grade(llm_client, fake_anthropic):
    target = fk_grade(SIMPLE)
    for _ in range(4):
        fake_anthropic.reply_text(SIMPLE)
    body = {"book_id": "14762-1", "target_fk_grade": target}
    response = await llm_client.post("/api/v1/adapt", json=body, headers=KEY)
    assert response.json() == {"adapted_pages": [{"page_number": n, "text": SIMPLE}
                                                 for n in (1, 2, 3, 4)], "cached": False}
    again = await llm_client.post("/api/v1/adapt", headers=KEY,
                                  json={**body, "target_fk_grade": round(target + 0.1, 2)})
    assert again.json()["cached"] is True and len(again.json()["adapted_pages"]) == 4
    assert len(fake_anthropic.recorded()) == 4
    assert_error(await llm_client.post("/api/v1/adapt", headers=KEY, json={
        "book_id": "99999-1", "target_fk_grade": 3.5}), 404, "not_found")
    assert_error(await llm_client.post("/api/v1/adapt", headers=KEY, json={
        "book_id": "14762-1"}), 400, "bad_request")


async def _tap(client, learner: str, session: str, word: str) -> None:
    await client.post("/api/v1/telemetry/vocab-taps", headers=KEY, json={
        "learner_id": learner, "session_id": session, "words": [{"word": word, "count": 3}]})


async def test_recommendations_favour_gaps_and_skip_read_books(client, services):
    learner, session = ids()
    fresh = await client.get("/api/recommendations", params={"learner_id": learner},
                             headers=KEY)
    books = fresh.json()["books"]
    assert len(books) == 10
    assert set(books[0]) == {"permanentId", "title", "author", "coverUrl", "reason"}
    assert all(b["reason"] for b in books)
    await _tap(client, learner, session, "tortoise")
    picks = (await client.get("/api/recommendations", params={"learner_id": learner},
                              headers=KEY)).json()["books"]
    assert picks[0]["permanentId"] == "14760-1"
    assert picks[0]["reason"] == "Practises words you asked about: tortoise"
    # Once read, it is not recommended again.
    await client.post("/api/session/end", headers=KEY, json={
        "learner_id": learner, "session_id": session, "book_id": "14760-1"})
    await until(lambda: jobs_done(services, "reading.session_summary"), 20)
    await client.post("/api/v1/telemetry/session-summary", headers=KEY, json={
        "learner_id": learner, "session_id": session, "pages_read": 6, "total_pages": 6})
    picks = (await client.get("/api/recommendations", params={"learner_id": learner},
                              headers=KEY)).json()["books"]
    assert "14760-1" not in {b["permanentId"] for b in picks}


async def test_recommendations_bad_input(client):
    assert_error(await client.get("/api/recommendations", headers=KEY), 400, "bad_request")
    assert_error(await client.get("/api/recommendations", params={"learner_id": "x"},
                                  headers=KEY), 422, "validation_failed")
    assert_error(await client.get("/api/recommendations",
                                  params={"learner_id": "00000000-0000-0000-0000-000000000000"}),
                 401, "unauthenticated")


LEVEL = """
mutation($input: LevelPageInput!) { levelPage(input: $input) {
  leveledText actualFkScore cached } }"""
RECOMMEND = """
query($id: UUID!) { bookRecommendations(learnerId: $id) { reason book { id fkGrade } } }"""


async def test_content_in_graphql(llm_client, client, fake_anthropic):
    target = fk_grade(SIMPLE)
    fake_anthropic.reply_text(SIMPLE)
    data = await gql(llm_client, LEVEL, {"input": {"bookId": "14760-1", "pageNumber": 3,
                                                   "text": PAGE, "targetFkLevel": target}},
                     headers=KEY)
    assert data["levelPage"] == {"leveledText": SIMPLE, "actualFkScore": target,
                                 "cached": False}
    bad = await gql_raw(client, LEVEL, {"input": {"bookId": "14760-1", "pageNumber": 3,
                                                  "text": PAGE, "targetFkLevel": 40}},
                        headers=KEY)
    assert error_codes(bad) == ["BAD_USER_INPUT"]
    data = await gql(client, RECOMMEND, {"id": "00000000-0000-0000-0000-000000000001"},
                     headers=KEY)
    assert len(data["bookRecommendations"]) == 10
