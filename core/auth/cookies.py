"""Cookie helpers: httpOnly, SameSite=Lax, Secure when served over https."""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.responses import Response

from core.config import Settings
from core.proxies import forwarded_proto


def is_secure(settings: Settings, conn: HTTPConnection | None) -> bool:
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    if conn is None:
        return False
    proto = forwarded_proto(conn, settings.trusted_proxies) or conn.url.scheme
    return proto in ("https", "wss")


def set_cookie(response: Response, settings: Settings, conn: HTTPConnection | None, *,
               name: str, value: str, max_age: int, http_only: bool = True) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=http_only,
                        samesite="lax", secure=is_secure(settings, conn))


def clear_cookie(response: Response, settings: Settings, conn: HTTPConnection | None, *,
                 name: str) -> None:
    response.delete_cookie(name, path="/", httponly=True, samesite="lax",
                           secure=is_secure(settings, conn))
