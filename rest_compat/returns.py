"""What a route answers on success, for the OpenAPI document (``Route.returns``).

A face renders its JSON with plain functions over rows (``shapes.university(row)``), so a
route's schema is taken from the function itself: ``rendered`` calls it on sample rows of
the models it reads, once with every nullable column set and once with each null, and
the schema is what those two answers show (``openapi.schema_of``). A new key in a
renderer is in the document the next time it is built; the tests validate live answers
against it. Answers built from a resolver's dataclass (``asdict(result)``) take the
dataclass's schema (``fields_of``); a few literal bodies are written out (``obj``).
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from typing import Any

from pydantic import TypeAdapter

from models.samples import ANY, sample

STRING: dict = {"type": "string"}
INTEGER: dict = {"type": "integer"}
NUMBER: dict = {"type": "number"}
BOOLEAN: dict = {"type": "boolean"}
NO_BODY = None


@dataclasses.dataclass(frozen=True)
class Body:
    """A body that is not JSON: its media type and a schema of it."""

    media_type: str
    schema: dict


ZIP = Body("application/zip", {"type": "string", "contentEncoding": "binary",
                              "description": "A zip archive (Content-Disposition names it)."})

# A body is a JSON Schema, a function building one (built once, when the document is), a
# non-JSON ``Body``, or ``NO_BODY``.
Returns = dict | Callable[[], dict] | Body | None

def rendered(render: Callable[..., Any], *models: type | Callable[[bool], Any],
             **keywords: Any) -> Callable[[], dict]:
    """The schema of what ``render`` answers for rows of ``models`` (a model class, or a
    function of ``null`` building the argument), with ``keywords`` passed as they are."""
    from rest_compat.openapi import schema_of

    def build() -> dict:
        answers = []
        for null in (False, True):
            rows = [sample(m, null=null) if isinstance(m, type) else m(null)
                    for m in models]
            answers.append(_any_as_null(render(*rows, **keywords)))
        return schema_of(answers)

    return build


def _any_as_null(value: Any) -> Any:
    # openapi.schema_of leaves a value shown only as null untyped.
    if value is ANY:
        return None
    if isinstance(value, dict):
        return {k: _any_as_null(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_any_as_null(v) for v in value]
    return value


def array(items: dict | Callable[[], dict]) -> Callable[[], dict]:
    """A JSON array of ``items``."""
    return lambda: {"type": "array", "items": resolve(items)}


def obj(**properties: dict | Callable[[], dict]) -> Callable[[], dict]:
    """A JSON object with exactly these (required) properties."""
    return lambda: {"type": "object", "required": list(properties),
                    "properties": {k: resolve(v) for k, v in properties.items()}}


def any_of(*schemas: dict | Callable[[], dict]) -> Callable[[], dict]:
    return lambda: {"anyOf": [resolve(s) for s in schemas]}


def documented(platform: str, method: str, path: str) -> Callable[[], dict]:
    """The schema of another operation's documented success examples (the same shape)."""
    from rest_compat.openapi import _shape, documented_responses, schema_of

    def build() -> dict:
        entries = documented_responses()[(platform, method, _shape(path))]
        return schema_of([e["example"] for e in entries
                          if "example" in e and (e["status"] or 200) < 300])

    return build


def nullable(schema: dict | Callable[[], dict]) -> Callable[[], dict]:
    return lambda: {"anyOf": [resolve(schema), {"type": "null"}]}


def fields_of(cls: type, **replaced: dict | Callable[[], dict]) -> Callable[[], dict]:
    """The JSON ``dataclasses.asdict`` makes of ``cls`` (dates as the faces write them,
    ``replaced`` fields as given)."""

    def build() -> dict:
        hints = typing.get_type_hints(cls)
        properties = {}
        for field in dataclasses.fields(cls):
            if field.name in replaced:
                properties[field.name] = resolve(replaced[field.name])
            else:
                properties[field.name] = _inline(TypeAdapter(hints[field.name]).json_schema())
        return {"type": "object", "required": list(properties), "properties": properties}

    return build


def _inline(schema: dict) -> dict:
    """A pydantic schema without ``$defs`` (their references replaced by the definitions)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(dict(defs[node["$ref"].rsplit("/", 1)[1]]))
            return {k: walk(v) for k, v in node.items()
                    if not (k == "title" and isinstance(v, str))}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


def resolve(value: dict | Callable[[], dict]) -> dict:
    return value() if callable(value) else value
