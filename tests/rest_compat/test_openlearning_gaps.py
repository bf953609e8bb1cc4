"""POST /api/gap-analysis and the analyzeGaps mutation: computed gaps and priorities,
the model's targets and words, the key rules and every upstream failure."""

from __future__ import annotations

import pytest

from core.llm import AUTHENTICATION_FAILED, NO_API_KEY, RATE_LIMITED, SERVICE_ERROR
from resolvers.gaps import priority_for, readiness
from tests.fixtures import error_codes, gql_raw

USER_KEY = "sk-ant-user-key-gaps-0042"

SCORES = [
    {"skillId": "nodejs", "skillName": "Node.js", "score": 65, "confidence": 0.8,
     "reasoning": "Strong fundamentals, gaps in advanced patterns"},
    {"skillId": "microservices", "skillName": "Microservices", "score": 39, "confidence": 0.6,
     "reasoning": "Knows the vocabulary only"},
    {"skillId": "sql", "skillName": "SQL", "score": 90, "confidence": 0.9, "reasoning": ""},
]

MODEL_ANSWER = {
    "summary": "Solid foundation with gaps in distributed systems.",
    "skills": [
        {"skill_id": "nodejs", "target_level": 80,
         "recommendation": "Build a streaming service with backpressure."},
        {"skill_id": "microservices", "target_level": 80,
         "recommendation": "Focus on service decomposition and messaging."},
        {"skill_id": "sql", "target_level": 75, "recommendation": "Keep practising."},
        {"skill_id": "cobol", "target_level": 99, "recommendation": "Not asked about."},
    ],
}


@pytest.mark.parametrize(("gap", "priority"), [
    (0, "low"), (10, "low"), (11, "medium"), (25, "medium"), (26, "high"), (40, "high"),
    (41, "critical"), (100, "critical")])
def test_priority_thresholds(gap, priority):
    assert priority_for(gap) == priority


def test_readiness_is_the_mean_share_of_targets_reached():
    assert readiness([(65, 80), (39, 80), (90, 75)]) == round(100 * (65 / 80 + 39 / 80 + 1) / 3)
    assert readiness([(0, 0)]) == 100
    assert readiness([]) == 0


@pytest.fixture
async def keyed_client(ol_client):
    response = await ol_client.post("/api/auth/api-key", json={"apiKey": USER_KEY})
    assert response.status_code == 200
    return ol_client


async def test_gap_analysis_computes_gaps_and_priorities(keyed_client, fake_anthropic):
    fake_anthropic.reply_tool_use("record_gap_analysis", MODEL_ANSWER)
    response = await keyed_client.post("/api/gap-analysis", json={"proficiencyScores": SCORES})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "overallReadiness": round(100 * (65 / 80 + 39 / 80 + 1) / 3),
        "summary": "Solid foundation with gaps in distributed systems.",
        "gaps": [
            {"skillId": "microservices", "skillName": "Microservices", "currentLevel": 39,
             "targetLevel": 80, "gap": 41, "priority": "critical",
             "recommendation": "Focus on service decomposition and messaging."},
            {"skillId": "nodejs", "skillName": "Node.js", "currentLevel": 65,
             "targetLevel": 80, "gap": 15, "priority": "medium",
             "recommendation": "Build a streaming service with backpressure."},
            {"skillId": "sql", "skillName": "SQL", "currentLevel": 90, "targetLevel": 75,
             "gap": 0, "priority": "low", "recommendation": "Keep practising."},
        ],
    }
    [request] = fake_anthropic.recorded()
    assert request.api_key == USER_KEY
    assert request.json["tool_choice"] == {"type": "tool", "name": "record_gap_analysis"}
    prompt = request.json["messages"][0]["content"]
    assert "microservices (Microservices): score 39, confidence 0.60" in prompt


async def test_a_skill_the_model_skipped_gets_the_default_target(keyed_client, fake_anthropic):
    fake_anthropic.reply_tool_use("record_gap_analysis", {
        "summary": "Partial.", "skills": MODEL_ANSWER["skills"][:1]})
    response = await keyed_client.post("/api/gap-analysis", json={"proficiencyScores": SCORES})
    by_skill = {g["skillId"]: g for g in response.json()["gaps"]}
    assert by_skill["microservices"]["targetLevel"] == 80
    assert by_skill["microservices"]["gap"] == 41
    assert by_skill["sql"] == {
        "skillId": "sql", "skillName": "SQL", "currentLevel": 90, "targetLevel": 80, "gap": 0,
        "priority": "low", "recommendation": "Strengthen your SQL fundamentals with practice."}


