"""Per-viewer GraphQL query budgets, as GitHub keeps them: points an hour per viewer (or
address) held in PostgreSQL for every instance, reported by ``rateLimit``, in every
response's ``extensions`` and in ``x-ratelimit-*`` headers; an exhausted budget answers
``RATE_LIMITED`` with ``Retry-After``."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import text

from core import budget
from tests.fixtures import bearer_for, count_statements, create_user, start_instance
from tests.schema.test_planned_reads import ONE, seed
from tests.ws import graphql_ws

RATE_LIMIT = "query Budget { rateLimit { cost limit remaining used resetAt } }"
VIEWER = "query Who { viewer { kind } }"
# 1 + 100 × (1 + 1 + 1) = 301: four points.
PAGE = "query Page { courses(first: 100) { edges { node { id } } } }"
LOGOUT = "mutation Out { logout { ok } }"


@pytest.fixture
async def two(database_url, client):
    """Two instances on one database whose viewers have 6 points an hour."""
    first = await start_instance(database_url, jobs_enabled=False, graphql_budget=6)
    second = await start_instance(database_url, jobs_enabled=False, graphql_budget=6)
    async with httpx.AsyncClient(base_url=first.base_url, timeout=10) as a, \
            httpx.AsyncClient(base_url=second.base_url, timeout=10) as b:
        yield a, b
    await first.stop()
    await second.stop()


async def post(http: httpx.AsyncClient, query: str, **kwargs) -> httpx.Response:
    return await http.post("/graphql", json={"query": query, **kwargs.pop("body", {})},
                           **kwargs)


def reset_at(answer: httpx.Response) -> datetime:
    return datetime.fromisoformat(answer.json()["extensions"]["rateLimit"]["resetAt"])


async def test_the_rate_limit_field_extensions_and_headers_agree(client):
    before = datetime.now(UTC)
    answer = await post(client, RATE_LIMIT)
    assert answer.status_code == 200
    body = answer.json()
    field = body["data"]["rateLimit"]
    assert {k: field[k] for k in ("cost", "limit", "remaining", "used")} == {
        "cost": 1, "limit": 5000, "remaining": 4999, "used": 1}
    reset = datetime.fromisoformat(field["resetAt"])
    assert before + timedelta(minutes=59) < reset <= datetime.now(UTC) + timedelta(hours=1)
    assert body["extensions"]["rateLimit"] == field
    assert body["extensions"]["cost"] == {"requestedQueryCost": 6, "maximumAvailable": 5000}
    assert answer.headers["x-ratelimit-limit"] == "5000"
    assert answer.headers["x-ratelimit-remaining"] == "4999"
    assert answer.headers["x-ratelimit-used"] == "1"
    assert answer.headers["x-ratelimit-resource"] == "graphql"
    assert abs(int(answer.headers["x-ratelimit-reset"]) - reset.timestamp()) <= 1

    # A costlier operation takes its cost / 100, rounded up; the hour does not move.
    page = await post(client, PAGE)
    assert page.json()["extensions"]["cost"]["requestedQueryCost"] == 301
    assert page.json()["extensions"]["rateLimit"] | {"resetAt": None} == {
        "cost": 4, "limit": 5000, "remaining": 4995, "used": 5, "resetAt": None}
    assert reset_at(page) == reset
    # Mutations are charged too.
    out = await post(client, LOGOUT)
    assert out.json()["extensions"]["rateLimit"]["used"] == 6


async def test_an_exhausted_budget_is_refused_on_every_instance(two, services):
    a, b = two
    # Spent alternately on two instances: 4 + 1 = 5 of 6 points.
    assert (await post(a, PAGE)).json()["extensions"]["rateLimit"]["remaining"] == 2
    assert (await post(b, VIEWER)).json()["extensions"]["rateLimit"]["remaining"] == 1
    # Four more points do not fit in the one left: refused, and nothing is taken.
    refused = await post(a, PAGE)
    assert refused.status_code == 429
    body = refused.json()
    assert body["data"] is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert "costs 4 points and 1 of 6 are left" in error["message"]
    retry_after = int(refused.headers["Retry-After"])
    assert 3500 < retry_after <= 3600 and error["extensions"]["retryAfter"] == retry_after
    assert body["extensions"]["rateLimit"]["remaining"] == 1
    assert refused.headers["x-ratelimit-remaining"] == "1"
    # The last point pays for a cheap operation on the other instance; then nothing does.
    last = await post(b, RATE_LIMIT)
    assert last.json()["data"]["rateLimit"]["remaining"] == 0
    for http in (a, b):
        again = await post(http, VIEWER)
        assert again.status_code == 429 and again.json()["errors"][0]["extensions"][
            "code"] == "RATE_LIMITED"

    # A signed-in viewer has a budget of their own, whichever instance they use.
    user = await create_user(services)
    headers = await bearer_for(services, user)
    mine = await post(b, RATE_LIMIT, headers=headers)
    assert mine.status_code == 200 and mine.json()["data"]["rateLimit"]["used"] == 1

    # When the hour is over the whole budget is back.
    async with services.db.transaction() as session:
        await session.execute(text("UPDATE query_budgets SET window_start = "
                                   "window_start - interval '1 hour'"))
    fresh = await post(a, VIEWER)
    assert fresh.status_code == 200
    assert fresh.json()["extensions"]["rateLimit"]["used"] == 1


async def test_a_planned_read_is_charged_and_refused_like_any_other(two, services):
    a, b = two
    ids = await seed(services)
    body = {"variables": {"id": ids["published"]}}
    answers = [await post(http, ONE, body=body) for http in (a, b, a, b, a, b)]
    assert [r.json()["data"]["node"]["title"] for r in answers] == ["published course"] * 6
    assert [r.json()["extensions"]["rateLimit"]["used"] for r in answers] == [1, 2, 3, 4, 5, 6]
    assert [r.headers["x-ratelimit-remaining"] for r in answers] == ["5", "4", "3", "2", "1", "0"]
    for http in (a, b):
        refused = await post(http, ONE, body=body)
        assert refused.status_code == 429 and "Retry-After" in refused.headers
        assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert refused.json()["data"] is None
        assert "costs 1 point and 0 of 6 are left" in refused.json()["errors"][0]["message"]


async def test_operations_over_a_websocket_are_charged_too(database_url, client):
    running = await start_instance(database_url, jobs_enabled=False, graphql_budget=2)
    try:
        async with graphql_ws(running.ws_url) as ws:
            await ws.init()
            for op_id in ("1", "2", "3"):
                await ws.subscribe(op_id, RATE_LIMIT)
                payload = await ws.next_payload(op_id)
                if op_id != "3":
                    assert payload["data"]["rateLimit"]["used"] == int(op_id)
                    assert (await ws.receive())["type"] == "complete"
        # The third is refused, with the wait a client needs (no status over a socket).
        assert payload["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert 3500 < payload["errors"][0]["extensions"]["retryAfter"] <= 3600
    finally:
        await running.stop()


async def test_concurrent_operations_on_two_instances_spend_the_budget_exactly(two, services):
    a, b = two
    answers = await asyncio.gather(*(post(http, VIEWER) for http in (a, b) * 10))
    assert sorted(r.status_code for r in answers) == [200] * 6 + [429] * 14
    used = sorted(r.json()["extensions"]["rateLimit"]["used"] for r in answers
                  if r.status_code == 200)
    assert used == [1, 2, 3, 4, 5, 6]
    async with services.db.session() as session:
        assert (await session.execute(text("SELECT used FROM query_budgets"))).scalars(
            ).all() == [6]


async def test_an_operation_costlier_than_the_whole_budget_says_so(database_url, client):
    small = await start_instance(database_url, jobs_enabled=False, graphql_budget=3)
    try:
        async with httpx.AsyncClient(base_url=small.base_url, timeout=10) as http:
            refused = await post(http, PAGE)
            assert refused.status_code == 429
            error = refused.json()["errors"][0]
            assert error["extensions"]["code"] == "RATE_LIMITED"
            assert "costs 4 points, more than the whole budget of 3" in error["message"]
            # Nothing was taken.
            assert (await post(http, RATE_LIMIT)).json()["data"]["rateLimit"]["used"] == 1
    finally:
        await small.stop()


async def test_budgets_can_be_turned_off(database_url, client):
    off = await start_instance(database_url, jobs_enabled=False, graphql_budget=0)
    try:
        async with httpx.AsyncClient(base_url=off.base_url, timeout=10) as http:
            answer = await post(http, RATE_LIMIT)
    finally:
        await off.stop()
    assert answer.json() == {"data": {"rateLimit": None}, "extensions": {
        "cost": {"requestedQueryCost": 6, "maximumAvailable": 5000}}}
    assert "x-ratelimit-limit" not in answer.headers


async def test_expire_forgets_budgets_whose_hour_ended(client, services):
    db = services.db
    await budget.charge(db, key="address:192.0.2.1", cost=1, limit=10)
    await budget.charge(db, key="address:192.0.2.2", cost=1, limit=10)
    async with db.transaction() as session:
        await session.execute(text("UPDATE query_budgets SET window_start = now() - "
                                   "interval '61 minutes' WHERE key = 'address:192.0.2.1'"))
    assert await budget.expire(db) == 1
    async with db.session() as session:
        assert (await session.execute(text("SELECT key FROM query_budgets"))).scalars(
            ).all() == ["address:192.0.2.2"]


async def test_cheap_operations_spend_points_the_instance_took_ahead(database_url, client, db):
    """An instance takes a hundredth of the budget beyond an operation's points and spends
    it in memory: after the first, fifty one-point operations send no charge."""
    running = await start_instance(database_url, jobs_enabled=False)
    try:
        services = running.app.state.services
        async with httpx.AsyncClient(base_url=running.base_url, timeout=10) as http:
            with count_statements(services) as counter:
                answers = [await post(http, VIEWER) for _ in range(52)]
            charges = [s for s in counter.statements if "query_budgets" in s]
            assert len(charges) == 2  # the first operation's, and the 52nd's
            assert [a.json()["extensions"]["rateLimit"]["used"] for a in answers] == list(
                range(1, 53))
            assert answers[-1].headers["x-ratelimit-remaining"] == "4948"
            async with services.db.session() as session:
                assert (await session.execute(text("SELECT used FROM query_budgets"))
                        ).scalar_one() == 102  # two operations' points and 2 × 50 to spare
    finally:
        await running.stop()
    # A stopping instance gives back the points it did not spend.
    async with db.session() as session:
        assert (await session.execute(text("SELECT used FROM query_budgets"))).scalar_one() == 52


async def test_spare_points_never_let_instances_spend_past_the_budget(database_url, client,
                                                                      db):
    """Two instances holding spare points of one budget of 100 (one point each to spare)
    never spend more than the budget together; at most the points one holds are refused
    on the other, and given back when it stops."""
    first = await start_instance(database_url, jobs_enabled=False, graphql_budget=100)
    second = await start_instance(database_url, jobs_enabled=False, graphql_budget=100)
    try:
        async with httpx.AsyncClient(base_url=first.base_url, timeout=10) as a, \
                httpx.AsyncClient(base_url=second.base_url, timeout=10) as b:
            answers = []
            for _ in range(6):
                answers += await asyncio.gather(*(post(http, VIEWER) for http in (a, b) * 10))
    finally:
        await first.stop()
        await second.stop()
    paid = sum(r.status_code == 200 for r in answers)
    assert 98 <= paid <= 100
    assert all(r.status_code in (200, 429) for r in answers)
    async with db.session() as session:
        assert (await session.execute(text("SELECT used FROM query_budgets"))).scalar_one() == (
            paid)
