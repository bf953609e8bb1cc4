"""GET /api/health answers 503 when the database is really unreachable."""

from __future__ import annotations

import tempfile
from pathlib import Path

import httpx

from core.app import create_app
from core.embedded_pg import EmbeddedPostgres
from core.migrate import upgrade_async
from tests.fixtures import initialized_cluster, make_settings, start_server


async def test_health_degrades_when_the_database_stops_and_recovers():
    pg = EmbeddedPostgres(initialized_cluster(
        Path(tempfile.mkdtemp(prefix="learngraph-health-")) / "data"))
    pg.start()
    url = pg.ensure_database("health")
    await upgrade_async(url)
    running = await start_server(create_app(make_settings(), database_url=url))
    try:
        async with httpx.AsyncClient(base_url=running.base_url, timeout=15) as http:
            response = await http.get("/api/health")
            assert (response.status_code, response.json()) == (
                200, {"status": "ok", "database": None})

            pg.stop()
            response = await http.get("/api/health")
            assert response.status_code == 503
            assert response.json() == {"status": "degraded", "database": "unreachable"}
            # Other endpoints fail cleanly too: a 503 to retry later, no stack trace or SQL.
            response = await http.post("/api/auth/login",
                                       json={"email": "a@example.com", "password": "whatever1"})
            assert (response.status_code, response.headers["retry-after"]) == (503, "5")
            assert response.json() == {"detail": "The database is unavailable; try again later"}
            assert response.headers["x-request-id"]

            pg.start()
            response = await http.get("/api/health")
            assert response.status_code == 200
    finally:
        await running.stop()
        pg.stop()
