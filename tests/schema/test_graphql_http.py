"""/graphql over HTTP: methods, GraphiQL, uploads with CSRF protection, limits, masking."""

from __future__ import annotations

import io
import json

import pytest
import strawberry

from core.config import Settings
from schema import build_schema
from schema.errors import ErrorShaping
from tests.fixtures import PASSWORD, create_user, error_codes, gql, gql_raw

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

UPLOAD_AVATAR = "mutation($file: Upload!) { uploadAvatar(file: $file) { user { avatarUrl } } }"


async def login_bearer(client, email="ada@example.com") -> dict:
    data = await gql(client, 'mutation($e: String!, $p: String!) { login(input: {email: $e, '
                             'password: $p}) { accessToken } }', {"e": email, "p": PASSWORD})
    client.cookies.clear()
    return {"Authorization": f"Bearer {data['login']['accessToken']}"}


async def test_queries_work_over_get(client):
    response = await client.get("/graphql", params={"query": "{ viewer { kind } }"})
    assert response.status_code == 200
    assert response.json()["data"] == {"viewer": {"kind": "ANONYMOUS"}}


async def test_mutations_are_refused_over_get(client, user):
    response = await client.get("/graphql", params={"query": "mutation { logout { ok } }"})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json() == {"errors": [{
        "message": "mutations are not allowed when using GET",
        "extensions": {"code": "METHOD_NOT_ALLOWED"}}]}


@pytest.mark.parametrize(("content", "content_type", "message"), [
    ("not json", "application/json", "Unable to parse request body as JSON"),
    ('{"query": 5}', "application/json",
     "The GraphQL operation's `query` must be a string or null, if provided."),
    ('{"query": "{ __typename }", "variables": [1]}', "application/json",
     "The GraphQL operation's `variables` must be an object or null, if provided."),
    ("{}", "application/json", "No GraphQL query found in the request"),
    ('[{"query": "{ __typename }"}]', "application/json", "Batching is not enabled"),
    ("<query/>", "text/xml", "Unsupported content type"),
])
@pytest.mark.parametrize("accept", ["application/json", "application/graphql-response+json"])
async def test_what_is_not_a_graphql_request_gets_a_graphql_error(
        client, content, content_type, message, accept):
    response = await client.post("/graphql", content=content, headers={
        "content-type": content_type, "accept": accept})
    assert response.status_code == 400
    assert response.headers["content-type"] == accept
    assert response.json() == {"errors": [{"message": message,
                                           "extensions": {"code": "BAD_REQUEST"}}]}


async def test_a_method_graphql_does_not_take_is_a_405_that_says_which_it_takes(client):
    response = await client.request("PUT", "/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert response.json() == {"errors": [{
        "message": "GraphQL only supports GET and POST requests.",
        "extensions": {"code": "METHOD_NOT_ALLOWED"}}]}


async def test_browsers_get_the_self_hosted_graphiql(client):
    response = await client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "learngraph — GraphiQL" in response.text
    assert "https://" not in response.text and "http://" not in response.text
    asset = await client.get("/graphql/static/graphiql.min.js")
    assert asset.status_code == 200
    assert len(asset.content) > 100_000


async def test_every_response_reports_its_cost(client):
    body = await gql_raw(client, "{ viewer { id kind } }")
    assert body["extensions"]["cost"] == {"requestedQueryCost": 3, "maximumAvailable": 5000}


def multipart(query: str, variables: dict, file_bytes: bytes, filename: str = "me.png"):
    operations = json.dumps({"query": query, "variables": variables})
    return {"operations": operations, "map": json.dumps({"0": ["variables.file"]})}, {
        "0": (filename, io.BytesIO(file_bytes), "image/png")}


