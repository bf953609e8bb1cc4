"""GitHub OAuth protocol core: signed CSRF state, redirect hygiene, code exchange.

The HTTP routes and the user upsert live elsewhere; this module only speaks
the OAuth web flow with GitHub and never touches the database.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit, urlunsplit

import httpx

from core.config import Settings
from core.errors import NotConfigured, Upstream, Validation

log = logging.getLogger(__name__)

SCOPE = "read:user user:email"
TIMEOUT_SECONDS = 10.0
INVALID_STATE = "Invalid or expired OAuth state"
NOT_CONFIGURED = "GitHub OAuth is not configured"
AUTHORIZATION_FAILED = "GitHub authorization failed"
UNREACHABLE = "Unable to reach GitHub. Please try again."

_STATE_PURPOSE = b"learngraph/github-oauth-state/v1"
_MAX_STATE_LENGTH = 4096
_MAX_REDIRECT_LENGTH = 2048
_MAX_CODE_LENGTH = 512
# A state issued slightly "in the future" is tolerated for clock skew between workers.
_CLOCK_SKEW_SECONDS = 60
# Token-endpoint errors that mean the server, not the user, is misconfigured.
_SERVER_SIDE_ERRORS = frozenset({"incorrect_client_credentials", "redirect_uri_mismatch"})
_API_HEADERS = {
    "Accept": "application/vnd.github+json",
    "X-GitHub-Api-Version": "2022-11-28",
    "User-Agent": "learngraph",
}


# --------------------------------------------------------------------------- redirects

def _is_safe_path(value: str, *, decoded: bool) -> bool:
    if not value.startswith("/") or value.startswith("//"):
        return False
    for char in value:
        if char == "\\" or ord(char) < 0x20 or ord(char) == 0x7F:
            return False
        # Undecoded, only printable ASCII without spaces belongs in a Location header.
        if not decoded and not 0x21 <= ord(char) <= 0x7E:
            return False
    path = value.split("?", 1)[0].split("#", 1)[0]
    return "@" not in path


def safe_redirect_path(value: str | None) -> str:
    """Return ``value`` if it is a same-site absolute path, else ``/``.

    Percent-encoding is decoded (repeatedly) and re-checked so that a later
    layer decoding ``/%2F%2Fevil.com`` or ``/%5Cevil.com`` cannot turn it into
    an off-site URL; the original, undecoded value is what is returned.
    """
    if not isinstance(value, str) or not value or len(value) > _MAX_REDIRECT_LENGTH:
        return "/"
    if not _is_safe_path(value, decoded=False):
        return "/"
    current = value
    for _ in range(4):
        try:
            decoded = unquote(current, errors="strict")
        except UnicodeDecodeError:
            return "/"
        if decoded == current:
            return value
        if not _is_safe_path(decoded, decoded=True):
            return "/"
        current = decoded
    # Still changing after several rounds of decoding: nobody needs that.
    return "/"


# --------------------------------------------------------------------------- state

def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _state_key(secret_key: str) -> bytes:
    if not secret_key:
        raise ValueError("secret_key must not be empty")
    return hmac.new(secret_key.encode("utf-8"), _STATE_PURPOSE, hashlib.sha256).digest()


def _sign(key: bytes, payload: str) -> str:
    return _b64encode(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest())


def sign_state(*, secret_key: str, redirect: str | None, now: int | None = None) -> str:
    """Issue a url-safe, HMAC-signed state carrying the post-login redirect path."""
    issued = int(time.time()) if now is None else int(now)
    body = {"r": safe_redirect_path(redirect), "t": issued, "n": secrets.token_urlsafe(16)}
    payload = _b64encode(json.dumps(body, separators=(",", ":")).encode("utf-8"))
    return f"{payload}.{_sign(_state_key(secret_key), payload)}"


def verify_state(*, secret_key: str, state: str | None, ttl_seconds: int,
                 now: int | None = None) -> str:
    """Check a state from :func:`sign_state` and return its redirect path.

    Raises ``Validation`` if the state is malformed, tampered with or expired.
    """
    key = _state_key(secret_key)
    if not isinstance(state, str) or len(state) > _MAX_STATE_LENGTH or state.count(".") != 1:
        raise Validation(INVALID_STATE)
    payload, signature = state.split(".")
    if not payload.isascii() or not signature.isascii():
        raise Validation(INVALID_STATE)
    if not hmac.compare_digest(_sign(key, payload).encode(), signature.encode()):
        raise Validation(INVALID_STATE)
    try:
        body = json.loads(_b64decode(payload))
    except (binascii.Error, ValueError):
        raise Validation(INVALID_STATE) from None
    if not isinstance(body, dict):
        raise Validation(INVALID_STATE)
    issued, redirect = body.get("t"), body.get("r")
    if type(issued) is not int or not isinstance(redirect, str):
        raise Validation(INVALID_STATE)
    current = int(time.time()) if now is None else int(now)
    if current - issued > ttl_seconds or issued - current > _CLOCK_SKEW_SECONDS:
        raise Validation(INVALID_STATE)
    return safe_redirect_path(redirect)


# --------------------------------------------------------------------------- authorize

def authorize_url(settings: Settings, *, state: str, redirect_uri: str) -> str:
    """The GitHub page the browser is sent to, asking for ``read:user user:email``."""
    if not settings.github_configured:
        raise NotConfigured(NOT_CONFIGURED)
    params = urlencode(
        {"client_id": settings.github_client_id, "redirect_uri": redirect_uri,
         "scope": SCOPE, "state": state},
        quote_via=quote,
    )
    parts = urlsplit(settings.github_authorize_url)
    query = f"{parts.query}&{params}" if parts.query else params
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


# --------------------------------------------------------------------------- exchange

@dataclass(frozen=True)
class GitHubProfile:
    """The GitHub account that completed the OAuth flow."""

    github_id: int
    login: str
    name: str | None
    email: str | None
    avatar_url: str | None


async def _send(http: httpx.AsyncClient, what: str, method: str, url: str,
                seconds: float, **kwargs: Any) -> httpx.Response:
    # asyncio.timeout bounds the whole request; httpx's own timeouts are per phase.
    try:
        async with asyncio.timeout(seconds):
            response = await http.request(method, url, timeout=seconds,
                                          follow_redirects=False, **kwargs)
    except (TimeoutError, httpx.TimeoutException):
        log.warning("GitHub %s request timed out", what)
        raise Upstream(UNREACHABLE, status=504) from None
    except httpx.HTTPError as exc:
        log.warning("GitHub %s request failed: %s", what, type(exc).__name__)
        raise Upstream(UNREACHABLE, status=502) from None
    return response


def _json(response: httpx.Response, what: str) -> Any:
    try:
        return response.json()
    except ValueError:
        log.warning("GitHub %s response was not JSON (status %s)", what, response.status_code)
        raise Upstream(UNREACHABLE, status=502) from None


def _unexpected(response: httpx.Response, what: str) -> Upstream:
    log.warning("GitHub %s returned status %s", what, response.status_code)
    return Upstream(UNREACHABLE, status=502)


async def _access_token(http: httpx.AsyncClient, settings: Settings, *, code: str,
                        redirect_uri: str, seconds: float) -> str:
    response = await _send(
        http, "token", "POST", settings.github_token_url, seconds,
        data={"client_id": settings.github_client_id,
              "client_secret": settings.github_client_secret,
              "code": code, "redirect_uri": redirect_uri},
        headers={"Accept": "application/json", "User-Agent": _API_HEADERS["User-Agent"]},
    )
    if response.status_code >= 500 or response.status_code in (403, 429):
        raise _unexpected(response, "token")
    if response.status_code != 200:
        log.info("GitHub token exchange rejected with status %s", response.status_code)
        raise Validation(AUTHORIZATION_FAILED)
    body = _json(response, "token")
    if not isinstance(body, dict):
        raise _unexpected(response, "token")
    error = body.get("error")
    if error:
        error = str(error)[:100]
        if error in _SERVER_SIDE_ERRORS:
            log.error("GitHub rejected the OAuth app configuration: %s", error)
            raise Upstream("GitHub rejected this server's OAuth configuration", status=502)
        log.info("GitHub token exchange rejected: %s", error)
        raise Validation(AUTHORIZATION_FAILED, details={"reason": error})
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise _unexpected(response, "token")
    return token


def _primary_verified(emails: Any) -> str | None:
    if not isinstance(emails, list):
        return None
    for entry in emails:
        if (isinstance(entry, dict) and entry.get("primary") is True
                and entry.get("verified") is True and isinstance(entry.get("email"), str)
                and entry["email"]):
            return entry["email"]
    return None


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


async def exchange_code(settings: Settings, *, code: str, redirect_uri: str,
                        http: httpx.AsyncClient | None = None,
                        timeout_seconds: float = TIMEOUT_SECONDS) -> GitHubProfile:
    """Trade an authorization code for the GitHub profile of the user who granted it.

    A bad or reused code raises ``Validation`` (400); GitHub being unreachable,
    slow or broken raises ``Upstream`` (502, or 504 on timeout).
    """
    if not settings.github_configured:
        raise NotConfigured(NOT_CONFIGURED)
    if not isinstance(code, str) or not code or len(code) > _MAX_CODE_LENGTH:
        raise Validation(AUTHORIZATION_FAILED, details={"reason": "missing_code"})
    if http is None:
        async with httpx.AsyncClient() as client:
            return await _exchange(client, settings, code, redirect_uri, timeout_seconds)
    return await _exchange(http, settings, code, redirect_uri, timeout_seconds)


async def _exchange(http: httpx.AsyncClient, settings: Settings, code: str,
                    redirect_uri: str, seconds: float) -> GitHubProfile:
    token = await _access_token(http, settings, code=code, redirect_uri=redirect_uri,
                                seconds=seconds)
    headers = {**_API_HEADERS, "Authorization": f"Bearer {token}"}
    api = settings.github_api_url.rstrip("/")

    response = await _send(http, "user", "GET", f"{api}/user", seconds, headers=headers)
    if response.status_code != 200:
        raise _unexpected(response, "user")
    user = _json(response, "user")
    if not isinstance(user, dict):
        raise _unexpected(response, "user")
    github_id, login = user.get("id"), user.get("login")
    if type(github_id) is not int or not isinstance(login, str) or not login:
        raise _unexpected(response, "user")

    email = _optional_str(user.get("email"))
    if email is None:
        response = await _send(http, "emails", "GET", f"{api}/user/emails", seconds,
                               headers=headers)
        # Without the user:email grant GitHub answers 403/404: log in without an email.
        if response.status_code == 200:
            email = _primary_verified(_json(response, "emails"))
        elif response.status_code not in (401, 403, 404):
            raise _unexpected(response, "emails")

    return GitHubProfile(github_id=github_id, login=login, name=_optional_str(user.get("name")),
                         email=email, avatar_url=_optional_str(user.get("avatar_url")))
