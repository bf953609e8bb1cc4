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

from starlette.datastructures import Headers, MutableHeaders
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


class CORSMiddleware:
    def __init__(self, app: ASGIApp, allowed_origins: Iterable[str] = ()) -> None:
        self.app = app
        origins = {origin.rstrip("/") for origin in allowed_origins}
        self.any_origin = "*" in origins
        self.origins = origins - {"*"}

    def _grant(self, origin: str) -> dict[str, str] | None:
        """The headers that let ``origin``'s page read answers, or None."""
        if origin in self.origins:
            return {"Access-Control-Allow-Origin": origin,
                    "Access-Control-Allow-Credentials": "true", "Vary": "Origin"}
        if self.any_origin:
            return {"Access-Control-Allow-Origin": "*"}
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        grant = self._grant(origin) if origin else None
        if grant is None:
            await self.app(scope, receive, send)
            return
        requested = headers.get("access-control-request-method")
        if scope["method"] == "OPTIONS" and requested:
            await self._preflight(grant, headers)(scope, receive, send)
            return

        async def send_with_grant(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                for name, value in grant.items():
                    if name == "Vary":
                        response_headers.add_vary_header("Origin")
                    else:
                        response_headers[name] = value
                response_headers["Access-Control-Expose-Headers"] = EXPOSED
            await send(message)

        await self.app(scope, receive, send_with_grant)

    def _preflight(self, grant: dict[str, str], headers: Headers) -> Response:
        asked = headers.get("access-control-request-headers", "").strip()
        allowed = (asked if asked and len(asked) <= MAX_REQUESTED_HEADERS
                   and HEADER_LIST.match(asked) else HEADERS)
        return Response(status_code=204, headers={
            **grant, "Access-Control-Allow-Methods": METHODS,
            "Access-Control-Allow-Headers": allowed, "Access-Control-Max-Age": MAX_AGE})
