"""120 requests a minute per key, counted in PostgreSQL so two instances share it (a sliding
window: no request of this test leaves it before the 121st)."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import text, update

from models.user import ApiKey
from tests.fixtures import error_codes, gql_raw, start_instance
from tests.openlesson.helpers import AGENT, bearer, error_of, guest_key, org_admin


async def test_one_key_is_limited_across_two_instances(client, services, database_url):
    admin = await org_admin(services, client)
    key = await guest_key(admin)
    other = await start_instance(database_url)
    try:
        async with httpx.AsyncClient(base_url=other.base_url, timeout=10) as second:
            statuses = []
            for i in range(121):
                http = client if i % 2 == 0 else second
                response = await http.post(f"{AGENT}/org/guests", json={"email": "a@b.com"},
                                           headers=bearer(key))
                statuses.append(response.status_code)
            # Each instance saw about 60 requests; together they reached the limit.
            assert statuses[:120] == [403] * 120
            assert statuses[120] == 429
            error = error_of(response)
            assert error["code"] == "rate_limit_exceeded"
            assert 1 <= int(response.headers["Retry-After"]) <= 60
            # The same counter holds on GraphQL, on either instance.
            body = await gql_raw(second, 'mutation { createOrganizationGuest(email: "a@b.com")'
                                 ' { created } }', headers=bearer(key))
            assert error_codes(body) == ["RATE_LIMITED"]
            # Another key is not affected.
            response = await client.post(f"{AGENT}/org/guests", json={"email": "c@d.com"},
                                         headers=admin.headers)
            assert response.status_code == 201, response.text
    finally:
        await other.stop()


THREE_WORKSPACES = """query Three($id: ID!) {
  a: workspace(id: $id) { id }
  b: workspace(id: $id) { id }
  c: workspaceBlocks(workspaceId: $id) { id }
}"""


async def test_a_graphql_operation_counts_once_however_many_agent_fields(client, services):
    admin = await org_admin(services, client)
    key = await guest_key(admin)
    async with services.db.transaction() as session:
        key_id = (await session.execute(update(ApiKey).where(ApiKey.guest_id.is_not(None))
                                        .values(rate_limit=2).returning(ApiKey.id))).scalar_one()

    async def counted() -> int:
        async with services.db.session() as session:
            hits = (await session.execute(text(
                "SELECT hits FROM rate_limit_hits WHERE key = :key"),
                {"key": f"api_key:{key_id}"})).scalar_one_or_none()
        return len(hits or [])

    variables = {"id": str(uuid.uuid4())}
    # Two operations of three agent fields each fit a limit of two requests.
    for expected in (1, 2):
        body = await gql_raw(client, THREE_WORKSPACES, variables, headers=bearer(key))
        assert set(error_codes(body)) == {"WORKSPACE_NOT_FOUND"}, body
        assert await counted() == expected
    # The third operation is refused.
    body = await gql_raw(client, THREE_WORKSPACES, variables, headers=bearer(key))
    assert set(error_codes(body)) == {"RATE_LIMITED"}, body
    assert "2 requests per minute" in body["errors"][0]["message"]
    # The REST face shares the count.
    response = await client.get(f"{AGENT}/workspaces/{variables['id']}/blocks",
                                headers=bearer(key))
    assert response.status_code == 429
