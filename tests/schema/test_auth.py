"""Sign-in through GraphQL: register, login, refresh rotation, logout, the viewer."""

from __future__ import annotations

import time
import uuid

import jwt

from core.auth import tokens
from tests.fixtures import PASSWORD, TEST_SECRET, error_codes, gql, gql_raw

VIEWER = "{ viewer { id kind isAuthenticated roles user { id displayName email } } }"

REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) {
    user { id displayName email }
    accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt
  }
}"""

LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { accessToken refreshToken user { id } }
}"""

REFRESH = """
mutation Refresh($token: String!) {
  refreshToken(input: {refreshToken: $token}) { accessToken refreshToken }
}"""

LOGOUT = "mutation { logout { ok } }"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def refused(http, token: str, query: str = VIEWER) -> str:
    """The reason GraphQL gives for refusing ``token``; fails if it is not refused."""
    body = await gql_raw(http, query, headers=bearer(token))
    assert body["data"] is None, body
    assert error_codes(body) == ["UNAUTHENTICATED"], body
    return body["errors"][0]["message"]


async def test_anonymous_viewer(client):
    data = await gql(client, VIEWER)
    assert data == {"viewer": {"id": None, "kind": "ANONYMOUS", "isAuthenticated": False,
                               "roles": [], "user": None}}


async def test_register_returns_tokens_that_identify_the_viewer(client, new_client):
    data = await gql(client, REGISTER, {"input": {"email": "Grace@Example.com",
                                                  "password": PASSWORD,
                                                  "displayName": "Grace Hopper"}})
    payload = data["register"]
    assert payload["user"]["displayName"] == "Grace Hopper"
    assert payload["user"]["email"] == "Grace@example.com"
    assert payload["accessToken"] != payload["refreshToken"]

    fresh = new_client()
    viewer = (await gql(fresh, VIEWER, headers=bearer(payload["accessToken"])))["viewer"]
    assert viewer["kind"] == "USER"
    assert viewer["isAuthenticated"] is True
    assert viewer["id"] == payload["user"]["id"]
    assert viewer["user"]["email"] == "Grace@example.com"


async def test_register_validation_errors_carry_codes(client, user):
    body = await gql_raw(client, REGISTER, {"input": {"email": "ada@example.com",
                                                      "password": PASSWORD}})
    assert error_codes(body) == ["CONFLICT"]
    assert body["errors"][0]["message"] == "An account with this email already exists"
    body = await gql_raw(client, REGISTER, {"input": {"email": "x@example.com",
                                                      "password": "short"}})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["details"] == {"field": "password"}
    body = await gql_raw(client, REGISTER, {"input": {"email": "nope", "password": PASSWORD}})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"].startswith("Invalid email address")


async def test_login_with_wrong_password_is_unauthenticated(client, user):
    body = await gql_raw(client, LOGIN, {"email": user.email, "password": "wrong password"})
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["errors"][0]["message"] == "Invalid email or password"
    assert body["data"] is None


async def test_refresh_rotates_and_reuse_revokes_the_session(client, user, new_client):
    first = (await gql(client, LOGIN, {"email": user.email, "password": PASSWORD}))["login"]
    second = (await gql(client, REFRESH, {"token": first["refreshToken"]}))["refreshToken"]
    assert second["refreshToken"] != first["refreshToken"]
    api = new_client()
    viewer = (await gql(api, VIEWER, headers=bearer(second["accessToken"])))["viewer"]
    assert viewer["kind"] == "USER"

    # Reusing the first (already rotated) refresh token is theft: the family is revoked.
    body = await gql_raw(api, REFRESH, {"token": first["refreshToken"]})
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert "reuse" in body["errors"][0]["message"]
    for token in (first["accessToken"], second["accessToken"]):
        assert await refused(api, token) == "Session has ended"
    body = await gql_raw(api, REFRESH, {"token": second["refreshToken"]})
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_token_types_never_cross(client, user, new_client):
    pair = (await gql(client, LOGIN, {"email": user.email, "password": PASSWORD}))["login"]
    api = new_client()
    assert await refused(api, pair["refreshToken"]) == "Invalid token type"
    body = await gql_raw(api, REFRESH, {"token": pair["accessToken"]})
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["errors"][0]["message"] == "Invalid token type"


