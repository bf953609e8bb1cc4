"""POST /api/learning-plan and the phase layering behind it."""

from __future__ import annotations

import pytest

from core.llm import INVALID_ANSWER, NO_API_KEY
from resolvers.gaps import Gap
from resolvers.plans import layers

USER_KEY = "sk-ant-plan-key-3141"


def gap(skill_id: str, size: int, priority: str) -> Gap:
    return Gap(skill_id=skill_id, skill_name=skill_id.replace("_", " ").title(),
               current_level=80 - size, target_level=80, gap=size, priority=priority,
               recommendation="")


def test_phases_follow_prerequisites_among_the_gaps():
    grouped = layers([gap("api_pagination_filtering", 30, "high"),
                      gap("database_indexing", 45, "critical"),
                      gap("http_fundamentals", 12, "medium"),
                      gap("rest_api_design", 20, "medium"),
                      gap("sql_fundamentals", 5, "low"),
                      gap("not_in_the_knowledge_base", 50, "critical")])
    assert [[g.skill_id for g in phase] for phase in grouped] == [
        ["not_in_the_knowledge_base", "http_fundamentals", "sql_fundamentals"],
        ["database_indexing", "rest_api_design"],
        ["api_pagination_filtering"],
    ]


GAP_ANALYSIS = {
    "overallReadiness": 60, "summary": "Gaps in API design.",
    "gaps": [
        {"skillId": "rest_api_design", "skillName": "REST API Design", "currentLevel": 40,
         "targetLevel": 80, "gap": 40, "priority": "high", "recommendation": "Design one."},
        {"skillId": "http_fundamentals", "skillName": "HTTP Fundamentals", "currentLevel": 70,
         "targetLevel": 80, "gap": 10, "priority": "low", "recommendation": "Review."},
        {"skillId": "sql_fundamentals", "skillName": "SQL Fundamentals", "currentLevel": 90,
         "targetLevel": 80, "gap": 0, "priority": "low", "recommendation": "Keep going."},
    ],
}


@pytest.fixture
async def learner(ol_client):
    await ol_client.post("/api/auth/api-key", json={"apiKey": USER_KEY})
    return ol_client


async def test_learning_plan_has_computed_phases_and_written_words(learner, fake_anthropic):
    fake_anthropic.reply_tool_use("record_learning_plan", {
        "summary": "Three weeks from HTTP to API design.",
        "phases": [
            {"phase_number": 1, "title": "Foundations", "rationale": "HTTP first.",
             "resources": [{"type": "article", "title": "HTTP Overview",
                            "url": "https://developer.mozilla.org/docs/Web/HTTP/Overview"}]},
            {"phase_number": 2, "title": "API design", "rationale": "Then resources.",
             "resources": [{"type": "book", "title": "API Design Patterns", "url": None}]},
        ]})
    response = await learner.post("/api/learning-plan", json={"gapAnalysis": GAP_ANALYSIS})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "summary": "Three weeks from HTTP to API design.", "totalHours": 8.0,
        "phases": [
            {"phaseNumber": 1, "title": "Foundations", "concepts": ["http_fundamentals"],
             "rationale": "HTTP first.", "estimatedHours": 2.0,
             "resources": [{"type": "article", "title": "HTTP Overview",
                            "url": "https://developer.mozilla.org/docs/Web/HTTP/Overview"}]},
            {"phaseNumber": 2, "title": "API design", "concepts": ["rest_api_design"],
             "rationale": "Then resources.", "estimatedHours": 6.0,
             "resources": [{"type": "book", "title": "API Design Patterns", "url": None}]},
        ]}
    [request] = fake_anthropic.recorded()
    assert request.api_key == USER_KEY
    assert "1. HTTP Fundamentals (gap 10, low)" in request.json["messages"][0]["content"]
    assert "SQL" not in request.json["messages"][0]["content"]  # no gap, nothing to plan


def plan_words(resource: dict) -> dict:
    return {"summary": "s", "phases": [{"phase_number": 1, "title": "t", "rationale": "r",
                                        "resources": [resource]}]}


def correction_sent(request) -> str:
    """The tool_result text the server sent back to the model to get a corrected answer."""
    [result] = request.json["messages"][-1]["content"]
    assert (result["type"], result["is_error"]) == ("tool_result", True)
    return result["content"]


