"""GraphQL input bounds: long documents, literals and variables are refused cheaply with a
short answer; NUL characters, integers past 64 bits and deep nesting are BAD_USER_INPUT;
an error never quotes more than a prefix of what it was sent."""

from __future__ import annotations

import gc
import logging
import time

import orjson
import pytest

from core.errors import Conflict, NotFound, Validation
from core.input_bounds import DEFAULT_MAX_STRING_LENGTH, MAX_MESSAGE_LENGTH, OutOfBounds
from schema import build_schema
from schema.input_bounds import check_typed
from tests.fixtures import bearer_for, create_user, error_codes, gql_raw
from tests.ws import PROTOCOLS, TRANSPORT_WS, graphql_ws

ROLE_LITERAL = '{ role(id: "%s") { id } }'
ROLE = "query($id: String!) { role(id: $id) { id } }"
UPDATE_ME = "mutation($input: UpdateMeInput!) { updateMe(input: $input) { user { id } } }"
SET_KEY = """
mutation($input: AnthropicKeyInput!) { setAnthropicKey(input: $input) { maskedKey } }"""
SUBMIT_REQUEST = """
mutation($input: SubmitFeatureRequestInput!) {
  submitFeatureRequest(input: $input) { featureRequest { number } } }"""
CREATE_ITEM = """
mutation($input: CreateContentItemInput!) {
  createContentItem(input: $input) { contentItem { id } } }"""
TWO_MB = "A" * (2 * 1024 * 1024)


async def _timed(client, payload: dict) -> tuple[float, bytes]:
    """The test process's CPU for one request (the app's), after a garbage collection:
    not a collection of what earlier tests left, which could fall in it."""
    gc.collect()
    started = time.process_time()
    response = await client.post("/graphql", json=payload)
    return time.process_time() - started, response.content


def _only_error(body: dict) -> dict:
    assert body.get("data") is None, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    return error


async def test_a_2mb_literal_is_refused_before_parsing(client):
    await _timed(client, {"query": "{ __typename }"})  # warm the connection
    cpu, content = await _timed(client, {"query": ROLE_LITERAL % TWO_MB})
    assert cpu < 0.05, cpu
    assert len(content) < 1024
    error = _only_error(orjson.loads(content))
    assert error["message"] == (
        "The GraphQL document has 2097175 characters, more than the limit of 131072; "
        "send large values as variables.")
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "reason": "document_too_long",
                                   "limit": 131072}


async def test_a_2mb_variable_is_refused(client):
    await _timed(client, {"query": "{ __typename }"})
    cpu, content = await _timed(client, {"query": ROLE, "variables": {"id": TWO_MB}})
    assert cpu < 0.05, cpu
    assert len(content) < 1024
    error = _only_error(orjson.loads(content))
    assert error["message"] == ("Variable '$id' is out of bounds: String of 2097152 characters "
                                "is longer than the limit of 65536.")
    assert error["extensions"]["limit"] == DEFAULT_MAX_STRING_LENGTH


async def test_a_literal_over_the_string_limit_inside_a_short_document(client):
    body = await gql_raw(client, ROLE_LITERAL % ("A" * 70_000))
    error = _only_error(body)
    assert error["message"] == ("A string literal is out of bounds: String of 70000 characters "
                                "is longer than the limit of 65536.")
    assert error["locations"] == [{"line": 1, "column": 12}]


async def test_a_string_within_the_limit_is_served_and_quoted_only_in_part(client):
    body = await gql_raw(client, ROLE, {"id": "A" * 60_000})
    assert error_codes(body) == ["NOT_FOUND"]
    assert body["errors"][0]["message"] == "Role not found: " + "A" * 100 + "…"
    # The same message on the REST face, and an id just at the prefix's length whole.
    response = await client.get(f"/api/roles/{'B' * 5000}/concepts")
    assert response.json() == {"detail": "Role not found: " + "B" * 100 + "…"}
    response = await client.get(f"/api/roles/{'C' * 100}/concepts")
    assert response.json() == {"detail": "Role not found: " + "C" * 100}


