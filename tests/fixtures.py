"""App, server and client fixtures.

The app runs under a real uvicorn server on a loopback port inside the test
event loop; clients speak real HTTP and WebSocket to it. The LLM is the real
anthropic SDK pointed at a local Anthropic-compatible server.
"""

from __future__ import annotations

import asyncio
import atexit
import dataclasses
import os
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from core.app import create_app
from core.auth import passwords
from core.cli import _Server, server_config
from core.config import Settings
from core.front_door import FrontDoor
from models.user import User
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.smtp_server import FakeSmtp

TEST_SECRET = "test-secret-key-for-learngraph-0123456789abcdef"
# The X-Internal-Key the reading platform's services send in tests.
INTERNAL_KEY = "test-internal-key-0123456789"
PASSWORD = "correct horse battery"
# argon2id at its cheapest (t=1, 64 KiB, p=1) for the suite's thousands of sign-ins; the
# production cost is held by tests/core/test_passwords.py.
TEST_PASSWORD_HASH_COST = (1, 64, 1)
CODELABS_ADMIN_PASSWORD = "workshop-admin-pw"
# Documents each planned-reads property test draws (hypothesis, a new seed every run):
# few in make test, as many as asked for a longer run (README, Development).
PROPERTY_EXAMPLES = int(os.environ.get("LEARNGRAPH_PROPERTY_EXAMPLES") or 10)


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


@dataclass
class RunningServer:
    app: Starlette
    base_url: str
    server: uvicorn.Server
    task: asyncio.Task

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://") + "/graphql"

    async def stop(self) -> None:
        self.server.should_exit = True
        await asyncio.wait_for(self.task, 10)


async def start_server(app: Starlette, sock: socket.socket | None = None, *,
                       ws: str = "websockets-sansio") -> RunningServer:
    """Serve ``app`` on a loopback port until ``stop()`` (``ws``: uvicorn's WebSocket
    implementation)."""
    sock = sock or free_socket()
    port = sock.getsockname()[1]
    # httpx keeps an idle connection for 5 s, as long as uvicorn's default keep-alive:
    # a client reusing one just as the server closes it reads nothing back (ReadError),
    # which a loaded machine makes likely. The server keeps them longer than its clients.
    server = _Server(server_config(app, host="127.0.0.1", port=port, log_level="warning",
                                   ws=ws, timeout_keep_alive=30))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(500):
        if server.started or task.done():
            break
        await asyncio.sleep(0.01)
    if task.done():
        task.result()
    return RunningServer(app=app, base_url=f"http://127.0.0.1:{port}", server=server, task=task)


_SMTP: FakeSmtp | None = None


def smtp_server() -> FakeSmtp:
    """The test run's SMTP server (started once): every instance mails to it, since any
    instance's job worker may deliver a mail another instance queued."""
    global _SMTP
    if _SMTP is None:
        _SMTP = FakeSmtp().__enter__()
        atexit.register(_SMTP.__exit__)
    return _SMTP


# The data folders make_settings made, removed when the worker ends (an instance may
# keep writing to its folder until the run's last test).
_DATA_DIRS: list[Path] = []


def _remove_data_dirs() -> None:
    for data_dir in _DATA_DIRS:
        shutil.rmtree(data_dir, ignore_errors=True)


atexit.register(_remove_data_dirs)


def make_settings(**overrides) -> Settings:
    data_dir = Path(tempfile.mkdtemp(prefix="learngraph-test-data-"))
    _DATA_DIRS.append(data_dir)
    base = Settings(secret_key=TEST_SECRET, data_dir=data_dir, llm_max_retries=0,
                    internal_key=INTERNAL_KEY, password_hash_cost=TEST_PASSWORD_HASH_COST,
                    llm_timeout_seconds=5.0, graphql_connection_init_timeout_seconds=2.0,
                    codelabs_admin_password=CODELABS_ADMIN_PASSWORD,
                    **smtp_server().overrides())
    return base.with_overrides(**overrides)


_CLUSTER: list[Path] = []


