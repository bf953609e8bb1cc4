"""Load test of the course tree: one GraphQL query against the REST paths for the same data.

Seeds 50 courses x 200 modules (10 roots, 3 levels) x 5 content items into a
fresh embedded PostgreSQL, starts ``learngraph serve`` on it, then runs two
scenarios at a fixed concurrency over loopback, each a bounded number of
"page loads" of one random course's tree:

- ``graphql-tree``: one ``POST /graphql`` fetching the course, its stats, its
  root modules and every level below with content, content types and the
  viewer's progress, sent by a bare HTTP/1.1 client on one kept-open connection
  per concurrent page load (``bare_connections``).
- ``rest-tree``: what a REST client does for the same page: ``GET
  /courses/{id}``, ``GET /modules/courses/{id}/modules`` and ``GET
  /content/modules/{m}/content`` for each of the 200 modules.

Every response is checked (status 200, and the tree's size). It prints page
loads per second, HTTP requests per second, p50/p99 latency of a page load, the
CPU time one page load cost the server's workers, PostgreSQL's backends and this
client (from /proc, over the timed run), the SQL statements one page load costs,
counted in-process on the same database (the planned answer a server gives once
it has learned the document, the general executor's, and the REST face's), and
the CPU time of one tree answer in-process: the app called directly as the
server calls it (the planned answer, its statement's round trip included) and
the general executor's (median and mean of 20).

Run by hand, never in CI::

    .venv/bin/python bench/course_tree.py
    .venv/bin/python bench/course_tree.py --pages 400 --concurrency 16 --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from graphql_reads import _children, _cpu_ticks, _exchange, _postmaster, _request, _spent
from in_process import asgi_request, call
from sqlalchemy import event, insert, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.app import create_app  # noqa: E402
from core.auth import tokens  # noqa: E402
from core.auth.viewer import viewer_for_access_token  # noqa: E402
from core.config import Settings  # noqa: E402
from core.context import Context  # noqa: E402
from core.db import Database  # noqa: E402
from core.embedded_pg import EmbeddedPostgres  # noqa: E402
from core.migrate import upgrade  # noqa: E402
from core.services import Services  # noqa: E402
from models.course import ContentItem, ContentType, Course, CourseOffering, Module  # noqa: E402
from models.learning import ModuleProgress  # noqa: E402
from models.user import AuthSession, User  # noqa: E402
from schema import build_schema  # noqa: E402

COURSES, MODULES, ITEMS = 50, 200, 5
CPU_RUNS = 20  # in-process executions of the general path timed for its CPU figure
PLANNED_RUNS = 200  # in-process planned answers timed for theirs
LEVELS = (10, 40, 150)  # modules per level of each course's tree: 200 in all
LEVEL = ("id title progress { progressPercent } "
         "content { id title contentType { name } progress { progressPercent } } ")
TREE_QUERY = ("query($id: ID!) { node(id: $id) { ... on Course { title "
              "stats { modulesCount } modules(first: 10) { edges { node { "
              + LEVEL + "children { " + LEVEL + "children { " + LEVEL + "} } } } } } } }")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def seed(url: str, settings: Settings) -> tuple[list[int], str]:
    """Insert the courses, trees, items and a learner; return course ids and a Bearer token."""
    db = Database(url)
    try:
        async with db.transaction() as session:
            user = User(email="bench@example.com", display_name="Bench", password_hash="x",
                        roles=[])
            session.add(user)
            await session.flush()
            session_id = uuid.uuid4()
            session.add(AuthSession(id=session_id, user_id=user.id,
                                    expires_at=datetime.now(UTC) + timedelta(days=1)))
            kind = ContentType(name="video", label="Video")
            session.add(kind)
            await session.flush()
            course_ids = list((await session.execute(
                insert(Course).returning(Course.id, sort_by_parameter_order=True),
                [{"title": f"Course {i}", "code": f"C{i}", "is_published": True}
                 for i in range(COURSES)])).scalars())
            offerings = list((await session.execute(
                insert(CourseOffering).returning(CourseOffering.id,
                                                 sort_by_parameter_order=True),
                [{"course_id": c, "term_name": "Now"} for c in course_ids])).scalars())
            for course_id, offering_id in zip(course_ids, offerings, strict=True):
                parents: list[int | None] = [None]
                modules: list[int] = []
                for size in LEVELS:
                    ids = list((await session.execute(
                        insert(Module).returning(Module.id, sort_by_parameter_order=True),
                        [{"course_id": course_id, "parent_module_id": parents[i % len(parents)],
                          "title": f"M{i}", "sequence_index": i // len(parents)}
                         for i in range(size)])).scalars())
                    modules += ids
                    parents = ids
                await session.execute(insert(ContentItem), [
                    {"module_id": m, "course_id": course_id, "content_type_id": kind.id,
                     "title": f"I{m}-{n}", "sequence_index": n}
                    for m in modules for n in range(ITEMS)])
                await session.execute(insert(ModuleProgress), [
                    {"user_id": user.id, "module_id": m, "course_offering_id": offering_id,
                     "progress_percent": 40} for m in modules[::4]])
        # The statistics autovacuum gathers on a server up for a while, before the first
        # plans: otherwise PostgreSQL plans the pages on estimates of the new tables until
        # autovacuum analyzes them, a minute or so into the run or after it.
        async with db.transaction() as session:
            await session.execute(text("ANALYZE"))
        token, _ = tokens.issue(settings, user_id=user.id, session_id=session_id,
                                token_type=tokens.ACCESS, ttl_seconds=24 * 3600)
        return course_ids, token
    finally:
        await db.dispose()


def _global_id(course_id: int) -> str:
    from strawberry import relay

    return relay.to_base64("Course", course_id)


async def graphql_page(connection: BareConnection, course_id: int, headers: dict) -> int:
    status, raw = await connection.exchange(_request(
        connection.port, TREE_QUERY, {"id": _global_id(course_id)}, headers))
    body = orjson.loads(raw)
    if status != 200 or body.get("errors"):
        raise RuntimeError(f"graphql-tree: {status} {raw[:300]!r}")
    roots = body["data"]["node"]["modules"]["edges"]
    if len(roots) != LEVELS[0] or body["data"]["node"]["stats"]["modulesCount"] != MODULES:
        raise RuntimeError("graphql-tree: wrong tree")
    return 1


async def rest_page(http: httpx.AsyncClient, course_id: int, headers: dict) -> int:
    api = "/api/v1"
    course = await http.get(f"{api}/courses/{course_id}", headers=headers)
    modules = await http.get(f"{api}/modules/courses/{course_id}/modules", headers=headers)
    if course.status_code != 200 or modules.status_code != 200 or len(modules.json()) != MODULES:
        raise RuntimeError(f"rest-tree: {course.status_code} {modules.status_code}")
    contents = await asyncio.gather(*[
        http.get(f"{api}/content/modules/{m['id']}/content", headers=headers)
        for m in modules.json()])
    if any(r.status_code != 200 or len(r.json()) != ITEMS for r in contents):
        raise RuntimeError("rest-tree: content")
    return 2 + len(contents)


class BareConnection:
    """A kept-open HTTP/1.1 connection of the bare client, for the GraphQL page: httpx
    spent more CPU on a page's request and 108 kB answer than the server did (10.5 ms
    against 5.0 ms at load 5.1), and client and server share the machine's cores. The
    request is a plain ``POST /graphql`` with its length, and the answer is read whole
    (by its length) and parsed, so the server's work is what any client gets. As any
    keep-alive client, it opens the connection again when the server closed it while it
    was idle (uvicorn does after 5 s: a worker planning the document, during warm-up)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.streams is None:
                self.streams = await asyncio.open_connection("127.0.0.1", self.port)
            try:
                return await _exchange(*self.streams, request)
            except (asyncio.IncompleteReadError, ConnectionError) as error:
                self.close()
                if attempt == 2 or (isinstance(error, asyncio.IncompleteReadError)
                                    and error.partial):
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


