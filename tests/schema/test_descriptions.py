"""The schema documents itself: every argument, input field and enum value has a
description. The ones not written yet are listed in ``undescribed.txt``; the list only
shrinks (a described one must leave it, a new one cannot join it)."""

from __future__ import annotations

from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
)

from schema import build_schema

UNDESCRIBED = Path(__file__).with_name("undescribed.txt")


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


def listed() -> set[str]:
    return {line.strip() for line in UNDESCRIBED.read_text().splitlines() if line.strip()}


def test_every_argument_input_field_and_enum_value_is_described_or_listed():
    missing = undescribed()
    assert not missing - listed(), f"describe these: {sorted(missing - listed())}"
    assert not listed() - missing, f"described now, take them off {UNDESCRIBED.name}: " \
                                   f"{sorted(listed() - missing)}"


def test_enum_values_and_shared_arguments_are_all_described():
    missing = undescribed()
    assert not {m for m in missing if "(" not in m and m.split(".")[1].isupper()}
    assert not {m for m in missing
                if m.endswith(("(first)", "(after)", "(last)", "(before)", "(input)"))}