def initialized_cluster(pg_dir: Path) -> Path:
    """``pg_dir`` made a new PostgreSQL cluster, as initdb would make it, for a test that
    starts one of its own (EmbeddedPostgres, ``learngraph serve``): a copy of one the
    test process initialized once and stopped (a copy takes a fifth of a second, initdb
    seconds, most of them waiting for the disk). Like the run's own cluster it syncs
    nothing to disk (fsync off), so its migrations and the checkpoint of its shutdown
    wait for no disk either; a killed server still finds every commit."""
    if not _CLUSTER:
        from core.embedded_pg import EmbeddedPostgres

        base = Path(tempfile.mkdtemp(prefix="learngraph-test-cluster-"))
        _DATA_DIRS.append(base)
        template = EmbeddedPostgres(base / "pg")
        template.start()
        template._server.psql("ALTER SYSTEM SET fsync = off;")
        template.stop()
        for leftover in ("log", ".handle_pids.json"):
            (base / "pg" / leftover).unlink(missing_ok=True)
        _CLUSTER.append(base / "pg")
    pg_dir.parent.mkdir(parents=True, exist_ok=True)
    # cp -a keeps the files' owner (the cluster's system user where the tests run as root).
    subprocess.run(["cp", "-a", str(_CLUSTER[0]), str(pg_dir)], check=True)
    return pg_dir


@pytest.fixture
def smtp() -> FakeSmtp:
    """The SMTP server every instance sends to, emptied for this test."""
    server = smtp_server()
    server.reset()
    return server


@pytest.fixture(scope="session")
def fake_anthropic():
    server = FakeAnthropic()
    server.start()
    yield server
    server.stop()


async def start_instance(database_url: str, *, ws: str = "websockets-sansio",
                         **overrides) -> RunningServer:
    """Another app instance (its own engine, pool and broker) on the test database."""
    sock = free_socket()
    settings = make_settings(public_url=f"http://127.0.0.1:{sock.getsockname()[1]}",
                             **overrides)
    return await start_server(create_app(settings, database_url=database_url), sock, ws=ws)


@pytest.fixture(scope="session")
def fake_gemini():
    server = FakeGemini().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def server(database_url, fake_anthropic, fake_gemini):
    running = await start_instance(database_url, anthropic_base_url=fake_anthropic.base_url,
                                   gemini_base_url=fake_gemini.base_url)
    yield running
    await running.stop()


@pytest.fixture
def services(server):
    return server.app.state.services


@pytest.fixture
async def client(server, clean_db, fake_anthropic):
    """An anonymous HTTP client with its own cookie jar, on a clean database."""
    fake_anthropic.reset()
    fake_anthropic.valid_keys = fake_anthropic.valid_aws_keys = None
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        yield http
    services = server.app.state.services
    await drain_jobs(services)
    # Cache hits wait a moment to be written together: written after the next test has
    # emptied the tables and rewound the ids, they would count against its nodes.
    from resolvers import chat_cache

    await chat_cache.hits_written(services.db)


async def drain_jobs(services, seconds: float = 15.0) -> None:
    """Wait for background jobs still running, so none reaches into the next test."""
    from sqlalchemy import text

    for _ in range(int(seconds / 0.05)):
        async with services.db.session() as session:
            running = (await session.execute(text(
                "SELECT count(*) FROM jobs WHERE status = 'running'"))).scalar()
        if not running:
            return
        await asyncio.sleep(0.05)


@pytest.fixture
async def new_client(server):
    """Factory for more clients (each with its own cookies) against the same server."""
    clients: list[httpx.AsyncClient] = []

    def make() -> httpx.AsyncClient:
        http = httpx.AsyncClient(base_url=server.base_url, timeout=10)
        clients.append(http)
        return http

    yield make
    for http in clients:
        await http.aclose()


async def create_user(services, *, email: str = "ada@example.com", password: str = PASSWORD,
                      display_name: str = "Ada", roles: list[str] | None = None,
                      github_id: int | None = None) -> User:
    """Insert a user directly (no rate limits), for tests that need one."""
    user = User(email=email, display_name=display_name, github_id=github_id,
                password_hash=await passwords.hash_password(
                    password, cost=services.settings.password_hash_cost), roles=roles or [])
    async with services.db.transaction() as session:
        session.add(user)
    return user


