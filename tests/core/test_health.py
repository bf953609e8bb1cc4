"""/healthz and /readyz on the main app and on a face's own port."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx

from core.app import create_app, create_face_app
from core.db import asyncpg_dsn
from tests.conftest import _with_database
from tests.fixtures import make_settings, start_instance, start_server

READY = {"status": "ready", "checks": {"database": "ok", "migrations": "ok", "jobs": "ok"}}


async def test_the_main_app_is_alive_and_ready(client):
    alive = await client.get("/healthz")
    ready = await client.get("/readyz")
    assert (alive.status_code, alive.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (200, READY)
    assert ready.headers["cache-control"] == "no-store"


async def test_a_face_on_its_own_port_has_both_probes_beside_its_own(client, services):
    running = await start_server(create_face_app("openlearning", services=services))
    try:
        async with httpx.AsyncClient(base_url=running.base_url, timeout=10) as http:
            alive, ready, documented = await asyncio.gather(
                http.get("/healthz"), http.get("/readyz"), http.get("/api/health"))
    finally:
        await running.stop()
    assert (alive.status_code, alive.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (200, READY)
    assert (documented.status_code, documented.json()) == (200, {"status": "ok",
                                                                 "database": None})


async def test_a_stopped_job_worker_makes_the_instance_unready(database_url, clean_db):
    instance = await start_instance(database_url)
    try:
        async with httpx.AsyncClient(base_url=instance.base_url, timeout=10) as http:
            before = await http.get("/readyz")
            await instance.app.state.services.jobs.stop()
            after = await http.get("/readyz")
            alive = await http.get("/healthz")
    finally:
        await instance.stop()
    assert before.status_code == 200
    assert (after.status_code, after.json()) == (503, {
        "status": "unavailable",
        "checks": {"database": "ok", "migrations": "ok", "jobs": "stopped"}})
    assert alive.status_code == 200


async def test_a_database_never_migrated_is_not_ready(pg_server_url):
    name = f"learngraph_test_unmigrated_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(asyncpg_dsn(pg_server_url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
        app = create_app(make_settings(jobs_enabled=False),
                         database_url=_with_database(pg_server_url, name))
        running = await start_server(app)
        try:
            async with httpx.AsyncClient(base_url=running.base_url, timeout=10) as http:
                ready = await http.get("/readyz")
        finally:
            await running.stop()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    assert (ready.status_code, ready.json()) == (503, {
        "status": "unavailable",
        "checks": {"database": "ok", "migrations": "behind", "jobs": "disabled"}})
