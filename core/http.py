"""HTTP helpers shared by the GraphQL view and the REST faces."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from core.auth.viewer import Viewer, authenticate_or_anonymous, credentials_from_headers
from core.context import Context


def client_ip(conn: HTTPConnection) -> str:
    return conn.client.host if conn.client else "unknown"


async def viewer_of(conn: HTTPConnection) -> Viewer:
    """Who sent this request (anonymous when its credential is missing or stale)."""
    services = conn.app.state.services
    credentials = credentials_from_headers(conn.headers, conn.cookies)
    return await authenticate_or_anonymous(services.settings, services.db, credentials)


async def build_context(conn: HTTPConnection, *, response=None) -> Context:
    """The context of one request: services, Viewer, fresh loaders."""
    services = conn.app.state.services
    viewer = await viewer_of(conn)
    return Context(services=services, viewer=viewer,
                   request_id=conn.scope.get("state", {}).get("request_id", ""),
                   client_ip=client_ip(conn), user_agent=conn.headers.get("user-agent"),
                   request=conn, response=response)