@asynccontextmanager
async def bare_connections(base_url: str, concurrency: int
                           ) -> AsyncIterator[list[BareConnection]]:
    """One kept-open connection per concurrent page load (``BareConnection``)."""
    connections = [BareConnection(int(base_url.rsplit(":", 1)[1])) for _ in range(concurrency)]
    try:
        yield connections
    finally:
        for connection in connections:
            connection.close()


@asynccontextmanager
async def httpx_client(base_url: str, concurrency: int) -> AsyncIterator[list[httpx.AsyncClient]]:
    """One httpx client for every concurrent page load (a REST page's 202 requests)."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as http:
        yield [http] * concurrency


async def run(name: str, base_url: str, page: Callable[..., Awaitable[int]],
              clients: Callable[[str, int], AbstractAsyncContextManager[list[Any]]],
              course_ids: list[int], headers: dict, pages: int, concurrency: int,
              server: int, postmaster: int) -> None:
    """``pages`` page loads at ``concurrency``, each concurrent one with its client of
    ``clients``; ``server`` and ``postmaster`` are the pids whose children's CPU time the
    page loads are charged."""
    if pages <= 0:
        return
    async with clients(base_url, concurrency) as http:
        for course_id in course_ids[:4]:
            await page(http[0], course_id, headers)  # warm-up
        # Then on every connection at once, so that every worker process has answered the
        # document once (and planned it) before the clock starts.
        await asyncio.gather(*[page(http[i], course_ids[i % len(course_ids)], headers)
                               for i in range(concurrency)])
        latencies: list[float] = []
        requests = 0
        queue = list(range(pages))

        async def worker(client: Any) -> None:
            nonlocal requests
            while queue:
                queue.pop()
                started = time.perf_counter()
                made = await page(client, random.choice(course_ids), headers)
                requests += made
                latencies.append(time.perf_counter() - started)

        workers, backends = [server, *_children(server)], _children(postmaster)
        server_before, pg_before = _cpu_ticks(workers), _cpu_ticks(backends)
        client_before = time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*[worker(client) for client in http])
        elapsed = time.perf_counter() - started
        client = time.process_time() - client_before
        tick = os.sysconf("SC_CLK_TCK") / 1000
        server_ms = _spent(server_before, _cpu_ticks(workers)) / tick / pages
        pg_ms = _spent(pg_before, _cpu_ticks(_children(postmaster))) / tick / pages
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"{name:14} {pages / elapsed:9.1f} pages/s {requests / elapsed:9.1f} req/s "
          f"p50 {statistics.median(latencies) * 1000:8.1f} ms  p99 {p99 * 1000:8.1f} ms  "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{'':14} CPU per page load: server {server_ms:.1f} ms, PostgreSQL {pg_ms:.1f} ms, "
          f"client {client / pages * 1000:.1f} ms")


async def in_process(url: str, settings: Settings, course_id: int, token: str) -> dict:
    """In-process figures: the SQL statements of one tree page on the planned path (the
    app called directly, as a server calls it once it has learned the document), on the
    general executor's and through the REST face, and the CPU seconds of each of
    ``PLANNED_RUNS`` planned answers and ``CPU_RUNS`` general executions."""
    # Every planned answer is charged to one viewer's query budget, which must last.
    settings = dataclasses.replace(settings, graphql_budget=1_000_000_000)
    services = Services.build(settings, database_url=url)
    await services.start()
    statements: list[str] = []

    def listen(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    figures: dict = {}
    try:
        viewer = await viewer_for_access_token(settings, services.db, token)
        app = create_app(services=services)
        app.state.services = services
        scope, body = asgi_request(TREE_QUERY, {"id": _global_id(course_id)},
                                   ((b"authorization", f"Bearer {token}".encode()),))
        for _ in range(2):  # answered by the general executor, then planned
            status, answer = await call(app, scope, body)
        if status != 200 or b'"errors"' in answer:
            raise RuntimeError(f"graphql-tree in-process: {status} {answer[:300]!r}")
        event.listen(services.db.engine.sync_engine, "before_cursor_execute", listen)
        if services.db.statements is not None:
            services.db.statements.watchers.append(statements.append)
        await call(app, scope, body)
        figures["planned_sql"] = len(statements)
        statements.clear()
        schema = build_schema(settings)
        result = await schema.execute(TREE_QUERY, variable_values={"id": _global_id(course_id)},
                                      context_value=Context(services=services, viewer=viewer))
        assert not result.errors, result.errors
        figures["general_sql"] = len(statements)
        statements.clear()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://bench") as http:
            await rest_page(http, course_id, {"Authorization": f"Bearer {token}"})
        figures["rest_sql"] = len(statements)
        if services.db.statements is not None:
            services.db.statements.watchers.remove(statements.append)
        event.remove(services.db.engine.sync_engine, "before_cursor_execute", listen)
        figures["planned_cpu"] = []
        for _ in range(PLANNED_RUNS):
            started = time.process_time()
            await call(app, scope, body)
            figures["planned_cpu"].append(time.process_time() - started)
        figures["general_cpu"] = []
        for _ in range(CPU_RUNS):
            started = time.process_time()
            await schema.execute(TREE_QUERY, variable_values={"id": _global_id(course_id)},
                                 context_value=Context(services=services, viewer=viewer))
            figures["general_cpu"].append(time.process_time() - started)
        return figures
    finally:
        await services.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200, help="page loads per scenario")
    parser.add_argument("--rest-pages", type=int, default=40,
                        help="page loads for the REST scenario (202 requests each; 0: skip "
                             "it)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="learngraph-bench-tree-")).resolve()
    secret = secrets.token_urlsafe(48)
    settings = Settings(secret_key=secret, data_dir=data_dir)
    postgres = EmbeddedPostgres(data_dir / "pg")
    server: subprocess.Popen[bytes] | None = None
    try:
        postgres.start()
        url = postgres.ensure_database("bench")
        upgrade(url)
        started = time.perf_counter()
        course_ids, token = asyncio.run(seed(url, settings))
        print(f"seeded {COURSES} courses x {MODULES} modules x {ITEMS} items "
              f"in {time.perf_counter() - started:.1f} s")
        figures = asyncio.run(in_process(url, settings, course_ids[0], token))

        port = _free_port()
        # Every request is charged to the one address's query budget, which must last.
        env = {**os.environ, "DATABASE_URL": url, "LEARNGRAPH_SECRET_KEY": secret,
               "LEARNGRAPH_DATA_DIR": str(data_dir), "LEARNGRAPH_GRAPHQL_BUDGET": "1000000000"}
        command = [str(Path(sys.executable).with_name("learngraph")), "serve", "--host",
                   "127.0.0.1", "--port", str(port), "--workers", str(args.workers)]
        log = (data_dir / "server.log").open("wb")
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base_url}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit("bench: server did not become healthy; see " + str(log.name))
            time.sleep(0.25)

        headers = {"Authorization": f"Bearer {token}"}
        print(f"cpus {os.cpu_count()}  workers {args.workers}  concurrency {args.concurrency}")
        postmaster = _postmaster(data_dir / "pg")
        asyncio.run(run("graphql-tree", base_url, graphql_page, bare_connections, course_ids,
                        headers, args.pages, args.concurrency, server.pid, postmaster))
        asyncio.run(run("rest-tree", base_url, rest_page, httpx_client, course_ids, headers,
                        args.rest_pages, args.concurrency, server.pid, postmaster))
        print(f"SQL statements per page load: graphql-tree {figures['planned_sql']} planned "
              f"(the viewer's and the tree's), {figures['general_sql']} on the general path; "
              f"rest-tree {figures['rest_sql']} ({2 + MODULES} HTTP requests)")
        planned, general = figures["planned_cpu"], figures["general_cpu"]
        print(f"CPU per GraphQL tree answer in-process: planned median "
              f"{statistics.median(planned) * 1000:.2f} ms, mean "
              f"{statistics.mean(planned) * 1000:.2f} ms over {PLANNED_RUNS}; general path "
              f"median {statistics.median(general) * 1000:.0f} ms, mean "
              f"{statistics.mean(general) * 1000:.0f} ms over {CPU_RUNS} (the means include "
              f"the garbage collector's full collections; load average "
              f"{os.getloadavg()[0]:.1f})")
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        postgres.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
