"""The OpenLearning face's auth endpoints, exactly as its reference documents them."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from models.user import UserSecret
from tests.fixtures import PASSWORD, create_user, ol_login

ANTHROPIC_KEY = "sk-ant-api03-abcdefghijklmnopqrstuvwxyzab12"


async def test_health_reports_ok_with_a_reachable_database(client):
    response = await client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": None}
    assert response.headers["x-request-id"]


# --- register ------------------------------------------------------------------------------

async def test_register_sets_an_httponly_cookie_and_signs_in(client):
    response = await client.post("/api/auth/register",
                                 json={"email": "New@Example.com", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("access_token=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # served over plain http here

    me = await client.get("/api/auth/me")
    assert me.status_code == 200
    body = me.json()
    assert body == {"userId": body["userId"], "displayName": "New", "avatarUrl": "",
                    "hasApiKey": False, "email": "New@example.com"}
    uuid.UUID(body["userId"])


async def test_register_rejects_a_duplicate_email_case_insensitively(client, user):
    response = await client.post("/api/auth/register",
                                 json={"email": "ADA@example.com", "password": PASSWORD})
    assert response.status_code == 409
    assert response.json() == {"detail": "An account with this email already exists"}


async def test_register_enforces_password_length_8_to_128(client):
    for password in ("short", "x" * 7, "x" * 129):
        response = await client.post("/api/auth/register",
                                     json={"email": "p@example.com", "password": password})
        assert response.status_code == 400
        assert response.json() == {"detail": "Password must be between 8 and 128 characters"}
    for i, password in enumerate(("x" * 8, "y" * 128)):
        response = await client.post("/api/auth/register",
                                     json={"email": f"ok{i}@example.com", "password": password})
        assert response.status_code == 200, response.text


async def test_register_answers_invalid_email_with_fastapi_validation_error(client):
    response = await client.post("/api/auth/register",
                                 json={"email": "not-an-email", "password": PASSWORD})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "email"]
    assert error["type"] == "value_error"
    assert "valid email address" in error["msg"]
    assert error["input"] == "not-an-email"


async def test_register_reports_missing_fields_and_bad_json_as_422(client):
    response = await client.post("/api/auth/register", json={"email": "a@example.com"})
    assert response.status_code == 422
    assert [(e["type"], e["loc"]) for e in response.json()["detail"]] == [
        ("missing", ["body", "password"])]

    response = await client.post("/api/auth/register", content=b"{not json",
                                 headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


async def test_register_is_rate_limited_per_client(client, services):
    limit = services.settings.rate_limit_register
    statuses = []
    for _i in range(limit * 2 + 2):
        response = await client.post("/api/auth/register",
                                     json={"email": "dup@example.com", "password": "short"})
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    assert statuses[:limit] == [400] * limit
    assert statuses[-1] == 429
    assert response.json() == {"detail": "Too many requests. Please try again later."}
    assert 1 <= int(response.headers["retry-after"]) <= services.settings.rate_limit_window_seconds


# --- login / me / logout -------------------------------------------------------------------

async def test_login_sets_cookie_and_me_returns_the_profile(client, user):
    response = await client.post("/api/auth/login",
                                 json={"email": "ada@EXAMPLE.com", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert "access_token=" in response.headers["set-cookie"]
    me = (await client.get("/api/auth/me")).json()
    assert me == {"userId": str(user.id), "displayName": "Ada", "avatarUrl": "",
                  "hasApiKey": False, "email": "ada@example.com"}


async def test_login_failure_does_not_say_which_part_was_wrong(client, user):
    wrong_password = await client.post("/api/auth/login",
                                       json={"email": user.email, "password": "wrong password"})
    unknown_email = await client.post("/api/auth/login",
                                      json={"email": "nobody@example.com", "password": PASSWORD})
    for response in (wrong_password, unknown_email):
        assert response.status_code == 401
        assert response.json() == {"detail": "Invalid email or password"}
        assert "set-cookie" not in response.headers


async def test_login_is_rate_limited(client, user, services):
    limit = services.settings.rate_limit_login
    seen = []
    for _ in range(limit * 2 + 2):
        response = await client.post("/api/auth/login",
                                     json={"email": user.email, "password": "wrong password"})
        seen.append(response.status_code)
        if response.status_code == 429:
            break
    assert seen[:limit] == [401] * limit
    assert seen[-1] == 429
    assert int(response.headers["retry-after"]) >= 1


async def test_me_requires_the_cookie(client):
    response = await client.get("/api/auth/me")
    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}
    client.cookies.set("access_token", "garbage")
    assert (await client.get("/api/auth/me")).status_code == 401


async def test_logout_clears_the_cookie_and_revokes_the_token(ol_client):
    token = ol_client.cookies["access_token"]
    # A bodyless write signed in with the cookie names its intent (tests/rest_compat/test_csrf.py).
    response = await ol_client.post("/api/auth/logout", headers={"X-CSRF-Token": "1"})
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert 'access_token=""' in response.headers["set-cookie"]
    assert "access_token" not in ol_client.cookies
    # The old token no longer works even if a client kept it.
    ol_client.cookies.set("access_token", token)
    assert (await ol_client.get("/api/auth/me")).status_code == 401


async def test_logout_without_a_session_still_answers_ok(client):
    response = await client.post("/api/auth/logout")
    assert response.status_code == 200
    assert response.json() == {"ok": True}


# --- the stored Anthropic key ----------------------------------------------------------------

async def test_api_key_endpoints_require_authentication(client):
    for method, path in (("POST", "/api/auth/api-key"), ("GET", "/api/auth/api-key"),
                         ("DELETE", "/api/auth/api-key"), ("POST", "/api/auth/validate-key")):
        response = await client.request(method, path, json={"apiKey": ANTHROPIC_KEY})
        assert response.status_code == 401, path
        assert response.json() == {"detail": "Not authenticated"}


async def test_api_key_is_stored_encrypted_and_shown_masked(ol_client, services, user):
    assert (await ol_client.get("/api/auth/api-key")).status_code == 204

    response = await ol_client.post("/api/auth/api-key", json={"apiKey": ANTHROPIC_KEY})
    assert response.status_code == 200
    assert response.json() == {"ok": True}

    response = await ol_client.get("/api/auth/api-key")
    assert response.status_code == 200
    assert response.json() == {"apiKeyPreview": "sk-...ab12"}
    assert (await ol_client.get("/api/auth/me")).json()["hasApiKey"] is True

    async with services.db.session() as session:
        row = (await session.execute(select(UserSecret))).scalar_one()
    assert row.user_id == user.id
    assert ANTHROPIC_KEY.encode() not in row.ciphertext
    assert b"abcdefghijklmnop" not in row.ciphertext


async def test_api_key_replace_and_idempotent_delete(ol_client):
    await ol_client.post("/api/auth/api-key", json={"apiKey": ANTHROPIC_KEY})
    await ol_client.post("/api/auth/api-key", json={"apiKey": "sk-ant-second-key-zz99"})
    assert (await ol_client.get("/api/auth/api-key")).json() == {"apiKeyPreview": "sk-...zz99"}

    for _ in range(2):
        response = await ol_client.delete("/api/auth/api-key", headers={"X-CSRF-Token": "1"})
        assert response.status_code == 200
        assert response.json() == {"ok": True}
    assert (await ol_client.get("/api/auth/api-key")).status_code == 204
    assert (await ol_client.get("/api/auth/me")).json()["hasApiKey"] is False


async def test_api_key_body_is_validated(ol_client):
    response = await ol_client.post("/api/auth/api-key", json={"key": "x"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "apiKey"]
    response = await ol_client.post("/api/auth/api-key", json={"apiKey": "   "})
    assert response.status_code == 400
    assert response.json() == {"detail": "API key must not be empty"}


async def test_each_user_sees_only_their_own_key(ol_client, services, new_client):
    await ol_client.post("/api/auth/api-key", json={"apiKey": ANTHROPIC_KEY})
    await create_user(services, email="bob@example.com", display_name="Bob")
    bob = new_client()
    await ol_login(bob, "bob@example.com")
    assert (await bob.get("/api/auth/api-key")).status_code == 204
