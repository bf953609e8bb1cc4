"""Shared fixtures: one PostgreSQL per test process, a fresh database, clean tables per test.

With DATABASE_URL set, that server is used (a fresh database is created on
it); otherwise an embedded server is started in a temporary directory. Under
pytest-xdist every worker is its own process, so each has its own server (or,
with DATABASE_URL, its own database) and the workers never share tables.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import tempfile
import uuid
from pathlib import Path

import asyncpg
import httpx._transports.default as httpx_transport
import pytest
from sqlalchemy.engine import make_url

from core.db import Database, asyncpg_dsn
from core.embedded_pg import EmbeddedPostgres
from core.migrate import upgrade

pytest_plugins = ["tests.fixtures"]

# The garbage collector, tuned for a test process: the app, the schema and every test
# module make a heap of about a million objects that lives as long as the process, and
# each full collection walked all of it again (a third of a second to a second each, a
# dozen of them in a few hundred tests). Young collections run every 50,000 allocations
# instead of 700, so fewer objects survive into the old generation, and what collection
# built is frozen out of every later collection (pytest_collection_finish). Every cycle
# a test leaves is still collected.
gc.set_threshold(50_000, 20, 10)


def pytest_collection_finish(session) -> None:
    gc.freeze()

_build_ssl_context = httpx_transport.create_ssl_context
_default_ssl_context = []


def _shared_ssl_context(verify=True, cert=None, trust_env=True):
    """httpx builds a new SSL context from certifi's bundle for every client (tens of
    milliseconds each), though the suite's clients speak plain HTTP to loopback; the
    default one is built once and shared, which SSL contexts allow."""
    if verify is True and cert is None:
        if not _default_ssl_context:
            _default_ssl_context.append(_build_ssl_context(verify, cert, trust_env))
        return _default_ssl_context[0]
    return _build_ssl_context(verify=verify, cert=cert, trust_env=trust_env)


httpx_transport.create_ssl_context = _shared_ssl_context


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
    asyncio.run(_without_fsync(url))
    try:
        yield url
    finally:
        server.stop()


async def _without_fsync(url: str) -> None:
    """The run's own cluster flushes nothing to disk: a commit waits for PostgreSQL to
    write its WAL, not for the disk to sync it (a millisecond or more a commit, thousands
    of commits a run). What a test sees is unchanged: a stopped or killed server still
    finds every commit the operating system was handed; only the machine's crash could
    lose them, and the cluster is thrown away after the run anyway."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute("ALTER SYSTEM SET fsync = off")
        await conn.execute("SELECT pg_reload_conf()")
    finally:
        await conn.close()


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


_CLEANING: dict[str, tuple[str, str, str] | None] = {}


async def _cleaning_statements(conn, database_url: str) -> tuple[str, str, str] | None:
    """For this database: the statement that locks every table a test may write, the
    one that names those holding rows, and the one that rewinds their sequences; None
    when the role may not switch off foreign-key checks (then everything is truncated)."""
    if database_url not in _CLEANING:
        superuser = await conn.fetchval(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        tables = [r["tablename"] for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
            if r["tablename"] not in TABLES_KEPT]
        if not superuser or not tables:
            _CLEANING[database_url] = None
        else:
            sequences = [r["seq"] for r in await conn.fetch(
                "SELECT s.relname AS seq FROM pg_class s"
                " JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')"
                " JOIN pg_class t ON t.oid = d.refobjid"
                " WHERE s.relkind = 'S' AND t.relname = ANY($1::text[])", tables)]
            names = ", ".join(f'"{t}"' for t in tables)
            seq_list = ", ".join(f"'{s}'" for s in sequences) or "NULL"
            _CLEANING[database_url] = (
                f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE",
                " UNION ALL ".join(f"(SELECT '{t}' AS name WHERE EXISTS (SELECT FROM \"{t}\"))"
                                   for t in tables),
                "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false)"
                f" FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL"
                f" AND sequencename IN ({seq_list})")
    return _CLEANING[database_url]


@pytest.fixture
async def clean_db(database_url, request):
    """Empty every table before the test, so each test starts from nothing.

    Truncating all ~100 tables costs a new file per table and index each time (a third of
    a second on a busy machine); most tests write to a handful, so only the tables that
    hold rows are emptied, with foreign-key checks off for the cleaning connection, and the
    sequences are rewound as ``RESTART IDENTITY`` would. The lock waits for work a
    previous test left running, as the truncation did."""
    if "server" in request.fixturenames:
        # The shared server's spare query-budget points were taken from rows now gone.
        request.getfixturevalue("server").app.state.services.budgets.forget()
    conn = await _cleaning_connection(database_url)
    try:
        statements = await _cleaning_statements(conn, database_url)
        # Work a previous test left running in the background (a streamed answer being
        # stored, a job finishing) can deadlock with the lock: PostgreSQL cancels one
        # side; try again.
        for attempt in range(5):
            try:
                if statements is None:
                    await _truncate_all(conn)
                else:
                    await _delete_rows(conn, *statements)
                break
            except asyncpg.exceptions.DeadlockDetectedError:
                if attempt == 4:
                    raise
                await asyncio.sleep(0.1)
    except BaseException:
        _CONNECTIONS.pop(database_url, None)
        conn.terminate()
        raise


_CONNECTIONS: dict[str, asyncpg.Connection] = {}


async def _cleaning_connection(database_url: str) -> asyncpg.Connection:
    """One connection per database for the cleaning (a new one costs a server process),
    opened again when a test has stopped the server or ended it."""
    conn = _CONNECTIONS.get(database_url)
    if conn is not None and not conn.is_closed():
        try:
            await conn.execute("SELECT 1")
            return conn
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
            conn.terminate()
    conn = _CONNECTIONS[database_url] = await asyncpg.connect(asyncpg_dsn(database_url))
    if await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
        # Foreign-key checks off for the connection's whole life (it only ever empties
        # tables): switched for each cleaning, the setting made PostgreSQL drop the
        # connection's cached plans every time, and plan the cleaning's statements
        # anew (6 ms of its CPU per test).
        await conn.execute("SET session_replication_role = replica")
    return conn


async def _delete_rows(conn, lock: str, holding_rows: str, rewind: str) -> None:
    async with conn.transaction():
        await conn.execute(lock)
        for row in await conn.fetch(holding_rows):
            await conn.execute(f'DELETE FROM "{row["name"]}"')
        await conn.fetch(rewind)


async def _truncate_all(conn) -> None:
    tables = [r["tablename"] for r in await conn.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        if r["tablename"] not in TABLES_KEPT]
    if tables:
        await conn.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables)
                           + " RESTART IDENTITY CASCADE")
