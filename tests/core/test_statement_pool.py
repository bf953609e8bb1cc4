"""Statements sent alone (a planned read, a budget's charge) run on bare asyncpg
connections: reused warm, never more than the pool's size at once, replaced when the
server ended them, and dropped when a statement was stopped halfway."""

from __future__ import annotations

import asyncio

import httpx
from strawberry import relay

from core.db import Database, asyncpg_dsn, connection_ended
from core.statement_pool import StatementPool
from tests.fixtures import count_statements, start_instance
from tests.twosigma.catalog_helpers import Course, add

PID = "SELECT pg_backend_pid()"
COURSE = "query C($id: ID!) { node(id: $id) { ... on Course { id title } } }"


def pool_of(database_url: str, size: int) -> StatementPool:
    return StatementPool(asyncpg_dsn(database_url), size=size, statement_cache_size=10,
                         connect_timeout=5, ended=connection_ended)


async def terminate(db: Database, pid: int) -> None:
    assert await db.read_value("SELECT pg_terminate_backend($1)", (pid,)) is True


async def test_statements_reuse_one_warm_connection(database_url, clean_db):
    # Given a pool
    pool = pool_of(database_url, 4)
    try:
        # When statements are sent one after the other
        pids = [(await pool.row(PID, ()))[0] for _ in range(5)]
        value = await pool.row("SELECT $1::int + 1", (41,))

        # Then they all ran on the one connection, with their parameters
        assert len(set(pids)) == 1
        assert value[0] == 42
    finally:
        await pool.close()


async def test_concurrent_statements_wait_for_a_connection_past_the_size(database_url,
                                                                         clean_db):
    # Given a pool of two connections
    pool = pool_of(database_url, 2)
    try:
        # When six statements are sent at once
        rows = await asyncio.gather(*(pool.row("SELECT pg_backend_pid(), $1::int", (n,))
                                      for n in range(6)))

        # Then each has its own answer, over at most two connections
        assert [row[1] for row in rows] == list(range(6))
        assert len({row[0] for row in rows}) <= 2
    finally:
        await pool.close()


async def test_a_connection_the_server_ended_is_replaced(database_url, clean_db, db):
    # Given a pool whose one connection the server then ends
    pool = pool_of(database_url, 2)
    try:
        [before] = await pool.row(PID, ())
        await terminate(db, before)

        # When the next statements are sent (whether the socket's end is seen before
        # sending or only on the statement's answer)
        [after] = await pool.row(PID, ())
        [again] = await pool.row(PID, ())

        # Then they ran on a fresh connection
        assert after != before and again == after
    finally:
        await pool.close()


async def test_a_failed_statement_keeps_its_connection(database_url, clean_db):
    pool = pool_of(database_url, 2)
    try:
        [before] = await pool.row(PID, ())
        try:
            await pool.row("SELECT 1 / $1::int", (0,))
        except Exception as exc:
            assert getattr(exc, "sqlstate", None) == "22012"  # division_by_zero
        else:
            raise AssertionError("the statement should have failed")
        [after] = await pool.row(PID, ())
        assert after == before
    finally:
        await pool.close()


async def test_a_statement_stopped_halfway_drops_its_connection(database_url, clean_db, db):
    # Given a statement that is running on the pool's connection
    pool = pool_of(database_url, 1)
    try:
        [before] = await pool.row(PID, ())
        slow = asyncio.create_task(pool.row("SELECT pg_sleep(5)", ()))
        for _ in range(500):
            if await db.read_value("SELECT count(*) FROM pg_stat_activity WHERE pid = $1 "
                                   "AND query LIKE 'SELECT pg_sleep%'", (before,)):
                break
            await asyncio.sleep(0.01)

        # When it is cancelled (its request went away)
        slow.cancel()
        try:
            await slow
        except asyncio.CancelledError:
            pass

        # Then the next statement runs on a fresh connection, not on the busy one
        [after] = await pool.row(PID, ())
        assert after != before
    finally:
        await pool.close()
        await db.read_value("SELECT pg_terminate_backend($1)", (before,))


async def test_a_planned_read_is_one_statement_on_the_pool(database_url, clean_db, services):
    # Given a published course and an instance that has planned its read
    course = await add(services, Course, title="Alone", code="A1", is_published=True)
    course_id = relay.to_base64("Course", course.id)
    other = await start_instance(database_url, jobs_enabled=False)
    try:
        pool = other.app.state.services.db.statements
        request = {"query": COURSE, "variables": {"id": course_id}}
        async with httpx.AsyncClient(base_url=other.base_url, timeout=10) as http:
            first = await http.post("/graphql", json=request)

            # When it is read again
            sent: list[str] = []
            pool.watchers.append(sent.append)
            with count_statements(other.app.state.services) as counter:
                again = await http.post("/graphql", json=request)

        # Then it answers the same data, from one statement, sent on the pool
        assert first.json()["data"] == again.json()["data"] == {
            "node": {"id": course_id, "title": "Alone"}}
        assert len(counter.statements) == len(sent) == 1
    finally:
        await other.stop()
