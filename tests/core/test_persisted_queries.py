"""Automatic persisted queries (Apollo's protocol) stored in PostgreSQL and shared by
instances, over POST and GET; and trusted documents mode with ``learngraph documents
add``."""

from __future__ import annotations

import hashlib
import json

import httpx
import pytest

from tests.core.test_cli import learngraph
from tests.fixtures import start_instance
from tests.ws import PROTOCOLS, TRANSPORT_WS, graphql_ws

PING = "query Ping { viewer { isAuthenticated kind } }"
PONG = {"viewer": {"isAuthenticated": False, "kind": "ANONYMOUS"}}
OTHER = "query Other { viewer { kind } }"
LOGOUT = "mutation Out { logout { ok } }"


def sha(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def apq(document: str, *, version: int = 1) -> dict:
    return {"persistedQuery": {"version": version, "sha256Hash": sha(document)}}


def codes(body: dict) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors") or []]


@pytest.fixture
async def two(database_url, client):
    """Two instances on one database, each with its own process state."""
    first = await start_instance(database_url, jobs_enabled=False)
    second = await start_instance(database_url, jobs_enabled=False)
    async with httpx.AsyncClient(base_url=first.base_url, timeout=10) as a, \
            httpx.AsyncClient(base_url=second.base_url, timeout=10) as b:
        yield a, b
    await first.stop()
    await second.stop()


async def test_apq_round_trip_across_two_instances(two):
    a, b = two
    # The hash alone, unknown yet: Apollo's PersistedQueryNotFound (a 200, so clients retry).
    unknown = await a.post("/graphql", json={"extensions": apq(PING)})
    assert unknown.status_code == 200
    assert unknown.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    assert codes(unknown.json()) == ["PERSISTED_QUERY_NOT_FOUND"] and unknown.json()["data"] is None

    # The query with its hash runs and registers it ...
    registered = await a.post("/graphql", json={"query": PING, "extensions": apq(PING)})
    assert registered.json()["data"] == PONG
    # ... for every instance: the hash alone over POST and over GET, on the other one.
    posted = await b.post("/graphql", json={"extensions": apq(PING), "operationName": "Ping"})
    assert posted.status_code == 200 and posted.json()["data"] == PONG
    got = await b.get("/graphql", params={"extensions": json.dumps(apq(PING))})
    assert got.status_code == 200 and got.json()["data"] == PONG
    # A hash in capitals names the same document.
    upper = {"persistedQuery": {"version": 1, "sha256Hash": sha(PING).upper()}}
    assert (await a.post("/graphql", json={"extensions": upper})).json()["data"] == PONG


async def test_mutations_by_hash_are_not_run_over_get(two):
    a, b = two
    stored = await a.post("/graphql", json={"query": LOGOUT, "extensions": apq(LOGOUT)})
    assert stored.json()["data"] == {"logout": {"ok": True}}
    posted = await b.post("/graphql", json={"extensions": apq(LOGOUT)})
    assert posted.json()["data"] == {"logout": {"ok": True}}
    got = await b.get("/graphql", params={"extensions": json.dumps(apq(LOGOUT))})
    assert got.status_code in (400, 405), got.text


async def test_bad_persisted_query_requests_are_refused_and_nothing_is_stored(two):
    a, b = two
    mismatch = await a.post("/graphql", json={"query": PING, "extensions": apq(OTHER)})
    assert mismatch.status_code == 400 and codes(mismatch.json()) == ["BAD_USER_INPUT"]
    assert mismatch.json()["errors"][0]["message"] == "provided sha does not match query"
    version = await a.post("/graphql", json={"query": PING, "extensions": apq(PING, version=2)})
    assert version.status_code == 400 and codes(version.json()) == [
        "PERSISTED_QUERY_NOT_SUPPORTED"]
    for bad in ("abc", "z" * 64, 7, None, "a" * 10_000):
        answer = await a.post("/graphql", json={"extensions": {"persistedQuery": {
            "version": 1, "sha256Hash": bad}}})
        assert answer.status_code == 400 and codes(answer.json()) == ["BAD_USER_INPUT"]
        assert len(answer.text) < 300
    for bad in ("v1", [1], {"version": "1"}):
        answer = await a.post("/graphql", json={"extensions": {"persistedQuery": bad}})
        assert answer.status_code == 400, answer.text

    # A document that does not validate is answered with its errors and never stored.
    broken = "query Broken { nosuchfield }"
    answer = await a.post("/graphql", json={"query": broken, "extensions": apq(broken)})
    assert codes(answer.json()) == ["GRAPHQL_VALIDATION_FAILED"]
    again = await b.post("/graphql", json={"extensions": apq(broken)})
    assert codes(again.json()) == ["PERSISTED_QUERY_NOT_FOUND"]


async def test_trusted_documents_mode(database_url, client, tmp_path):
    ping = tmp_path / "ping.graphql"
    ping.write_text(PING)
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({
        "format": "apollo-persisted-query-manifest", "version": 1,
        "operations": [{"id": sha(LOGOUT), "name": "Out", "type": "mutation",
                        "body": LOGOUT}]}))
    added = await learngraph("documents", "add", str(ping), str(manifest),
                             database_url=database_url)
    assert added.returncode == 0, added.stderr
    assert f"{sha(PING)}  {ping}" in added.stdout and f"{sha(LOGOUT)}  {manifest}" in added.stdout
    assert "2 documents registered as trusted, 2 of them new" in added.stdout
    repeated = await learngraph("documents", "add", str(ping), database_url=database_url)
    assert "(already known)" in repeated.stdout and "1 of them" not in repeated.stdout

    # A document that does not fit the schema registers nothing, not even the good ones.
    broken = tmp_path / "broken.graphql"
    broken.write_text("query Broken { nosuchfield }")
    other = tmp_path / "other.graphql"
    other.write_text(OTHER)
    refused = await learngraph("documents", "add", str(other), str(broken),
                               database_url=database_url)
    assert refused.returncode != 0 and "nosuchfield" in refused.stderr
    assert "nothing was registered" in refused.stderr
    mismatch = tmp_path / "codegen.json"
    mismatch.write_text(json.dumps({sha(PING): OTHER}))
    refused = await learngraph("documents", "add", str(mismatch), database_url=database_url)
    assert refused.returncode != 0 and "is not the SHA-256" in refused.stderr

    running = await start_instance(database_url, jobs_enabled=False, trusted_documents_only=True)
    try:
        async with httpx.AsyncClient(base_url=running.base_url, timeout=10) as http:
            # Registered documents run by text or by hash, over POST and GET.
            assert (await http.post("/graphql", json={"query": PING})).json()["data"] == PONG
            assert (await http.post("/graphql", json={"extensions": apq(PING)})).json()[
                "data"] == PONG
            got = await http.get("/graphql", params={"extensions": json.dumps(apq(PING))})
            assert got.json()["data"] == PONG
            assert "logout" in (await http.post("/graphql", json={
                "extensions": apq(LOGOUT)})).json()["data"]
            # Anything else is refused, by text or by hash, and cannot be registered.
            for body in ({"query": OTHER}, {"extensions": apq(OTHER)},
                         {"query": OTHER, "extensions": apq(OTHER)}):
                answer = await http.post("/graphql", json=body)
                assert codes(answer.json()) == ["PERSISTED_QUERY_NOT_IN_LIST"], answer.text
                assert answer.json()["data"] is None
            assert codes((await http.post("/graphql", json={"query": OTHER})).json()) == [
                "PERSISTED_QUERY_NOT_IN_LIST"]
            # Over a WebSocket too.
            async with graphql_ws(running.ws_url) as ws:
                await ws.init()
                await ws.subscribe("1", OTHER)
                refused_ws = await ws.next_payload("1")
                assert codes(refused_ws) == ["PERSISTED_QUERY_NOT_IN_LIST"]
                await ws.subscribe("2", PING)
                assert await ws.next_data("2") == PONG
            # By hash too (an empty query, as the protocols require one), on both protocols;
            # an unknown hash or no document at all is refused, never an internal error.
            for protocol in PROTOCOLS:
                async with graphql_ws(running.ws_url, protocol) as ws:
                    await ws.init()
                    await ws.subscribe("3", "", extensions=apq(PING))
                    if protocol == TRANSPORT_WS:
                        assert await ws.next_data("3") == PONG
                        assert (await ws.receive())["type"] == "complete"
                    else:  # the legacy protocol runs only subscriptions, and says so
                        refused_query = await ws.next_payload("3")
                        assert codes(refused_query) == ["BAD_REQUEST"]
                        assert "only subscriptions, not a query" in refused_query[
                            "errors"][0]["message"]
                    await ws.subscribe("4", "", extensions=apq(OTHER))
                    assert codes(await ws.next_payload("4")) == [
                        "PERSISTED_QUERY_NOT_IN_LIST"]
                    await ws.subscribe("5", "")
                    assert codes(await ws.next_payload("5")) == ["BAD_REQUEST"]
    finally:
        await running.stop()
