"""CORS over HTTP: listed origins' preflights answered, with credentials; any other
origin gets no CORS header at all."""

from __future__ import annotations

import httpx
import pytest

from tests.fixtures import Passes, front_door, start_instance

APP = "https://app.example.com"
ELSEWHERE = "https://evil.example.net"


@pytest.fixture
async def listing(database_url, clean_db):
    """An instance that lists two origins, and a client of it."""
    running = await start_instance(database_url, jobs_enabled=False,
                                   allowed_origins=(APP, "https://admin.example.com"))
    async with httpx.AsyncClient(base_url=running.base_url, timeout=10) as client:
        yield running, client
    await running.stop()


@pytest.fixture
def http(listing):
    return listing[1]


def preflight(origin: str, method: str = "POST", headers: str = "content-type") -> dict:
    return {"Origin": origin, "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers}


def cors_headers(response: httpx.Response) -> dict:
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


@pytest.mark.parametrize("path", ["/graphql", "/api/auth/login",
                                  "/compat/openlearning/api/health"])
async def test_a_listed_origin_s_preflight_is_answered_with_credentials(http, path):
    response = await http.options(path, headers=preflight(
        APP, headers="content-type, x-csrf-token"))
    assert response.status_code == 204
    assert cors_headers(response) == {
        "access-control-allow-origin": APP,
        "access-control-allow-credentials": "true",
        "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
        "access-control-allow-headers": "content-type, x-csrf-token",
        "access-control-max-age": "600"}
    assert response.headers["vary"] == "Origin"


async def test_a_listed_origin_reads_the_answer(http):
    response = await http.post("/graphql", json={"query": "{ viewer { isAuthenticated } }"},
                               headers={"Origin": APP})
    assert response.json()["data"] == {"viewer": {"isAuthenticated": False}}
    assert response.headers["access-control-allow-origin"] == APP
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "X-Request-Id" in response.headers["access-control-expose-headers"]
    assert "Origin" in response.headers["vary"]
    # The page may read the query budget's headers, as GitHub's API lets it.
    exposed = {name.strip().lower()
               for name in response.headers["access-control-expose-headers"].split(",")}
    reported = {name for name in response.headers if name.startswith("x-ratelimit-")}
    assert reported and reported <= exposed, (reported, exposed)


@pytest.mark.parametrize("path", ["/graphql", "/api/auth/login"])
async def test_another_origin_gets_no_cors_headers(http, path):
    refused = await http.options(path, headers=preflight(ELSEWHERE))
    answered = await http.post("/graphql", json={"query": "{ viewer { isAuthenticated } }"},
                               headers={"Origin": ELSEWHERE})
    assert refused.status_code >= 400 and cors_headers(refused) == {}
    assert answered.status_code == 200 and cors_headers(answered) == {}


async def test_a_strange_header_list_is_not_echoed(http):
    response = await http.options("/graphql", headers=preflight(
        APP, headers="content-type, <script>"))
    assert response.headers["access-control-allow-headers"].startswith("Authorization, ")


async def test_without_allowed_origins_nobody_gets_cors_headers(client):
    response = await client.options("/graphql", headers=preflight(APP))
    assert cors_headers(response) == {}


async def test_the_front_door_grants_a_planned_read_as_the_cors_layer_does(listing):
    """A planned read sent with its length is the front door's; sent chunked, the
    stack's: a listed origin gets the same headers from both, another origin none."""
    running, http = listing
    body = b'{"query": "{ __typename }"}'
    await http.post("/graphql", content=body, headers={"Content-Type": "application/json"})

    async def chunked():
        yield body

    for origin in (APP, ELSEWHERE):
        headers = {"Content-Type": "application/json", "Origin": origin}
        with Passes(front_door(running)) as passes:
            stack = await http.post("/graphql", content=chunked(), headers=headers)
            door = await http.post("/graphql", content=body, headers=headers)
        assert passes.count == 1
        assert cors_headers(door) == cors_headers(stack)
        assert door.headers.get("vary") == stack.headers.get("vary")
        names = [k for k, _ in door.headers.raw]
        assert names == [k for k, _ in stack.headers.raw]
        if origin == APP:
            assert cors_headers(door)["access-control-allow-origin"] == APP
            assert names[-5:] == [b"x-request-id", b"access-control-allow-origin",
                                  b"access-control-allow-credentials", b"vary",
                                  b"access-control-expose-headers"]
        else:
            assert cors_headers(door) == {}
