"""Assessments over GraphQL: start, answer with the step streamed over a real WebSocket
subscription (also from another instance), resume, report, the list, node access,
delete and learning plans."""

from __future__ import annotations

import asyncio
import uuid

from strawberry import relay

from core.pagination import encode_cursor
from resolvers.assessment_stream import topic
from tests.fixtures import (
    count_statements,
    create_user,
    error_codes,
    gql,
    gql_raw,
    ol_login,
    start_instance,
)
from tests.openlearning.test_assessment_flow import (
    START,
    answer,
    evaluation,
    script_materials,
    wait_for_materials,
)
from tests.ws import graphql_ws

USER_KEY = "sk-ant-graphql-assessment-1212"

START_MUTATION = """
mutation($input: StartAssessmentInput!) {
  startAssessment(input: $input) {
    question estimatedQuestions
    session { id status domain maxQuestions questionsAsked pendingQuestion roleName }
  }
}"""

RESPOND = """
mutation($id: ID!, $response: String!) {
  respondToAssessment(sessionId: $id, response: $response) { accepted }
}"""

EVENTS = """
subscription($id: ID!) {
  assessmentEvents(sessionId: $id) {
    __typename
    ... on AssessmentQuestionChunk { text }
    ... on AssessmentProgress { topicsEvaluated totalQuestions maxQuestions }
    ... on AssessmentCompleted { scores { skillId score confidence } }
    ... on AssessmentStepFailed { status detail retryAfter }
  }
}"""

GRAPHQL_START = {"skillIds": START["skillIds"], "targetLevel": START["targetLevel"],
                 "roleId": START["roleId"], "thoroughness": START["thoroughness"]}


async def signed_in_with_key(client):
    await client.post("/api/auth/api-key", json={"apiKey": USER_KEY})
    return {"Cookie": f"access_token={client.cookies['access_token']}"}


async def start(client, fake) -> dict:
    fake.reply_text("What is a status code?")
    data = await gql(client, START_MUTATION, {"input": GRAPHQL_START})
    return data["startAssessment"]


async def until_subscribed(services, session_uuid: str) -> None:
    for _ in range(500):
        if services.broker.subscriber_count(topic(session_uuid)) == 1:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the subscription never reached the broker")


async def collect_step(ws, op_id: str) -> list[dict]:
    """Events of one step: up to the progress, completion or failure that ends it."""
    events = []
    while True:
        event = (await ws.next_data(op_id))["assessmentEvents"]
        events.append(event)
        if event["__typename"] != "AssessmentQuestionChunk":
            return events


async def test_start_and_answer_with_the_step_streamed(ol_client, fake_anthropic, server,
                                                       services):
    cookie = await signed_in_with_key(ol_client)
    started = await start(ol_client, fake_anthropic)
    session = started["session"]
    assert started["question"] == "What is a status code?"
    assert started["estimatedQuestions"] == 6
    assert session | {"id": None} == {
        "id": None, "status": "ACTIVE", "domain": "backend_engineering", "maxQuestions": 6,
        "questionsAsked": 1, "pendingQuestion": "What is a status code?",
        "roleName": "Backend Engineer"}
    session_uuid = relay.from_base64(session["id"])[1]

    async with graphql_ws(server.ws_url, headers=cookie) as ws:
        await ws.init()
        await ws.subscribe("s", EVENTS, {"id": session["id"]})
        await until_subscribed(services, session_uuid)
        evaluation(fake_anthropic, 0.9)
        fake_anthropic.reply_text("Which status means not found?",
                                  chunks=["Which status ", "means not found?"])
        data = await gql(ol_client, RESPOND, {"id": session["id"], "response": "It says how "
                                                                                "it went."})
        assert data == {"respondToAssessment": {"accepted": True}}
        assert await collect_step(ws, "s") == [
            {"__typename": "AssessmentQuestionChunk", "text": "Which status "},
            {"__typename": "AssessmentQuestionChunk", "text": "means not found?"},
            {"__typename": "AssessmentProgress", "topicsEvaluated": 1, "totalQuestions": 2,
             "maxQuestions": 6}]

    resumed = await gql(ol_client, """mutation($id: ID!) { resumeAssessment(sessionId: $id) {
        question session { questionsAsked } } }""", {"id": session_uuid})
    assert resumed["resumeAssessment"] == {"question": "Which status means not found?",
                                           "session": {"questionsAsked": 2}}