def test_every_value_a_domain_error_quotes_is_cut_to_a_prefix():
    long = "x" * 300
    cases = [
        (NotFound(f"Role not found: {long}"), "Role not found: " + "x" * 100 + "…"),
        (NotFound(f"No user with email {long}@example.com"),
         "No user with email " + "x" * 100 + "…"),
        (Validation(f"Prompt not found: '{'a b ' * 80}' version 3"),
         "Prompt not found: '" + "a b " * 25 + "…' version 3"),
        (Validation(f"Unknown time zone: {long!r} (use an IANA name)"),
         f"Unknown time zone: '{'x' * 100}…' (use an IANA name)"),
        (Conflict(f"Label 'a' of prompt '{long}' is used by '{long}'"),
         f"Label 'a' of prompt '{'x' * 100}…' is used by '{'x' * 100}…'"),
        (NotFound("Prompt not found: 'Video Tutor' version 9"),
         "Prompt not found: 'Video Tutor' version 9"),
    ]
    for error, expected in cases:
        assert error.message == expected
    # However many values, the whole message stays short.
    assert len(Validation(" ".join([long] * 100)).message) == MAX_MESSAGE_LENGTH


async def test_nul_characters_are_refused_everywhere(client, services, caplog):
    user = await create_user(services)
    headers = await bearer_for(services, user)
    cases = [
        ('mutation { updateMe(input: {fullName: "a\\u0000b"}) { user { id } } }', {},
         "A string literal is out of bounds: Strings cannot contain NUL (\\u0000) characters."),
        (UPDATE_ME, {"input": {"fullName": "a\x00b"}},
         "Variable '$input.fullName' is out of bounds: Strings cannot contain NUL (\\u0000) "
         "characters."),
        (SET_KEY, {"input": {"apiKey": "sk-ant-\x00"}},
         "Variable '$input.apiKey' is out of bounds: Strings cannot contain NUL (\\u0000) "
         "characters."),
        (SUBMIT_REQUEST, {"input": {"title": "Dark mode", "description": "x\x00"}},
         "Variable '$input.description' is out of bounds: Strings cannot contain NUL "
         "(\\u0000) characters."),
        (CREATE_ITEM, {"input": {"moduleId": "x", "courseId": "x", "contentTypeId": "x",
                                 "title": "t", "dataJson": {"k\x00": 1}}},
         "Variable '$input.dataJson.k\x00' is out of bounds: Strings cannot contain NUL "
         "(\\u0000) characters."),
    ]
    with caplog.at_level(logging.ERROR):
        for document, variables, message in cases:
            error = _only_error(await gql_raw(client, document, variables, headers=headers))
            assert error["message"] == message
            assert error["extensions"]["reason"] == "nul"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_integers_past_64_bits_and_deep_nesting_in_json(client):
    item = {"moduleId": "x", "courseId": "x", "contentTypeId": "x", "title": "t"}
    error = _only_error(await gql_raw(client, CREATE_ITEM, {
        "input": {**item, "dataJson": {"n": [2**63]}}}))
    assert error["message"] == ("Variable '$input.dataJson.n[0]' is out of bounds: Integer "
                                "'9223372036854775808' does not fit in 64 bits.")
    nested: list = []
    for _ in range(40):
        nested = [nested]
    error = _only_error(await gql_raw(client, CREATE_ITEM, {
        "input": {**item, "dataJson": {"n": nested}}}))
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "reason": "depth", "limit": 32}


