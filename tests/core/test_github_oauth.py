"""GitHub OAuth core: signed state, redirect hygiene and code exchange against a fake GitHub."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from core.config import Settings
from core.errors import NotConfigured, Upstream, Validation
from core.github_oauth import (
    GitHubProfile,
    authorize_url,
    exchange_code,
    safe_redirect_path,
    sign_state,
    verify_state,
)
from tests.fakes.github_server import FakeGitHub

SECRET = "test-secret-key"
NOW = 1_700_000_000
REDIRECT_URI = "http://localhost:8000/api/auth/github/callback"


@pytest.fixture(scope="module")
def fake_server():
    with FakeGitHub() as fake:
        yield fake


@pytest.fixture
def github(fake_server: FakeGitHub) -> FakeGitHub:
    fake_server.reset()
    return fake_server


@pytest.fixture
def settings(github: FakeGitHub) -> Settings:
    return github.configure(Settings(secret_key=SECRET))


# --------------------------------------------------------------------------- state

def test_state_round_trip_returns_redirect():
    state = sign_state(secret_key=SECRET, redirect="/courses/42?tab=notes", now=NOW)
    assert verify_state(secret_key=SECRET, state=state, ttl_seconds=600, now=NOW + 599) \
        == "/courses/42?tab=notes"


def test_state_is_url_safe_and_unique():
    first = sign_state(secret_key=SECRET, redirect="/", now=NOW)
    second = sign_state(secret_key=SECRET, redirect="/", now=NOW)
    assert first != second  # random nonce
    allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert set(first) <= allowed


def test_state_default_and_hostile_redirect_become_root():
    for redirect in (None, "", "https://evil.com"):
        state = sign_state(secret_key=SECRET, redirect=redirect, now=NOW)
        assert verify_state(secret_key=SECRET, state=state, ttl_seconds=600, now=NOW) == "/"


def _reencode(state: str, **changes: object) -> str:
    payload, signature = state.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body.update(changes)
    raw = json.dumps(body, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode() + "." + signature


@pytest.mark.parametrize("mutate", [
    lambda s: _reencode(s, r="https://evil.com"),
    lambda s: _reencode(s, t=NOW + 10_000),
    lambda s: s[:-2] + ("AA" if not s.endswith("AA") else "BB"),
    lambda s: s.split(".")[0],
    lambda s: s + ".extra",
    lambda s: "",
    lambda s: "not-a-state",
    lambda s: "é" + s,
    lambda s: "x" * 5000,
])
def test_tampered_or_malformed_state_is_rejected(mutate):
    state = sign_state(secret_key=SECRET, redirect="/ok", now=NOW)
    with pytest.raises(Validation) as caught:
        verify_state(secret_key=SECRET, state=mutate(state), ttl_seconds=600, now=NOW)
    assert caught.value.message == "Invalid or expired OAuth state"
    assert caught.value.status == 400


def test_non_string_state_is_rejected():
    with pytest.raises(Validation):
        verify_state(secret_key=SECRET, state=None, ttl_seconds=600, now=NOW)


def test_expired_state_is_rejected():
    state = sign_state(secret_key=SECRET, redirect="/ok", now=NOW)
    assert verify_state(secret_key=SECRET, state=state, ttl_seconds=600, now=NOW + 600) == "/ok"
    with pytest.raises(Validation, match="Invalid or expired OAuth state"):
        verify_state(secret_key=SECRET, state=state, ttl_seconds=600, now=NOW + 601)


def test_state_from_the_far_future_is_rejected():
    state = sign_state(secret_key=SECRET, redirect="/ok", now=NOW + 3600)
    with pytest.raises(Validation):
        verify_state(secret_key=SECRET, state=state, ttl_seconds=600, now=NOW)


def test_state_signed_with_another_secret_is_rejected():
    state = sign_state(secret_key="other-secret", redirect="/ok", now=NOW)
    with pytest.raises(Validation, match="Invalid or expired OAuth state"):
        verify_state(secret_key=SECRET, state=state, ttl_seconds=600, now=NOW)


def test_state_key_is_not_the_raw_secret():
    import hashlib
    import hmac

    state = sign_state(secret_key=SECRET, redirect="/ok", now=NOW)
    payload, signature = state.split(".")
    raw = base64.urlsafe_b64encode(
        hmac.new(SECRET.encode(), payload.encode(), hashlib.sha256).digest()).rstrip(b"=")
    assert signature != raw.decode()


def test_empty_secret_key_is_refused():
    with pytest.raises(ValueError):
        sign_state(secret_key="", redirect="/", now=NOW)


# --------------------------------------------------------------------------- redirects

@pytest.mark.parametrize("value", [
    "/", "/dashboard", "/ok?x=1", "/courses/42?tab=notes#top", "/search?q=a%20b",
    "/docs/a%2Fb", "/ok?email=a@example.com", "/caf%C3%A9",
])
def test_safe_redirect_path_keeps_same_site_paths(value):
    assert safe_redirect_path(value) == value


@pytest.mark.parametrize("value", [
    None, "", "dashboard", "https://evil.com", "http://evil.com/", "//evil.com",
    "///evil.com", "/\\evil.com", "\\\\evil.com", "/ok\\..\\x", "javascript:alert(1)",
    " /ok", "/ok path", "/ok\nSet-Cookie: x=1", "/ok\r\nLocation: //evil.com", "/\t/evil.com",
    "/ok\x00", "/ok\x7f",
    # Decoded by a later layer these would leave the site or inject headers.
    "%2F%2Fevil.com", "/%2F%2Fevil.com", "/%2fevil.com", "/%5Cevil.com", "/%252F%252Fevil.com",
    "/ok%0d%0aSet-Cookie:x=1", "/%09/evil.com",
    # Userinfo tricks: no "@" in the path part, encoded or not.
    "/@evil.com", "/x@evil.com", "/%40evil.com",
    "/caf\u00e9", "/\u2215\u2215evil.com", "/%FF", "/" + "a" * 3000,
])
def test_safe_redirect_path_rejects_hostile_input(value):
    assert safe_redirect_path(value) == "/"


# --------------------------------------------------------------------------- authorize

def test_authorize_url(settings: Settings, github: FakeGitHub):
    url = authorize_url(settings, state="st.ate", redirect_uri=REDIRECT_URI)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == \
        f"{github.base_url}/login/oauth/authorize"
    assert parse_qs(parts.query) == {
        "client_id": ["cid"], "redirect_uri": [REDIRECT_URI],
        "scope": ["read:user user:email"], "state": ["st.ate"],
    }


def test_authorize_url_against_the_fake_round_trips(settings: Settings, github: FakeGitHub):
    github.approve_next("abc")
    url = authorize_url(settings, state="s1", redirect_uri=REDIRECT_URI)
    response = httpx.get(url)
    assert response.status_code == 302
    assert response.headers["location"] == f"{REDIRECT_URI}?code=abc&state=s1"
    assert httpx.get(url).json()["scope"] == "read:user user:email"


def test_authorize_url_not_configured():
    with pytest.raises(NotConfigured) as caught:
        authorize_url(Settings(secret_key=SECRET), state="s", redirect_uri=REDIRECT_URI)
    assert caught.value.status == 501
    assert caught.value.message == "GitHub OAuth is not configured"


# --------------------------------------------------------------------------- exchange

async def test_exchange_code_with_public_email(settings: Settings, github: FakeGitHub):
    github.add_user(code="abc", github_id=1, login="octocat", name="The Octocat",
                    email="octo@example.com", avatar_url="https://example.com/a.png")
    profile = await exchange_code(settings, code="abc", redirect_uri=REDIRECT_URI)
    assert profile == GitHubProfile(github_id=1, login="octocat", name="The Octocat",
                                    email="octo@example.com",
                                    avatar_url="https://example.com/a.png")
    assert github.paths() == ["/login/oauth/access_token", "/user"]
    token_request = github.requests[0]
    assert token_request.body == {"client_id": "cid", "client_secret": "csecret",
                                  "code": "abc", "redirect_uri": REDIRECT_URI}
    assert token_request.headers["accept"] == "application/json"
    assert github.requests[1].headers["authorization"].startswith("Bearer gho_")


async def test_exchange_code_email_from_user_emails(settings: Settings, github: FakeGitHub):
    github.add_user(code="abc", github_id=2, login="hidden", name=None, email=None, emails=[
        {"email": "old@example.com", "primary": False, "verified": True},
        {"email": "unverified@example.com", "primary": True, "verified": False},
        {"email": "main@example.com", "primary": True, "verified": True},
    ])
    async with httpx.AsyncClient() as http:
        profile = await exchange_code(settings, code="abc", redirect_uri=REDIRECT_URI, http=http)
    assert profile.github_id == 2
    assert profile.login == "hidden"
    assert profile.name is None
    assert profile.email == "main@example.com"
    assert profile.avatar_url == "https://avatars.githubusercontent.com/u/2?v=4"
    assert github.paths() == ["/login/oauth/access_token", "/user", "/user/emails"]


async def test_exchange_code_without_any_verified_primary_email(settings, github):
    github.add_user(code="abc", github_id=3, login="noemail", emails=[
        {"email": "x@example.com", "primary": True, "verified": False}])
    profile = await exchange_code(settings, code="abc", redirect_uri=REDIRECT_URI)
    assert profile.email is None


async def test_exchange_code_emails_forbidden_logs_in_without_email(settings, github):
    github.add_user(code="abc", github_id=4, login="noscope", email=None)
    github.fail_next(404, path="/user/emails")
    profile = await exchange_code(settings, code="abc", redirect_uri=REDIRECT_URI)
    assert (profile.login, profile.email) == ("noscope", None)


async def test_exchange_code_bad_code(settings: Settings, github: FakeGitHub):
    with pytest.raises(Validation) as caught:
        await exchange_code(settings, code="nope", redirect_uri=REDIRECT_URI)
    assert caught.value.status == 400
    assert caught.value.message == "GitHub authorization failed"
    assert caught.value.details == {"reason": "bad_verification_code"}
    assert github.paths() == ["/login/oauth/access_token"]


async def test_exchange_code_is_single_use(settings: Settings, github: FakeGitHub):
    github.add_user(code="abc", github_id=1, login="octocat", email="o@example.com")
    await exchange_code(settings, code="abc", redirect_uri=REDIRECT_URI)
    with pytest.raises(Validation, match="GitHub authorization failed"):
        await exchange_code(settings, code="abc", redirect_uri=REDIRECT_URI)


async def test_exchange_code_wrong_client_secret_never_leaks_it(settings, github):
    github.add_user(code="abc", github_id=1, login="octocat", email="o@example.com")
    wrong = settings.with_overrides(github_client_secret="s3cr3t-value")
    with pytest.raises(Validation) as caught:
        await exchange_code(wrong, code="abc", redirect_uri=REDIRECT_URI)
    assert "s3cr3t-value" not in str(caught.value)
    assert "s3cr3t-value" not in repr(caught.value.details)
    assert caught.value.__cause__ is None


async def test_exchange_code_empty_code_makes_no_request(settings: Settings, github):
    with pytest.raises(Validation):
        await exchange_code(settings, code="", redirect_uri=REDIRECT_URI)
    assert github.requests == []


@pytest.mark.parametrize("path", ["/login/oauth/access_token", "/user", "/user/emails"])
async def test_exchange_code_server_error_is_502(settings: Settings, github, path):
    github.add_user(code="abc", github_id=1, login="octocat", email=None)
    github.fail_next(status=500, path=path)
    with pytest.raises(Upstream) as caught:
        await exchange_code(settings, code="abc", redirect_uri=REDIRECT_URI)
    assert caught.value.status == 502
    assert caught.value.code == "UPSTREAM_ERROR"
    assert caught.value.message == "Unable to reach GitHub. Please try again."


async def test_exchange_code_slow_server_is_504(settings: Settings, github: FakeGitHub):
    github.add_user(code="abc", github_id=1, login="octocat", email="o@example.com")
    github.slow_next(3, path="/user")
    with pytest.raises(Upstream) as caught:
        await exchange_code(settings, code="abc", redirect_uri=REDIRECT_URI,
                            timeout_seconds=0.3)
    assert caught.value.status == 504
    assert caught.value.message == "Unable to reach GitHub. Please try again."


async def test_exchange_code_unreachable_is_502(settings: Settings):
    # Port 9 (discard) on localhost is not listening: connection refused.
    down = settings.with_overrides(github_token_url="http://127.0.0.1:9/login/oauth/access_token")
    with pytest.raises(Upstream) as caught:
        await exchange_code(down, code="abc", redirect_uri=REDIRECT_URI)
    assert caught.value.status == 502


async def test_exchange_code_not_configured(github: FakeGitHub):
    with pytest.raises(NotConfigured) as caught:
        await exchange_code(Settings(secret_key=SECRET), code="abc", redirect_uri=REDIRECT_URI)
    assert caught.value.status == 501
    assert caught.value.message == "GitHub OAuth is not configured"
    assert github.requests == []


def test_fake_token_endpoint_speaks_form_encoding_by_default(github: FakeGitHub):
    github.add_user(code="abc", github_id=1, login="octocat")
    response = httpx.post(f"{github.base_url}/login/oauth/access_token",
                          json={"client_id": "cid", "client_secret": "csecret", "code": "abc"})
    assert response.headers["content-type"].startswith("application/x-www-form-urlencoded")
    body = parse_qs(response.text)
    assert body["token_type"] == ["bearer"]
    user = httpx.get(f"{github.base_url}/user",
                     headers={"Authorization": f"token {body['access_token'][0]}"})
    assert user.json()["login"] == "octocat"
    assert httpx.get(f"{github.base_url}/user",
                     headers={"Authorization": "Bearer wrong"}).status_code == 401
