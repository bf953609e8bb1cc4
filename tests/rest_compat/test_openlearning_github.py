"""GitHub sign-in through the OpenLearning face, against a local fake GitHub."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.fakes.github_server import FakeGitHub
from tests.fixtures import create_user, start_instance


@pytest.fixture(scope="module")
def github():
    fake = FakeGitHub()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
async def github_server(database_url, github):
    running = await start_instance(database_url, **github.overrides())
    yield running
    await running.stop()


@pytest.fixture
async def browser(github_server, github, clean_db):
    github.reset()
    async with httpx.AsyncClient(base_url=github_server.base_url, timeout=15) as http:
        yield http


async def start_login(browser, redirect: str | None = "/dashboard") -> dict[str, str]:
    params = {"redirect": redirect} if redirect is not None else {}
    response = await browser.get("/api/auth/github", params=params)
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    return {k: v[0] for k, v in parse_qs(location.query).items()} | {
        "_url": f"{location.scheme}://{location.netloc}{location.path}"}


async def test_start_redirects_to_github_with_a_signed_state(browser, github, github_server):
    query = await start_login(browser)
    assert query["_url"] == f"{github.base_url}/login/oauth/authorize"
    assert query["client_id"] == "cid"
    assert query["redirect_uri"] == f"{github_server.base_url}/api/auth/github/callback"
    assert query["scope"] == "read:user user:email"
    assert len(query["state"]) > 40


async def test_callback_signs_the_user_in_and_redirects(browser, github):
    github.add_user(code="good", github_id=583231, login="octocat", name="The Octocat",
                    email="octocat@github.example")
    state = (await start_login(browser, "/dashboard?tab=skills"))["state"]

    response = await browser.get("/api/auth/github/callback",
                                 params={"code": "good", "state": state})
    assert response.status_code == 302
    assert response.headers["location"] == "/dashboard?tab=skills"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("access_token=") and "HttpOnly" in cookie

    me = (await browser.get("/api/auth/me")).json()
    assert me["displayName"] == "octocat"
    assert me["avatarUrl"] == "https://avatars.githubusercontent.com/u/583231?v=4"
    assert me["email"] == "octocat@github.example"
    assert me["hasApiKey"] is False


async def test_second_login_updates_the_same_user(browser, github):
    github.add_user(code="one", github_id=7, login="grace", email=None, emails=[])
    github.add_user(code="two", github_id=7, login="grace", email=None, emails=[],
                    avatar_url="https://avatars.example/new.png")
    for code in ("one", "two"):
        state = (await start_login(browser, "/"))["state"]
        response = await browser.get("/api/auth/github/callback",
                                     params={"code": code, "state": state})
        assert response.status_code == 302
    me = (await browser.get("/api/auth/me")).json()
    assert me["email"] is None
    assert me["avatarUrl"] == "https://avatars.example/new.png"


async def test_github_login_links_an_existing_account_by_verified_email(
        browser, github, github_server):
    existing = await create_user(github_server.app.state.services, email="ada@example.com")
    github.add_user(code="c", github_id=99, login="ada-gh", email="ADA@example.com")
    state = (await start_login(browser))["state"]
    await browser.get("/api/auth/github/callback", params={"code": "c", "state": state})
    me = (await browser.get("/api/auth/me")).json()
    assert me["userId"] == str(existing.id)
    assert me["displayName"] == "Ada"


@pytest.mark.parametrize("hostile", ["https://evil.example/", "//evil.example",
                                     "/\\evil.example", "javascript:alert(1)"])
async def test_no_open_redirect(browser, github, hostile):
    github.add_user(code="c", github_id=1, login="octocat", email="o@example.com")
    state = (await start_login(browser, hostile))["state"]
    response = await browser.get("/api/auth/github/callback", params={"code": "c", "state": state})
    assert response.status_code == 302
    assert response.headers["location"] == "/"


async def test_tampered_or_missing_state_is_refused(browser, github):
    github.add_user(code="c", github_id=1, login="octocat", email="o@example.com")
    state = (await start_login(browser))["state"]
    tampered = state[:-2] + ("AA" if not state.endswith("AA") else "BB")
    for params in ({"code": "c", "state": tampered}, {"code": "c"}, {"state": state}):
        response = await browser.get("/api/auth/github/callback", params=params)
        assert response.status_code == 400
        assert "detail" in response.json()
        assert "set-cookie" not in response.headers
    assert (await browser.get("/api/auth/me")).status_code == 401


async def test_rejected_code_is_a_400(browser):
    state = (await start_login(browser))["state"]
    response = await browser.get("/api/auth/github/callback",
                                 params={"code": "unknown", "state": state})
    assert response.status_code == 400
    assert response.json() == {"detail": "GitHub authorization failed"}


async def test_github_down_is_a_502(browser, github):
    github.add_user(code="c", github_id=1, login="octocat", email="o@example.com")
    github.fail_next(500)
    state = (await start_login(browser))["state"]
    response = await browser.get("/api/auth/github/callback", params={"code": "c", "state": state})
    assert response.status_code == 502
    assert response.json() == {"detail": "Unable to reach GitHub. Please try again."}


async def test_not_configured_is_501(client):
    for path in ("/api/auth/github", "/api/auth/github/callback?code=a&state=b"):
        response = await client.get(path)
        assert response.status_code == 501
        assert response.json() == {"detail": "GitHub OAuth is not configured"}
