"""A read request's loaders share one connection, send no transaction statements and
no pings, and a pooled connection the server dropped costs no request an error."""

from __future__ import annotations

import httpx
from sqlalchemy import event, insert, select, text
from strawberry import relay

from core.db import Database, Reads, _refuse_closed
from tests.fixtures import gql, start_instance
from tests.twosigma.catalog_helpers import ContentItem, ContentType, Course, Module, add, add_many

TREE = """
query($id: ID!) { node(id: $id) { ... on Course { title
  modules(first: 10) { edges { node { title content { title }
    children { title content { title } } } } } } } }"""


async def seed_tree(services) -> str:
    """A published course: two roots with two children each, two items per module."""
    course = await add(services, Course, title="Tree", code="T1", is_published=True)
    kind = await add(services, ContentType, name="video", label="Video")
    roots = await add_many(services, Module, [
        {"course_id": course.id, "title": f"R{i}", "sequence_index": i} for i in range(2)])
    children = await add_many(services, Module, [
        {"course_id": course.id, "parent_module_id": r, "title": f"C{r}-{i}",
         "sequence_index": i} for r in roots for i in range(2)])
    await add_many(services, ContentItem, [
        {"module_id": m, "course_id": course.id, "content_type_id": kind.id,
         "title": f"I{m}-{i}", "sequence_index": i} for m in roots + children for i in range(2)])
    return relay.to_base64("Course", course.id)


CHARGE = "WITH CHARGED AS (INSERT INTO QUERY_BUDGETS "


class Wire:
    """What an instance's pool hands out and what its connections send outside prepared
    statements (asyncpg logs those: BEGIN, COMMIT, ROLLBACK and the ping)."""

    def __init__(self, engine) -> None:
        self.engine = engine.sync_engine
        self.out = self.most_out = 0
        self.checkouts = 0
        self.unprepared: list[str] = []
        self.statements: list[str] = []
        self.logged: set[int] = set()
        self.pids: set[int] = set()

    def checkout(self, dbapi_connection, record, proxy) -> None:
        self.checkouts += 1
        self.out += 1
        self.most_out = max(self.most_out, self.out)
        driver = dbapi_connection.driver_connection
        self.pids.add(driver.get_server_pid())
        if id(driver) not in self.logged:
            self.logged.add(id(driver))
            driver.add_query_logger(lambda q: self.unprepared.append(q.query))

    def checkin(self, dbapi_connection, record) -> None:
        self.out -= 1

    def statement(self, conn, cursor, statement, *args) -> None:
        self.statements.append(statement)

    def __enter__(self) -> Wire:
        event.listen(self.engine, "checkout", self.checkout)
        event.listen(self.engine, "checkin", self.checkin)
        event.listen(self.engine, "before_cursor_execute", self.statement)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "checkout", self.checkout)
        event.remove(self.engine, "checkin", self.checkin)
        event.remove(self.engine, "before_cursor_execute", self.statement)

    def reset(self) -> None:
        self.most_out = self.checkouts = 0
        self.unprepared.clear()
        self.statements.clear()


async def test_a_tree_read_holds_one_connection_and_sends_no_transaction(database_url,
                                                                         clean_db, services):
    # Given a course tree and an instance that works no background jobs and reads through
    # the general executor's loaders (a planned read is one statement, see
    # test_statement_pool.py)
    course_id = await seed_tree(services)
    other = await start_instance(database_url, jobs_enabled=False,
                                 graphql_planned_reads=False)
    try:
        db = other.app.state.services.db
        async with httpx.AsyncClient(base_url=other.base_url, timeout=10) as http:
            with Wire(db.engine) as wire:
                first = await gql(http, TREE, {"id": course_id})
                wire.reset()

                # When the tree is read again
                data = await gql(http, TREE, {"id": course_id})

            # Then it is the same tree, read over one connection at a time with its
            # SELECTs only (the query budget's charge, its one write, among them in the
            # same autocommit statement): no BEGIN, ROLLBACK or ping around them
            assert data == first
            roots = [r["node"] for r in data["node"]["modules"]["edges"]]
            assert [r["title"] for r in roots] == ["R0", "R1"]
            assert [[len(c["content"]) for c in r["children"]] for r in roots] == [[2, 2]] * 2
            assert wire.most_out == 1
            assert wire.unprepared == []
            assert wire.statements and all(
                s.lstrip().upper().startswith(("SELECT", CHARGE)) for s in wire.statements)
    finally:
        await other.stop()


async def test_connections_the_server_dropped_cost_no_request_an_error(database_url, clean_db,
                                                                      services):
    # Given an instance whose pool holds the connections of earlier requests
    course_id = await seed_tree(services)
    other = await start_instance(database_url, jobs_enabled=False)
    try:
        db = other.app.state.services.db
        async with httpx.AsyncClient(base_url=other.base_url, timeout=10) as http:
            with Wire(db.engine) as wire:
                before = await gql(http, TREE, {"id": course_id})
                async with db.transaction() as session:
                    await session.execute(text("SELECT 1"))

            # When the server ends them all (as a restart or an idle timeout does)
            async with services.db.session() as session:
                ended = (await session.execute(text(
                    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) "
                    "FROM pg_stat_activity WHERE pid = ANY(:pids)"),
                    {"pids": sorted(wire.pids)})).scalar()

            # Then the next reads answer as before, on fresh connections
            after = [await gql(http, TREE, {"id": course_id}) for _ in range(2)]
        assert ended == len(wire.pids) >= 1
        assert after == [before] * 2

    finally:
        await other.stop()


async def test_a_first_statement_on_a_dropped_connection_runs_again(database_url, clean_db,
                                                                   services):
    # Given a pool without the local check of closed sockets on checkout, so that only
    # running the first statement again stands between a dropped connection and an error
    db = Database(database_url)
    event.remove(db.engine.sync_engine, "checkout", _refuse_closed)
    try:
        await add(services, ContentType, name="video", label="Video")
        for attempt in ("read", "write"):
            with Wire(db.engine) as wire:
                async with db.transaction() as session:
                    await session.execute(text("SELECT 1"))
            async with services.db.session() as session:
                await session.execute(text("SELECT pg_terminate_backend(pid) FROM "
                                           "pg_stat_activity WHERE pid = ANY(:pids)"),
                                      {"pids": sorted(wire.pids)})

            # When a read, then a transaction, starts on the connection the server ended
            if attempt == "read":
                async with Reads(db).session() as session:
                    labels = (await session.execute(select(ContentType.label))).scalars().all()
                assert labels == ["Video"]
            else:
                async with db.transaction() as session:
                    await session.execute(insert(ContentType).values(name="lab", label="Lab"))

        # Then both went through, and the write was committed once
        async with services.db.session() as session:
            labels = (await session.execute(select(ContentType.label).order_by(
                ContentType.name))).scalars().all()
        assert labels == ["Lab", "Video"]
    finally:
        await db.dispose()
