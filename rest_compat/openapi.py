"""The OpenAPI document of the REST faces, built from their route tables.

Served at /api/openapi.json (downloadable) with interactive docs at /api/docs
(Swagger UI from our own static files, no CDN). Each operation is listed once:
a face on the main port at its documented path, with ``/compat/<face>`` named
as the alternative base in the operation's ``servers``; a face whose paths
collide with another's is served on the main port only under its prefix, and
is listed there.

Every documented status has a response: the shapes the legacy references show
(``documented_responses.json``, their examples as written, with the schema
they imply), the face's own error and validation shapes for failures, and no
body for 204 and redirects.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from http import HTTPStatus
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import BaseRoute, Mount, Route

from core import idempotency
from core.errors import NotFound, Validation
from rest_compat.base import Face
from rest_compat.returns import Body, resolve

REF = "#/components/schemas/"
_PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")


def _model_parameters(model, location: str) -> list[dict]:
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    return [{"name": name, "in": location, "required": location == "path" or name in required,
             "schema": {k: v for k, v in prop.items() if k != "title"}}
            for name, prop in schema.get("properties", {}).items()]


def _parameters(route) -> list[dict]:
    if route.path_params is not None:
        parameters = _model_parameters(route.path_params, "path")
    else:
        parameters = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                      for p in _PARAM.findall(route.path)]
    if route.query is not None:
        parameters += _model_parameters(route.query, "query")
    if route.idempotency:
        parameters.append({
            "name": "Idempotency-Key", "in": "header", "required": route.idempotency is True,
            "description": "A client-generated key (a UUID): the first response is kept "
                           "for 24 hours and replayed for the same key; 409 while the "
                           "first request runs, 422 for the key with another request.",
            "schema": {"type": "string", "minLength": 1,
                       "maxLength": idempotency.MAX_KEY_LENGTH, "pattern": "^[!-~]+$"}})
    return parameters


def _operation_id(face: Face, route) -> str:
    slug = re.sub(r"[^a-zA-Z0-9]+", "_", route.path).strip("_") or "root"
    return f"{face.name}_{route.method.lower()}_{slug}"


def _operation(face: Face, route, documented: list[dict]) -> dict:
    operation: dict = {
        "summary": route.summary or route.handler.__name__.replace("_", " "),
        "operationId": _operation_id(face, route),
        "tags": [f"{face.name}" + (f": {route.tag}" if route.tag else "")],
        "responses": _responses(face, route, documented),
    }
    parameters = _parameters(route)
    if parameters:
        operation["parameters"] = parameters
    if route.body is not None:
        schema = route.body.model_json_schema(by_alias=True, ref_template=REF + "{model}")
        operation["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": {"$ref": REF + route.body.__name__}}}}
        operation["x-schema"] = schema
    if route.auth or route.credential:
        operation["security"] = [{face.name: [route.scope] if route.scope else []}]
    return operation


# --- responses ---------------------------------------------------------------------------

DOCUMENTED = Path(__file__).with_name("documented_responses.json")
NO_BODY = {204, 301, 302, 303, 304, 307, 308}


def _shape(path: str) -> str:
    return re.sub(r"{[^}]+}", "{}", path).rstrip("/") or "/"


@lru_cache(maxsize=1)
def documented_responses() -> dict[tuple[str, str, str], list[dict]]:
    """The responses the legacy references document, by (platform, method, path shape):
    each a status (None: the operation's success status), a description and, where
    the reference shows one, an example body; ``stream`` marks server-sent events."""
    table = json.loads(DOCUMENTED.read_text())
    found: dict[tuple[str, str, str], list[dict]] = {}
    for key, entries in table.items():
        platform, method, path = key.split(" ", 2)
        found.setdefault((platform, method, _shape(path)), []).extend(entries)
    return found


def schema_of(examples: list[Any]) -> dict:
    """The JSON Schema the example values imply: their types, every key an object
    example shows (required where all show it), array items merged; a value shown only
    as null says nothing of its type."""
    present = [e for e in examples if e is not None]
    nullable = len(present) < len(examples)
    if not present:
        return {}
    kinds = {_kind(e) for e in present}
    if kinds == {"integer", "number"}:
        kinds = {"number"}
    if len(kinds) > 1:
        alternatives = [schema_of([e for e in present if _kind(e) == k]) for k in sorted(kinds)]
        return {"anyOf": alternatives + ([{"type": "null"}] if nullable else [])}
    [kind] = kinds
    schema: dict[str, Any] = {"type": [kind, "null"] if nullable else kind}
    if kind == "object":
        keys = list(dict.fromkeys(k for e in present for k in e))
        schema["properties"] = {k: schema_of([e[k] for e in present if k in e]) for k in keys}
        required = [k for k in keys if all(k in e for e in present)]
        if required:
            schema["required"] = required
    elif kind == "array":
        items = [item for e in present for item in e]
        if items:
            schema["items"] = schema_of(items)
    return schema


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


class _Sample(BaseModel):
    value: int
    name: str
    tags: list[int] = []


def _body(response) -> Any:
    return json.loads(response.body)


def error_schemas(face: Face) -> dict[str, dict]:
    """The face's error shape and its input-validation shape, from what its renderers
    answer (so the document cannot drift from them), with the validation status."""
    errors = [_body(face.render_error(NotFound("Course not found"))),
              _body(face.render_error(Validation("Invalid value", details={"field": "name"})))]
    try:
        # A wrong type, a missing field, and a bad list item (an index in its location).
        _Sample.model_validate({"value": "seven", "tags": ["x"]})
    except ValidationError as exc:
        invalid = face.render_validation(exc, "body")
    return {"error": {**schema_of(errors), "examples": errors[:1]},
            "validation": {**_any_input(schema_of([_body(invalid)])),
                           "examples": [_body(invalid)]},
            "validation_status": invalid.status_code}


def _any_input(schema: dict) -> dict:
    """A validation error quotes the input it refused, which can be any JSON value."""
    for name, prop in schema.get("properties", {}).items():
        schema["properties"][name] = {} if name == "input" else _any_input(prop)
    if "items" in schema:
        schema["items"] = _any_input(schema["items"])
    return schema


def _ref(face: Face, kind: str) -> dict:
    return {"$ref": f"{REF}{face.name}.{kind}"}


def _success_status(route) -> int:
    return min((s for s in (*route.responses, *route.returns) if 200 <= s < 300), default=200)


def _responses(face: Face, route, documented: list[dict]) -> dict[str, dict]:
    """Every documented status of ``route``: the route's own list, the reference's, 401
    for a route that needs credentials and the validation status for one that takes
    input."""
    success = _success_status(route)
    texts = dict(route.responses or {success: _phrase(success)})
    for status in route.returns:
        texts.setdefault(status, _phrase(status))
    shown: dict[int, list[dict]] = {}
    for entry in documented:
        status = entry["status"] or success
        shown.setdefault(status, []).append(entry)
        texts.setdefault(status, entry["description"])
    validation_status = error_schemas(face)["validation_status"]
    if route.auth or route.credential:
        texts.setdefault(401, face.unauthenticated_message)
    if route.body is not None or route.query is not None or route.path_params is not None:
        texts.setdefault(validation_status, "The input does not validate")
    responses = {}
    for status in sorted(texts):
        entries = shown.get(status, [])
        description = texts[status] or next(
            (e["description"] for e in entries if e["description"]), None) or _phrase(status)
        response: dict[str, Any] = {"description": description}
        examples = [e["example"] for e in entries if "example" in e]
        if status in route.returns:
            returned = route.returns[status]
            if isinstance(returned, Body):
                response["content"] = {returned.media_type: {"schema": returned.schema,
                                                             **_examples(examples)}}
            elif returned is not None:
                response["content"] = {"application/json": {"schema": resolve(returned),
                                                            **_examples(examples)}}
        elif any(e.get("stream") for e in entries):
            response["content"] = {"text/event-stream": {"schema": {
                "type": "string", "description": "Server-sent events; each data line holds "
                "a JSON object such as the example."}, **_examples(examples)}}
        elif examples and status < 400:
            response["content"] = {"application/json": {"schema": schema_of(examples),
                                                        **_examples(examples)}}
        elif status >= 400:
            schema = _ref(face, "Error")
            if status == validation_status:
                schema = {"anyOf": [schema, _ref(face, "ValidationError")]}
            response["content"] = {"application/json": {"schema": schema,
                                                        **_examples(examples)}}
        elif status not in NO_BODY:
            # The reference names the answer but shows no example of it.
            response["content"] = {"application/json": {"schema": {
                "description": "A JSON value; the legacy reference shows no example."}}}
        responses[str(status)] = response
    return responses


def _absent_not_null(schema: dict) -> dict:
    """A body field that may be left out but not sent as null (an update's "unchanged")
    has None as its model default; the document says only that it is optional."""
    for prop in schema.get("properties", {}).values():
        if "default" in prop and prop["default"] is None and not _takes_null(prop):
            del prop["default"]
    return schema


def _takes_null(schema: dict) -> bool:
    kind = schema.get("type")
    return (kind == "null" or (isinstance(kind, list) and "null" in kind)
            or any(_takes_null(s) for s in schema.get("anyOf", ())))


def _examples(examples: list[Any]) -> dict:
    if not examples:
        return {}
    if len(examples) == 1:
        return {"example": examples[0]}
    return {"examples": {f"example{n}": {"value": e} for n, e in enumerate(examples, 1)}}


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return str(status)


def document(faces: list[Face], main_faces: list[Face]) -> dict:
    paths: dict[str, dict] = {}
    schemas: dict[str, dict] = {}
    security_schemes: dict[str, dict] = {}
    main = {f.name for f in main_faces}
    documented = documented_responses()
    listed: dict[tuple[str, str], Any] = {}
    for face in faces:
        security_schemes[face.name] = face.security
        shapes = error_schemas(face)
        schemas[f"{face.name}.Error"] = shapes["error"]
        schemas[f"{face.name}.ValidationError"] = shapes["validation"]
        on_main = face.name in main
        prefix = "" if on_main else f"/compat/{face.name}"
        for route in face.routes:
            path = _PARAM.sub(r"{\1}", prefix + face.base + route.path)
            # Two services of a platform documenting one operation share its route.
            if listed.get((path, route.method)) is route.handler:
                continue
            listed[(path, route.method)] = route.handler
            operation = _operation(face, route, documented.get(
                (face.platform, route.method, _shape(face.base + route.path)), []))
            schema = operation.pop("x-schema", None)
            if schema is not None:
                defs = schema.pop("$defs", {})
                schemas.update({name: _absent_not_null(d) for name, d in defs.items()})
                schemas[route.body.__name__] = _absent_not_null(schema)
            if on_main:
                operation["servers"] = [
                    {"url": "/", "description": "The main port, at the documented path"},
                    {"url": f"/compat/{face.name}",
                     "description": f"The same, under the {face.name} prefix"}]
            paths.setdefault(path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "learngraph REST faces", "version": "1.0.0",
                 "description": "The legacy REST APIs served by learngraph. The same data is "
                                "available through GraphQL at /graphql. A face on the main "
                                "port is also served under /compat/<face> (each operation's "
                                "servers); one whose paths collide with another face's is "
                                "listed under that prefix, and served at its documented "
                                "paths on its own port."},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": security_schemes},
    }


def routes(faces: list[Face], main_faces: list[Face]) -> list[BaseRoute]:
    from core.docs_pages import static_app, swagger_html

    @lru_cache(maxsize=1)
    def cached() -> dict:
        return document(faces, main_faces)

    async def openapi_json(request: Request) -> JSONResponse:
        download = {"Content-Disposition": 'attachment; filename="openapi.json"'} \
            if "download" in request.query_params else None
        return JSONResponse(cached(), headers=download)

    async def docs(request: Request) -> HTMLResponse:
        return HTMLResponse(swagger_html(static_prefix="/api/docs/static",
                                         openapi_url="/api/openapi.json"))

    return [
        Route("/api/openapi.json", openapi_json, methods=["GET"]),
        Route("/api/docs", docs, methods=["GET"]),
        Mount("/api/docs/static", app=static_app("swagger")),
    ]