async def test_an_invalid_model_answer_is_corrected_or_refused(keyed_client, fake_anthropic):
    bad = {"summary": "x", "skills": [{"skill_id": "sql", "target_level": 300,
                                       "recommendation": "?"}]}
    fake_anthropic.reply_tool_use("record_gap_analysis", bad)
    fake_anthropic.reply_tool_use("record_gap_analysis", bad)
    response = await keyed_client.post("/api/gap-analysis", json={"proficiencyScores": SCORES})
    assert response.status_code == 502
    assert response.json() == {"detail": "The AI service returned an answer in an unexpected "
                                         "form. Please try again."}
    assert len(fake_anthropic.recorded()) == 2


async def test_gap_analysis_needs_sign_in_and_a_key(ol_client, new_client, fake_anthropic):
    anonymous = await new_client().post("/api/gap-analysis", json={"proficiencyScores": SCORES})
    assert anonymous.status_code == 401
    response = await ol_client.post("/api/gap-analysis", json={"proficiencyScores": SCORES})
    assert response.status_code == 400
    assert response.json() == {"detail": NO_API_KEY}
    assert fake_anthropic.recorded() == []


async def test_gap_analysis_rejects_bad_scores(keyed_client, fake_anthropic):
    bad = [{**SCORES[0], "score": 150}]
    response = await keyed_client.post("/api/gap-analysis", json={"proficiencyScores": bad})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "proficiencyScores", 0, "score"]
    empty = await keyed_client.post("/api/gap-analysis", json={"proficiencyScores": []})
    assert empty.status_code == 422
    assert fake_anthropic.recorded() == []


@pytest.mark.parametrize(("status", "retry_after", "expected_status", "detail"), [
    (401, None, 401, AUTHENTICATION_FAILED),
    (429, 30, 429, RATE_LIMITED),
    (500, None, 502, SERVICE_ERROR),
])
async def test_upstream_failures_map_to_documented_statuses(keyed_client, fake_anthropic, status,
                                                            retry_after, expected_status, detail):
    fake_anthropic.reply_error(status, retry_after=retry_after)
    response = await keyed_client.post("/api/gap-analysis", json={"proficiencyScores": SCORES})
    assert response.status_code == expected_status
    assert response.json() == {"detail": detail}
    if retry_after:
        assert response.headers["retry-after"] == "30"


ANALYZE = """
mutation($input: GapAnalysisInput!) {
  analyzeGaps(input: $input) {
    overallReadiness summary gaps { skillId currentLevel targetLevel gap priority }
  }
}"""


def _graphql_scores(scores):
    return [{"skillId": s["skillId"], "skillName": s["skillName"], "score": s["score"],
             "confidence": s["confidence"], "reasoning": s["reasoning"]} for s in scores]


async def test_analyze_gaps_over_graphql(keyed_client, fake_anthropic):
    fake_anthropic.reply_tool_use("record_gap_analysis", MODEL_ANSWER)
    body = await gql_raw(keyed_client, ANALYZE,
                         {"input": {"proficiencyScores": _graphql_scores(SCORES)}})
    assert "errors" not in body, body
    result = body["data"]["analyzeGaps"]
    assert [(g["skillId"], g["gap"], g["priority"]) for g in result["gaps"]] == [
        ("microservices", 41, "critical"), ("nodejs", 15, "medium"), ("sql", 0, "low")]

    out_of_range = _graphql_scores([{**SCORES[0], "confidence": 1.5}])
    body = await gql_raw(keyed_client, ANALYZE, {"input": {"proficiencyScores": out_of_range}})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == "The confidence of nodejs must be between 0 and 1"


async def test_analyze_gaps_without_a_key_over_graphql(ol_client, fake_anthropic):
    body = await gql_raw(ol_client, ANALYZE,
                         {"input": {"proficiencyScores": _graphql_scores(SCORES)}})
    assert error_codes(body) == ["NO_API_KEY"]
    assert body["errors"][0]["message"] == NO_API_KEY
