"""The OpenAPI document of the REST faces, built from their route tables.

Served at /api/openapi.json with interactive docs at /api/docs (Swagger UI
from our own static files, no CDN). Faces on the main port are listed at their
documented paths; every face is also listed under /compat/<face>/.
"""

from __future__ import annotations

import re
from functools import lru_cache

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import BaseRoute, Mount, Route

from core import idempotency
from rest_compat.base import Face

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


def _operation(face: Face, route) -> dict:
    operation: dict = {
        "summary": route.summary or route.handler.__name__.replace("_", " "),
        "operationId": _operation_id(face, route),
        "tags": [f"{face.name}" + (f": {route.tag}" if route.tag else "")],
        "responses": {str(status): {"description": text}
                      for status, text in (route.responses or {200: "OK"}).items()},
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


def document(faces: list[Face], main_faces: list[Face]) -> dict:
    paths: dict[str, dict] = {}
    schemas: dict[str, dict] = {}
    security_schemes: dict[str, dict] = {}
    main = {f.name for f in main_faces}
    for face in faces:
        security_schemes[face.name] = face.security
        prefixes = ([""] if face.name in main else []) + [f"/compat/{face.name}"]
        for route in face.routes:
            operation = _operation(face, route)
            schema = operation.pop("x-schema", None)
            if schema is not None:
                defs = schema.pop("$defs", {})
                schemas.update(defs)
                schemas[route.body.__name__] = schema
            for prefix in prefixes:
                path = _PARAM.sub(r"{\1}", prefix + face.base + route.path)
                op = dict(operation)
                if prefix:
                    op["operationId"] = f"compat_{op['operationId']}"
                paths.setdefault(path, {})[route.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "learngraph REST faces", "version": "1.0.0",
                 "description": "The legacy REST APIs served by learngraph. The same data is "
                                "available through GraphQL at /graphql."},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": security_schemes},
    }


def routes(faces: list[Face], main_faces: list[Face]) -> list[BaseRoute]:
    from core.docs_pages import static_app, swagger_html

    @lru_cache(maxsize=1)
    def cached() -> dict:
        return document(faces, main_faces)

    async def openapi_json(request: Request) -> JSONResponse:
        return JSONResponse(cached())

    async def docs(request: Request) -> HTMLResponse:
        return HTMLResponse(swagger_html(static_prefix="/api/docs/static",
                                         openapi_url="/api/openapi.json"))

    return [
        Route("/api/openapi.json", openapi_json, methods=["GET"]),
        Route("/api/docs", docs, methods=["GET"]),
        Mount("/api/docs/static", app=static_app("swagger")),
    ]
