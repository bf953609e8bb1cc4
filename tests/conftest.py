"""Shared fixtures: one PostgreSQL per test process, a fresh database, clean tables per test.

With DATABASE_URL set, that server is used (a fresh database is created on
it); otherwise an embedded server is started in a temporary directory. Under
pytest-xdist every worker is its own process, so each has its own server (or,
with DATABASE_URL, its own database) and the workers never share tables.
"""

from __future__ import annotations

import asyncio
import contextlib
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


@contextlib.contextmanager
def fresh_database(server_url: str, prefix: str = "learngraph_test"):
    """A new, migrated database on the server at ``server_url``, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = asyncpg_dsn(server_url)

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    url = _with_database(server_url, name)
    try:
        upgrade(url)
        yield url
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def database_url(pg_server_url):
    """A fresh, migrated database for this test run (for this worker under xdist)."""
    with fresh_database(pg_server_url) as url:
        yield url


# Reference data the migrations load (the reading catalog, the sample curricula) stays
# for every test.
TABLES_KEPT = {"alembic_version", "reading_books", "reading_book_pages",
               "curriculum_objectives"}


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
