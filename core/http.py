"""HTTP helpers shared by the GraphQL view and the REST faces."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from core.auth.viewer import ANONYMOUS, Viewer, authenticate, credentials_from_headers
from core.context import Context
from core.errors import Unauthenticated
from core.observe import note_viewer
from core.proxies import client_address


def client_ip(conn: HTTPConnection) -> str:
    """The client's address, read through the configured trusted proxies only."""
    return client_address(conn, conn.app.state.services.settings.trusted_proxies)


async def authenticate_request(conn: HTTPConnection, *, prefer_cookie: str | None = None
                               ) -> tuple[Viewer, str | None]:
    """Who sent this request, and why its bearer credential was refused, if it was.

    Invalid credentials make an anonymous Viewer; when the credential was a bearer token
    (or API key) the reason comes back too, so that a face can refuse it. A stale session
    cookie is not an error: the browser keeps sending it until the next sign-in replaces it.
    ``prefer_cookie`` is the asking face's own session cookie, read before others.
    """
    services = conn.app.state.services
    credentials = credentials_from_headers(conn.headers, conn.cookies,
                                           prefer_cookie=prefer_cookie)
    try:
        return await authenticate(services.settings, services.db, credentials), None
    except Unauthenticated as exc:
        return ANONYMOUS, exc.message if credentials.bearer else None


async def viewer_of(conn: HTTPConnection) -> Viewer:
    """Who sent this request (anonymous when its credential is missing or stale)."""
    return (await authenticate_request(conn))[0]


_AUTHENTICATED = "learngraph.authenticated"
# ``authenticate_request``'s answer for a request without any of the headers that carry
# credentials (core.auth.viewer.CREDENTIAL_HEADERS).
WITHOUT_CREDENTIALS: tuple[Viewer, str | None] = (ANONYMOUS, None)


async def build_context(conn: HTTPConnection, *, response=None,
                        prefer_cookie: str | None = None,
                        known: tuple[Viewer, str | None] | None = None) -> Context:
    """The context of one request: services, Viewer (see ``authenticate_request``, or
    ``known`` when the caller has its answer already), fresh loaders."""
    # A request asks once: a planned read that hands over to the general path has
    # checked its credentials already.
    state = conn.scope.setdefault("state", {})
    if known is not None:
        state[_AUTHENTICATED] = known
    elif prefer_cookie is None:
        known = state.get(_AUTHENTICATED)
    if known is None:
        known = await authenticate_request(conn, prefer_cookie=prefer_cookie)
        if prefer_cookie is None:
            state[_AUTHENTICATED] = known
    viewer, credential_error = known
    note_viewer(conn.scope, viewer)
    services = conn.app.state.services
    return Context(services=services, viewer=viewer, credential_error=credential_error,
                   request_id=state.get("request_id", ""),
                   client_ip=client_address(conn, services.settings.trusted_proxies),
                   user_agent=_user_agent(conn.scope), request=conn, response=response)


def _user_agent(scope) -> str | None:
    """The first ``User-Agent`` header (as ``conn.headers.get`` reads it, without the
    headers' mapping, which raises and catches a KeyError when there is none)."""
    for name, value in scope["headers"]:
        if name == b"user-agent":
            return value.decode("latin-1")
    return None
