"""The Codelabs face's sign-in: facilitator login, the session, logout, and CSRF."""

from __future__ import annotations

import time

import httpx

from core.app import create_face_app
from tests.codelabs.helpers import API, create_codelab, csrf, facilitator_login, register
from tests.fixtures import CODELABS_ADMIN_PASSWORD, gql, start_server


async def test_login_sets_the_session_and_csrf_cookies(client):
    response = await client.post(f"{API}/login", json={"admin_id": "admin",
                                                       "admin_pw": CODELABS_ADMIN_PASSWORD})
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("oc_session="))
    token = next(c for c in cookies if c.startswith("oc_csrf="))
    assert "HttpOnly" in session and "SameSite=lax" in session and "Path=/" in session
    assert "HttpOnly" not in token and "Path=/" in token

    response = await client.get(f"{API}/session")
    assert response.status_code == 200
    body = response.json()
    assert body == {"sub": "admin", "role": "admin", "codelab_id": None, "exp": body["exp"]}
    week = 7 * 24 * 3600
    assert abs(body["exp"] - (time.time() + week)) < 60


async def test_login_refuses_wrong_credentials_without_saying_which(client):
    for admin_id, password in (("admin", "wrong"), ("root", CODELABS_ADMIN_PASSWORD)):
        response = await client.post(f"{API}/login", json={"admin_id": admin_id,
                                                           "admin_pw": password})
        assert response.status_code == 401
        assert response.json() == {"error": "Invalid credentials"}
        assert "oc_session" not in response.headers.get("set-cookie", "")


async def test_login_reports_bad_input_in_the_face_shape(client):
    response = await client.post(f"{API}/login", json={"admin_id": "admin"})
    assert response.status_code == 400
    assert response.json() == {"error": "admin_pw: Field required"}
    response = await client.post(f"{API}/login", content=b"{nope",
                                 headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"error": "Request body is not valid JSON"}
    response = await client.post(f"{API}/login", json=["admin"])
    assert (response.status_code, response.json()) == (
        400, {"error": "body: Input should be an object"})
    response = await client.post(f"{API}/login", json={"admin_id": "a" * 5000, "admin_pw": "x"})
    assert response.status_code == 400
    assert "aaaa" not in response.text


async def test_session_without_a_cookie_is_401(client):
    response = await client.get(f"{API}/session")
    assert response.status_code == 401
    assert response.json() == {"error": "Login required"}


async def test_logout_ends_the_session_everywhere(client, new_client):
    await facilitator_login(client)
    stolen = client.cookies.get("oc_session")
    response = await client.post(f"{API}/logout", headers=csrf(client))
    assert response.status_code == 204
    assert "oc_session" not in client.cookies
    # The old cookie no longer works, even replayed by another client.
    other = new_client()
    other.cookies.set("oc_session", stolen)
    assert (await other.get(f"{API}/session")).status_code == 401
    # Signing out again without a session is fine.
    assert (await client.post(f"{API}/logout")).status_code == 204


async def test_cookie_writes_need_the_csrf_header(client):
    await facilitator_login(client)
    body = {"title": "T"}
    missing = await client.post(f"{API}/codelabs", json=body)
    assert missing.status_code == 403
    assert missing.json() == {"error": "Missing or invalid CSRF token: send the oc_csrf "
                                       "cookie's value in the X-CSRF-Token header"}
    wrong = await client.post(f"{API}/codelabs", json=body, headers={"X-CSRF-Token": "nope"})
    assert wrong.status_code == 403
    assert (await client.post(f"{API}/logout")).status_code == 403
    assert (await client.post(f"{API}/codelabs", json=body, headers=csrf(client))
            ).status_code == 200


async def test_the_session_cookie_is_a_learngraph_session(client):
    # The facilitator is a User: the same cookie signs GraphQL requests in.
    await facilitator_login(client)
    first = (await gql(client, "{ viewer { id roles user { displayName } } }"))["viewer"]
    assert first["roles"] == ["INSTRUCTOR"] and first["user"] == {"displayName": "admin"}
    await facilitator_login(client)  # a second sign-in is the same User
    again = (await gql(client, "{ viewer { id } }"))["viewer"]
    assert again["id"] == first["id"]


async def test_attendee_session_names_the_codelab(client, new_client):
    await facilitator_login(client)
    codelab = await create_codelab(client)
    attendee_http = new_client()
    attendee = await register(attendee_http, codelab, email="jane@example.com")
    response = await attendee_http.get(f"{API}/session")
    body = response.json()
    assert body == {"sub": attendee["id"], "role": "attendee", "codelab_id": codelab["id"],
                    "exp": body["exp"]}
    assert abs(body["exp"] - (time.time() + 12 * 3600)) < 60


async def test_the_face_answers_under_compat_too(client):
    response = await client.post("/compat/codelabs/api/login",
                                 json={"admin_id": "admin", "admin_pw": CODELABS_ADMIN_PASSWORD})
    assert response.status_code == 200
    assert (await client.get("/compat/codelabs/api/session")).json()["role"] == "admin"


async def test_the_face_is_served_on_its_own_port(server, client):
    running = await start_server(create_face_app("codelabs",
                                                 services=server.app.state.services))
    try:
        async with httpx.AsyncClient(base_url=running.base_url) as http:
            await facilitator_login(http)
            assert (await http.get(f"{API}/session")).json()["role"] == "admin"
            assert (await http.get(f"{API}/codelabs")).json() == []
    finally:
        await running.stop()
