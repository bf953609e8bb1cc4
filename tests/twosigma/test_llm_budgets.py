"""Monthly model budgets per course, organization and user: set by platform admins, checked
before a call reaches the model, atomically across instances."""

from __future__ import annotations

import asyncio

import httpx
import orjson
import pytest
from sqlalchemy import func, select

from core.llm_usage import BUDGET_EXCEEDED, BudgetExceeded, UsageFor, estimate_tokens
from models.llm_usage import LlmBudgetHold, LlmUsage
from models.organization import Organization, OrganizationMember
from rest_compat import FACES
from tests.fixtures import bearer_for, create_user, error_codes, gql, gql_raw, start_instance
from tests.twosigma.chat_helpers import API, learner, open_session, send, sse_events, topic
from tests.twosigma.learner_helpers import add

USAGE = {"input_tokens": 120, "output_tokens": 40, "cache_creation_input_tokens": 900,
         "cache_read_input_tokens": 0}
SET = """
mutation($scope: LlmBudgetScope!, $id: String!, $tokens: Int, $cost: Decimal) {
  setLlmBudget(scope: $scope, subjectId: $id, tokenLimit: $tokens, costLimit: $cost) {
    scope subjectId tokenLimit costLimit
  }
}"""
LIST = "{ llmBudgets { scope subjectId tokenLimit costLimit } }"
DELETE = "mutation($scope: LlmBudgetScope!, $id: String!) { deleteLlmBudget(scope: $scope, " \
         "subjectId: $id) }"
SEND = """
mutation($id: ID!, $content: String!) {
  sendChatMessage(sessionId: $id, content: $content) { accepted }
}"""


async def admin(services):
    user = await create_user(services, email="root@example.com", roles=["PLATFORM_ADMIN"])
    return await bearer_for(services, user)


async def set_budget(client, headers, scope, subject, *, tokens=None, cost=None):
    return (await gql(client, SET, {"scope": scope, "id": str(subject), "tokens": tokens,
                                    "cost": cost}, headers=headers))["setLlmBudget"]


async def post_message(http, who, session_id, content="Explain it."):
    return await http.post(f"{API}/chat/sessions/{session_id}/messages",
                           json={"content": content}, headers=who.headers)


async def holds(services) -> int:
    async with services.db.session() as db:
        return (await db.execute(select(func.count()).select_from(LlmBudgetHold))).scalar_one()


async def test_admins_set_list_and_remove_budgets(client, services):
    headers = await admin(services)
    ada = await learner(services, key=False)
    item = await topic(services)

    course = await set_budget(client, headers, "COURSE", item.course_id, tokens=50_000)
    user = await set_budget(client, headers, "USER", ada.user.id, cost="2.5")
    again = await set_budget(client, headers, "USER", ada.user.id, tokens=10, cost="1.25")
    listed = (await gql(client, LIST, headers=headers))["llmBudgets"]
    removed = (await gql(client, DELETE, {"scope": "COURSE", "id": str(item.course_id)},
                         headers=headers))["deleteLlmBudget"]
    removed_again = (await gql(client, DELETE, {"scope": "COURSE", "id": str(item.course_id)},
                               headers=headers))["deleteLlmBudget"]

    assert course == {"scope": "COURSE", "subjectId": str(item.course_id),
                      "tokenLimit": 50_000, "costLimit": None}
    assert user["costLimit"] == "2.5" and user["tokenLimit"] is None
    assert again == {"scope": "USER", "subjectId": str(ada.user.id), "tokenLimit": 10,
                     "costLimit": "1.25"}
    assert [b["scope"] for b in listed] == ["COURSE", "USER"]
    assert (removed, removed_again) == (True, False)


