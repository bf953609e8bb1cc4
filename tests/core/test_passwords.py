"""Passwords are hashed with argon2id at or above OWASP's minimum outside the suite.

The suite's instances hash at the cheapest cost (tests/fixtures.py); these tests
hold the cost a deployment gets, on an instance that uses it.
"""

from __future__ import annotations

import statistics
import time

import httpx
from argon2 import extract_parameters
from sqlalchemy import select

from core.auth import passwords
from core.config import Settings, load_settings
from models.user import User
from tests.fixtures import PASSWORD, start_instance

OWASP_MIN_MEMORY_KIB, OWASP_MIN_TIME = 19 * 1024, 2


def test_a_deployment_hashes_at_the_production_cost(tmp_path, monkeypatch):
    monkeypatch.setenv("LEARNGRAPH_DATA_DIR", str(tmp_path))
    for settings in (Settings(), load_settings()):
        time_cost, memory_kib, parallelism = settings.password_hash_cost
        assert (time_cost, memory_kib, parallelism) == passwords.DEFAULT_COST == (3, 65536, 4)
        assert memory_kib >= OWASP_MIN_MEMORY_KIB and time_cost >= OWASP_MIN_TIME


async def test_registering_and_signing_in_use_the_configured_cost(client, database_url):
    production = await start_instance(database_url, password_hash_cost=passwords.DEFAULT_COST)
    services = production.app.state.services
    try:
        async with httpx.AsyncClient(base_url=production.base_url, timeout=30) as http:
            response = await http.post("/api/auth/register", json={
                "email": "grace@example.com", "password": PASSWORD})
            assert response.status_code == 200, response.text
            async with services.db.session() as session:
                stored = (await session.execute(select(User.password_hash).where(
                    User.email == "grace@example.com"))).scalar_one()
            params = extract_parameters(stored)
            assert (params.type.name, params.time_cost, params.memory_cost,
                    params.parallelism) == ("ID", 3, 65536, 4)

            # Timing does not tell whether an email has an account: an unknown email
            # runs one verification at the same cost as a known one.
            async def timed(email: str) -> float:
                start = time.perf_counter()
                response = await http.post("/api/auth/login",
                                           json={"email": email, "password": "wrong password"})
                assert response.status_code == 401
                return time.perf_counter() - start

            # Interleaved, so a burst of load elsewhere on the machine hits both alike.
            known, unknown = [], []
            for _ in range(4):
                known.append(await timed("grace@example.com"))
                unknown.append(await timed("nobody@example.com"))
            known_median, unknown_median = statistics.median(known), statistics.median(unknown)
            assert unknown_median > known_median * 0.4
            assert known_median > unknown_median * 0.4
    finally:
        await production.stop()