async def test_json_nested_past_the_parser_limit_is_a_400(client, caplog):
    deep = "[" * 5000 + "]" * 5000
    with caplog.at_level(logging.ERROR):
        response = await client.post(
            "/graphql", content='{"query": "{ __typename }", "variables": {"a": ' + deep + "}}",
            headers={"content-type": "application/json"})
        literal = await gql_raw(client, "{ node(id: " + "[" * 900 + "]" * 900 + ") { id } }")
    assert response.status_code == 400
    assert response.json() == {"errors": [{"message": "Unable to parse request body as JSON",
                                           "extensions": {"code": "BAD_REQUEST"}}]}
    assert literal["data"] is None and "nested too deeply" in literal["errors"][0]["message"]
    assert error_codes(literal) == ["GRAPHQL_PARSE_FAILED"]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_content_bodies_take_long_text_and_other_fields_do_not():
    type_ = build_schema()._schema.type_map["CreateContentItemInput"]
    long_body = "x" * 500_000
    check_typed({"title": "t", "dataJson": {"body": long_body}}, type_, max_length=65536,
                path=())
    with pytest.raises(OutOfBounds) as refused:
        check_typed({"title": long_body}, type_, max_length=65536, path=())
    assert refused.value.path == ("title",) and refused.value.limit == 65536
    with pytest.raises(OutOfBounds):
        check_typed({"dataJson": {"body": "x" * (1024 * 1024 + 1)}}, type_, max_length=65536,
                    path=())


async def test_errors_raised_while_parsing_carry_a_code(client):
    syntax = await gql_raw(client, "{ viewer {")
    assert syntax["errors"] == [{"message": "Syntax Error: Expected Name, found <EOF>.",
                                 "locations": [{"line": 1, "column": 11}],
                                 "extensions": {"code": "GRAPHQL_PARSE_FAILED"}}]
    many = await gql_raw(client, "{ " + "__typename " * 3000 + "}")
    assert error_codes(many) == ["GRAPHQL_PARSE_FAILED"]


async def test_a_string_longer_than_its_column_is_bad_user_input(client, services, caplog):
    admin = await create_user(services, email="root@example.com", roles=["PLATFORM_ADMIN"])
    headers = await bearer_for(services, admin)
    create = "mutation($input: CreateSubjectInput!) { createSubject(input: $input) { __typename } }"
    with caplog.at_level(logging.ERROR):
        body = await gql_raw(client, create, {"input": {"name": "x" * 5000}}, headers=headers)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == (
        "Invalid value: value too long for type character varying(120)")
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_an_upload_argument_takes_only_files(client, services):
    user = await create_user(services)
    headers = await bearer_for(services, user)
    body = await gql_raw(client, "mutation($f: Upload!) { uploadAvatar(file: $f) { __typename } }",
                         {"f": "not a file"}, headers=headers)
    error = _only_error(body)
    assert error["message"] == (
        "Variable '$f' has invalid value: Expected value of type 'Upload', but encountered "
        "error 'Upload takes a file sent as a part of a multipart request'; found: 'not a file'.")



async def test_a_websocket_message_nested_past_the_parser_limit_closes_cleanly(server, caplog):
    with caplog.at_level(logging.ERROR):
        async with graphql_ws(server.ws_url, TRANSPORT_WS) as ws:
            assert (await ws.init())["type"] == "connection_ack"
            await ws.conn.send('{"type": "ping", "payload": ' + "[" * 5000 + "]" * 5000 + "}")
            closed = await ws.closed()
    assert closed.code == 4400
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_subscription_over_the_bounds_is_refused_with_its_error(server, caplog):
    document = "subscription($id: ID!) { chatEvents(sessionId: $id) { __typename } }"
    with caplog.at_level(logging.ERROR):
        for protocol in PROTOCOLS:
            async with graphql_ws(server.ws_url, protocol) as ws:
                assert (await ws.init())["type"] == "connection_ack"
                await ws.subscribe("big", document, {"id": "A" * 2_000_000})
                [error] = (await ws.next_payload("big", within=10))["errors"]
                assert error["extensions"]["code"] == "BAD_USER_INPUT"
                assert error["message"] == ("Variable '$id' is out of bounds: String of "
                                            "2000000 characters is longer than the limit of "
                                            "65536.")
                await ws.subscribe("long", "subscription { " + " " * 200_000 + "__typename }")
                [error] = (await ws.next_payload("long", within=10))["errors"]
                assert (error["extensions"]["code"], error["extensions"]["reason"]) == (
                    "BAD_USER_INPUT", "document_too_long")
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
