"""Shared fixtures: one PostgreSQL per test run, a fresh database, clean tables per test.

With DATABASE_URL set, that server is used (a fresh database is created on
it); otherwise an embedded server is started in a temporary directory.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from core.db import Database, asyncpg_dsn
from core.embedded_pg import EmbeddedPostgres
from core.migrate import upgrade

pytest_plugins = ["tests.fixtures"]


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_server_url():
    """URL of a PostgreSQL server's maintenance database for this test run."""
    given = os.environ.get("DATABASE_URL")
    if given:
        yield given
        return
    tmp = Path(tempfile.mkdtemp(prefix="learngraph-test-pg-"))
    server = EmbeddedPostgres(tmp / "data")
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def database_url(pg_server_url):
    """A fresh, migrated database for this test run, dropped afterwards."""
    name = f"learngraph_test_{uuid.uuid4().hex[:10]}"
    admin = asyncpg_dsn(pg_server_url)

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    url = _with_database(pg_server_url, name)
    upgrade(url)
    yield url
    asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


TABLES_KEPT = {"alembic_version"}


@pytest.fixture(scope="session")
async def db(database_url):
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
async def clean_db(database_url):
    """Empty every table before the test, so each test starts from nothing."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        tables = [r["tablename"] for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            if r["tablename"] not in TABLES_KEPT]
        # Work a previous test left running in the background (a streamed answer being
        # stored, a job finishing) can deadlock with the TRUNCATE: PostgreSQL cancels one
        # side; try again.
        for attempt in range(5):
            try:
                if tables:
                    await conn.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables)
                                       + " RESTART IDENTITY CASCADE")
                break
            except asyncpg.exceptions.DeadlockDetectedError:
                if attempt == 4:
                    raise
                await asyncio.sleep(0.1)
    finally:
        await conn.close()
