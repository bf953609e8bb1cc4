"""Cross-site request forgery: every write signed in with a cookie must prove intent.

The route walk covers every face in ``rest_compat.FACES``, so a face added later is
checked without a line here.
"""

from __future__ import annotations

import re

import orjson
import pytest
from starlette.applications import Starlette

from core.csrf import CSRF_REJECTED, CsrfPolicy
from core.errors import Forbidden
from rest_compat import FACES
from rest_compat.base import Face, JSONResponse, Route
from rest_compat.openlearning import shapes
from tests.fixtures import bearer_for, error_codes, start_server

WRITES = ("POST", "PUT", "PATCH", "DELETE")
# What a hostile page can send with the visitor's cookies without a CORS preflight.
SIMPLE_BODIES = [
    pytest.param({"content": b'{"api_key": "sk-ant-attacker"}',
                  "headers": {"content-type": "text/plain"}}, id="text-plain"),
    pytest.param({"content": b"api_key=sk-ant-attacker",
                  "headers": {"content-type": "application/x-www-form-urlencoded"}}, id="form"),
    pytest.param({"content": b'--b\r\nContent-Disposition: form-data; name="file"; '
                             b'filename="a.txt"\r\n\r\nx\r\n--b--\r\n',
                  "headers": {"content-type": "multipart/form-data; boundary=b"}},
                 id="multipart"),
    pytest.param({"content": b"", "headers": {}}, id="bodyless"),
]


def _concrete(path: str) -> str:
    """A route path with every ``{param}`` (and ``{param:converter}``) filled in."""
    return re.sub(r"\{[^}]+\}", "1", path)


def _writes(face: Face) -> list[tuple[str, str]]:
    return [(r.method, f"/compat/{face.name}{face.base}{_concrete(r.path)}")
            for r in face.routes if r.method in WRITES]


def _refusal(face: Face) -> tuple[int, object]:
    """The status and body this face answers a forged write with."""
    response = face.render_error(Forbidden(face.csrf.message, code=CSRF_REJECTED))
    return response.status_code, orjson.loads(response.body)


def test_every_face_has_writes_to_walk():
    # Only a face made of reads (the reading platform's curriculum mapper) has none.
    assert {face.name for face in FACES if not _writes(face)} <= {"pickatale-curriculum-mapper"}


@pytest.mark.parametrize("face", FACES, ids=[f.name for f in FACES])
@pytest.mark.parametrize("forged", SIMPLE_BODIES)
async def test_every_cookie_write_of_every_face_refuses_a_simple_request(ol_client, face,
                                                                         forged):
    status, body = _refusal(face)
    assert status == 403
    for method, path in _writes(face):
        response = await ol_client.request(method, path, **forged)
        assert (response.status_code, response.json()) == (status, body), (method, path)


# Faces whose documented credential is a session cookie of their own.
OWN_COOKIE_FACES = [f for f in FACES if f.security.get("in") == "cookie"
                    and f.security["name"] != "access_token"]


def test_a_face_with_its_own_cookie_is_walked():
    assert OWN_COOKIE_FACES


@pytest.mark.parametrize("face", OWN_COOKIE_FACES, ids=[f.name for f in OWN_COOKIE_FACES])
async def test_a_face_s_own_session_cookie_is_held_to_the_rule(ol_client, new_client, face):
    http = new_client()
    http.cookies.set(face.security["name"], ol_client.cookies["access_token"])
    status, body = _refusal(face)
    for method, path in _writes(face):
        response = await http.request(method, path, content=b'{"x": 1}',
                                      headers={"content-type": "text/plain"})
        assert (response.status_code, response.json()) == (status, body), (method, path)


@pytest.mark.parametrize("face", FACES, ids=[f.name for f in FACES])
async def test_json_writes_with_the_cookie_pass_the_csrf_rule(ol_client, face):
    _, refusal = _refusal(face)
    headers = {"content-type": "application/json"}
    if not face.csrf.json_suffices:
        # A face with a CSRF cookie wants its value echoed, JSON or not.
        ol_client.cookies.set(face.csrf.cookie, "token-1")
        headers[face.csrf.header] = "token-1"
    for method, path in _writes(face):
        if path.endswith(("/auth/logout", "/api-key", "/api/logout")):
            continue  # would end the session or swap the key the walk runs with
        response = await ol_client.request(method, path, content=b"{}", headers=headers)
        assert response.status_code < 500, (method, path, response.text)
        assert response.json() != refusal if response.content else True, (method, path)


