"""Standard introspection works: every default value can be printed, so generic clients
(GraphiQL, code generators, the Python ``gql`` client) can fetch the schema."""

from __future__ import annotations

from gql import Client
from gql import gql as gql_document
from gql.transport.httpx import HTTPXAsyncTransport
from graphql import get_introspection_query
from graphql.utilities import coerce_input_value

from schema import build_schema
from tests.fixtures import gql_raw

INPUT_DEFAULTS = "{ __schema { types { name inputFields { name defaultValue } } } }"
VIEWER = "query { viewer { kind } }"


async def test_the_full_standard_introspection_query_has_no_errors(client):
    body = await gql_raw(client, get_introspection_query(
        descriptions=True, specified_by_url=True, directive_is_repeatable=True,
        schema_description=True, input_value_deprecation=True))
    assert "errors" not in body, body["errors"][:2]
    types = {t["name"]: t for t in body["data"]["__schema"]["types"]}
    fields = {f["name"]: f for f in types["CreateContentItemInput"]["inputFields"]}
    assert fields["dataJson"]["defaultValue"].replace(" ", "") == "{}"
    assert fields["description"]["defaultValue"] == '""'


async def test_every_input_default_value_is_printable(client):
    body = await gql_raw(client, INPUT_DEFAULTS)
    assert "errors" not in body, body["errors"][:2]
    defaults = [f["defaultValue"] for t in body["data"]["__schema"]["types"]
                for f in t["inputFields"] or () if f["defaultValue"] is not None]
    assert "{}" in {d.replace(" ", "") for d in defaults} and "[]" in defaults


async def test_the_gql_client_fetches_the_schema_and_runs_a_query(client, server):
    transport = HTTPXAsyncTransport(url=server.base_url + "/graphql", timeout=10)
    async with Client(transport=transport, fetch_schema_from_transport=True) as session:
        result = await session.execute(gql_document(VIEWER))
        schema = session.client.schema
    assert result == {"viewer": {"kind": "ANONYMOUS"}}
    assert "CreateContentItemInput" in schema.type_map
    assert schema.type_map["CreateContentItemInput"].fields["dataJson"].type.of_type.name == "JSON"


def test_a_json_default_still_coerces_to_an_empty_object():
    input_type = build_schema()._schema.type_map["CreateContentItemInput"]
    value = coerce_input_value({"moduleId": "TW9kdWxlOjE=", "courseId": "Q291cnNlOjE=",
                                "contentTypeId": "Q29udGVudFR5cGU6MQ==", "title": "Intro"},
                               input_type)
    assert value["dataJson"] == {}
    assert value["description"] == ""
