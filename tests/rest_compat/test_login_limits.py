"""Sign-in limits: per client address (read through trusted proxies only) and per account
(a lockout that holds across addresses), on every face that signs in."""

from __future__ import annotations

from ipaddress import ip_network

import httpx
import pytest

from resolvers.auth import LOCKED_OUT
from tests.fixtures import CODELABS_ADMIN_PASSWORD, PASSWORD, start_instance

LOCAL_PROXY = (ip_network("127.0.0.0/8"),)
LOGINS = ["/api/auth/login", "/api/v1/auth/login"]


@pytest.fixture(scope="module")
async def proxied_instance(database_url):
    """An instance that trusts its loopback peer as a reverse proxy, with a small lockout."""
    running = await start_instance(database_url, trusted_proxies=LOCAL_PROXY,
                                   login_lockout_failures=3,
                                   codelabs_admin_password=CODELABS_ADMIN_PASSWORD)
    yield running
    await running.stop()


@pytest.fixture
async def behind_proxy(proxied_instance, clean_db):
    async with httpx.AsyncClient(base_url=proxied_instance.base_url, timeout=10) as http:
        yield http


def _from(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


@pytest.mark.parametrize("path", LOGINS)
async def test_an_account_locks_after_failures_from_many_addresses(behind_proxy, user, path):
    for i in range(3):
        wrong = await behind_proxy.post(path, json={"email": user.email, "password": "nope"},
                                        headers=_from(f"203.0.113.{i}"))
        assert wrong.status_code == 401
    # The right password, from yet another address, while the account is locked.
    locked = await behind_proxy.post(path, json={"email": "ADA@example.com ",
                                                 "password": PASSWORD},
                                     headers=_from("198.51.100.9"))
    assert locked.status_code == 429
    assert locked.json() == {"detail": LOCKED_OUT}
    assert 890 <= int(locked.headers["retry-after"]) <= 900
    # Other accounts signing in from those addresses are not affected.
    other = await behind_proxy.post(path, json={"email": "nobody@example.com",
                                                "password": "nope"}, headers=_from("203.0.113.0"))
    assert other.status_code == 401


async def test_the_codelabs_facilitator_locks_the_same_way(behind_proxy):
    login = "/compat/codelabs/api/login"
    for i in range(3):
        wrong = await behind_proxy.post(login, json={"admin_id": "admin", "admin_pw": "nope"},
                                        headers=_from(f"203.0.113.{i}"))
        assert wrong.status_code == 401
    locked = await behind_proxy.post(login, json={
        "admin_id": "admin", "admin_pw": CODELABS_ADMIN_PASSWORD}, headers=_from("198.51.100.9"))
    assert locked.status_code == 429
    assert locked.json() == {"error": LOCKED_OUT}
    assert 890 <= int(locked.headers["retry-after"]) <= 900


async def test_an_unknown_account_locks_the_same_way(behind_proxy):
    statuses = [(await behind_proxy.post("/api/auth/login", json={
        "email": "nobody@example.com", "password": "nope"}, headers=_from(f"203.0.113.{i}")
    )).status_code for i in range(4)]
    assert statuses == [401, 401, 401, 429]


async def test_a_successful_sign_in_clears_the_failures(behind_proxy, user):
    for _ in range(3):
        for password in ("nope", "nope", PASSWORD):
            response = await behind_proxy.post("/api/auth/login",
                                               json={"email": user.email, "password": password})
            assert response.status_code == (200 if password == PASSWORD else 401)


async def test_the_lockout_holds_over_graphql_too(behind_proxy, user):
    login = "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) " \
            "{ __typename } }"
    for i in range(4):
        body = (await behind_proxy.post("/graphql", json={"query": login, "variables": {
            "e": user.email, "p": "nope"}}, headers=_from(f"203.0.113.{i}"))).json()
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_forwarded_for_from_a_trusted_proxy_is_the_client_address(behind_proxy, services):
    limit = services.settings.rate_limit_login
    # Different forwarded addresses each have their own allowance ...
    for i in range(limit + 2):
        response = await behind_proxy.post("/api/auth/login", json={
            "email": f"u{i}@example.com", "password": "nope"}, headers=_from(f"203.0.113.{i}"))
        assert response.status_code == 401
    # ... and one address, whatever proxies it came through, has one.
    statuses = []
    for i in range(limit + 1):
        response = await behind_proxy.post("/api/auth/login", json={
            "email": f"v{i}@example.com", "password": "nope"},
            headers=_from(f"198.51.100.7, 127.0.0.{i % 3 + 1}"))
        statuses.append(response.status_code)
    assert statuses == [401] * limit + [429]


async def test_forwarded_headers_from_an_untrusted_peer_are_ignored(client, services):
    limit = services.settings.rate_limit_login
    statuses = []
    for i in range(limit + 1):
        response = await client.post("/api/auth/login", json={
            "email": f"u{i}@example.com", "password": "nope"}, headers=_from(f"203.0.113.{i}"))
        statuses.append(response.status_code)
    assert statuses == [401] * limit + [429]


async def test_forwarded_proto_from_an_untrusted_peer_does_not_mark_cookies_secure(client, user):
    response = await client.post("/api/auth/login", json={"email": user.email,
                                                          "password": PASSWORD},
                                 headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    assert "secure" not in response.headers["set-cookie"].lower()


async def test_forwarded_proto_from_a_trusted_proxy_marks_cookies_secure(behind_proxy, user):
    response = await behind_proxy.post("/api/auth/login", json={"email": user.email,
                                                                "password": PASSWORD},
                                       headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    assert "; secure" in response.headers["set-cookie"].lower()
