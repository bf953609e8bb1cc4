"""Concurrent first saves of an Anthropic key, and concurrent API key mints at the
per-user limit, over real HTTP against real PostgreSQL."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from core.auth import api_keys
from models.user import ApiKey, UserSecret
from resolvers.api_key import MAX_KEYS_PER_USER
from tests.fixtures import bearer_for, create_user, error_codes, gql_raw

SET_KEY = "mutation($k: String!) { setAnthropicKey(input: {apiKey: $k}) { preview } }"
CREATE_KEY = 'mutation($n: String!) { createApiKey(input: {name: $n}) { secret } }'


async def test_concurrent_first_saves_of_the_anthropic_key_all_succeed(client, services):
    for round_ in range(3):
        user = await create_user(services, email=f"keys{round_}@example.com")
        headers = await bearer_for(services, user)
        keys = [f"sk-ant-api03-{round_}{n:02d}" + "x" * 30 for n in range(8)]
        bodies = await asyncio.gather(*[
            gql_raw(client, SET_KEY, {"k": key}, headers=headers) for key in keys])
        assert [b.get("errors") for b in bodies] == [None] * len(keys)
        async with services.db.session() as session:
            rows = (await session.execute(select(UserSecret).where(
                UserSecret.user_id == user.id))).scalars().all()
        assert len(rows) == 1
        assert rows[0].preview in {b["data"]["setAnthropicKey"]["preview"] for b in bodies}


async def test_concurrent_saves_over_the_openlearning_face(client, services):
    user = await create_user(services, email="ol-keys@example.com")
    headers = await bearer_for(services, user)
    responses = await asyncio.gather(*[
        client.post("/api/auth/api-key", json={"apiKey": f"sk-ant-api03-{n:02d}" + "y" * 30},
                    headers=headers) for n in range(8)])
    assert [r.status_code for r in responses] == [200] * 8
    assert all(r.json() == {"ok": True} for r in responses)


async def test_concurrent_mints_at_the_limit_make_exactly_one_key(client, services):
    user = await create_user(services, email="mint@example.com")
    headers = await bearer_for(services, user)
    async with services.db.transaction() as session:
        for n in range(MAX_KEYS_PER_USER - 1):
            minted = api_keys.mint("sk")
            session.add(ApiKey(prefix=minted.prefix, secret_hash=minted.secret_hash,
                               last4=minted.last4, name=f"k{n}", scopes=[], user_id=user.id))
    bodies = await asyncio.gather(*[
        gql_raw(client, CREATE_KEY, {"n": f"race{n}"}, headers=headers) for n in range(6)])
    made = [b for b in bodies if not b.get("errors")]
    refused = [b for b in bodies if b.get("errors")]
    assert len(made) == 1
    assert [error_codes(b) for b in refused] == [["BAD_USER_INPUT"]] * 5
    assert {b["errors"][0]["message"] for b in refused} == {
        f"At most {MAX_KEYS_PER_USER} active API keys per user"}
    async with services.db.session() as session:
        count = (await session.execute(select(func.count()).select_from(ApiKey).where(
            ApiKey.user_id == user.id, ApiKey.revoked_at.is_(None)))).scalar_one()
    assert count == MAX_KEYS_PER_USER
