"""120 requests a minute per key, counted in PostgreSQL so two instances share it."""

from __future__ import annotations

import asyncio
import time

import httpx

from tests.fixtures import error_codes, gql_raw, start_instance
from tests.openlesson.helpers import AGENT, bearer, error_of, guest_key, org_admin


async def _not_near_a_window_edge() -> None:
    """The limit is a fixed one-minute window; start well inside one."""
    into = time.time() % 60
    if into > 40:
        await asyncio.sleep(60.5 - into)


async def test_one_key_is_limited_across_two_instances(client, services, database_url):
    admin = await org_admin(services, client)
    key = await guest_key(admin)
    other = await start_instance(database_url)
    try:
        async with httpx.AsyncClient(base_url=other.base_url, timeout=10) as second:
            await _not_near_a_window_edge()
            statuses = []
            for i in range(121):
                http = client if i % 2 == 0 else second
                response = await http.post(f"{AGENT}/org/guests", json={"email": "a@b.com"},
                                           headers=bearer(key))
                statuses.append(response.status_code)
            # Each instance saw about 60 requests; together they reached the limit.
            assert statuses[:120] == [403] * 120
            assert statuses[120] == 429
            error = error_of(response)
            assert error["code"] == "rate_limit_exceeded"
            assert 1 <= int(response.headers["Retry-After"]) <= 60
            # The same counter holds on GraphQL, on either instance.
            body = await gql_raw(second, 'mutation { createOrganizationGuest(email: "a@b.com")'
                                 ' { created } }', headers=bearer(key))
            assert error_codes(body) == ["RATE_LIMITED"]
            # Another key is not affected.
            response = await client.post(f"{AGENT}/org/guests", json={"email": "c@d.com"},
                                         headers=admin.headers)
            assert response.status_code == 201, response.text
    finally:
        await other.stop()