async def test_budget_refusals(client, services):
    headers = await admin(services)
    ada = await learner(services, key=False)
    item = await topic(services)

    def codes(body):
        return error_codes(body)

    student = await gql_raw(client, SET, {"scope": "USER", "id": str(ada.user.id),
                                          "tokens": 5}, headers=ada.headers)
    listing = await gql_raw(client, LIST, headers=ada.headers)
    neither = await gql_raw(client, SET, {"scope": "USER", "id": str(ada.user.id)},
                            headers=headers)
    negative = await gql_raw(client, SET, {"scope": "COURSE", "id": str(item.course_id),
                                           "tokens": -1}, headers=headers)
    huge = await gql_raw(client, SET, {"scope": "COURSE", "id": str(item.course_id),
                                       "cost": "1e30"}, headers=headers)
    unknown_course = await gql_raw(client, SET, {"scope": "COURSE", "id": "999999",
                                                 "tokens": 5}, headers=headers)
    bad_user = await gql_raw(client, SET, {"scope": "USER", "id": "not-a-uuid", "tokens": 5},
                             headers=headers)
    bad_org = await gql_raw(client, SET, {"scope": "ORGANIZATION", "id": "x" * 70,
                                          "tokens": 5}, headers=headers)

    assert codes(student) == ["FORBIDDEN"] and codes(listing) == ["FORBIDDEN"]
    assert codes(neither) == ["BAD_USER_INPUT"] and codes(negative) == ["BAD_USER_INPUT"]
    assert codes(huge) == ["BAD_USER_INPUT"] and codes(bad_user) == ["BAD_USER_INPUT"]
    assert codes(unknown_course) == ["NOT_FOUND"] and codes(bad_org) == ["BAD_USER_INPUT"]


async def test_a_turn_over_the_users_budget_is_refused_before_the_model(
        client, services, fake_anthropic):
    headers = await admin(services)
    ada = await learner(services)
    session = await open_session(client, ada, await topic(services))
    await set_budget(client, headers, "USER", ada.user.id, tokens=1_000)

    response = await post_message(client, ada, session["id"])
    graphql = await gql_raw(client, SEND, {"id": str(session["id"]), "content": "Hi"},
                            headers=ada.headers)

    assert response.status_code == 429
    assert response.json() == {"detail": BUDGET_EXCEEDED}
    assert 0 < int(response.headers["retry-after"]) <= 31 * 86400
    assert error_codes(graphql) == ["BUDGET_EXCEEDED"]
    assert graphql["errors"][0]["message"] == BUDGET_EXCEEDED
    assert fake_anthropic.recorded() == [] and await holds(services) == 0
    async with services.db.session() as db:
        assert (await db.execute(select(func.count()).select_from(LlmUsage))).scalar_one() == 0


async def test_course_and_organization_budgets_apply_to_their_calls(
        client, services, fake_anthropic):
    headers = await admin(services)
    ada, bob = await learner(services), await learner(services, "bob@example.com")
    acme = await add(services, Organization(name="Acme", created_by=ada.user.id))
    await add(services, OrganizationMember(user_id=ada.user.id, organization_id=acme.id))
    tight, free = await topic(services), await topic(services, title="Sorting")
    await set_budget(client, headers, "COURSE", tight.course_id, tokens=100)

    on_tight = await post_message(client, bob, (await open_session(client, bob, tight))["id"])
    fake_anthropic.reply_text("Sorted.", usage=USAGE)
    on_free = await post_message(client, bob, (await open_session(client, bob, free))["id"])
    await set_budget(client, headers, "ORGANIZATION", acme.id, tokens=100)
    member = await post_message(client, ada, (await open_session(client, ada, free))["id"])

    assert on_tight.status_code == 429 and on_free.status_code == 200
    assert member.status_code == 429


