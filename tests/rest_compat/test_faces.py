"""The face framework: mounting, /compat/<face>/, extra ports, OpenAPI and docs."""

from __future__ import annotations

import csv
from pathlib import Path

import httpx
from pydantic import BaseModel, Field
from starlette.applications import Starlette

from core.app import create_face_app, main_port_faces
from rest_compat import FACES, openapi
from rest_compat.base import Face, JSONResponse, Route
from rest_compat.twosigma import shapes as twosigma_shapes
from tests.fixtures import start_server

ENDPOINTS = Path(__file__).resolve().parents[2] / "docs" / "legacy-endpoints.tsv"


def documented(face: str, *, under: tuple[str, ...] = ("",)) -> set[tuple[str, str]]:
    """(method, path) of every documented endpoint of ``face`` whose path starts with one of
    ``under``, from the contract list in docs/legacy-endpoints.tsv."""
    with ENDPOINTS.open() as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return {(r["method"], r["path"]) for r in rows
            if r["face"] == face and r["path"].startswith(under)}


async def test_faces_answer_under_compat_prefix(client):
    response = await client.get("/compat/openlearning/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": None}


async def test_openapi_lists_every_route_of_every_face(client):
    response = await client.get("/api/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"] == "3.1.0"
    main = {face.name for face in main_port_faces(FACES, set())}
    for face in FACES:
        for route in face.routes:
            # A face on the main port is listed at its documented paths (/compat/<face>
            # is named in each operation's servers); one whose paths collide with
            # another's, only under /compat/.
            prefix = "" if face.name in main else f"/compat/{face.name}"
            path = prefix + face.base + route.path
            assert route.method.lower() in document["paths"][path], path
    # The course platform keeps /api/auth/register on the main port; the reading
    # platform's account center is under /compat/.
    assert "get" not in document["paths"]["/api/auth/login"]
    assert "get" in document["paths"][
        "/compat/pickatale-account-center/api/auth/session"]
    register = document["paths"]["/api/auth/register"]["post"]
    schema_ref = register["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]
    assert set(schema["properties"]) == {"email", "password"}
    assert document["paths"]["/api/auth/me"]["get"]["security"] == [{"openlearning": []}]


async def test_docs_page_is_self_hosted(client):
    response = await client.get("/api/docs")
    assert response.status_code == 200
    assert "learngraph — REST API" in response.text
    assert "http://" not in response.text and "https://" not in response.text
    assert (await client.get("/api/docs/static/swagger-ui-bundle.js")).status_code == 200


def _route(method, path):
    async def handler(req):
        return None
    return Route(method, path, handler)


def test_colliding_faces_leave_the_main_port():
    def face(name, *paths):
        return Face(name=name, title=name, base="/api", port=1, routes=[
            _route("POST", p) for p in paths], render_error=None, render_validation=None)

    first = face("first", "/auth/login", "/a")
    second = face("second", "/auth/login")
    third = face("third", "/b")
    assert [f.name for f in main_port_faces([first, second, third], set())] == ["first", "third"]
    assert [f.name for f in main_port_faces([first, second, third], {"third"})] == ["first"]


async def test_a_face_is_served_on_its_own_port(server, client):
    running = await start_server(create_face_app("openlearning",
                                                 services=server.app.state.services))
    try:
        async with httpx.AsyncClient(base_url=running.base_url) as http:
            response = await http.get("/api/health")
            assert response.json() == {"status": "ok", "database": None}
            assert (await http.get("/graphql")).status_code == 404
    finally:
        await running.stop()


async def test_every_documented_openlearning_auth_endpoint_answers(client):
    expected = documented("openlearning", under=("/api/auth", "/api/health"))
    assert len(expected) == 11
    face = next(f for f in FACES if f.name == "openlearning")
    assert expected <= {(r.method, face.base + r.path) for r in face.routes}
    for method, path in sorted(expected):
        response = await client.request(method, path, follow_redirects=False)
        assert response.status_code not in (404, 405), (method, path)


class _ItemPath(BaseModel):
    item_id: int = Field(ge=1)


class _ItemQuery(BaseModel):
    skip: int = Field(0, ge=0)
    limit: int = Field(10, ge=1, le=100)


def _typed_face() -> Face:
    async def show(req):
        return JSONResponse({"item_id": req.path["item_id"], "skip": req.params.skip,
                             "limit": req.params.limit})

    return Face(name="typed", title="typed", base="/t", port=1,
                routes=[Route("GET", "/items/{item_id}", show, path_params=_ItemPath,
                              query=_ItemQuery)],
                render_error=twosigma_shapes.render_error,
                render_validation=twosigma_shapes.render_validation,
                security={"type": "http", "scheme": "bearer"})


async def test_path_and_query_parameters_are_validated(server):
    app = Starlette(routes=_typed_face().starlette_routes())
    app.state.services = server.app.state.services
    running = await start_server(app)
    try:
        async with httpx.AsyncClient(base_url=running.base_url) as http:
            ok = await http.get("/t/items/7", params={"skip": "20", "limit": "5"})
            assert ok.json() == {"item_id": 7, "skip": 20, "limit": 5}
            bad_path = await http.get("/t/items/seven")
            assert bad_path.status_code == 422
            [error] = bad_path.json()["detail"]
            assert error["loc"] == ["path", "item_id"] and error["type"] == "int_parsing"
            bad_query = await http.get("/t/items/7", params={"limit": "500", "skip": "-1"})
            assert bad_query.status_code == 422
            assert sorted(e["loc"] for e in bad_query.json()["detail"]) == [
                ["query", "limit"], ["query", "skip"]]
    finally:
        await running.stop()


def test_openapi_documents_typed_parameters_and_each_faces_credential():
    face = _typed_face()
    document = openapi.document([face], [face])
    operation = document["paths"]["/t/items/{item_id}"]["get"]
    assert operation["parameters"] == [
        {"name": "item_id", "in": "path", "required": True,
         "schema": {"type": "integer", "minimum": 1}},
        {"name": "skip", "in": "query", "required": False,
         "schema": {"type": "integer", "minimum": 0, "default": 0}},
        {"name": "limit", "in": "query", "required": False,
         "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}},
    ]
    assert document["components"]["securitySchemes"]["typed"] == {
        "type": "http", "scheme": "bearer"}


def test_openapi_operation_ids_are_unique():
    document = openapi.document(FACES, FACES)
    ids = [op["operationId"] for path in document["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids))