@pytest.fixture
async def user(services, client):
    return await create_user(services)


async def ol_login(http: httpx.AsyncClient, email: str, password: str = PASSWORD) -> None:
    """Sign in through the OpenLearning face, leaving the cookie in ``http``."""
    response = await http.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text


@pytest.fixture
async def ol_client(client, user):
    """A client signed in through the OpenLearning face as ``user``."""
    await ol_login(client, user.email)
    return client


async def gql_raw(http: httpx.AsyncClient, query: str, variables: dict | None = None,
                  headers: dict | None = None) -> dict:
    response = await http.post("/graphql", json={"query": query, "variables": variables or {}},
                               headers=headers or {})
    assert response.headers["content-type"].startswith("application/json"), response.text
    return response.json()


async def gql(http: httpx.AsyncClient, query: str, variables: dict | None = None,
              headers: dict | None = None) -> dict:
    """Run a GraphQL document and return ``data``, failing on any error."""
    body = await gql_raw(http, query, variables, headers)
    assert not body.get("errors"), body["errors"]
    return body["data"]


class StatementCounter:
    """Counts SQL statements the app's database runs while active: through its engine and
    on the connections of statements sent alone (``Database.statements``)."""

    def __init__(self, db) -> None:
        self.db = db
        self.engine = db.engine.sync_engine
        self.statements: list[str] = []

    def _count(self, conn, cursor, statement, *args) -> None:
        self.statements.append(statement)

    def __enter__(self):
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._count)
        if self.db.statements is not None:
            self.db.statements.watchers.append(self.statements.append)
        return self

    def __exit__(self, *exc) -> None:
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._count)
        if self.db.statements is not None:
            self.db.statements.watchers.remove(self.statements.append)

    def __len__(self) -> int:
        """Statements that read or write data: not the transaction statements, the ping,
        or the query budget's charge every operation makes once."""
        return len([s for s in self.statements if not s.lstrip().upper().startswith(
            ("SELECT 1", "BEGIN", "COMMIT", "ROLLBACK", "INSERT INTO QUERY_BUDGETS"))])


# How a request finds its viewer before it reads anything: an access token's user and
# session (one prepared statement), an API key, a session cookie's user.
SIGN_IN = ("SELECT users.", "SELECT api_keys.", "SELECT u.id, u.")


def without_sign_in(statements: list[str]) -> list[str]:
    """The statements a request sent to answer, without those finding its viewer."""
    return [s for s in statements if not s.startswith(SIGN_IN)]


def count_statements(services) -> StatementCounter:
    return StatementCounter(services.db)


def error_codes(body: dict) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]


async def bearer_for(services, user: User) -> dict:
    """``Authorization`` headers for ``user``: a fresh session and its access token."""
    import uuid
    from datetime import UTC, datetime, timedelta

    from core.auth import tokens
    from models.user import AuthSession

    session_id = uuid.uuid4()
    async with services.db.transaction() as session:
        session.add(AuthSession(id=session_id, user_id=user.id,
                                expires_at=datetime.now(UTC) + timedelta(days=1)))
    token, _ = tokens.issue(services.settings, user_id=user.id, session_id=session_id,
                            token_type=tokens.ACCESS, ttl_seconds=3600)
    return {"Authorization": f"Bearer {token}"}


def planner_of(running: RunningServer):
    """The planned-reads planner of an instance's /graphql."""
    from starlette.routing import Route

    return next(route.endpoint.planner for route in running.app.routes
                if isinstance(route, Route) and route.path == "/graphql")


@dataclasses.dataclass
class PlannedAnswer:
    """The planned instance's answer to a document and the statements it sent; the answer
    before it when that one taught the instance the document's plan (else None); and what
    ``mark`` returned just before the answer was asked."""

    answer: httpx.Response
    statements: list[str]
    learning: httpx.Response | None
    marked: Any = None


