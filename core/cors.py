"""CORS for HTTP: pages of the origins in ``LEARNGRAPH_ALLOWED_ORIGINS`` may call
/graphql and the faces from the browser, with the visitor's cookies.

A listed origin's preflight is answered here (204) and its requests get the headers
that let its page read the answer; ``*`` in the list lets any origin read answers,
never with credentials. A request from any other origin passes untouched and gets no
CORS header, so the browser keeps the answer from the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
# Headers a page may send besides the CORS-safelisted ones.
HEADERS = ("Authorization, Content-Type, X-CSRF-Token, X-Request-Id, X-API-Key, "
           "Apollo-Require-Preflight, GraphQL-Require-Preflight")
# Headers a page may read besides the CORS-safelisted ones: GraphQL's query budget is
# reported in GitHub's x-ratelimit-* headers, which GitHub exposes too.
EXPOSED = ("X-Request-Id, Retry-After, WWW-Authenticate, X-RateLimit-Limit, "
           "X-RateLimit-Remaining, X-RateLimit-Used, X-RateLimit-Reset, X-RateLimit-Resource")
MAX_AGE = "600"
# A requested header list is echoed only when it is plainly a list of header names.
HEADER_LIST = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+(\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$")
MAX_REQUESTED_HEADERS = 1000


class CorsPolicy:
    """Which origins' pages may read answers, and the headers that tell the browser so
    (the CORS middleware's rule, which the GraphQL front door applies too)."""

    def __init__(self, allowed_origins: Iterable[str] = ()) -> None:
        origins = {origin.rstrip("/") for origin in allowed_origins}
        self.any_origin = "*" in origins
        self.origins = origins - {"*"}

    def grant(self, origin: str) -> dict[str, str] | None:
        """The headers that let ``origin``'s page read answers, or None."""
        if origin in self.origins:
            return {"Access-Control-Allow-Origin": origin,
                    "Access-Control-Allow-Credentials": "true", "Vary": "Origin"}
        if self.any_origin:
            return {"Access-Control-Allow-Origin": "*"}
        return None


def add_grant(headers: list[tuple[bytes, bytes]], grant: dict[str, str]) -> None:
    """Put ``grant`` and the exposed headers on a response's raw ``headers``: each
    replaces a header of its name, ``Origin`` is added to ``Vary``."""
    for name, value in grant.items():
        if name == "Vary":
            value = ", ".join([*(v.decode("latin-1") for k, v in headers if k == b"vary"),
                               "Origin"])
        _set(headers, name.lower().encode("latin-1"), value.encode("latin-1"))
    _set(headers, b"access-control-expose-headers", EXPOSED_BYTES)


def _set(headers: list[tuple[bytes, bytes]], name: bytes, value: bytes) -> None:
    """The header ``name`` set to ``value`` in place of any it had, where the first was."""
    found = [i for i, (key, _) in enumerate(headers) if key == name]
    for i in reversed(found[1:]):
        del headers[i]
    if found:
        headers[found[0]] = (name, value)
    else:
        headers.append((name, value))


EXPOSED_BYTES = EXPOSED.encode("latin-1")


class CORSMiddleware:
    def __init__(self, app: ASGIApp, allowed_origins: Iterable[str] = ()) -> None:
        self.app = app
        self.policy = CorsPolicy(allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        grant = self.policy.grant(origin) if origin else None
        if grant is None:
            await self.app(scope, receive, send)
            return
        requested = headers.get("access-control-request-method")
        if scope["method"] == "OPTIONS" and requested:
            await self._preflight(grant, headers)(scope, receive, send)
            return

        async def send_with_grant(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = response_headers = list(message.get("headers") or ())
                add_grant(response_headers, grant)
            await send(message)

        await self.app(scope, receive, send_with_grant)

    def _preflight(self, grant: dict[str, str], headers: Headers) -> Response:
        asked = headers.get("access-control-request-headers", "").strip()
        allowed = (asked if asked and len(asked) <= MAX_REQUESTED_HEADERS
                   and HEADER_LIST.match(asked) else HEADERS)
        return Response(status_code=204, headers={
            **grant, "Access-Control-Allow-Methods": METHODS,
            "Access-Control-Allow-Headers": allowed, "Access-Control-Max-Age": MAX_AGE})
