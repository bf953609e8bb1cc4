"""Edges that used to answer 500 or log alarms: a database that is down (503 with
Retry-After, in each face's shape and in GraphQL), files before the first upload, the
request id of a 500, a client that disconnects mid-body."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import tempfile
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware

from core.app import create_app
from core.embedded_pg import EmbeddedPostgres
from core.migrate import upgrade_async
from core.request_context import RequestContextMiddleware
from rest_compat.base import Route
from rest_compat.openlearning import FACE as OPENLEARNING
from tests.fixtures import (
    RunningServer,
    bearer_for,
    create_user,
    initialized_cluster,
    make_settings,
    ol_login,
    start_instance,
    start_server,
)
from tests.ws import LEGACY_WS, PROTOCOLS, Closed, graphql_ws

DOWN = "The database is unavailable; try again later"
COURSES = "{ courses(first: 1) { edges { node { id } } } }"


@dataclasses.dataclass
class DownServer:
    running: RunningServer
    headers: dict  # a signed-in user's Bearer token
    cookie: str  # the same user's OpenLearning session cookie


@pytest.fixture(scope="module")
async def down():
    """A server whose database was up when its user signed in, and is stopped now."""
    pg = EmbeddedPostgres(initialized_cluster(
        Path(tempfile.mkdtemp(prefix="learngraph-down-")) / "data"))
    pg.start()
    url = pg.ensure_database("down")
    await upgrade_async(url)
    running = await start_server(create_app(make_settings(), database_url=url))
    try:
        services = running.app.state.services
        user = await create_user(services)
        headers = await bearer_for(services, user)
        async with httpx.AsyncClient(base_url=running.base_url, timeout=20) as http:
            assert (await http.post("/graphql", json={"query": COURSES})).status_code == 200
            await ol_login(http, user.email)
            cookie = f"access_token={http.cookies['access_token']}"
        pg.stop()
        yield DownServer(running, headers, cookie)
    finally:
        await running.stop()
        pg.stop()


async def test_a_database_that_is_down_answers_503_with_retry_after(down):
    running, headers = down.running, down.headers
    async with httpx.AsyncClient(base_url=running.base_url, timeout=20) as http:
        answers = {
            "graphql query": await http.post("/graphql", json={"query": COURSES}),
            "graphql signed in": await http.post("/graphql", json={"query": COURSES},
                                                 headers=headers),
            "graphql mutation": await http.post("/graphql", json={
                "query": 'mutation { login(input: {email: "a@example.com", '
                         'password: "whatever1"}) { user { id } } }'}),
            "openlearning": await http.post("/api/auth/login", json={
                "email": "a@example.com", "password": "whatever1"}),
            "twosigma": await http.get("/api/v1/courses/"),
            "twosigma signed in": await http.get("/api/v1/courses/", headers=headers),
        }
    for name, response in answers.items():
        assert (response.status_code, response.headers.get("retry-after")) == (
            503, "5"), (name, response.text)
        assert len(response.headers.get_list("x-request-id")) == 1, name
    for name in ("graphql query", "graphql signed in", "graphql mutation"):
        errors = answers[name].json()["errors"]
        assert {(e["message"], e["extensions"]["code"]) for e in errors} == {
            (DOWN, "SERVICE_UNAVAILABLE")}, name
    for name in ("openlearning", "twosigma", "twosigma signed in"):
        assert answers[name].json() == {"detail": DOWN}, name


async def test_a_websocket_that_cannot_be_authenticated_while_the_database_is_down_is_closed(
        down, caplog):
    """The credentials of connection_init (or of the handshake's cookie) cannot be checked:
    the socket closes with 1013 Try Again Later and the reason, at once and quietly; the
    legacy protocol says so in a connection_error first. Without credentials, nothing needs
    the database and the connection is acknowledged."""
    caplog.set_level(logging.INFO)
    url = down.running.ws_url
    for protocol in PROTOCOLS:
        async with graphql_ws(url, protocol) as ws:
            answer = await ws.init(down.headers)
            if protocol == LEGACY_WS:
                assert answer == {"type": "connection_error", "payload": {
                    "message": DOWN, "extensions": {"code": "SERVICE_UNAVAILABLE",
                                                    "retryAfter": 5}}}
                answer = await ws.closed()
            assert answer == Closed(1013, DOWN), protocol
        async with graphql_ws(url, protocol, headers={"Cookie": down.cookie}) as ws:
            assert await ws.receive(within=5) == Closed(1013, DOWN), protocol
        async with graphql_ws(url, protocol) as ws:
            assert (await ws.init())["type"] == "connection_ack", protocol
    alarms = [r for r in caplog.records if r.name.startswith(("uvicorn", "core.graphql_app",
                                                              "learngraph"))
              and (r.levelno >= logging.ERROR or r.exc_info)]
    assert alarms == [], [r.getMessage() for r in alarms]
    closed = [r.getMessage() for r in caplog.records if r.name == "core.graphql_app"]
    assert closed == [f"WebSocket closed: {DOWN}"] * 4


async def test_files_before_the_first_upload_are_404(database_url):
    running = await start_instance(database_url)
    try:
        async with httpx.AsyncClient(base_url=running.base_url) as http:
            response = await http.get("/files/anything")
            nested = await http.get("/files/avatars/nobody.png")
        assert (response.status_code, response.text) == (404, "Not Found")
        assert nested.status_code == 404
    finally:
        await running.stop()


async def _boom(request):
    raise RuntimeError("a bug")


async def test_a_rest_500_carries_one_request_id(services):
    face = dataclasses.replace(OPENLEARNING, routes=[Route("GET", "/boom", _boom)])
    app = Starlette(routes=face.starlette_routes(),
                    middleware=[Middleware(RequestContextMiddleware, faces=[(face.base, face)])])
    app.state.services = services
    running = await start_server(app)
    try:
        async with httpx.AsyncClient(base_url=running.base_url) as http:
            response = await http.get("/api/boom", headers={"X-Request-ID": "req-42"})
        assert response.status_code == 500
        assert response.json() == {"detail": "Internal Server Error"}
        assert response.headers.get_list("x-request-id") == ["req-42"]
    finally:
        await running.stop()


async def _disconnect_mid_body(base_url: str, path: str) -> None:
    host, port = base_url.removeprefix("http://").split(":")
    _, writer = await asyncio.open_connection(host, int(port))
    writer.write(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 f"Content-Length: 1000\r\n\r\n{{\"query\": ".encode())
    await writer.drain()
    await asyncio.sleep(0.3)
    writer.transport.abort()  # gone before the body is complete
    await asyncio.sleep(0.5)


async def test_a_client_that_disconnects_mid_body_is_not_an_error(server, client, caplog):
    caplog.set_level(logging.INFO)
    for path in ("/graphql", "/api/auth/login", "/api/v1/auth/login"):
        await _disconnect_mid_body(server.base_url, path)
    alarms = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert alarms == [], [r.getMessage() for r in alarms]
    # The server still answers.
    assert (await client.get("/api/health")).status_code == 200

