"""The schema documents itself: every argument, input field and enum value has a
description (a walk of the schema fails on any without one)."""

from __future__ import annotations

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
)

from schema import build_schema, descriptions


def undescribed() -> set[str]:
    """Arguments (``Type.field(arg)``), input fields (``Input.field``) and enum values
    (``Enum.VALUE``) without a description."""
    missing = set()
    for name, named in build_schema()._schema.type_map.items():
        if name.startswith("__"):
            continue
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            missing |= {f"{name}.{field}({arg})" for field, f in named.fields.items()
                        for arg, a in f.args.items() if not a.description}
        elif isinstance(named, GraphQLInputObjectType):
            missing |= {f"{name}.{field}" for field, f in named.fields.items()
                        if not f.description}
        elif isinstance(named, GraphQLEnumType):
            missing |= {f"{name}.{value}" for value, v in named.values.items()
                        if not v.description}
    return missing


def test_every_argument_input_field_and_enum_value_is_described():
    assert undescribed() == set()


def test_shared_descriptions_follow_the_names():
    schema = build_schema()._schema
    mutation, query = schema.mutation_type.fields, schema.query_type.fields
    assert mutation["deleteCourse"].args["id"].description == "The ID of the course to delete."
    assert mutation["revokeApiKey"].args["id"].description == "The ID of the API key to revoke."
    assert query["myContentProgress"].args["courseOfferingId"].description == (
        "The course offering's ID.")
    assert query["courses"].args["first"].description == descriptions.PAGING["first"]
    update = schema.type_map["UpdateCourseInput"].fields
    create = schema.type_map["CreateCourseInput"].fields
    assert update["id"].description == "The ID of the course to change."
    assert update["title"].description == create["title"].description == "The course's title."
    # A description written in place is kept.
    assert query["codelabExport"].args["id"].description == "The codelab."


@pytest.mark.parametrize("table,key", [("ARGUMENTS", "Query.noSuchField(id)"),
                                       ("INPUT_FIELDS", "CreateCourseInput.noSuchField")])
def test_a_table_entry_that_names_nothing_stops_the_build(monkeypatch, table, key):
    monkeypatch.setitem(getattr(descriptions, table), key, "Nothing.")
    with pytest.raises(LookupError, match=key.replace("(", r"\(").replace(")", r"\)")):
        build_schema()
