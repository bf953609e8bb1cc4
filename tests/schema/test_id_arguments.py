"""Every query and mutation that takes an ID answers a malformed one with BAD_USER_INPUT, a
NOT_FOUND or null, and every one answers strings longer than its columns hold with an error
of the client's, never INTERNAL_SERVER_ERROR: the schema is walked, so fields added later
are covered too."""

from __future__ import annotations

import logging

import httpx
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    Undefined,
    get_named_type,
)
from strawberry import relay

from schema import build_schema
from tests.fixtures import bearer_for, create_user, error_codes, gql_raw

BAD_IDS = ["", "nope", "Zm9v", relay.to_base64("Course", "abc"), relay.to_base64("Nope", "1"),
           relay.to_base64("Course", "99999999999999999999"), relay.to_base64("User", "1"),
           "x" * 5000]
SCALARS = {"String": "x", "Int": 1, "Float": 1.0, "Boolean": True, "JSON": {},
           "Date": "2026-01-01", "DateTime": "2026-01-01T00:00:00Z"}


def _sample(type_, bad_id: str, depth: int = 0, *, every_field: bool = False,
            text: str = "x"):
    if isinstance(type_, GraphQLNonNull):
        return _sample(type_.of_type, bad_id, depth, every_field=every_field, text=text)
    if isinstance(type_, GraphQLList):
        return [_sample(type_.of_type, bad_id, depth, every_field=every_field, text=text)]
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        return {name: _sample(field.type, bad_id, depth + 1, every_field=every_field, text=text)
                for name, field in type_.fields.items()
                if depth < 3 and (every_field or _takes_id(field.type) or (
                    isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined
                    and field.default is None))}
    if isinstance(type_, GraphQLScalarType) and type_.name == "ID":
        return bad_id
    if type_.name == "String":
        return text
    return SCALARS.get(type_.name, "x")


def _takes_id(type_, depth: int = 0) -> bool:
    named = get_named_type(type_)
    if isinstance(named, GraphQLScalarType):
        return named.name == "ID"
    if isinstance(named, GraphQLInputObjectType) and depth < 3:
        return any(_takes_id(f.type, depth + 1) for f in named.fields.values())
    return False


def _fields_taking_ids():
    schema = build_schema()._schema
    for operation, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        for name, field in root.fields.items():
            if any(_takes_id(arg.type) for arg in field.args.values()):
                yield operation, name, field


def _document(operation: str, name: str, field, *, every_argument: bool = False) -> str:
    args = [(arg_name, arg) for arg_name, arg in field.args.items()
            if every_argument or isinstance(arg.type, GraphQLNonNull) or _takes_id(arg.type)]
    variables = ", ".join(f"${a}: {arg.type}" for a, arg in args)
    call = ", ".join(f"{a}: ${a}" for a, _ in args)
    leaf = isinstance(get_named_type(field.type), GraphQLScalarType | GraphQLEnumType)
    selection = "" if leaf else " { __typename }"
    if not args:
        return f"{operation} {{ {name}{selection} }}"
    return f"{operation}({variables}) {{ {name}({call}){selection} }}"


async def test_no_field_taking_an_id_fails_on_a_malformed_one(client, services, caplog):
    admin = await create_user(services, email="root@example.com", roles=["PLATFORM_ADMIN"])
    headers = await bearer_for(services, admin)
    client.timeout = httpx.Timeout(60)  # some fields call the (fake) LLM; a busy machine is slow
    failures = []
    fields = list(_fields_taking_ids())
    assert len(fields) > 40
    with caplog.at_level(logging.ERROR):
        for operation, name, field in fields:
            document = _document(operation, name, field)
            for bad_id in BAD_IDS:
                variables = {a: _sample(arg.type, bad_id) for a, arg in field.args.items()
                             if isinstance(arg.type, GraphQLNonNull) or _takes_id(arg.type)}
                body = await gql_raw(client, document, variables, headers=headers)
                codes = error_codes(body)
                if "INTERNAL_SERVER_ERROR" in codes or any(
                        len(e["message"]) > 500 for e in body.get("errors") or ()):
                    failures.append((name, bad_id[:20], body["errors"][0]["message"][:120]))
    assert failures == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_no_field_fails_on_strings_longer_than_its_columns(client, services, caplog):
    admin = await create_user(services, email="root@example.com", roles=["PLATFORM_ADMIN"])
    headers = await bearer_for(services, admin)
    client.timeout = httpx.Timeout(60)
    schema = build_schema()._schema
    failures = []
    with caplog.at_level(logging.ERROR):
        for operation, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
            for name, field in root.fields.items():
                if name == "logout":  # would end the session the rest of the walk uses
                    continue
                variables = {a: _sample(arg.type, "1", every_field=True, text="x" * 5000)
                             for a, arg in field.args.items()}
                document = _document(operation, name, field, every_argument=True)
                body = await gql_raw(client, document, variables, headers=headers)
                if "INTERNAL_SERVER_ERROR" in error_codes(body):
                    failures.append(name)
    assert failures == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