async def test_forged_expired_and_foreign_tokens_are_refused(client, user, services, new_client):
    pair = (await gql(client, LOGIN, {"email": user.email, "password": PASSWORD}))["login"]
    claims = jwt.decode(pair["accessToken"], options={"verify_signature": False})
    settings = services.settings
    api = new_client()

    expired, _ = tokens.issue(settings, user_id=user.id, session_id=uuid.UUID(claims["sid"]),
                              token_type=tokens.ACCESS, ttl_seconds=-60)
    unsigned = jwt.encode({**claims}, key=None, algorithm="none")
    wrong_key = jwt.encode({**claims}, "another-secret-entirely-0123456789abcdef",
                           algorithm="HS256")
    wrong_audience = jwt.encode({**claims, "aud": "someone-else"}, tokens._signing_key(settings),
                                algorithm="HS256")
    wrong_issuer = jwt.encode({**claims, "iss": "someone-else"}, tokens._signing_key(settings),
                              algorithm="HS256")
    raw_secret = jwt.encode({**claims, "exp": int(time.time()) + 60}, TEST_SECRET,
                            algorithm="HS256")
    reasons = [await refused(api, token) for token in (
        expired, unsigned, wrong_key, wrong_audience, wrong_issuer, raw_secret, "garbage")]
    assert reasons[0] == "Token has expired"
    assert all(reason == "Invalid token" for reason in reasons[1:]), reasons
    assert (await gql(api, VIEWER, headers=bearer(pair["accessToken"])))["viewer"]["kind"] == "USER"


async def test_a_token_verified_before_is_refused_once_it_expires(client, user, new_client,
                                                                  monkeypatch):
    pair = (await gql(client, LOGIN, {"email": user.email, "password": PASSWORD}))["login"]
    api = new_client()
    assert (await gql(api, VIEWER, headers=bearer(pair["accessToken"])))["viewer"]["kind"] == "USER"
    expires_at = jwt.decode(pair["accessToken"], options={"verify_signature": False})["exp"]
    # Its claims were verified once; its expiry is checked on every use all the same.
    monkeypatch.setattr(tokens, "_clock", lambda: expires_at + tokens.LEEWAY_SECONDS)
    assert await refused(api, pair["accessToken"]) == "Token has expired"


async def test_logout_revokes_bearer_tokens(client, user, new_client):
    pair = (await gql(client, LOGIN, {"email": user.email, "password": PASSWORD}))["login"]
    api = new_client()
    assert (await gql(api, LOGOUT, headers=bearer(pair["accessToken"]))) == {"logout": {"ok": True}}
    assert await refused(api, pair["accessToken"]) == "Session has ended"
    assert await refused(api, pair["accessToken"], LOGOUT) == "Session has ended"
    assert error_codes(await gql_raw(api, REFRESH, {"token": pair["refreshToken"]})) == [
        "UNAUTHENTICATED"]


async def test_graphql_login_also_sets_the_session_cookie(client, user):
    await gql(client, LOGIN, {"email": user.email, "password": PASSWORD})
    assert "access_token" in client.cookies
    viewer = (await gql(client, VIEWER))["viewer"]
    assert viewer["user"]["displayName"] == "Ada"
    me = await client.get("/api/auth/me")
    assert me.status_code == 200 and me.json()["userId"] == str(user.id)
    await gql(client, LOGOUT)
    assert (await gql(client, VIEWER))["viewer"]["kind"] == "ANONYMOUS"


async def test_a_client_with_an_expired_token_can_still_sign_in_and_refresh(client, user, services,
                                                                          new_client):
    pair = (await gql(client, LOGIN, {"email": user.email, "password": PASSWORD}))["login"]
    claims = jwt.decode(pair["accessToken"], options={"verify_signature": False})
    expired, _ = tokens.issue(services.settings, user_id=user.id,
                              session_id=uuid.UUID(claims["sid"]), token_type=tokens.ACCESS,
                              ttl_seconds=-60)
    api = new_client()
    renewed = (await gql(api, REFRESH, {"token": pair["refreshToken"]},
                         headers=bearer(expired)))["refreshToken"]
    again = (await gql(api, LOGIN, {"email": user.email, "password": PASSWORD},
                       headers=bearer(expired)))["login"]
    for token in (renewed["accessToken"], again["accessToken"]):
        assert (await gql(api, VIEWER, headers=bearer(token)))["viewer"]["kind"] == "USER"
    # Anything else with the expired token is refused, even next to a sign-in field.
    both = "mutation($t: String!) { refreshToken(input: {refreshToken: $t}) { accessToken } " \
           "logout { ok } }"
    body = await gql_raw(api, both, {"t": renewed["refreshToken"]}, headers=bearer(expired))
    assert error_codes(body) == ["UNAUTHENTICATED"] and body["data"] is None


async def test_a_stale_session_cookie_is_anonymous_not_refused(client, user):
    client.cookies.set("access_token", "stale-or-forged")
    assert (await gql(client, VIEWER))["viewer"]["kind"] == "ANONYMOUS"
    await gql(client, LOGIN, {"email": user.email, "password": PASSWORD})
    assert (await gql(client, VIEWER))["viewer"]["kind"] == "USER"