@pytest.mark.parametrize(("resource", "problem"), [
    ({"type": "podcast", "title": "x", "url": "https://example.com/x"},
     "'loc': ('phases', 0, 'resources', 0, 'type'), 'msg': \"Input should be 'article', "
     "'video', 'course', 'book', 'documentation', 'exercise' or 'project'\""),
    ({"type": "article", "title": "x", "url": "javascript:alert(1)"},
     "'loc': ('phases', 0, 'resources', 0, 'url'), 'msg': 'Value error, url must be an "
     "http(s) URL or null'"),
], ids=["unknown-type", "non-http-url"])
async def test_invalid_resources_are_refused(learner, fake_anthropic, resource, problem):
    fake_anthropic.reply_tool_use("record_learning_plan", plan_words(resource))
    fake_anthropic.reply_tool_use("record_learning_plan", plan_words(resource))
    response = await learner.post("/api/learning-plan", json={"gapAnalysis": GAP_ANALYSIS})
    assert response.status_code == 502
    assert response.json() == {"detail": INVALID_ANSWER}
    _first, retry = fake_anthropic.recorded()
    assert correction_sent(retry).count("'loc': ") == 1
    assert problem in correction_sent(retry)


async def test_a_corrected_resource_is_accepted(learner, fake_anthropic):
    fake_anthropic.reply_tool_use("record_learning_plan", plan_words(
        {"type": "article", "title": "x", "url": "ftp://example.com/x"}))
    fake_anthropic.reply_tool_use("record_learning_plan", plan_words(
        {"type": "article", "title": "x", "url": "https://example.com/x"}))
    response = await learner.post("/api/learning-plan", json={"gapAnalysis": GAP_ANALYSIS})
    assert response.status_code == 200, response.text
    [phase, _] = response.json()["phases"]
    assert phase["resources"] == [{"type": "article", "title": "x",
                                   "url": "https://example.com/x"}]
    assert "url must be an http(s) URL or null" in correction_sent(fake_anthropic.recorded()[1])


async def test_learning_plan_input_and_key_rules(ol_client, new_client, fake_anthropic):
    assert (await new_client().post("/api/learning-plan",
                                    json={"gapAnalysis": GAP_ANALYSIS})).status_code == 401
    response = await ol_client.post("/api/learning-plan", json={"gapAnalysis": GAP_ANALYSIS})
    assert (response.status_code, response.json()) == (400, {"detail": NO_API_KEY})
    bad = {**GAP_ANALYSIS, "gaps": [{**GAP_ANALYSIS["gaps"][0], "priority": "urgent"}]}
    response = await ol_client.post("/api/learning-plan", json={"gapAnalysis": bad})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "gapAnalysis", "gaps", 0,
                                                   "priority"]
    assert fake_anthropic.recorded() == []


async def test_oversized_plans_are_refused_before_the_model(learner, fake_anthropic):
    first = GAP_ANALYSIS["gaps"][0]
    many = [{**first, "skillId": f"skill_{n}"} for n in range(101)]
    cases = [
        ({**GAP_ANALYSIS, "gaps": many}, ["body", "gapAnalysis", "gaps"],
         "List should have at most 100 items after validation, not 101"),
        ({**GAP_ANALYSIS, "summary": "s" * 2001}, ["body", "gapAnalysis", "summary"],
         "String should have at most 2000 characters"),
        ({**GAP_ANALYSIS, "gaps": [{**first, "skillName": "n" * 201}]},
         ["body", "gapAnalysis", "gaps", 0, "skillName"],
         "String should have at most 200 characters"),
        ({**GAP_ANALYSIS, "gaps": [{**first, "recommendation": "r" * 1001}]},
         ["body", "gapAnalysis", "gaps", 0, "recommendation"],
         "String should have at most 1000 characters"),
    ]
    for analysis, loc, message in cases:
        response = await learner.post("/api/learning-plan", json={"gapAnalysis": analysis})
        assert response.status_code == 422, response.text
        [error] = response.json()["detail"]
        assert (error["loc"], error["msg"]) == (loc, message)
    assert fake_anthropic.recorded() == []