async def test_a_subscriber_on_another_instance_sees_the_completion(
        ol_client, fake_anthropic, database_url):
    cookie = await signed_in_with_key(ol_client)
    session_uuid = relay.from_base64((await start(ol_client, fake_anthropic))["session"]["id"])[1]
    for _ in range(5):
        await answer(ol_client, fake_anthropic, session_uuid)

    other = await start_instance(database_url)
    try:
        async with graphql_ws(other.ws_url, headers=cookie) as ws:
            await ws.init()
            await ws.subscribe("s", EVENTS, {"id": session_uuid})
            await until_subscribed(other.app.state.services, session_uuid)
            evaluation(fake_anthropic, 1.0)
            script_materials(fake_anthropic, 6)
            await gql(ol_client, RESPOND, {"id": session_uuid, "response": "Final answer."})
            [completed] = await collect_step(ws, "s")
        assert completed["__typename"] == "AssessmentCompleted"
        # Topics come first, in order: five answered at 0.9, the last at 1.0.
        assert [s["score"] for s in completed["scores"][:6]] == [70] * 5 + [75]
    finally:
        await other.stop()

    data = await gql(ol_client, "{ myAssessments(first: 5) { edges { node { status } } } }")
    assert data["myAssessments"]["edges"] == [{"node": {"status": "COMPLETED"}}]
    await wait_for_materials(ol_client, session_uuid, 6)


async def test_a_failed_step_is_streamed_as_an_event(ol_client, fake_anthropic, server,
                                                     services):
    cookie = await signed_in_with_key(ol_client)
    session_id = (await start(ol_client, fake_anthropic))["session"]["id"]
    async with graphql_ws(server.ws_url, headers=cookie) as ws:
        await ws.init()
        await ws.subscribe("s", EVENTS, {"id": session_id})
        await until_subscribed(services, relay.from_base64(session_id)[1])
        fake_anthropic.reply_error(429, retry_after=12)
        await gql(ol_client, RESPOND, {"id": session_id, "response": "An answer."})
        [failed] = await collect_step(ws, "s")
    assert failed == {"__typename": "AssessmentStepFailed", "status": 429,
                      "detail": "Rate limit reached. Please wait a moment and try again.",
                      "retryAfter": 12}


async def test_sessions_are_private(ol_client, fake_anthropic, services, new_client, server):
    await signed_in_with_key(ol_client)
    session_id = (await start(ol_client, fake_anthropic))["session"]["id"]
    eve = new_client()
    await create_user(services, email="eve@example.com")
    await ol_login(eve, "eve@example.com")

    body = await gql_raw(eve, "query($id: ID!) { node(id: $id) { id } }", {"id": session_id})
    assert body["data"] == {"node": None} and "errors" not in body
    body = await gql_raw(ol_client, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
                         {"ids": [session_id, relay.to_base64("AssessmentSession",
                                                              str(uuid.uuid4()))]})
    assert body["data"] == {"nodes": [{"id": session_id}, None]} and "errors" not in body
    body = await gql_raw(eve, RESPOND, {"id": session_id, "response": "x"})
    assert error_codes(body) == ["FORBIDDEN"]
    body = await gql_raw(eve, "mutation($id: ID!) { deleteAssessment(sessionId: $id) { ok } }",
                         {"id": session_id})
    assert error_codes(body) == ["FORBIDDEN"]
    cookie = {"Cookie": f"access_token={eve.cookies['access_token']}"}
    async with graphql_ws(server.ws_url, headers=cookie) as ws:
        await ws.init()
        await ws.subscribe("s", EVENTS, {"id": session_id})
        result = await ws.next_payload("s")
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert len(fake_anthropic.recorded()) == 1  # the first question only: eve's answer unsent
    resumed = await gql(ol_client, "query($id: ID!) { node(id: $id) { ... on AssessmentSession "
                                   "{ status } } }", {"id": session_id})
    assert resumed == {"node": {"status": "ACTIVE"}}

    own = await gql(ol_client, "query($id: ID!) { node(id: $id) { id } }", {"id": session_id})
    assert own == {"node": {"id": session_id}}
    delete = "mutation($id: ID!) { deleteAssessment(sessionId: $id) { ok } }"
    for wrong in ("not-an-id", relay.to_base64("User", str(uuid.uuid4())),
                  relay.to_base64("AssessmentSession", "not-a-uuid")):
        body = await gql_raw(ol_client, delete, {"id": wrong})
        assert error_codes(body) == ["NOT_FOUND"], wrong
        assert body["errors"][0]["message"] == "Session not found"
    plain_uuid = relay.from_base64(session_id)[1]  # the id the REST face shows works too
    assert await gql(ol_client, delete, {"id": plain_uuid}) == {"deleteAssessment": {"ok": True}}
    assert error_codes(await gql_raw(ol_client, delete, {"id": session_id})) == ["NOT_FOUND"]


