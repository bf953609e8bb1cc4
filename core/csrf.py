"""Cross-site request forgery: how a write signed in with a cookie proves intent.

A page on another site (a sibling subdomain or another local port passes
SameSite=Lax) can make the browser send the visitor's cookies with a "simple"
request: a form post or a ``text/plain`` fetch, with no custom headers. It can
send neither an ``application/json`` body nor a custom header without a CORS
preflight, which this server never grants. So every write authenticated by a
cookie must carry one of those; each face declares which one its clients send
(a ``CsrfPolicy``), and Bearer or API-key requests are not affected.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from starlette.requests import HTTPConnection

from core.errors import Forbidden

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_REJECTED = "CSRF_REJECTED"


def media_type(conn: HTTPConnection) -> str:
    """The request's media type without parameters, lower-cased (``""`` when absent)."""
    return media_type_of(conn.headers.get("content-type", ""))


def media_type_of(content_type: str) -> str:
    """A ``Content-Type`` value's media type without parameters, lower-cased."""
    return content_type.split(";", 1)[0].strip().lower()


@dataclass(frozen=True)
class CsrfPolicy:
    """What a face's cookie-authenticated writes must carry.

    By default a JSON body is enough, and a bodyless write (logout) sends either a
    JSON content type or a non-empty ``X-CSRF-Token`` header. A face whose clients
    hold a CSRF cookie names it in ``cookie``: the header must then echo that
    cookie's value (double submit), and with ``json_suffices=False`` JSON alone
    is not enough.
    """

    json_suffices: bool = True
    header: str = "X-CSRF-Token"
    cookie: str | None = None

    @property
    def message(self) -> str:
        if self.cookie:
            return (f"Missing or invalid CSRF token: send the {self.cookie} cookie's value "
                    f"in the {self.header} header")
        return ("Requests signed in with a cookie must send JSON "
                f"(Content-Type: application/json) or an {self.header} header")

    def proves_intent(self, conn: HTTPConnection) -> bool:
        """Whether this request could not have been sent by another site's page."""
        if self.proven_by(conn.scope.get("method"), media_type(conn)):
            return True
        token = conn.headers.get(self.header, "")
        if not token:
            return False
        if self.cookie is None:
            return True
        expected = conn.cookies.get(self.cookie, "")
        return bool(expected) and hmac.compare_digest(token.encode(), expected.encode())

    def proven_by(self, method: str | None, media: str) -> bool:
        """Whether a request's method, or the media type of its body, proves intent."""
        return method not in WRITE_METHODS or (
            self.json_suffices and media == "application/json")

    def check(self, conn: HTTPConnection, *, via_cookie: bool) -> None:
        """Raise Forbidden when a cookie-authenticated write does not prove intent."""
        if via_cookie and not self.proves_intent(conn):
            raise Forbidden(self.message, code=CSRF_REJECTED)


DEFAULT = CsrfPolicy()
