"""Organizations, the Teams tier, member keys and guest keys (REST and GraphQL)."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from core.auth import api_keys
from models.user import ApiKey
from tests.fixtures import bearer_for, create_user, error_codes, gql, gql_raw, ol_login
from tests.openlesson.helpers import (
    AGENT,
    bearer,
    error_of,
    grant,
    guest_key,
    mint_key,
    org_admin,
    teams_user,
)
from tests.schema.test_user import gid

GRANT = """mutation($id: ID!, $tier: SubscriptionTier!) {
  grantSubscriptionTier(input: {userId: $id, tier: $tier}) { userId tier } }"""
REVOKE = "mutation($id: ID!) { revokeSubscriptionTier(userId: $id) { userId tier } }"
TIER = "query($id: ID!) { subscriptionTier(userId: $id) }"
CREATE_ORG = """mutation($name: String!) {
  createOrganization(input: {name: $name}) { isOrgAdmin organization { id name } } }"""
CREATE_GUEST = """mutation($email: String!) {
  createOrganizationGuest(email: $email) {
    created secret guest { id email status organizationId } apiKey { scopes rateLimit } } }"""


async def test_a_platform_admin_grants_and_revokes_the_teams_tier(client, services, new_client):
    root = await create_user(services, email="root@example.com", roles=["PLATFORM_ADMIN"])
    ada = await create_user(services, email="ada@example.com")
    admin_headers = await bearer_for(services, root)
    ada_headers = await bearer_for(services, ada)

    # Without the tier, Ada cannot create an organization.
    body = await gql_raw(client, CREATE_ORG, {"name": "Acme"}, headers=ada_headers)
    assert error_codes(body) == ["TEAMS_REQUIRED"]
    # Only a platform admin changes tiers.
    body = await gql_raw(client, GRANT, {"id": gid(ada), "tier": "PRO_TEAMS"},
                         headers=ada_headers)
    assert error_codes(body) == ["FORBIDDEN"]

    granted = await gql(client, GRANT, {"id": gid(ada), "tier": "PRO_TEAMS"},
                        headers=admin_headers)
    assert granted["grantSubscriptionTier"] == {"userId": gid(ada), "tier": "PRO_TEAMS"}
    assert (await gql(client, TIER, {"id": gid(ada)}, headers=ada_headers)) == {
        "subscriptionTier": "PRO_TEAMS"}
    created = (await gql(client, CREATE_ORG, {"name": " Acme "},
                         headers=ada_headers))["createOrganization"]
    assert created["isOrgAdmin"] is True and created["organization"]["name"] == "Acme"
    mine = await gql(client, "{ myOrganization { isOrgAdmin organization { id } } }",
                     headers=ada_headers)
    assert mine["myOrganization"] == {"isOrgAdmin": True,
                                      "organization": {"id": created["organization"]["id"]}}

    revoked = await gql(client, REVOKE, {"id": gid(ada)}, headers=admin_headers)
    assert revoked["revokeSubscriptionTier"] == {"userId": gid(ada), "tier": None}
    assert (await gql(client, TIER, {"id": gid(ada)}, headers=ada_headers)) == {
        "subscriptionTier": None}
    # Bad input: an id of another type, an unknown user.
    body = await gql_raw(client, REVOKE, {"id": created["organization"]["id"]},
                         headers=admin_headers)
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_create_organization_over_rest(client, services, new_client):
    ada = await teams_user(services, client, "ada@acme.com")
    response = await client.post("/api/organization", json={"name": "Acme Enablement"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["is_org_admin"] is True
    assert body["organization"]["name"] == "Acme Enablement"
    assert set(body["organization"]) == {"id", "name", "created_at"}

    # One organization per user.
    again = await client.post("/api/organization", json={"name": "Second"})
    assert again.status_code == 409 and error_of(again)["code"] == "conflict"
    # Bad input never echoes itself.
    bad = await client.post("/api/organization", json={"name": "x" * 201})
    assert bad.status_code == 400
    error = error_of(bad)
    assert error["code"] == "validation_error" and "x" * 20 not in bad.text
    assert error["details"]["issues"][0]["field"] == "name"
    assert (await client.post("/api/organization", content=b"{", headers={
        "Content-Type": "application/json"})).status_code == 400

    # Anonymous: 401 unauthorized; an API key is not a browser session.
    anonymous = new_client()
    response = await anonymous.post("/api/organization", json={"name": "Nope"})
    assert response.status_code == 401 and error_of(response)["code"] == "unauthorized"
    key = await mint_key(client)
    response = await anonymous.post("/api/organization", json={"name": "Nope"},
                                    headers=bearer(key))
    assert response.status_code == 401

    # Without the Teams tier.
    other = new_client()
    await create_user(services, email="bo@example.com")
    await ol_login(other, "bo@example.com")
    response = await other.post("/api/organization", json={"name": "Bo's"})
    assert response.status_code == 403
    assert error_of(response)["code"] == "teams_required"
    assert ada.email == "ada@acme.com"


async def test_member_keys_get_default_scopes_and_org_scopes_only_for_admins(
        client, services, new_client):
    member_http = new_client()
    await teams_user(services, member_http, "member@acme.com")
    # A cookie-authenticated write must prove intent (JSON or X-CSRF-Token), as on
    # every face; then the body is optional.
    response = await member_http.post(f"{AGENT}/keys")
    assert response.status_code == 403 and error_of(response)["code"] == "csrf_rejected"
    response = await member_http.post(f"{AGENT}/keys", headers={"X-CSRF-Token": "1"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["api_key"].startswith("sk_")
    assert body["key"]["scopes"] == sorted(api_keys.DEFAULT_SCOPES)
    assert body["key"]["rate_limit"] == 120
    assert body["key"]["key_prefix"] == f"sk_...{body['api_key'][-4:]}"
    # Stored hashed: the secret is nowhere in the table.
    async with services.db.session() as session:
        stored = (await session.execute(select(ApiKey.secret_hash))).scalars().all()
    assert body["api_key"] not in stored and api_keys.hash_token(body["api_key"]) in stored

    # A member who is not an org admin cannot ask for org:* scopes.
    response = await member_http.post(f"{AGENT}/keys", json={"scopes": ["org:write"]})
    assert response.status_code == 403 and error_of(response)["code"] == "forbidden"
    # An org admin can.
    admin = await org_admin(services, client)
    assert admin.key.startswith("sk_")
    # Keys are not minted with keys, and bad scopes are refused.
    response = await member_http.post(f"{AGENT}/keys", json={},
                                      headers=bearer(body["api_key"]))
    # A Bearer credential wins over the cookie, and a key is not a session.
    assert response.status_code == 401
    anonymous = new_client()
    response = await anonymous.post(f"{AGENT}/keys", json={}, headers=bearer(admin.key))
    assert response.status_code == 401 and error_of(response)["code"] == "unauthorized"
    response = await member_http.post(f"{AGENT}/keys", json={"scopes": ["DROP TABLE"]})
    assert response.status_code == 400 and error_of(response)["code"] == "validation_error"
    response = await member_http.post(f"{AGENT}/keys", json={"scopes": "all"})
    assert response.status_code == 400

    # Without the Teams tier, even minting is refused.
    plain = new_client()
    await create_user(services, email="plain@example.com")
    await ol_login(plain, "plain@example.com")
    response = await plain.post(f"{AGENT}/keys", json={})
    assert response.status_code == 403 and error_of(response)["code"] == "teams_required"


async def test_guests_are_created_once_and_get_a_new_key_each_call(client, services, new_client):
    admin = await org_admin(services, client)
    first = await client.post(f"{AGENT}/org/guests", json={"email": "Learner@Example.com"},
                              headers=admin.headers)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["guest_user"]["email"] == "Learner@example.com"
    assert body["guest_user"]["status"] == "active"
    assert body["api_key"].startswith("gsk_")
    assert body["key"]["scopes"] == sorted(api_keys.GUEST_SCOPES)
    assert body["key"]["key_prefix"] == f"gsk_...{body['api_key'][-4:]}"
    assert body["key"]["rate_limit"] == 120

    second = await client.post(f"{AGENT}/org/guests", json={"email": "learner@example.com"},
                               headers=admin.headers)
    assert second.status_code == 200
    again = second.json()
    assert again["guest_user"] == body["guest_user"]
    assert again["api_key"] != body["api_key"]

    # Both keys work (as guest keys they may not create guests: 403, not 401).
    for key in (body["api_key"], again["api_key"]):
        response = await client.post(f"{AGENT}/org/guests", json={"email": "x@example.com"},
                                     headers=bearer(key))
        assert response.status_code == 403, response.text
        assert error_of(response)["code"] == "forbidden"

    bad = await client.post(f"{AGENT}/org/guests", json={"email": "not an email"},
                            headers=admin.headers)
    assert bad.status_code == 400 and error_of(bad)["code"] == "validation_error"
    missing = await client.post(f"{AGENT}/org/guests", json={}, headers=admin.headers)
    assert missing.status_code == 400
    assert error_of(missing)["details"]["issues"][0]["field"] == "email"

    # A member (not admin) of no organization holding org:write cannot exist; a Teams user
    # outside any organization with a default key lacks the scope.
    outsider = new_client()
    await teams_user(services, outsider, "out@example.com")
    key = await mint_key(outsider)
    response = await outsider.post(f"{AGENT}/org/guests", json={"email": "y@example.com"},
                                   headers=bearer(key))
    assert response.status_code == 403
    assert error_of(response)["details"] == {"required_scope": "org:write"}


async def test_guest_keys_ride_on_their_admins_teams_tier(client, services):
    admin = await org_admin(services, client)
    key = await guest_key(admin)
    response = await client.post(f"{AGENT}/org/guests", json={"email": "z@example.com"},
                                 headers=bearer(key))
    assert error_of(response)["code"] == "forbidden"
    await grant(services, admin.user, "pro")
    response = await client.post(f"{AGENT}/org/guests", json={"email": "z@example.com"},
                                 headers=bearer(key))
    assert response.status_code == 403 and error_of(response)["code"] == "teams_required"
    response = await client.post(f"{AGENT}/org/guests", json={"email": "z@example.com"},
                                 headers=admin.headers)
    assert error_of(response)["code"] == "teams_required"


async def test_platform_admins_bypass_the_tier(client, services):
    root = await create_user(services, email="root@example.com", roles=["PLATFORM_ADMIN"])
    await ol_login(client, root.email)
    response = await client.post(f"{AGENT}/keys", json={})
    assert response.status_code == 201, response.text


async def test_guests_over_graphql_with_the_same_scopes(client, services, new_client):
    admin = await org_admin(services, client)
    made = (await gql(client, CREATE_GUEST, {"email": "g@example.com"},
                      headers=admin.headers))["createOrganizationGuest"]
    assert made["created"] is True and made["secret"].startswith("gsk_")
    assert made["guest"]["email"] == "g@example.com"
    assert made["apiKey"] == {"scopes": sorted(api_keys.GUEST_SCOPES), "rateLimit": 120}
    again = (await gql(client, CREATE_GUEST, {"email": "G@example.com"},
                       headers=admin.headers))["createOrganizationGuest"]
    assert again["created"] is False and again["guest"]["id"] == made["guest"]["id"]

    default_key = await mint_key(client)
    body = await gql_raw(client, CREATE_GUEST, {"email": "h@example.com"},
                         headers=bearer(default_key))
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["errors"][0]["extensions"]["details"] == {"required_scope": "org:write"}
    body = await gql_raw(client, CREATE_GUEST, {"email": "h@example.com"},
                         headers=bearer(made["secret"]))
    assert error_codes(body) == ["FORBIDDEN"]
    await grant(services, admin.user, "pro")
    body = await gql_raw(client, CREATE_GUEST, {"email": "h@example.com"},
                         headers=admin.headers)
    assert error_codes(body) == ["TEAMS_REQUIRED"]


async def test_an_org_admin_revokes_a_guest_key(client, services):
    admin = await org_admin(services, client)
    key = await guest_key(admin)
    session_headers = await bearer_for(services, admin.user)
    keys_of_guest = []
    async with services.db.session() as session:
        keys_of_guest = (await session.execute(select(ApiKey.id).where(
            ApiKey.prefix == "gsk"))).scalars().all()
    from strawberry import relay
    key_id = relay.to_base64("ApiKey", str(keys_of_guest[0]))
    done = await gql(client, "mutation($id: ID!) { revokeApiKey(id: $id) { ok } }",
                     {"id": key_id}, headers=session_headers)
    assert done == {"revokeApiKey": {"ok": True}}
    response = await client.post(f"{AGENT}/org/guests", json={"email": "z@example.com"},
                                 headers=bearer(key))
    assert response.status_code == 401 and error_of(response)["code"] == "unauthorized"


async def test_the_set_tier_command_grants_and_revokes(client, services, database_url):
    from tests.core.test_cli import learngraph

    ada = await create_user(services, email="ada@example.com")
    result = await learngraph("set-tier", "Ada@example.com", "pro_teams",
                              database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert "Ada@example.com: pro_teams" in result.stdout
    headers = await bearer_for(services, ada)
    assert (await gql(client, TIER, {"id": gid(ada)}, headers=headers)) == {
        "subscriptionTier": "PRO_TEAMS"}
    result = await learngraph("set-tier", "ada@example.com", "--revoke",
                              database_url=database_url)
    assert result.returncode == 0 and "no tier" in result.stdout
    assert (await gql(client, TIER, {"id": gid(ada)}, headers=headers)) == {
        "subscriptionTier": None}
    result = await learngraph("set-tier", "nobody@example.com", database_url=database_url)
    assert result.returncode != 0 and "No user with email" in result.stderr


MY_ORG = "{ myOrganization { isOrgAdmin organization { id name } } }"


async def test_a_guest_who_signs_up_later_joins_the_guests_organization(
        client, services, new_client):
    # Two organizations invite the same learner; Acme first.
    admin = await org_admin(services, client)
    key = await guest_key(admin, "Learner@Example.com")
    other_admin = await org_admin(services, new_client(), "boss@globex.com", "Globex")
    await guest_key(other_admin, "learner@example.com")
    acme = (await gql(admin.http, MY_ORG))["myOrganization"]["organization"]

    # The learner registers (any case of the email) and is a member of Acme, not an admin.
    learner = new_client()
    response = await learner.post("/api/auth/register", json={
        "email": "LEARNER@example.com", "password": "a long enough password 1"})
    assert response.status_code == 200, response.text
    assert (await gql(learner, MY_ORG))["myOrganization"] == {"isOrgAdmin": False,
                                                               "organization": acme}
    # As a member without a Teams tier of its own, the account cannot mint keys; the
    # guest key it had still works.
    response = await learner.post(f"{AGENT}/keys", json={})
    assert response.status_code == 403 and error_of(response)["code"] == "teams_required"
    response = await client.get(f"{AGENT}/workspaces/{uuid.uuid4()}/blocks",
                                headers=bearer(key))
    assert response.status_code == 404 and error_of(response)["code"] == "workspace_not_found"

    # Someone the organizations never invited joins none (GraphQL registration too).
    stranger = new_client()
    body = await gql(stranger, 'mutation { register(input: {email: "new@example.com", '
                     'password: "a long enough password 1"}) { accessToken } }')
    token = body["register"]["accessToken"]
    mine = await gql(stranger, MY_ORG, headers={"Authorization": f"Bearer {token}"})
    assert mine == {"myOrganization": None}