async def test_multipart_upload_stores_the_avatar(client, user):
    headers = await login_bearer(client)
    data, files = multipart(UPLOAD_AVATAR, {"file": None}, PNG)
    response = await client.post("/graphql", data=data, files=files,
                                 headers={**headers, "X-CSRF-Token": "1"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body
    url = body["data"]["uploadAvatar"]["user"]["avatarUrl"]
    assert url.startswith(f"{client.base_url}/files/avatars/{user.id}-") and url.endswith(".png")
    served = await client.get(url)
    assert served.status_code == 200
    assert served.content == PNG
    me = await gql(client, "{ viewer { user { avatarUrl } } }", headers=headers)
    assert me["viewer"]["user"]["avatarUrl"] == url


async def test_multipart_without_csrf_header_is_refused(client, user):
    headers = await login_bearer(client)
    data, files = multipart(UPLOAD_AVATAR, {"file": None}, PNG)
    response = await client.post("/graphql", data=data, files=files, headers=headers)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "CSRF_REJECTED"
    me = await gql(client, "{ viewer { user { avatarUrl } } }", headers=headers)
    assert me["viewer"]["user"]["avatarUrl"] == ""


async def test_upload_rejects_files_that_are_not_images(client, user):
    headers = await login_bearer(client)
    data, files = multipart(UPLOAD_AVATAR, {"file": None}, b"<svg onload=alert(1)>")
    response = await client.post("/graphql", data=data, files=files,
                                 headers={**headers, "X-CSRF-Token": "1"})
    body = response.json()
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == "Avatar must be a PNG, JPEG, GIF or WebP image"


async def test_upload_requires_authentication(client):
    data, files = multipart(UPLOAD_AVATAR, {"file": None}, PNG)
    response = await client.post("/graphql", data=data, files=files,
                                 headers={"X-CSRF-Token": "1"})
    assert error_codes(response.json()) == ["UNAUTHENTICATED"]


# --- abuse limits --------------------------------------------------------------------------

async def test_depth_over_the_limit_is_refused():
    schema = build_schema(Settings(graphql_max_depth=1))
    result = await schema.execute("{ viewer { user { id } } }")
    assert result.data is None
    assert "exceeds maximum operation depth" in result.errors[0].message
    assert (await schema.execute("{ __typename }")).errors is None


async def test_alias_limit(client):
    fields = " ".join(f"a{i}: viewer {{ kind }}" for i in range(16))
    body = await gql_raw(client, "{ " + fields + " }")
    assert body["data"] is None
    assert "aliases" in body["errors"][0]["message"].lower()
    fields = " ".join(f"a{i}: viewer {{ kind }}" for i in range(15))
    assert (await gql_raw(client, "{ " + fields + " }")).get("errors") is None


async def test_token_limit(client):
    fields = " ".join("kind" for _ in range(2100))
    body = await gql_raw(client, "{ viewer { " + fields + " } }")
    assert body["data"] is None
    assert "token" in body["errors"][0]["message"].lower()


async def test_cost_limit_refuses_before_running(client, services):
    await create_user(services, email="root@example.com", roles=["PLATFORM_ADMIN"])
    headers = await login_bearer(client, "root@example.com")
    page = "users(first: 100) { edges { node { id displayName avatarUrl roles email } } }"
    cheap = await gql_raw(client, "{ " + page + " }", headers=headers)
    assert cheap.get("errors") is None
    assert cheap["extensions"]["cost"]["requestedQueryCost"] == 1 + 100 * (1 + 1 + 5)
    expensive = "{ " + " ".join(f"p{i}: {page}" for i in range(8)) + " }"
    body = await gql_raw(client, expensive, headers=headers)
    assert body["data"] is None
    assert error_codes(body) == ["QUERY_TOO_COSTLY"]
    assert body["errors"][0]["extensions"]["cost"] == 8 * 701


async def test_cost_counts_variables(client, services):
    await create_user(services, email="root@example.com", roles=["PLATFORM_ADMIN"])
    headers = await login_bearer(client, "root@example.com")
    query = "query($n: Int) { users(first: $n) { edges { node { id } } } }"
    body = await gql_raw(client, query, {"n": 50}, headers=headers)
    assert body["extensions"]["cost"]["requestedQueryCost"] == 1 + 50 * 3


async def test_field_suggestions_are_hidden(client):
    body = await gql_raw(client, "{ viewr { kind } }")
    message = body["errors"][0]["message"]
    assert "Cannot query field 'viewr'" in message
    assert "Did you mean" not in message
    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_introspection_can_be_turned_off():
    query = "{ __schema { queryType { name } } }"
    on = await build_schema(Settings(graphql_introspection=True)).execute(query)
    assert on.errors is None and on.data == {"__schema": {"queryType": {"name": "Query"}}}
    off = await build_schema(Settings(graphql_introspection=False)).execute(query)
    assert off.errors and "introspection" in off.errors[0].message.lower()


# --- error masking -------------------------------------------------------------------------

@strawberry.type
class _Broken:
    @strawberry.field
    def explode(self) -> str:
        raise RuntimeError("SELECT secret FROM users -- internal detail")


async def test_unexpected_errors_are_masked_with_a_request_id(caplog):
    schema = strawberry.Schema(query=_Broken, extensions=[ErrorShaping])

    class Ctx:
        request_id = "req-123"

    result = await schema.execute("{ explode }", context_value=Ctx())
    [error] = result.errors
    assert error.message == "Internal server error"
    assert error.extensions == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-123"}
    assert "SELECT" not in str(error.formatted)
    assert "req-123" in caplog.text and "SELECT secret" in caplog.text


@pytest.mark.parametrize("first", [0, 101, -1])
async def test_connections_bound_first(client, services, first):
    await create_user(services, email="root@example.com", roles=["PLATFORM_ADMIN"])
    headers = await login_bearer(client, "root@example.com")
    body = await gql_raw(client, f"{{ users(first: {first}) {{ edges {{ node {{ id }} }} }} }}",
                         headers=headers)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert "between 1 and 100" in body["errors"][0]["message"]


@pytest.mark.parametrize("name", ["Missing", ["x"]])
async def test_an_operation_name_the_document_lacks_is_a_request_error(client, name):
    response = await client.post("/graphql", json={"query": "query Here { __typename }",
                                                   "operationName": name})
    assert response.status_code == 400
    assert response.json() == {"errors": [{"message": f'Unknown operation named "{name}".',
                                           "extensions": {"code": "BAD_REQUEST"}}]}