async def test_a_cost_budget_counts_what_the_month_spent(client, services, fake_anthropic):
    headers = await admin(services)
    ada = await learner(services)
    session = await open_session(client, ada, await topic(services, llm_model="claude-sonnet-4-6"))
    # One turn may spend up to about $0.017 (its input and 1,024 tokens of output);
    # it spends $0.004335.
    await set_budget(client, headers, "USER", ada.user.id, cost="0.02")
    fake_anthropic.reply_text("First.", usage=USAGE)

    first = await post_message(client, ada, session["id"])
    second = await post_message(client, ada, session["id"], "And then?")

    assert first.status_code == 200 and sse_events(first.text)[-1]["done"] is True
    assert second.status_code == 429
    assert len(fake_anthropic.recorded()) == 1 and await holds(services) == 0


async def test_gateway_calls_outside_the_tutor_are_budgeted(client, services, fake_anthropic):
    headers = await admin(services)
    user = await create_user(services)
    await set_budget(client, headers, "USER", user.id, tokens=10)

    with pytest.raises(BudgetExceeded) as refused:
        await services.llm.for_user(user.id).complete(
            api_key="sk-test", system="Be brief.", messages=[{"role": "user", "content": "hi"}],
            max_tokens=16, usage=UsageFor(feature="plans"))
    await services.llm.complete(api_key="sk-test", system=None, max_tokens=16,
                                messages=[{"role": "user", "content": "hi"}])

    assert refused.value.code == "BUDGET_EXCEEDED" and refused.value.status == 429
    assert len(fake_anthropic.recorded()) == 1


async def test_two_instances_cannot_both_spend_the_last_of_a_budget(
        client, services, fake_anthropic, database_url):
    headers = await admin(services)
    ada = await learner(services)
    item = await topic(services, llm_model="claude-sonnet-4-6")
    fake_anthropic.reply_text("Warm-up.", usage=USAGE)
    await send(client, ada, (await open_session(client, ada, item))["id"], "Explain it.")
    body = fake_anthropic.last_request.body
    estimate = sum(estimate_tokens(system=body["system"], messages=body["messages"],
                                   tools=None, max_tokens=body["max_tokens"]))
    spent = sum(USAGE.values())
    # Room for one more turn's estimate, not two.
    await set_budget(client, headers, "USER", ada.user.id, tokens=spent + estimate * 3 // 2)
    sessions = [(await open_session(client, ada, item))["id"] for _ in range(2)]
    for _ in range(2):
        fake_anthropic.reply_text("Answer.", usage=USAGE, delay_before_headers=0.5)

    other = await start_instance(database_url, anthropic_base_url=fake_anthropic.base_url)
    try:
        async with httpx.AsyncClient(base_url=other.base_url, timeout=30) as second:
            answers = await asyncio.gather(post_message(client, ada, sessions[0]),
                                           post_message(second, ada, sessions[1]))
    finally:
        await other.stop()

    assert sorted(r.status_code for r in answers) == [200, 429]
    assert len(fake_anthropic.recorded()) == 2  # the warm-up and one of the two
    assert await holds(services) == 0


def test_every_face_renders_budget_exceeded_as_a_429():
    error = BudgetExceeded(scope="USER", retry_after=3600)
    shapes = {}
    for face in FACES:
        response = face.render_domain_error(error)
        assert response.status_code == 429, face.name
        assert response.headers["retry-after"] == "3600", face.name
        shapes[face.name] = orjson.loads(response.body)
    assert shapes["twosigma"] == shapes["openlearning"] == {"detail": BUDGET_EXCEEDED}
    assert shapes["openlesson"] == {"error": {"code": "budget_exceeded",
                                              "message": BUDGET_EXCEEDED,
                                              "details": {"scope": "USER"}}}
    assert shapes["codelabs"]["error"] == BUDGET_EXCEEDED
    assert shapes["pickatale-reader"] == {"error": "budget_exceeded", "message": BUDGET_EXCEEDED,
                                          "details": {"scope": "USER"}}


def test_estimates_round_up():
    # '["abcd", [], null]' is 18 characters: 5 tokens at 4 characters a token.
    assert estimate_tokens(system="abcd", messages=[], tools=None, max_tokens=7) == (5, 7)
