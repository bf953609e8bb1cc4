"""A deactivated user loses access at once: bearer tokens (2Sigma), session cookies
(OpenLearning), API keys (GraphQL), and GitHub sign-in are all refused."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from models.user import User
from tests.fixtures import bearer_for, create_user, error_codes, gql, gql_raw, ol_login
from tests.rest_compat.test_openlearning_github import (  # noqa: F401
    browser,
    github,
    github_server,
    start_login,
)
from tests.twosigma.learner_helpers import API


async def deactivate(services, user: User) -> None:
    async with services.db.transaction() as session:
        await session.execute(update(User).where(User.id == user.id).values(is_active=False))


async def test_a_deactivated_users_bearer_token_gets_401_on_2sigma(client, services):
    user = await create_user(services, email="gone@example.com")
    headers = await bearer_for(services, user)
    assert (await client.get(f"{API}/users/me", headers=headers)).status_code == 200
    await deactivate(services, user)
    response = await client.get(f"{API}/users/me", headers=headers)
    anonymous = await client.get(f"{API}/users/me")
    assert response.status_code == 401
    assert response.json() == anonymous.json() == {"detail": "Not authenticated"}


async def test_a_deactivated_users_cookie_gets_401_on_openlearning(client, services):
    user = await create_user(services, email="gone@example.com")
    await ol_login(client, "gone@example.com")
    assert (await client.get("/api/auth/me")).status_code == 200
    await deactivate(services, user)
    response = await client.get("/api/auth/me")
    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}


async def test_a_deactivated_users_api_key_stops_working(client, services):
    user = await create_user(services, email="gone@example.com")
    headers = await bearer_for(services, user)
    created = await gql(client, 'mutation { createApiKey(input: {name: "ci"}) { secret } }',
                        headers=headers)
    key_headers = {"Authorization": f"Bearer {created['createApiKey']['secret']}"}
    query = "{ viewer { kind user { email } } }"
    assert (await gql(client, query, headers=key_headers))["viewer"] == {
        "kind": "API_KEY", "user": {"email": "gone@example.com"}}
    await deactivate(services, user)
    refused = [await gql_raw(client, query, headers=h) for h in (key_headers, headers)]
    assert [(error_codes(r), r["errors"][0]["message"]) for r in refused] == [
        (["UNAUTHENTICATED"], "Invalid API key"), (["UNAUTHENTICATED"], "Session has ended")]
    response = await client.get(f"{API}/users/me", headers=key_headers)
    assert response.status_code == 401


@pytest.mark.parametrize("matched_by", ["github_id", "email"])
async def test_github_sign_in_refuses_a_deactivated_user(browser, github, github_server,  # noqa: F811
                                                         matched_by):
    services = github_server.app.state.services
    user = await create_user(services, email="gone@example.com",
                             github_id=99 if matched_by == "github_id" else None)
    await deactivate(services, user)
    github.add_user(code="gone", github_id=99 if matched_by == "github_id" else 123,
                    login="gone", email="Gone@example.com")
    state = (await start_login(browser, "/"))["state"]
    response = await browser.get("/api/auth/github/callback",
                                 params={"code": "gone", "state": state})
    assert response.status_code == 403
    assert response.json() == {"detail": "Inactive user"}
    assert "set-cookie" not in response.headers
    assert (await browser.get("/api/auth/me")).status_code == 401
    async with services.db.session() as session:
        linked = (await session.get(User, user.id)).github_id
    assert linked == (99 if matched_by == "github_id" else None)
