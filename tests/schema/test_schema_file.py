"""schema.graphql is the exported SDL and must equal the code."""

from pathlib import Path

from schema import export_sdl

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_schema_graphql_matches_the_code():
    assert SCHEMA_FILE.read_text() == export_sdl(), (
        "schema.graphql is out of date: run `make schema` and commit the result")


def test_every_type_and_field_is_described():
    from graphql import GraphQLObjectType

    from schema import build_schema

    schema = build_schema()._schema
    missing = []
    for name, type_ in schema.type_map.items():
        if name.startswith("__") or not isinstance(type_, GraphQLObjectType):
            continue
        if name in ("Query", "Mutation", "Subscription", "PageInfo"):
            pass
        elif not type_.description:
            missing.append(name)
    assert not missing, f"types without a description: {missing}"
