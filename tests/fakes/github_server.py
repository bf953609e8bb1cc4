"""A fake GitHub OAuth provider and REST API, served over real HTTP.

It runs under uvicorn on 127.0.0.1 in a background thread with its own event
loop, so both sync and async tests can talk to it::

    with FakeGitHub() as fake:
        fake.add_user(code="abc", github_id=1, login="octocat", email="o@example.com")
        settings = fake.configure(settings)
"""

from __future__ import annotations

import asyncio
import json
import secrets
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from core.config import Settings

BAD_CODE = {
    "error": "bad_verification_code",
    "error_description": "The code passed is incorrect or expired.",
    "error_uri": "https://docs.github.com/apps/managing-oauth-apps/"
                 "troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code",
}
BAD_CREDENTIALS = {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}


@dataclass
class FakeUser:
    github_id: int
    login: str
    name: str | None = None
    email: str | None = None
    emails: list[dict[str, Any]] = field(default_factory=list)
    avatar_url: str | None = None


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class _Fault:
    path: str | None
    status: int | None = None
    delay: float | None = None


class FakeGitHub:
    """Fake ``github.com/login/oauth/*`` and ``api.github.com/user[/emails]``."""

    def __init__(self, *, client_id: str = "cid", client_secret: str = "csecret") -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._codes: dict[str, FakeUser] = {}
        self._tokens: dict[str, FakeUser] = {}
        self._faults: deque[_Fault] = deque()
        self._approvals: deque[str] = deque()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self.port: int | None = None
        self.app = Starlette(routes=[
            Route("/login/oauth/authorize", self._authorize, methods=["GET"]),
            Route("/login/oauth/access_token", self._access_token, methods=["POST"]),
            Route("/user", self._user, methods=["GET"]),
            Route("/user/emails", self._emails, methods=["GET"]),
        ])

    # ----------------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("FakeGitHub is not started")
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeGitHub:
        if self._thread is not None:
            return self
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off",
                                timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, args=(sock,), daemon=True,
                                        name="fake-github")
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("FakeGitHub failed to start")
            time.sleep(0.01)
        return self

    def _run(self, sock: socket.socket) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._stopping = asyncio.Event()
        try:
            self._loop.run_until_complete(self._server.serve(sockets=[sock]))
        finally:
            self._loop.close()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._server.should_exit = True
        if self._loop is not None and not self._loop.is_closed():
            try:
                self._loop.call_soon_threadsafe(self._stopping.set)
            except RuntimeError:
                pass  # the loop closed between the check and the call
        self._thread.join(timeout=10)
        self._thread = self._server = self._loop = self._stopping = None
        self.port = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------- test controls

    def overrides(self) -> dict[str, str]:
        """Settings fields pointing learngraph at this fake."""
        base = self.base_url
        return {
            "github_client_id": self.client_id,
            "github_client_secret": self.client_secret,
            "github_authorize_url": f"{base}/login/oauth/authorize",
            "github_token_url": f"{base}/login/oauth/access_token",
            "github_api_url": base,
        }

    def configure(self, settings: Settings) -> Settings:
        return settings.with_overrides(**self.overrides())

    def add_user(self, *, code: str, github_id: int, login: str, name: str | None = None,
                 email: str | None = None, emails: list[dict[str, Any]] | None = None,
                 avatar_url: str | None = None) -> FakeUser:
        """Register a single-use authorization ``code`` that logs in this user.

        ``email`` is the public email returned by ``/user``; ``emails`` is the
        ``/user/emails`` list (GitHub's shape: email/primary/verified/visibility).
        When ``emails`` is omitted it holds just ``email`` as primary and verified.
        """
        if emails is None:
            emails = ([{"email": email, "primary": True, "verified": True,
                        "visibility": "public"}] if email else [])
        if avatar_url is None:
            avatar_url = f"https://avatars.githubusercontent.com/u/{github_id}?v=4"
        user = FakeUser(github_id=github_id, login=login, name=name, email=email,
                        emails=list(emails), avatar_url=avatar_url)
        with self._lock:
            self._codes[code] = user
        return user

    def fail_next(self, status: int = 500, *, path: str | None = None, times: int = 1) -> None:
        """Answer the next request(s) (to ``path``, or any) with ``status``."""
        with self._lock:
            self._faults.extend(_Fault(path=path, status=status) for _ in range(times))

    def slow_next(self, seconds: float, *, path: str | None = None, times: int = 1) -> None:
        """Delay the next request(s) (to ``path``, or any) by ``seconds``."""
        with self._lock:
            self._faults.extend(_Fault(path=path, delay=seconds) for _ in range(times))

    def approve_next(self, code: str) -> None:
        """Make the next authorize request redirect back with ``code``, like a user clicking
        "Authorize"."""
        with self._lock:
            self._approvals.append(code)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._codes.clear()
            self._tokens.clear()
            self._faults.clear()
            self._approvals.clear()

    def paths(self) -> list[str]:
        with self._lock:
            return [request.path for request in self.requests]

    # ----------------------------------------------------------------- endpoints

    async def _intercept(self, request: Request, body: dict[str, Any]) -> Response | None:
        path = request.url.path
        with self._lock:
            self.requests.append(RecordedRequest(
                method=request.method, path=path, query=dict(request.query_params),
                headers={k.lower(): v for k, v in request.headers.items()}, body=body))
            fault = next((f for f in self._faults if f.path in (None, path)), None)
            if fault is not None:
                self._faults.remove(fault)
        if fault is None:
            return None
        if fault.delay is not None:
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=fault.delay)
            except TimeoutError:
                pass
            return None
        return JSONResponse({"message": "Fake failure"}, status_code=fault.status)

    async def _authorize(self, request: Request) -> Response:
        query = dict(request.query_params)
        failure = await self._intercept(request, {})
        if failure is not None:
            return failure
        with self._lock:
            code = self._approvals.popleft() if self._approvals else None
        if code is not None and query.get("redirect_uri"):
            params = {"code": code, **({"state": query["state"]} if "state" in query else {})}
            separator = "&" if "?" in query["redirect_uri"] else "?"
            return RedirectResponse(f"{query['redirect_uri']}{separator}{urlencode(params)}",
                                    status_code=302)
        return JSONResponse(query)

    async def _access_token(self, request: Request) -> Response:
        raw = await request.body()
        if "json" in request.headers.get("content-type", ""):
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {}
            body = body if isinstance(body, dict) else {}
        else:
            body = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        failure = await self._intercept(request, body)
        if failure is not None:
            return failure

        with self._lock:
            valid_client = (body.get("client_id") == self.client_id
                            and body.get("client_secret") == self.client_secret)
            # Codes are single-use: a failed attempt with a known code burns it too.
            user = self._codes.pop(str(body.get("code", "")), None)
            if valid_client and user is not None:
                token = "gho_" + secrets.token_hex(18)
                self._tokens[token] = user
                payload: dict[str, Any] = {"access_token": token, "token_type": "bearer",
                                           "scope": "read:user,user:email"}
            else:
                payload = BAD_CODE
        if "application/json" in request.headers.get("accept", ""):
            return JSONResponse(payload)
        return Response(urlencode(payload), media_type="application/x-www-form-urlencoded")

    def _bearer(self, request: Request) -> FakeUser | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "token") or not token:
            return None
        with self._lock:
            return self._tokens.get(token.strip())

    async def _user(self, request: Request) -> Response:
        failure = await self._intercept(request, {})
        if failure is not None:
            return failure
        user = self._bearer(request)
        if user is None:
            return JSONResponse(BAD_CREDENTIALS, status_code=401)
        return JSONResponse({
            "login": user.login, "id": user.github_id, "type": "User",
            "avatar_url": user.avatar_url, "html_url": f"https://github.com/{user.login}",
            "name": user.name, "email": user.email,
        })

    async def _emails(self, request: Request) -> Response:
        failure = await self._intercept(request, {})
        if failure is not None:
            return failure
        user = self._bearer(request)
        if user is None:
            return JSONResponse(BAD_CREDENTIALS, status_code=401)
        return JSONResponse(user.emails)
