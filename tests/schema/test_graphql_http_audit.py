"""GraphQL over HTTP, the current spec: the graphql-http package's server audit passes with
no warnings, and application/graphql-response+json is negotiated (its content type, 400
without ``data`` for a request that was not executed)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from core.graphql_app import prefers_graphql_response

AUDIT_SCRIPT = Path(__file__).with_name("graphql_http_audit.mjs")
# The audit's version is pinned: a new release may add checks of its own.
PACKAGES = ("graphql-http@1.23.1", "graphql@16.11.0")
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "learngraph-tests"
GRAPHQL_RESPONSE = "application/graphql-response+json"


def audit_modules() -> Path:
    """A folder with graphql-http installed (once, with npm); skips the test when Node.js
    or the package cannot be had."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed: the GraphQL over HTTP audit "
                    "(npm graphql-http) needs Node.js")
    folder = CACHE / "graphql-http-1.23.1"
    if not (folder / "node_modules" / "graphql-http" / "package.json").exists():
        folder.mkdir(parents=True, exist_ok=True)
        installed = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(folder), *PACKAGES],
            capture_output=True, text=True, timeout=300)
        if installed.returncode != 0:
            pytest.skip(f"npm could not install {', '.join(PACKAGES)}: "
                        f"{installed.stderr.strip()[-300:]}")
    return folder / "node_modules"


async def test_the_graphql_http_audit_passes_without_warnings(server, client):
    modules = await asyncio.to_thread(audit_modules)
    ran = await asyncio.to_thread(
        subprocess.run, ["node", str(AUDIT_SCRIPT), f"{server.base_url}/graphql",
                         str(modules)], capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stderr
    results = [json.loads(line) for line in ran.stdout.splitlines() if line.strip()]
    assert len(results) > 50
    assert [r for r in results if r["status"] != "ok"] == []


async def test_graphql_response_json_is_negotiated(client):
    accept = {"accept": f"{GRAPHQL_RESPONSE}, application/json;q=0.9"}
    ok = await client.post("/graphql", json={"query": "{ __typename }"}, headers=accept)
    assert (ok.status_code, ok.headers["content-type"]) == (200, GRAPHQL_RESPONSE)
    assert ok.json()["data"] == {"__typename": "Query"}

    # A document that does not parse or validate, or variables that do not fit, is a
    # request error: 400 without data (application/json keeps 200 and data: null).
    for body in ({"query": "{"}, {"query": "{ nope }"},
                 {"query": "query($n: Int) { courses(first: $n) { totalCount } }",
                  "variables": {"n": "x"}}):
        refused = await client.post("/graphql", json=body, headers=accept)
        assert refused.status_code == 400, refused.text
        assert refused.headers["content-type"] == GRAPHQL_RESPONSE
        assert "data" not in refused.json() and refused.json()["errors"]
        plain = await client.post("/graphql", json=body)
        assert plain.status_code == 200 and plain.json()["data"] is None
        assert plain.headers["content-type"] == "application/json"

    # Parameters of the wrong type are the client's mistake, never a 5xx.
    for body in ({"query": "{ __typename }", "operationName": ["x"]},
                 {"query": "{ __typename }", "variables": "x"}, {"query": 1}):
        for headers in (accept, {}):
            wrong = await client.post("/graphql", json=body, headers=headers)
            assert 400 <= wrong.status_code < 500, (body, wrong.status_code, wrong.text)

    # Over GET too.
    got = await client.get("/graphql", params={"query": "{ __typename }"}, headers=accept)
    assert (got.status_code, got.headers["content-type"]) == (200, GRAPHQL_RESPONSE)


@pytest.mark.parametrize(("accept", "wanted"), [
    ("", False), ("*/*", False), ("application/json", False),
    (GRAPHQL_RESPONSE, True), (f"{GRAPHQL_RESPONSE}, application/json;q=0.9", True),
    (f"application/json, {GRAPHQL_RESPONSE}", False),
    (f"application/json;q=0.5, {GRAPHQL_RESPONSE}", True),
    (f"{GRAPHQL_RESPONSE};q=0", False), (f"{GRAPHQL_RESPONSE};q=x", False),
])
def test_accept_headers_choose_the_media_type(accept, wanted):
    assert prefers_graphql_response(accept) is wanted
