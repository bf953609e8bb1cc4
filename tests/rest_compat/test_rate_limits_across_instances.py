"""Rate limits hold across instances: the counters live in PostgreSQL."""

from __future__ import annotations

import httpx

from tests.fixtures import start_instance


async def test_two_instances_share_one_login_limit(server, client, user, database_url, services):
    other = await start_instance(database_url)
    limit = services.settings.rate_limit_login
    try:
        async with httpx.AsyncClient(base_url=other.base_url) as second:
            statuses = []
            for i in range(limit * 2 + 2):
                http = client if i % 2 == 0 else second
                response = await http.post("/api/auth/login", json={
                    "email": user.email, "password": "wrong password"})
                statuses.append(response.status_code)
                if response.status_code == 429:
                    break
            # Each instance alone saw at most half the limit, yet the limit was reached.
            assert statuses[:limit] == [401] * limit
            assert statuses[-1] == 429
    finally:
        await other.stop()