async def test_a_text_plain_post_cannot_swap_the_anthropic_key(ol_client, fake_anthropic):
    fake_anthropic.valid_keys = None
    response = await ol_client.post("/api/auth/api-key", json={"api_key": "sk-ant-victim-0001"})
    assert response.status_code == 200
    forged = await ol_client.post("/api/auth/api-key",
                                  content=b'{"api_key": "sk-ant-attacker-0002"}',
                                  headers={"content-type": "text/plain"})
    assert forged.status_code == 403
    assert forged.json() == {"detail": "Requests signed in with a cookie must send JSON "
                                       "(Content-Type: application/json) or an X-CSRF-Token "
                                       "header"}
    preview = await ol_client.get("/api/auth/api-key")
    assert preview.json()["apiKeyPreview"].endswith("0001")


async def test_logout_needs_json_or_the_csrf_header(ol_client):
    forged = await ol_client.post("/api/auth/logout")
    assert forged.status_code == 403
    assert (await ol_client.get("/api/auth/me")).status_code == 200  # still signed in
    response = await ol_client.post("/api/auth/logout", headers={"X-CSRF-Token": "1"})
    assert response.status_code == 200
    assert (await ol_client.get("/api/auth/me")).status_code == 401


async def test_a_bodyless_write_with_a_json_content_type_passes(ol_client):
    response = await ol_client.post("/api/auth/logout",
                                    headers={"content-type": "application/json"})
    assert response.status_code == 200


async def test_bearer_requests_are_not_cookie_authenticated(client, services, user):
    headers = await bearer_for(services, user)
    response = await client.post("/api/auth/api-key",
                                 content=b'{"api_key": "sk-ant-bearer-0003"}',
                                 headers={**headers, "content-type": "text/plain"})
    assert response.status_code == 200
    preview = await client.get("/api/auth/api-key", headers=headers)
    assert preview.json()["apiKeyPreview"].endswith("0003")


async def test_anonymous_simple_requests_are_not_refused_as_forgeries(client):
    response = await client.post("/api/auth/logout")
    assert response.status_code == 200


SET_KEY = "mutation($k: String!) { setAnthropicKey(input: {apiKey: $k}) { __typename } }"


@pytest.mark.parametrize("forged", SIMPLE_BODIES[:2])
async def test_graphql_refuses_a_cookie_write_that_is_not_json(ol_client, forged):
    content = orjson.dumps({"query": SET_KEY, "variables": {"k": "sk-ant-attacker"}})
    response = await ol_client.post("/graphql", content=content, headers=forged["headers"])
    assert response.status_code == 403
    assert error_codes(response.json()) == ["CSRF_REJECTED"]


async def test_graphql_json_with_the_cookie_still_runs(ol_client):
    response = await ol_client.post("/graphql", json={"query": "{ viewer { kind } }"})
    assert response.json()["data"] == {"viewer": {"kind": "USER"}}


def _double_submit_face() -> Face:
    """A face whose clients echo a CSRF cookie in a header, JSON or not (as Codelabs)."""
    async def write(req):
        return JSONResponse({"ok": True})

    return Face(name="double", title="double", base="/d", port=1,
                routes=[Route("POST", "/write", write)],
                render_error=shapes.render_error, render_validation=shapes.render_validation,
                csrf=CsrfPolicy(cookie="d_csrf", json_suffices=False))


async def test_a_face_can_require_its_csrf_cookie_echoed_in_the_header(server, ol_client):
    app = Starlette(routes=_double_submit_face().starlette_routes())
    app.state.services = server.app.state.services
    running = await start_server(app)
    try:
        url = running.base_url + "/d/write"
        ol_client.cookies.set("d_csrf", "token-123")
        json_only = await ol_client.post(url, json={})
        wrong = await ol_client.post(url, json={}, headers={"X-CSRF-Token": "token-999"})
        echoed = await ol_client.post(url, content=b"x", headers={"X-CSRF-Token": "token-123"})
        ol_client.cookies.delete("access_token")
        anonymous = await ol_client.post(url, content=b"x")
    finally:
        await running.stop()
    assert json_only.status_code == wrong.status_code == 403
    assert json_only.json() == {"detail": "Missing or invalid CSRF token: send the d_csrf "
                                          "cookie's value in the X-CSRF-Token header"}
    assert echoed.json() == anonymous.json() == {"ok": True}