async def planned_answer(http: httpx.AsyncClient, running: RunningServer, services,
                         body: dict, headers: dict,
                         mark: Callable[[], Awaitable[Any]] | None = None) -> PlannedAnswer:
    """The planned instance's answer to ``body``. A document it has not learned is asked
    once: an answer with an error teaches it nothing (the general executor answers it, as
    it would answer the same request again), and one without teaches it the plan (the
    corpus loops ask each document of every viewer, and the first viewer the general
    path answers without an error teaches it), which is then asked again for the plan's
    answer. ``mark`` is awaited just before the answer whose statements are counted."""
    plans = planner_of(running).plans
    key = (body["query"], body.get("operationName"))
    known = key in plans
    learning = None
    for _ in range(2):
        marked = await mark() if mark is not None else None
        with count_statements(services) as counter:
            answer = await http.post("/graphql", json=body, headers=headers)
        if known or plans.get(key) is None or learning is not None:
            break
        learning = answer
    return PlannedAnswer(answer=answer, statements=counter.statements, learning=learning,
                         marked=marked)


@dataclasses.dataclass
class BothPaths:
    """One document asked of both paths: the planned instance's answer, the statements
    it sent, and where it (or the answer that taught it the plan) is not byte-identical
    to the general path's, the first bytes of both answers."""

    answer: httpx.Response
    statements: list[str]
    mismatch: tuple[bytes, bytes] | None


async def ask_both(planned: httpx.AsyncClient, plain: httpx.AsyncClient,
                   running: RunningServer, services, body: dict, headers: dict) -> BothPaths:
    """``body`` asked of the general path (``plain``) and of the planned instance
    (``planned``, serving ``running``), which learns the plan first when it has not
    learned it yet; the query budget's reports are left out of the comparison. Each
    instance links stored files at its own address: the general path's links are
    compared as the planned instance's."""
    expected = await plain.post("/graphql", json=body, headers=headers)
    asked = await planned_answer(planned, running, services, body, headers)
    answer, learning = asked.answer, asked.learning
    files = running.app.state.services.storage.files_url
    same = unbudgeted(expected.content).replace(
        f"{str(plain.base_url).rstrip('/')}/files/".encode(), files.encode())
    alike = (answer.status_code, unbudgeted(answer.content)) == (expected.status_code, same)
    if learning is not None and unbudgeted(learning.content) != same:
        alike = False
    return BothPaths(answer=answer, statements=asked.statements,
                     mismatch=None if alike else (expected.content[:400], answer.content[:400]))


_RATE_LIMIT = re.compile(rb',"rateLimit":\{"cost":\d+,"limit":\d+,"remaining":\d+,"used":\d+,'
                         rb'"resetAt":"[^"]+"\}')


def without_rate_limit(content: bytes) -> bytes:
    """A GraphQL answer's bytes without its ``extensions.rateLimit`` (which differs
    between two answers, as the viewer's budget is spent). Every operation that ran
    reports it; one refused before running (a document past the alias limit) is not
    charged and has none."""
    found = len(_RATE_LIMIT.findall(content))
    refused = b'"data":null' in content or b'"data"' not in content
    assert found == 1 or (found == 0 and refused), content[:300]
    return _RATE_LIMIT.sub(b"", content)


@pytest.fixture
def scratch():
    """A directory of the test's own. Not pytest's tmp_path where a database runs from
    it: a concurrent pytest run may prune that base directory under the running cluster."""
    path = Path(tempfile.mkdtemp(prefix="learngraph-test-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def unbudgeted(content: bytes) -> bytes:
    """An answer without its query budget's report (spent between two answers); an
    operation refused before it runs has none."""
    return without_rate_limit(content) if b'"rateLimit"' in content else content


def front_door(server: RunningServer) -> FrontDoor:
    """The app's front door for planned reads (core.front_door)."""
    door = server.app.middleware_stack.app  # inside Starlette's server error layer
    assert isinstance(door, FrontDoor)
    return door


class Passes:
    """Counts the requests a front door hands to the stack below it while active (so a
    test knows which of the two answered)."""

    def __init__(self, door: FrontDoor) -> None:
        self.door, self.count = door, 0

    def __enter__(self) -> Passes:
        inner = self.inner = self.door.app

        async def counted(scope, receive, send):
            self.count += 1
            await inner(scope, receive, send)

        self.door.app = counted
        return self

    def __exit__(self, *exc) -> None:
        self.door.app = self.inner
