"""The assessment bot: schema-validated questions from the LLM, scoring thresholds."""

from __future__ import annotations

from strawberry import relay

from resolvers.reading_assessment import recommendation
from tests.fixtures import error_codes, gql, gql_raw
from tests.pickatale.helpers import KEY, assert_error, ids

PAGES = ["A Lion lay asleep in the forest.", "A little Mouse ran across his nose."]


def questions(n: int = 5, options: int = 4) -> dict:
    return {"questions": [{"question": f"Question {i}?",
                           "options": [f"Option {i}.{k}" for k in range(options)],
                           "correct_index": i % 4} for i in range(1, n + 1)]}


def test_thresholds_at_their_boundaries():
    assert recommendation(0.0) == "drop"
    assert recommendation(64.9) == "drop"
    assert recommendation(65.0) == "hold"
    assert recommendation(85.0) == "hold"
    assert recommendation(85.1) == "raise"
    assert recommendation(100.0) == "raise"


async def _generate(http, learner: str, book: str = "14761-1"):
    return await http.post("/api/v1/assess/generate", headers=KEY, json={
        "book_id": book, "learner_id": learner, "page_texts": PAGES})


async def test_generate_then_score(llm_client, client, fake_anthropic):
    learner, _ = ids()
    fake_anthropic.reply_tool_use("comprehension_questions", questions(5))
    response = await _generate(llm_client, learner)
    assert response.status_code == 200, response.text
    got = response.json()["questions"]
    assert [q["id"] for q in got] == [1, 2, 3, 4, 5]
    assert got[0] == {"id": 1, "question": "Question 1?",
                      "options": ["Option 1.0", "Option 1.1", "Option 1.2", "Option 1.3"],
                      "correct_index": 1}
    sent = fake_anthropic.last_request.body
    assert "A Lion lay asleep" in sent["messages"][0]["content"]
    right = [{"question_id": q["id"], "selected_index": q["correct_index"]} for q in got]
    wrong = [{"question_id": q["id"], "selected_index": (q["correct_index"] + 1) % 4}
             for q in got]
    for answers, expected in ((right, (100.0, 5, "raise")),
                              (right[:4] + wrong[4:], (80.0, 4, "hold")),
                              (right[:3], (60.0, 3, "drop")),
                              ([], (0.0, 0, "drop"))):
        score = await client.post("/api/v1/assess/result", headers=KEY, json={
            "learner_id": learner, "book_id": "14761-1", "answers": answers})
        assert score.json() == {"score_pct": expected[0], "questions_total": 5,
                                "questions_correct": expected[1],
                                "level_recommendation": expected[2]}


async def test_an_answer_that_breaks_the_schema_is_refused(llm_client, fake_anthropic):
    learner, _ = ids()
    fake_anthropic.reply_tool_use("comprehension_questions", questions(5, options=3))
    fake_anthropic.reply_tool_use("comprehension_questions", questions(2))
    body = assert_error(await _generate(llm_client, learner), 502, "llm_invalid_answer")
    assert "Option" not in str(body)
    assert len(fake_anthropic.recorded()) == 2


async def test_without_a_configured_llm_generate_is_503(client):
    learner, _ = ids()
    assert_error(await _generate(client, learner), 503, "llm_unavailable")


async def test_assessment_bad_input(client):
    learner, _ = ids()
    url = "/api/v1/assess/generate"
    base = {"book_id": "14761-1", "learner_id": learner}
    assert_error(await client.post(url, headers=KEY, json=base), 400, "bad_request")
    for texts in ([], [""], ["x" * 5001], ["y" * 5000] * 13):
        assert_error(await client.post(url, headers=KEY, json={**base, "page_texts": texts}),
                     422, "validation_failed")
    result = {"learner_id": learner, "book_id": "14761-1"}
    assert_error(await client.post("/api/v1/assess/result", headers=KEY, json={
        **result, "answers": [{"question_id": 1, "selected_index": 4}]}),
        422, "validation_failed")
    assert_error(await client.post("/api/v1/assess/result", headers=KEY, json={
        **result, "answers": []}), 404, "not_found")
    assert_error(await client.post("/api/v1/assess/result", json={**result, "answers": []}),
                 401, "unauthenticated")


GENERATE = """
mutation($input: GenerateQuestionsInput!) {
  generateComprehensionQuestions(input: $input) {
    id number question options correctIndex } }"""
SCORE = """
mutation($input: ScoreAnswersInput!) {
  scoreComprehensionAnswers(input: $input) {
    scorePct questionsTotal questionsCorrect levelRecommendation } }"""


async def test_the_assessment_bot_in_graphql(llm_client, client, fake_anthropic):
    learner, _ = ids()
    fake_anthropic.reply_tool_use("comprehension_questions", questions(3))
    data = await gql(llm_client, GENERATE, {"input": {
        "bookId": "14760-1", "learnerId": learner, "pageTexts": PAGES}}, headers=KEY)
    got = data["generateComprehensionQuestions"]
    assert [q["correctIndex"] for q in got] == [1, 2, 3]
    assert [q["number"] for q in got] == [1, 2, 3]
    kind, raw = relay.from_base64(got[0]["id"])
    assert (kind, raw.split(":")[1]) == ("ComprehensionQuestion", "1")
    answers = [{"questionId": q["id"], "selectedIndex": q["correctIndex"]} for q in got[:2]]
    score = {"learnerId": learner, "bookId": "14760-1", "answers": answers}
    data = await gql(client, SCORE, {"input": score}, headers=KEY)
    assert data["scoreComprehensionAnswers"] == {
        "scorePct": 66.7, "questionsTotal": 3, "questionsCorrect": 2,
        "levelRecommendation": "HOLD"}
    # A bare number names that question of the latest set, as the REST face's question_id.
    bare = [{"questionId": "3", "selectedIndex": 3}]
    data = await gql(client, SCORE, {"input": {**score, "answers": bare}}, headers=KEY)
    assert data["scoreComprehensionAnswers"]["questionsCorrect"] == 1
    for bad in ("nope", relay.to_base64("ComprehensionQuestion", "x:1"),
                relay.to_base64("ContentItem", "1"), "0"):
        body = await gql_raw(client, SCORE, {"input": {**score, "answers": [
            {"questionId": bad, "selectedIndex": 0}]}}, headers=KEY)
        assert error_codes(body) == ["BAD_USER_INPUT"], bad
    # A new set for the book: answers naming the earlier set's questions are refused.
    fake_anthropic.reply_tool_use("comprehension_questions", questions(3))
    newer = (await gql(llm_client, GENERATE, {"input": {
        "bookId": "14760-1", "learnerId": learner, "pageTexts": PAGES}},
        headers=KEY))["generateComprehensionQuestions"]
    assert newer[0]["id"] != got[0]["id"]
    body = await gql_raw(client, SCORE, {"input": score}, headers=KEY)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    missing = await gql_raw(client, GENERATE, {"input": {
        "bookId": "14760-1", "learnerId": learner, "pageTexts": PAGES}}, headers=KEY)
    assert error_codes(missing) == ["LLM_UNAVAILABLE"]
