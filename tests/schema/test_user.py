"""Users through GraphQL: Node lookups, private fields, the admin list, API-key viewers."""

from __future__ import annotations

from datetime import date

from strawberry import relay

from core.auth import api_keys
from models.course import Subject, UserProfile, UserSubjectPreference
from models.user import ApiKey
from tests.fixtures import PASSWORD, create_user, error_codes, gql, gql_raw

NODE = """
query($id: ID!) { node(id: $id) { __typename id ... on User { displayName email hasGithub } } }"""
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on User { displayName } } }"
USERS = """
query($first: Int, $after: String, $last: Int, $before: String) {
  users(first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { displayName } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""
LOGIN = """
mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { accessToken } }"""


def gid(user) -> str:
    return relay.to_base64("User", str(user.id))


async def bearer_for(client, email: str) -> dict:
    token = (await gql(client, LOGIN, {"e": email, "p": PASSWORD}))["login"]["accessToken"]
    client.cookies.clear()
    return {"Authorization": f"Bearer {token}"}


async def test_node_returns_users_and_hides_email_from_others(client, services, user):
    bob = await create_user(services, email="bob@example.com", display_name="Bob")
    headers = await bearer_for(client, "bob@example.com")

    own = (await gql(client, NODE, {"id": gid(bob)}, headers=headers))["node"]
    assert own == {"__typename": "User", "id": gid(bob), "displayName": "Bob",
                   "email": "bob@example.com", "hasGithub": False}
    other = (await gql(client, NODE, {"id": gid(user)}, headers=headers))["node"]
    assert other["displayName"] == "Ada"
    assert other["email"] is None


async def test_admins_see_every_email(client, services, user):
    await create_user(services, email="root@example.com", roles=["PLATFORM_ADMIN"])
    headers = await bearer_for(client, "root@example.com")
    node = (await gql(client, NODE, {"id": gid(user)}, headers=headers))["node"]
    assert node["email"] == "ada@example.com"


async def test_unknown_and_malformed_ids_resolve_to_null(client, user):
    unknown = relay.to_base64("User", "00000000-0000-0000-0000-000000000000")
    assert (await gql(client, NODE, {"id": unknown}))["node"] is None
    assert (await gql(client, NODE, {"id": relay.to_base64("User", "nope")}))["node"] is None
    body = await gql_raw(client, NODE, {"id": "not base64 at all"})
    assert body["data"]["node"] is None or body.get("errors")


async def test_nodes_keeps_the_order_of_ids(client, services, user):
    bob = await create_user(services, email="bob@example.com", display_name="Bob")
    data = await gql(client, NODES, {"ids": [gid(bob), gid(user), gid(bob)]})
    assert [n["displayName"] for n in data["nodes"]] == ["Bob", "Ada", "Bob"]


async def test_users_is_for_platform_admins(client, services, user):
    body = await gql_raw(client, USERS, {"first": 10})
    assert error_codes(body) == ["UNAUTHENTICATED"]
    headers = await bearer_for(client, user.email)
    body = await gql_raw(client, USERS, {"first": 10}, headers=headers)
    assert error_codes(body) == ["FORBIDDEN"]


async def test_users_pages_forward_and_backward(client, services):
    await create_user(services, email="root@example.com", display_name="Root",
                      roles=["PLATFORM_ADMIN"])
    for name in ("B", "C", "D", "E"):
        await create_user(services, email=f"{name.lower()}@example.com", display_name=name)
    headers = await bearer_for(client, "root@example.com")

    page1 = (await gql(client, USERS, {"first": 2}, headers=headers))["users"]
    assert [e["node"]["displayName"] for e in page1["edges"]] == ["Root", "B"]
    assert page1["pageInfo"]["hasNextPage"] is True
    assert page1["pageInfo"]["hasPreviousPage"] is False
    page2 = (await gql(client, USERS, {"first": 2, "after": page1["pageInfo"]["endCursor"]},
                       headers=headers))["users"]
    assert [e["node"]["displayName"] for e in page2["edges"]] == ["C", "D"]
    page3 = (await gql(client, USERS, {"first": 2, "after": page2["pageInfo"]["endCursor"]},
                       headers=headers))["users"]
    assert [e["node"]["displayName"] for e in page3["edges"]] == ["E"]
    assert page3["pageInfo"]["hasNextPage"] is False

    back = (await gql(client, USERS, {"last": 2, "before": page3["pageInfo"]["startCursor"]},
                      headers=headers))["users"]
    assert [e["node"]["displayName"] for e in back["edges"]] == ["C", "D"]
    assert back["pageInfo"]["hasPreviousPage"] is True

    body = await gql_raw(client, USERS, {"first": 2, "after": "garbage!"}, headers=headers)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    body = await gql_raw(client, USERS, {}, headers=headers)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert "`first` or `last`" in body["errors"][0]["message"]


async def test_api_keys_authenticate_with_their_scopes(client, services, user):
    minted = api_keys.mint("sk")
    async with services.db.transaction() as session:
        session.add(ApiKey(prefix=minted.prefix, secret_hash=minted.secret_hash,
                           last4=minted.last4, name="ci", scopes=["read", "write"],
                           user_id=user.id))
    headers = {"Authorization": f"Bearer {minted.token}"}
    viewer = (await gql(client, "{ viewer { kind scopes id } }", headers=headers))["viewer"]
    assert viewer == {"kind": "API_KEY", "scopes": ["read", "write"], "id": gid(user)}

    forged = {"Authorization": "Bearer sk_" + "x" * 43}
    body = await gql_raw(client, "{ viewer { kind } }", headers=forged)
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["errors"][0]["message"] == "Invalid API key"
    assert minted.token not in str(minted.secret_hash)


async def test_nodes_loads_users_in_one_statement(client, services, user):
    from tests.fixtures import count_statements

    others = [await create_user(services, email=f"u{i}@example.com", display_name=f"U{i}")
              for i in range(6)]
    headers = await bearer_for(client, user.email)
    ids = [gid(u) for u in others]
    with count_statements(services) as counter:
        data = await gql(client, NODES, {"ids": ids}, headers=headers)
    assert [n["displayName"] for n in data["nodes"]] == [f"U{i}" for i in range(6)]
    # One statement authenticates the viewer, one loads all six users.
    assert len(counter) == 2, counter.statements


CREATE_KEY = """
mutation($name: String!, $scopes: [String!]!) {
  createApiKey(input: {name: $name, scopes: $scopes}) {
    secret apiKey { id name preview scopes }
  }
}"""


async def test_mint_list_use_and_revoke_an_api_key(client, services, user):
    headers = await bearer_for(client, user.email)
    created = (await gql(client, CREATE_KEY, {"name": "nightly sync",
                                              "scopes": ["write", "read", "read"]},
                         headers=headers))["createApiKey"]
    secret = created["secret"]
    assert secret.startswith("sk_") and len(secret) > 40
    assert created["apiKey"]["preview"] == f"sk_...{secret[-4:]}"
    assert created["apiKey"]["scopes"] == ["read", "write"]

    listed = (await gql(client, "{ apiKeys { id name preview } }", headers=headers))["apiKeys"]
    assert listed == [{"id": created["apiKey"]["id"], "name": "nightly sync",
                       "preview": created["apiKey"]["preview"]}]
    assert secret not in str(listed)

    as_key = {"Authorization": f"Bearer {secret}"}
    viewer = (await gql(client, "{ viewer { kind scopes } }", headers=as_key))["viewer"]
    assert viewer == {"kind": "API_KEY", "scopes": ["read", "write"]}

    revoked = await gql(client, "mutation($id: ID!) { revokeApiKey(id: $id) { ok } }",
                        {"id": created["apiKey"]["id"]}, headers=headers)
    assert revoked == {"revokeApiKey": {"ok": True}}
    body = await gql_raw(client, "{ viewer { kind } }", headers=as_key)
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["errors"][0]["message"] == "Invalid API key"
    body = await gql_raw(client, "mutation($id: ID!) { revokeApiKey(id: $id) { ok } }",
                         {"id": created["apiKey"]["id"]}, headers=headers)
    assert error_codes(body) == ["NOT_FOUND"]


async def test_api_key_input_is_validated(client, user):
    headers = await bearer_for(client, user.email)
    body = await gql_raw(client, CREATE_KEY, {"name": " ", "scopes": []}, headers=headers)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    body = await gql_raw(client, CREATE_KEY, {"name": "x", "scopes": ["DROP TABLE"]},
                         headers=headers)
    assert body["errors"][0]["message"] == "Invalid scope: DROP TABLE"
    body = await gql_raw(client, CREATE_KEY, {"name": "x", "scopes": []})
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_nobody_revokes_another_users_key(client, services, user, new_client):
    headers = await bearer_for(client, user.email)
    created = (await gql(client, CREATE_KEY, {"name": "mine", "scopes": []},
                         headers=headers))["createApiKey"]
    await create_user(services, email="eve@example.com")
    eve = new_client()
    eve_headers = await bearer_for(eve, "eve@example.com")
    body = await gql_raw(eve, "mutation($id: ID!) { revokeApiKey(id: $id) { ok } }",
                         {"id": created["apiKey"]["id"]}, headers=eve_headers)
    assert error_codes(body) == ["NOT_FOUND"]
    viewer = (await gql(client, "{ viewer { kind } }",
                        headers={"Authorization": f"Bearer {created['secret']}"}))["viewer"]
    assert viewer == {"kind": "API_KEY"}


PRIVATE_PROFILE = """
query($id: ID!) { node(id: $id) { ... on User {
  profile { dateOfBirth learningGoal studyLevel grade } subjectPreferences } } }"""


async def test_profile_and_subject_preferences_are_for_self_and_admins(client, services, user):
    await create_user(services, email="bob@example.com", display_name="Bob")
    await create_user(services, email="root@example.com", roles=["PLATFORM_ADMIN"])
    async with services.db.transaction() as session:
        algebra, botany = Subject(name="Algebra"), Subject(name="Botany")
        session.add_all([algebra, botany])
        await session.flush()
        session.add_all([
            UserProfile(user_id=user.id, date_of_birth=date(2004, 5, 6),
                        learning_goal="ACADEMIC", study_level="UNDERGRADUATE", grade="JUNIOR"),
            UserSubjectPreference(user_id=user.id, subject_id=botany.id),
            UserSubjectPreference(user_id=user.id, subject_id=algebra.id)])
    private = {"profile": {"dateOfBirth": "2004-05-06", "learningGoal": "ACADEMIC",
                           "studyLevel": "UNDERGRADUATE", "grade": "JUNIOR"},
               "subjectPreferences": [relay.to_base64("Subject", algebra.id),
                                      relay.to_base64("Subject", botany.id)]}
    for email in (user.email, "root@example.com"):
        headers = await bearer_for(client, email)
        node = (await gql(client, PRIVATE_PROFILE, {"id": gid(user)}, headers=headers))["node"]
        assert node == private, email
    headers = await bearer_for(client, "bob@example.com")
    node = (await gql(client, PRIVATE_PROFILE, {"id": gid(user)}, headers=headers))["node"]
    assert node == {"profile": None, "subjectPreferences": None}
    anonymous = (await gql(client, PRIVATE_PROFILE, {"id": gid(user)}))["node"]
    assert anonymous == {"profile": None, "subjectPreferences": None}
