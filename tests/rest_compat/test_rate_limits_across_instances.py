"""Rate limits hold across instances: the counters live in PostgreSQL."""

from __future__ import annotations

import statistics
import time

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


async def test_login_timing_does_not_reveal_whether_an_email_exists(client, user):
    async def timed(email: str) -> float:
        start = time.perf_counter()
        response = await client.post("/api/auth/login",
                                     json={"email": email, "password": "wrong password"})
        assert response.status_code == 401
        return time.perf_counter() - start

    # Interleaved, so a burst of load elsewhere on the machine hits both alike.
    known, unknown = [], []
    for _ in range(4):
        known.append(await timed(user.email))
        unknown.append(await timed("nobody@example.com"))
    known_median, unknown_median = statistics.median(known), statistics.median(unknown)
    # Both paths run one full argon2 verification, so neither is a fast path.
    assert unknown_median > known_median * 0.4
    assert known_median > unknown_median * 0.4
