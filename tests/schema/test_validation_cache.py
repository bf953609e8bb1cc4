"""A document is validated once: later requests with it take the cached result."""

from __future__ import annotations

import secrets

from schema.limits import LimitedValidation
from tests.fixtures import gql


async def test_a_repeated_document_is_validated_once(client):
    # Given a document no request has sent yet
    query = f"{{ v{secrets.token_hex(8)}: viewer {{ kind }} }}"
    cache = LimitedValidation().cached_validate_document
    before = cache.cache_info()

    # When it is sent three times
    answers = [await gql(client, query) for _ in range(3)]

    # Then it was validated once and the cache answered the other two
    after = cache.cache_info()
    assert [list(a.values()) for a in answers] == [[{"kind": "ANONYMOUS"}]] * 3
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 2)


async def test_a_document_over_a_limit_is_refused_every_time(client):
    # Given a document deeper than the depth limit, refused once and so cached
    query = "{ viewer { " + "user { " * 20 + "id" + " }" * 20 + " } }"
    for _ in range(2):
        response = await client.post("/graphql", json={"query": query})
        errors = response.json()["errors"]
        assert "exceeds maximum operation depth" in errors[0]["message"]