async def test_my_assessments_pages_newest_first(ol_client, fake_anthropic):
    await signed_in_with_key(ol_client)
    ids = [(await start(ol_client, fake_anthropic))["session"]["id"] for _ in range(3)]
    query = """query($after: String) { myAssessments(first: 2, after: $after) {
        edges { node { id } } pageInfo { hasNextPage endCursor } } }"""
    first = (await gql(ol_client, query))["myAssessments"]
    assert [e["node"]["id"] for e in first["edges"]] == ids[::-1][:2]
    assert first["pageInfo"]["hasNextPage"] is True
    second = (await gql(ol_client, query, {"after": first["pageInfo"]["endCursor"]}))
    assert [e["node"]["id"] for e in second["myAssessments"]["edges"]] == [ids[0]]
    assert second["myAssessments"]["pageInfo"]["hasNextPage"] is False
    body = await gql_raw(ol_client, "{ myAssessments(first: 500) { edges { node { id } } } }")
    assert error_codes(body) == ["BAD_USER_INPUT"]
    for cursor in (encode_cursor(["x"]), encode_cursor(["not-a-date", "x"])):
        body = await gql_raw(ol_client, query, {"after": cursor})
        assert error_codes(body) == ["BAD_USER_INPUT"], body


async def test_build_learning_plan_validates_its_input(ol_client, fake_anthropic):
    await signed_in_with_key(ol_client)
    mutation = """mutation($input: LearningPlanInput!) { buildLearningPlan(input: $input) {
        totalHours phases { phaseNumber concepts estimatedHours } } }"""
    gap = {"skillId": "rest_api_design", "skillName": "REST API Design", "currentLevel": 40,
           "targetLevel": 80, "gap": 40, "priority": "urgent", "recommendation": ""}
    body = await gql_raw(ol_client, mutation, {"input": {"overallReadiness": 50,
                                                         "gaps": [gap]}})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert fake_anthropic.recorded() == []
    fake_anthropic.reply_tool_use("record_learning_plan", {"summary": "s", "phases": [
        {"phase_number": 1, "title": "APIs", "rationale": "r", "resources": []}]})
    data = await gql(ol_client, mutation, {"input": {"overallReadiness": 50,
                                                     "gaps": [{**gap, "priority": "high"}]}})
    assert data["buildLearningPlan"] == {"totalHours": 6.0, "phases": [
        {"phaseNumber": 1, "concepts": ["rest_api_design"], "estimatedHours": 6.0}]}


PLAN_MUTATION = """mutation($input: LearningPlanInput!) { buildLearningPlan(input: $input) {
    totalHours } }"""


def plan_gap(number: int = 0, **changes) -> dict:
    return {"skillId": f"skill_{number}", "skillName": f"Skill {number}", "currentLevel": 40,
            "targetLevel": 80, "gap": 40, "priority": "high", "recommendation": "", **changes}


async def test_build_learning_plan_refuses_oversized_input_before_the_model(
        ol_client, fake_anthropic):
    await signed_in_with_key(ol_client)
    cases = [
        ({"gaps": [plan_gap(n) for n in range(101)]}, "At most 100 gaps can be planned for"),
        ({"gaps": [plan_gap()], "summary": "s" * 2001},
         "The summary must be at most 2000 characters"),
        ({"gaps": [plan_gap(skillName="n" * 201)]},
         "Skill ids and names must be 1 to 200 characters"),
        ({"gaps": [plan_gap(skillId="")]}, "Skill ids and names must be 1 to 200 characters"),
        ({"gaps": [plan_gap(recommendation="r" * 1001)]},
         "The recommendation of skill_0 must be at most 1000 characters"),
        ({"gaps": [plan_gap()], "overallReadiness": 101},
         "Overall readiness must be between 0 and 100"),
    ]
    for changes, message in cases:
        body = await gql_raw(ol_client, PLAN_MUTATION,
                             {"input": {"overallReadiness": 50, **changes}})
        assert error_codes(body) == ["BAD_USER_INPUT"], body
        assert body["errors"][0]["message"] == message
    assert fake_anthropic.recorded() == []
    fake_anthropic.reply_tool_use("record_learning_plan", {"summary": "s", "phases": []})
    at_the_limits = {"overallReadiness": 100, "summary": "s" * 2000, "gaps": [
        plan_gap(n, skillName="n" * 200, recommendation="r" * 1000) for n in range(100)]}
    data = await gql(ol_client, PLAN_MUTATION, {"input": at_the_limits})
    assert data == {"buildLearningPlan": {"totalHours": 600.0}}


async def test_listing_sessions_with_graphs_and_materials_costs_the_same_for_more(
        ol_client, fake_anthropic, services):
    await signed_in_with_key(ol_client)
    query = """{ myAssessments(first: 10) { edges { node {
        status knowledgeGraph { concept confidence } materials { conceptId } } } } }"""
    counts = []
    for total in (1, 3):
        while len((await gql(ol_client, query))["myAssessments"]["edges"]) < total:
            await start(ol_client, fake_anthropic)
        with count_statements(services) as counter:
            data = await gql(ol_client, query)
        counts.append(len(counter))
        assert all(e["node"]["knowledgeGraph"] for e in data["myAssessments"]["edges"])
    assert counts[0] == counts[1]
