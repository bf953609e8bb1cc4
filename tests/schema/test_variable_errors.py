"""Request-level GraphQL errors (bad variable values) are the client's mistake: they are
answered as BAD_USER_INPUT with their message, and not logged as server errors."""

from __future__ import annotations

import logging

from graphql import GraphQLError

from schema.errors import shape_error
from tests.fixtures import create_user, error_codes, gql_raw
from tests.schema.test_graphql_http import login_bearer

OVERVIEW = "query($d: Date) { adminAnalytics { overview(dateFrom: $d) { __typename } } }"


async def test_a_variable_that_is_not_a_date_is_bad_user_input(client, services, caplog):
    await create_user(services, email="root@example.com", roles=["PLATFORM_ADMIN"])
    headers = await login_bearer(client, "root@example.com")
    with caplog.at_level(logging.INFO, logger="learngraph.graphql"):
        body = await gql_raw(client, OVERVIEW, {"d": "not-a-date"}, headers=headers)
    assert body.get("data") is None
    assert error_codes(body) == ["BAD_USER_INPUT"]
    [error] = body["errors"]
    assert "$d" in error["message"] and "not-a-date" in error["message"]
    assert "requestId" not in error["extensions"]
    assert not [r for r in caplog.records
                if r.name == "learngraph.graphql" and r.levelno >= logging.ERROR]
    good = await gql_raw(client, OVERVIEW, {"d": "2026-01-01"}, headers=headers)
    assert good.get("errors") is None, good


async def test_wrong_or_missing_variables_are_bad_user_input(client):
    query = "query($b: Boolean!) { viewer @include(if: $b) { kind } }"
    body = await gql_raw(client, query, {"b": "yes"})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"].startswith("Variable '$b'")
    body = await gql_raw(client, query, {})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == (
        "Variable '$b' has invalid value: Expected a value of non-null type 'Boolean!' "
        "to be provided.")
    assert (await gql_raw(client, query, {"b": True}))["data"] == {"viewer": {"kind": "ANONYMOUS"}}


def test_an_error_at_a_path_without_a_domain_cause_is_still_masked(caplog):
    error = GraphQLError("boom", path=["viewer"], original_error=RuntimeError("boom"))
    with caplog.at_level(logging.ERROR, logger="learngraph.graphql"):
        shaped = shape_error(error, "req-1")
    assert shaped.message == "Internal server error"
    assert shaped.extensions == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-1"}
    assert len(caplog.records) == 1


async def test_the_clients_own_errors_make_no_error_log(client, services, caplog):
    await create_user(services, email="root@example.com", roles=["PLATFORM_ADMIN"])
    headers = await login_bearer(client, "root@example.com")
    with caplog.at_level(logging.INFO):
        missing = await gql_raw(client, 'query { node(id: "TW9kdWxlOjk5OTk5") { id } }',
                                headers=headers)
        typo = await gql_raw(client, "query { viewr { kind } }")
        denied = await gql_raw(client, OVERVIEW, {"d": "2026-01-01"})
        bad_date = await gql_raw(client, OVERVIEW, {"d": "not-a-date"}, headers=headers)

    assert missing["data"] == {"node": None}
    assert typo["errors"][0]["message"] == "Cannot query field 'viewr' on type 'Query'."
    assert error_codes(denied) == ["UNAUTHENTICATED"]
    assert error_codes(bad_date) == ["BAD_USER_INPUT"]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
