"""The 10 MB request body limit holds for chunked bodies too (no Content-Length), and is
answered in the shape of the face that was asked."""

from __future__ import annotations

import logging

import httpx

from core.request_context import MAX_BODY_BYTES

CHUNK = b"x" * 65536


def chunks(total: int):
    """A body of ``total`` bytes sent with chunked transfer encoding (a generator body)."""

    async def body():
        sent = 0
        while sent < total:
            piece = CHUNK[:total - sent]
            sent += len(piece)
            yield piece

    return body()


async def post(client: httpx.AsyncClient, path: str, total: int,
               content_type: str = "application/json") -> httpx.Response:
    return await client.post(path, content=chunks(total),
                             headers={"content-type": content_type})


async def test_a_chunked_graphql_body_over_the_limit_is_refused(client, caplog):
    caplog.set_level(logging.WARNING)
    response = await post(client, "/graphql", MAX_BODY_BYTES + len(CHUNK))
    assert response.status_code == 413
    assert response.json() == {"error": "Request body too large"}
    assert response.headers["x-request-id"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_chunked_face_body_over_the_limit_is_refused_in_the_face_shape(client, caplog):
    caplog.set_level(logging.WARNING)
    for path in ("/api/v1/auth/login", "/api/auth/login", "/compat/openlearning/api/auth/login"):
        response = await post(client, path, MAX_BODY_BYTES + len(CHUNK))
        assert response.status_code == 413, path
        assert response.json() == {"detail": "Request body too large"}, path
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_declared_length_over_the_limit_is_refused_in_the_face_shape(client):
    response = await client.post("/api/v1/auth/login", content=b"x" * (MAX_BODY_BYTES + 1),
                                 headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json() == {"detail": "Request body too large"}


async def test_a_chunked_body_within_the_limit_is_read(client):
    # Just under the limit: read in full, then refused as what it is (not JSON).
    response = await post(client, "/api/v1/auth/login", MAX_BODY_BYTES)
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"
    async def query():
        yield b'{"query": "{ viewer '
        yield b'{ kind } }"}'

    small = await client.post("/graphql", content=query(),
                              headers={"content-type": "application/json"})
    assert small.status_code == 200
    assert small.json()["data"] == {"viewer": {"kind": "ANONYMOUS"}}
