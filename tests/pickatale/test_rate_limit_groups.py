"""The reading platform's rate-limit groups: a signed-in user's requests are counted per
minute across instances and every Pickatale face; the platform's services are not."""

from __future__ import annotations

import httpx
import pytest

from core.auth.viewer import ROLE_PLATFORM_ADMIN, Viewer
from core.context import Context
from core.errors import RateLimited
from resolvers.reading_limits import admin_limit
from tests.fixtures import bearer_for, create_user, start_instance
from tests.pickatale.helpers import KEY, assert_error

LIMIT = 4


@pytest.fixture(scope="module")
async def limited(database_url):
    """Two instances sharing one database, with a small API group."""
    first = await start_instance(database_url, reading_api_rate_limit=LIMIT,
                                 reading_admin_rate_limit=2)
    second = await start_instance(database_url, reading_api_rate_limit=LIMIT)
    yield first, second
    await first.stop()
    await second.stop()


@pytest.fixture
async def clients(limited, clean_db):
    first, second = limited
    async with (httpx.AsyncClient(base_url=first.base_url, timeout=10) as one,
                httpx.AsyncClient(base_url=second.base_url, timeout=10) as two):
        yield one, two


async def test_a_user_s_requests_are_counted_across_instances_and_faces(clients, services):
    one, two = clients
    admin = await create_user(services, email="admin@example.com", roles=[ROLE_PLATFORM_ADMIN])
    headers = await bearer_for(services, admin)
    status = "/api/v1/objectives"
    # The curriculum mapper and the tRPC face, on either instance: one count.
    trpc = "/api/trpc/curriculum.generateIntelligence"
    answers = [await one.get(status, headers=headers),
               await two.post(trpc, headers=headers, json={"objectiveId": 1, "type": "poem"}),
               await one.get(status, headers=headers),
               await two.get(status, headers=headers)]
    assert [a.status_code for a in answers] == [200, 400, 200, 200]
    refused = await two.get(status, headers=headers)
    body = assert_error(refused, 429, "rate_limited")
    assert body["message"] == f"Rate limit exceeded: {LIMIT} requests per minute"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # The tRPC face refuses in its own shape.
    refused = await one.post(trpc, headers=headers, json={"objectiveId": 1, "type": "poem"})
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert refused.json()["error"]["json"]["data"]["code"] == "TOO_MANY_REQUESTS"
    # Another user has a count of their own.
    other = await bearer_for(services, await create_user(
        services, email="other@example.com", roles=[ROLE_PLATFORM_ADMIN]))
    assert (await one.get(status, headers=other)).status_code == 200


async def test_the_platform_s_services_are_not_counted(clients):
    one, two = clients
    status = "/api/v1/objectives"
    for http in (one, two) * LIMIT:
        assert (await http.get(status, headers=KEY)).status_code == 200


async def test_the_admin_group_counts_on_top(limited, clean_db, services):
    first, _ = limited
    admin = await create_user(services, email="admin@example.com", roles=[ROLE_PLATFORM_ADMIN])
    ctx = _context(first.app.state.services, admin)
    await admin_limit(ctx)
    await admin_limit(ctx)
    with pytest.raises(RateLimited) as refused:
        await admin_limit(ctx)
    assert refused.value.status == 429 and refused.value.retry_after >= 1


def _context(services, user) -> Context:
    return Context(services=services, viewer=Viewer(
        kind="user", user_id=user.id, roles=frozenset(user.roles)))
