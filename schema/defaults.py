"""Default values that introspection can print.

graphql-core prints a default value for ``__InputValue.defaultValue`` only when it is a
plain scalar; a JSON default such as ``dataJson: JSON! = {}`` makes it raise, and with it
the whole standard introspection query that GraphiQL and client generators send. After the
schema is built, each such default is also kept as the literal the SDL shows, which
graphql-core both prints and coerces to the same value.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import (
    GraphQLArgument,
    GraphQLDefaultInput,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    Undefined,
)
from graphql.utilities import get_default_value_ast
from strawberry.printer.ast_from_value import ast_from_value


def _inputs(schema: GraphQLSchema) -> Iterator[GraphQLArgument | GraphQLInputField]:
    for type_ in schema.type_map.values():
        if isinstance(type_, GraphQLInputObjectType):
            yield from type_.fields.values()
        elif isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            for field in type_.fields.values():
                yield from field.args.values()
    for directive in schema.directives:
        yield from directive.args.values()


def make_defaults_printable(schema: GraphQLSchema) -> None:
    """Store every default that graphql-core cannot print as its SDL literal."""
    for value in _inputs(schema):
        if value.default_value is Undefined:
            continue
        try:
            get_default_value_ast(value)
        except TypeError:
            # Introspection and coercion read ``default`` first; the SDL printer still
            # prints ``default_value``.
            value.default = GraphQLDefaultInput(
                literal=ast_from_value(value.default_value, value.type))
