"""Model usage accounting: every call in the ledger with its exact tokens and cost, the
tutor's prompt caching, and the reports (GraphQL llmUsage, viewer.llmUsage and the 2Sigma
admin route)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import select

from core.llm_usage import UsageFor
from models.llm_usage import LlmUsage
from models.organization import Organization, OrganizationMember
from tests.fixtures import bearer_for, create_user, error_codes, gql, gql_raw
from tests.twosigma.chat_helpers import API, greet, learner, open_session, send, topic
from tests.twosigma.learner_helpers import add

USAGE = {"input_tokens": 120, "output_tokens": 40, "cache_creation_input_tokens": 900,
         "cache_read_input_tokens": 0}
REPORT = """
query($groupBy: [LlmUsageGroup!], $from: Date, $to: Date) {
  llmUsage(groupBy: $groupBy, from: $from, to: $to) {
    day userId courseId organizationId feature model calls failedCalls savedCalls
    inputTokens outputTokens cacheWriteTokens cacheReadTokens totalTokens cost
  }
}"""
MINE = """
query($groupBy: [LlmUsageGroup!]) {
  viewer { llmUsage(groupBy: $groupBy) { feature calls savedCalls inputTokens cost } }
}"""


async def rows(services) -> list[LlmUsage]:
    async with services.db.session() as db:
        return list((await db.execute(select(LlmUsage).order_by(LlmUsage.id))).scalars())


async def admin(services, email: str = "root@example.com"):
    user = await create_user(services, email=email, roles=["PLATFORM_ADMIN"])
    return await bearer_for(services, user)


async def test_a_tutor_turn_is_recorded_with_its_exact_tokens_and_cost(
        client, services, fake_anthropic):
    ada = await learner(services)
    item = await topic(services, llm_model="claude-sonnet-4-6")
    session = await open_session(client, ada, item)
    fake_anthropic.reply_text("Recursion is ...", usage=USAGE)

    await send(client, ada, session["id"], "Explain recursion")

    [row] = await rows(services)
    assert (row.provider, row.model, row.feature, row.outcome) == (
        "anthropic", "claude-sonnet-4-6", "tutor", "ok")
    assert (row.user_id, row.course_id, row.chat_session_id, row.organization_id) == (
        ada.user.id, item.course_id, session["id"], None)
    assert (row.input_tokens, row.output_tokens, row.cache_write_tokens,
            row.cache_read_tokens) == (120, 40, 900, 0)
    # $3 / $15 / $3.75 per million input, output and cache-write tokens.
    assert row.cost == Decimal("0.004335")
    assert row.latency_ms >= 0


async def test_a_cache_hit_makes_no_call_and_counts_as_saved(client, services, fake_anthropic):
    ada, bob = await learner(services), await learner(services, "bob@example.com")
    item = await topic(services, llm_model="claude-haiku-4-5")
    fake_anthropic.reply_text("Welcome!", usage=USAGE)
    await greet(client, ada, (await open_session(client, ada, item))["id"])
    calls = len(fake_anthropic.recorded())

    await greet(client, bob, (await open_session(client, bob, item))["id"])

    assert len(fake_anthropic.recorded()) == calls
    made, saved = await rows(services)
    assert (made.outcome, made.user_id, made.cost) == ("ok", ada.user.id, Decimal("0.001445"))
    assert (saved.outcome, saved.user_id, saved.feature, saved.model) == (
        "cache_hit", bob.user.id, "tutor", "claude-haiku-4-5")
    assert (saved.input_tokens, saved.output_tokens, saved.cost) == (0, 0, Decimal(0))


async def test_failed_calls_are_recorded_without_tokens(client, services, fake_anthropic):
    ada = await learner(services)
    session = await open_session(client, ada, await topic(services))
    fake_anthropic.reply_error(529, error_type="overloaded_error")

    _, events = await send(client, ada, session["id"], "Explain recursion")

    assert events[-1]["error"]["status"] == 502
    [row] = await rows(services)
    assert (row.outcome, row.input_tokens, row.output_tokens, row.cost) == (
        "error", 0, 0, Decimal(0))


async def test_every_gateway_call_names_its_feature(client, services, fake_anthropic):
    fake_anthropic.reply_text("fine", usage=USAGE)
    user = await create_user(services)

    # A call from this module, attributed to nobody in particular: its feature is the
    # calling module's name; one that says what it is for keeps that.
    await services.llm.complete(api_key="sk-test", system=None,
                                messages=[{"role": "user", "content": "hi"}],
                                model="claude-3-5-haiku-20241022")
    fake_anthropic.reply_text("fine", usage=USAGE)
    await services.llm.for_user(user.id).complete(
        api_key="sk-test", system=None, messages=[{"role": "user", "content": "hi"}],
        model="unknown-model", usage=UsageFor(feature="plans"))

    first, second = await rows(services)
    assert (first.feature, first.user_id, first.cost) == (
        "test_llm_usage", None, Decimal("0.001156"))  # 120×0.80 + 40×4 + 900×1, per million
    assert (second.feature, second.user_id, second.cost) == ("plans", user.id, None)


async def test_the_tutor_prompt_is_cached_across_turns(client, services, fake_anthropic):
    ada = await learner(services)
    session = await open_session(client, ada, await topic(services))
    for text in ("One.", "Two.", "Three."):
        fake_anthropic.reply_text(text)
        await send(client, ada, session["id"], f"Say {text}")

    requests = fake_anthropic.recorded()
    # Breakpoints: the system prompt (with the course content it renders) and the newest
    # message, so each turn reads the whole conversation before it from the cache.
    assert [r.breakpoints for r in requests] == [
        ["system", "message 0"], ["system", "message 2"], ["system", "message 4"]]
    first, second, third = fake_anthropic.usages
    assert first["cache_read_input_tokens"] == 0 and first["cache_creation_input_tokens"] > 0
    assert second["cache_read_input_tokens"] == first["cache_creation_input_tokens"]
    assert third["cache_read_input_tokens"] == (second["cache_read_input_tokens"]
                                                + second["cache_creation_input_tokens"])
    recorded = await rows(services)
    assert [(r.input_tokens, r.cache_write_tokens, r.cache_read_tokens) for r in recorded] == [
        (u["input_tokens"], u["cache_creation_input_tokens"], u["cache_read_input_tokens"])
        for u in fake_anthropic.usages]


async def _two_learners_with_usage(client, services, fake_anthropic):
    """Ada (in Acme, administered by Olga) and Bob (no organization), one turn each on
    two courses, and a cache hit for Bob."""
    ada, bob = await learner(services), await learner(services, "bob@example.com")
    olga = await learner(services, "olga@example.com", key=False)
    acme = await add(services, Organization(name="Acme", created_by=olga.user.id))
    await add(services, OrganizationMember(user_id=olga.user.id, organization_id=acme.id,
                                           is_admin=True),
              OrganizationMember(user_id=ada.user.id, organization_id=acme.id))
    first = await topic(services, llm_model="claude-sonnet-4-6")
    second = await topic(services, title="Sorting", llm_model="claude-haiku-4-5")
    fake_anthropic.reply_text("Welcome!", usage=USAGE)
    await greet(client, ada, (await open_session(client, ada, first))["id"])
    fake_anthropic.reply_text("Sorted.", usage={**USAGE, "cache_read_input_tokens": 500})
    await send(client, bob, (await open_session(client, bob, second))["id"], "Sort it")
    await greet(client, bob, (await open_session(client, bob, first))["id"])
    return SimpleNamespace(ada=ada, bob=bob, olga=olga, acme=acme, first=first, second=second)


async def test_llm_usage_report_for_platform_admins(client, services, fake_anthropic):
    w = await _two_learners_with_usage(client, services, fake_anthropic)
    headers = await admin(services)

    by_model = (await gql(client, REPORT, {"groupBy": ["MODEL", "FEATURE"]},
                          headers=headers))["llmUsage"]
    everything = (await gql(client, REPORT, {}, headers=headers))["llmUsage"]
    by_org = (await gql(client, REPORT, {"groupBy": ["ORGANIZATION"]},
                        headers=headers))["llmUsage"]

    assert [(r["model"], r["feature"], r["calls"], r["savedCalls"], r["inputTokens"],
             r["cacheReadTokens"], r["totalTokens"], r["cost"]) for r in by_model] == [
        ("claude-haiku-4-5", "tutor", 1, 0, 120, 500, 1560, "0.001495"),
        ("claude-sonnet-4-6", "tutor", 1, 1, 120, 0, 1060, "0.004335")]
    assert by_model[0]["day"] is None and by_model[0]["userId"] is None
    [total] = everything
    assert (total["calls"], total["failedCalls"], total["savedCalls"], total["totalTokens"],
            total["cost"]) == (2, 0, 1, 2620, "0.00583")
    assert [(r["organizationId"], r["calls"], r["savedCalls"]) for r in by_org] == [
        (str(w.acme.id), 1, 0), (None, 1, 1)]


async def test_llm_usage_by_day_user_and_course(client, services, fake_anthropic):
    await _two_learners_with_usage(client, services, fake_anthropic)
    headers = await admin(services)
    today = (await rows(services))[0].created_at.date().isoformat()

    data = (await gql(client, REPORT, {"groupBy": ["DAY", "USER", "COURSE"], "from": today,
                                       "to": today}, headers=headers))["llmUsage"]
    before = (await gql(client, REPORT, {"to": "2020-01-01"}, headers=headers))["llmUsage"]

    assert {r["day"] for r in data} == {today}
    assert sorted((r["calls"], r["savedCalls"]) for r in data) == [(0, 1), (1, 0), (1, 0)]
    assert len({r["userId"] for r in data}) == 2 and all(r["courseId"] for r in data)
    assert before == []


async def test_organization_admins_see_their_organization_only(client, services,
                                                                fake_anthropic):
    w = await _two_learners_with_usage(client, services, fake_anthropic)

    data = (await gql(client, REPORT, {"groupBy": ["USER"]}, headers=w.olga.headers))["llmUsage"]
    refused = await gql_raw(client, REPORT, {}, headers=w.bob.headers)
    anonymous = await gql_raw(client, REPORT, {})

    assert [(r["organizationId"], r["calls"], r["cost"]) for r in data] == [
        (None, 1, "0.004335")]
    assert error_codes(refused) == ["FORBIDDEN"] and error_codes(anonymous) == [
        "UNAUTHENTICATED"]


async def test_a_learner_sees_their_own_usage_on_viewer(client, services, fake_anthropic):
    w = await _two_learners_with_usage(client, services, fake_anthropic)

    mine = (await gql(client, MINE, {}, headers=w.bob.headers))["viewer"]["llmUsage"]
    anonymous = await gql_raw(client, MINE, {})

    assert mine == [{"feature": None, "calls": 1, "savedCalls": 1, "inputTokens": 120,
                     "cost": "0.001495"}]
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]


async def test_report_refuses_bad_input(client, services):
    headers = await admin(services)

    unknown = await gql_raw(client, REPORT, {"groupBy": ["WEEK"]}, headers=headers)
    backwards = await gql_raw(client, REPORT, {"from": "2026-02-01", "to": "2026-01-01"},
                              headers=headers)

    assert unknown["errors"] and not unknown.get("data")
    assert error_codes(backwards) == ["BAD_USER_INPUT"]


# ----------------------------------------------------------------- REST


async def test_admin_llm_usage_route(client, services, fake_anthropic):
    w = await _two_learners_with_usage(client, services, fake_anthropic)
    headers = await admin(services)

    response = await client.get(f"{API}/admin/analytics/llm-usage",
                                params={"group_by": "course,feature"}, headers=headers)

    assert response.status_code == 200, response.text
    assert response.json() == {
        "group_by": ["COURSE", "FEATURE"], "date_from": None, "date_to": None,
        "rows": [
            {"day": None, "user_id": None, "course_id": w.first.course_id,
             "organization_id": None, "feature": "tutor", "model": None, "calls": 1,
             "failed_calls": 0, "saved_calls": 1, "input_tokens": 120, "output_tokens": 40,
             "cache_write_tokens": 900, "cache_read_tokens": 0, "total_tokens": 1060,
             "cost": 0.004335},
            {"day": None, "user_id": None, "course_id": w.second.course_id,
             "organization_id": None, "feature": "tutor", "model": None, "calls": 1,
             "failed_calls": 0, "saved_calls": 0, "input_tokens": 120, "output_tokens": 40,
             "cache_write_tokens": 900, "cache_read_tokens": 500, "total_tokens": 1560,
             "cost": 0.001495}]}


async def test_admin_llm_usage_route_for_an_organization_admin(client, services,
                                                               fake_anthropic):
    w = await _two_learners_with_usage(client, services, fake_anthropic)

    response = await client.get(f"{API}/admin/analytics/llm-usage",
                                params={"group_by": "user", "date_from": "2020-01-01"},
                                headers=w.olga.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["date_from"] == "2020-01-01"
    assert [(r["user_id"], r["calls"], r["cost"]) for r in body["rows"]] == [
        (str(w.ada.user.id), 1, 0.004335)]


async def test_admin_llm_usage_route_refusals(client, services):
    student = await learner(services, key=False)
    headers = await admin(services)
    url = f"{API}/admin/analytics/llm-usage"

    anonymous = await client.get(url)
    forbidden = await client.get(url, headers=student.headers)
    unknown = await client.get(url, params={"group_by": "week"}, headers=headers)
    bad_date = await client.get(url, params={"date_from": "yesterday"}, headers=headers)
    backwards = await client.get(url, params={"date_from": "2026-02-01",
                                              "date_to": "2026-01-01"}, headers=headers)
    too_long = await client.get(url, params={"group_by": "x" * 300}, headers=headers)

    assert anonymous.status_code == 401 and "detail" in anonymous.json()
    assert forbidden.status_code == 403
    assert forbidden.json() == {"detail": "Only platform admins and organization admins may "
                                          "see model usage"}
    assert unknown.status_code == 400
    assert unknown.json()["detail"].startswith("Unknown group 'WEEK'")
    assert bad_date.status_code == 422 and backwards.status_code == 400
    assert too_long.status_code == 422
