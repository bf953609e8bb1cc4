"""Input bounds for GraphQL documents, string literals and variables (see core/input_bounds).

- A document longer than ``graphql_max_document_length`` characters is refused before it
  is parsed (lexing a long string literal costs CPU in proportion to its length).
- A string literal may not be longer than ``max_string_length`` or contain NUL.
- Each variable value is checked against the type it fills: strings up to
  ``max_string_length`` characters, or ``LONG_TEXT_LENGTH`` in input fields declared with
  ``long_text()`` (content bodies; they say so in their description); no NUL anywhere
  (keys included); integers within 64 bits; nesting up to ``MAX_DEPTH``.

Refusals are ``BAD_USER_INPUT`` errors that say where and which limit, never the value.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import (
    GraphQLError,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    OperationDefinitionNode,
    StringValueNode,
    Visitor,
    visit,
)
from graphql.utilities import type_from_ast
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter

from core.input_bounds import (
    LONG_TEXT_LENGTH,
    MAX_DEPTH,
    OutOfBounds,
    check_string,
    check_value,
    dotted,
)

MAX_LENGTH = "max_length"
LONG_TEXT_NOTE = f"Up to {LONG_TEXT_LENGTH // 1024 // 1024} MiB of text per string."


def long_text(*, description: str, **kwargs: Any) -> Any:
    """An input field whose strings may be up to ``LONG_TEXT_LENGTH`` characters long."""
    return strawberry.field(description=f"{description} {LONG_TEXT_NOTE}",
                            metadata={MAX_LENGTH: LONG_TEXT_LENGTH}, **kwargs)


def _file_or_error(value: Any) -> Any:
    if not callable(getattr(value, "read", None)):
        raise ValueError("Upload takes a file sent as a part of a multipart request")
    return value


# strawberry's Upload scalar passes on whatever it is given (a string in a JSON request
# reached the resolver as if it were a file); this one accepts only files.
FILE_UPLOAD = strawberry.scalar(name="Upload", description="Represents a file upload.",
                                serialize=lambda value: value, parse_value=_file_or_error)


def _refusal(message: str, exc: OutOfBounds | None = None, nodes=None) -> GraphQLError:
    extensions: dict[str, Any] = {"code": "BAD_USER_INPUT"}
    if exc is not None:
        extensions["reason"] = exc.kind
        if exc.limit is not None:
            extensions["limit"] = exc.limit
    return GraphQLError(message, nodes=nodes, extensions=extensions)


def _field_limit(field: GraphQLInputField, default: int) -> int:
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    metadata = getattr(definition, "metadata", None) or {}
    return max(metadata.get(MAX_LENGTH, default), default)


def check_typed(value: Any, type_: Any, *, max_length: int, path: tuple) -> None:
    """Check ``value`` as a value of the GraphQL input type ``type_``; input object fields
    may raise the string limit for what they hold."""
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if len(path) > MAX_DEPTH:
        raise OutOfBounds("depth", f"Value nested deeper than {MAX_DEPTH} levels", path,
                          MAX_DEPTH)
    if isinstance(type_, GraphQLList) and isinstance(value, list):
        for index, item in enumerate(value):
            check_typed(item, type_.of_type, max_length=max_length, path=(*path, index))
    elif isinstance(type_, GraphQLInputObjectType) and isinstance(value, dict):
        for key, inner in value.items():
            try:
                check_string(str(key))
            except OutOfBounds as exc:
                raise exc.at((*path, key)) from None
            field = type_.fields.get(key)
            if field is None:
                check_value(inner, max_length=max_length, path=(*path, key))
            else:
                check_typed(inner, field.type, max_length=_field_limit(field, max_length),
                            path=(*path, key))
    else:
        check_value(value, max_length=max_length, path=path)


def _operation(document, operation_name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    return operations[0] if len(operations) == 1 else None


class _Literals(Visitor):
    def __init__(self, max_length: int) -> None:
        super().__init__()
        self.max_length = max_length

    def enter_string_value(self, node: StringValueNode, *_args) -> None:
        try:
            check_string(node.value, max_length=self.max_length)
        except OutOfBounds as exc:
            raise _refusal(f"A string literal is out of bounds: {exc.message}.", exc,
                           nodes=[node]) from None


class InputBounds(SchemaExtension):
    def __init__(self, *, max_document_length: int, max_string_length: int) -> None:
        self.max_document_length = max_document_length
        self.max_string_length = max_string_length

    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.query is not None and len(ctx.query) > self.max_document_length:
            raise _refusal(
                f"The GraphQL document has {len(ctx.query)} characters, more than the limit "
                f"of {self.max_document_length}; send large values as variables.",
                OutOfBounds("document_too_long", "", limit=self.max_document_length))
        yield
        if ctx.graphql_document is not None:
            visit(ctx.graphql_document, _Literals(self.max_string_length))
            self._check_variables(ctx.graphql_document)

    def _check_variables(self, document) -> None:
        ctx = self.execution_context
        variables = ctx.variables or {}
        if not variables:
            return
        operation = _operation(document, ctx.operation_name)
        schema = ctx.schema._schema
        types = {}
        for definition in (operation.variable_definitions or ()) if operation else ():
            types[definition.variable.name.value] = type_from_ast(schema, definition.type)
        for name, value in variables.items():
            try:
                check_string(str(name))
                check_typed(value, types.get(name), max_length=self.max_string_length,
                            path=())
            except OutOfBounds as exc:
                where = dotted((f"${name}", *exc.path))
                raise _refusal(f"Variable '{where}' is out of bounds: {exc.message}.",
                               exc) from None
