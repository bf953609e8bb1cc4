"""Every agent route enforces its declared scope for every kind of key: the matrix
route × key type × scope, driven by the face's own route table."""

from __future__ import annotations

import uuid

import pytest

from core.auth import api_keys
from rest_compat.openlesson import FACE
from tests.openlesson.helpers import (
    bearer,
    error_of,
    guest_key,
    key_with_scopes,
    org_admin,
    teams_user,
)

SCOPES = [*api_keys.DEFAULT_SCOPES, *api_keys.ORG_SCOPES]
AGENT_ROUTES = [r for r in FACE.routes if r.credential == "api_key"]

# A well-formed request for each agent route (path parameters filled in by ``ids``).
REQUESTS = {
    ("POST", "/v2/agent/org/guests"): lambda ids: {"json": {"email": "m@example.com"}},
    ("POST", "/v2/agent/workspaces"): lambda ids: {"json": {"initial_prompt": "Teach joins"}},
    ("GET", "/v2/agent/workspaces/{workspace_id}/blocks"): lambda ids: {},
    ("POST", "/v2/agent/workspaces/{workspace_id}/evidence"): lambda ids: {"json": {
        "type": "tool", "file_name": "e.json", "mime_type": "application/json",
        "data": "e30="}},
    ("POST", "/v2/agent/workspaces/{workspace_id}/blocks/{block_id}/ghl-links"):
        lambda ids: {"json": {"minutes": 15}},
    ("GET", "/v2/agent/workspaces/{workspace_id}/ghl-links"): lambda ids: {},
    ("POST", "/v2/agent/workspaces/{workspace_id}/performance"): lambda ids: {"json": {}},
    ("GET", "/v2/agent/workspaces/{workspace_id}/ghl-links/{link_id}/results"): lambda ids: {},
}


def test_every_agent_route_declares_a_scope_and_has_a_matrix_request():
    assert AGENT_ROUTES
    for route in AGENT_ROUTES:
        assert route.scope in SCOPES, route.path
        assert (route.method, route.path) in REQUESTS, route.path


@pytest.fixture
async def principals(client, services, new_client):
    """An org admin, a plain member of no organization, and a guest, all on Teams."""
    admin = await org_admin(services, client)
    member_http = new_client()
    member = await teams_user(services, member_http, "member@example.com")
    await guest_key(admin)
    from sqlalchemy import select

    from models.organization import OrganizationGuest
    async with services.db.session() as session:
        guest_id = (await session.execute(select(OrganizationGuest.id))).scalar_one()
    return {"sk-admin": {"user": admin.user}, "sk-member": {"user": member},
            "gsk": {"guest_id": guest_id}}


async def test_scope_matrix(client, services, principals):
    ids = {"workspace_id": uuid.uuid4(), "block_id": uuid.uuid4(), "link_id": uuid.uuid4()}
    for route in AGENT_ROUTES:
        path = FACE.base + route.path
        for key_type, owner in principals.items():
            for scope in [None, *SCOPES]:
                key = await key_with_scopes(services, scopes=[scope] if scope else [], **owner)
                response = await client.request(route.method, path.format(**ids),
                                                headers=bearer(key),
                                                **REQUESTS[(route.method, route.path)](ids))
                where = (route.method, route.path, key_type, scope, response.text[:200])
                refused_for_scope = response.status_code == 403 and error_of(response)[
                    "details"] == {"required_scope": route.scope}
                assert refused_for_scope == (scope != route.scope), where
                if refused_for_scope:
                    assert error_of(response)["code"] == "forbidden", where
