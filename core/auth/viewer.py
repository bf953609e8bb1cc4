"""Who is asking: the Viewer on every request and connection context.

Credentials are read the same way for every face: a Bearer token (a JWT
access token or an ``sk_``/``gsk_`` API key) or a session cookie
(``access_token``, the Codelabs face's ``oc_session``, or the reading platform's
``uc_session``), each holding an
access token of a sign-in session, so that every credential resolves to the
same Viewer; a Viewer that a cookie authenticated is marked ``via_cookie``,
which subjects its writes to the face's CSRF rule.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from sqlalchemy import ARRAY, select

from core.auth import api_keys, tokens
from core.config import Settings
from core.db import Database
from core.errors import Forbidden, Unauthenticated
from models.organization import OrganizationGuest
from models.user import ApiKey, User

ACCESS_COOKIE = "access_token"
# The Codelabs face's session cookie (facilitators and attendees).
CODELABS_COOKIE = "oc_session"
# The reading platform's account center session cookie.
READING_COOKIE = "uc_session"
# Cookies that carry a session's access token, in the order they are tried.
SESSION_COOKIES = (ACCESS_COOKIE, CODELABS_COOKIE, READING_COOKIE)

# Roles. A user with no role is a student; a platform admin passes every role check.
ROLE_STUDENT = "STUDENT"
ROLE_INSTRUCTOR = "INSTRUCTOR"
ROLE_PLATFORM_ADMIN = "PLATFORM_ADMIN"
ROLES = (ROLE_STUDENT, ROLE_INSTRUCTOR, ROLE_PLATFORM_ADMIN)
# Another service of the platform, holding the configured ``X-Internal-Key``.
ROLE_INTERNAL_SERVICE = "INTERNAL_SERVICE"
INTERNAL_KEY_HEADER = "x-internal-key"


@dataclass(frozen=True)
class Viewer:
    """The authenticated principal of one request (or the anonymous one)."""

    kind: str = "anonymous"  # anonymous | user | api_key | service
    user_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)
    user: User | None = None
    # Authenticated by a session cookie, which a browser attaches to other sites'
    # requests too: writes must then prove intent (core.csrf).
    via_cookie: bool = False
    # An organization guest's ``gsk_`` key has a guest and no user.
    guest_id: uuid.UUID | None = None
    rate_limit: int | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.kind != "anonymous"

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_admin(self) -> bool:
        return ROLE_PLATFORM_ADMIN in self.roles

    def require_user(self) -> uuid.UUID:
        """The user id, or Unauthenticated."""
        if self.user_id is None:
            raise Unauthenticated("Not authenticated")
        return self.user_id

    @property
    def is_api_key(self) -> bool:
        return self.kind == "api_key"

    def require_scope(self, scope: str) -> None:
        """An API key must carry ``scope``; other credentials are not scoped."""
        if self.is_api_key and scope not in self.scopes:
            raise Forbidden(f"This API key lacks the {scope} scope",
                            details={"required_scope": scope})

    def require_role(self, role: str) -> None:
        self.require_user()
        if role not in self.roles and not self.is_admin:
            raise Forbidden("You do not have permission to do this")

    @property
    def is_internal_service(self) -> bool:
        return ROLE_INTERNAL_SERVICE in self.roles

    def require_internal(self) -> None:
        """Service-to-service operations: the internal key, or a platform admin."""
        if not self.is_authenticated:
            raise Unauthenticated("Missing or invalid X-Internal-Key")
        if not (self.is_internal_service or self.is_admin):
            raise Forbidden("This operation is for the platform's services")


ANONYMOUS = Viewer()
INTERNAL_SERVICE = Viewer(kind="service", roles=frozenset({ROLE_INTERNAL_SERVICE}))


@dataclass(frozen=True)
class Credentials:
    bearer: str | None = None
    cookie_token: str | None = None
    internal_key: str | None = None

    @property
    def present(self) -> bool:
        return bool(self.bearer or self.cookie_token or self.internal_key)


def _bearer(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


# The request headers ``credentials_from_headers`` reads (as an ASGI scope names them):
# a request with none of them is anonymous.
CREDENTIAL_HEADERS = (b"authorization", b"cookie", INTERNAL_KEY_HEADER.encode())


def credentials_from_headers(headers: Mapping[str, str], cookies: Mapping[str, str], *,
                             prefer_cookie: str | None = None) -> Credentials:
    """The Bearer header, the first session cookie present (``prefer_cookie`` first: a
    face reads its own cookie before another face's of the same host) and the internal
    service key."""
    names = (prefer_cookie, *SESSION_COOKIES) if prefer_cookie else SESSION_COOKIES
    cookie = next((cookies[name] for name in names if cookies.get(name)), None)
    return Credentials(bearer=_bearer(headers.get("authorization")), cookie_token=cookie,
                       internal_key=headers.get(INTERNAL_KEY_HEADER) or None)


def credentials_from_params(params: Mapping[str, object] | None) -> Credentials:
    """Credentials from a WebSocket ``connection_init`` payload."""
    params = params or {}
    for key in ("Authorization", "authorization"):
        if isinstance(params.get(key), str):
            return Credentials(bearer=_bearer(params[key]) or params[key])
    for key in ("token", "accessToken", "access_token"):
        if isinstance(params.get(key), str):
            return Credentials(bearer=params[key])
    return Credentials()


# The user of a live sign-in session, as one prepared statement on a bare connection (no
# ORM query to compile or rows to load: every authenticated request runs it).
# An array column comes back as text[], whose codec asyncpg has built in: for any other
# array type a new connection first asks the server's catalog (a recursive query that
# took as long as the statement on a fresh backend).
_USER_COLUMNS = tuple(column.key for column in User.__table__.columns)
_VIEWER_OF_SESSION = (
    "SELECT " + ", ".join(
        f"CAST(u.{column.key} AS text[])" if isinstance(column.type, ARRAY) else
        f"u.{column.key}" for column in User.__table__.columns)
    + " FROM auth_sessions s JOIN users u ON u.id = s.user_id"
    " WHERE s.id = $1 AND u.id = $2 AND s.revoked_at IS NULL AND s.expires_at > $3"
    " AND u.is_active")  # a deactivated user's tokens stop at once


async def viewer_for_access_token(settings: Settings, db: Database, token: str) -> Viewer:
    claims = tokens.decode(settings, token, token_type=tokens.ACCESS)
    row = await db.read_row(_VIEWER_OF_SESSION,
                            (claims.session_id, claims.user_id, datetime.now(UTC)))
    if row is None:
        raise Unauthenticated("Session has ended")
    user = User(**dict(zip(_USER_COLUMNS, row, strict=True)))
    return Viewer(kind="user", user_id=user.id, session_id=claims.session_id,
                  roles=frozenset(user.roles), user=user)


async def viewer_for_api_key(db: Database, token: str) -> Viewer:
    async with db.read() as session:
        row = (await session.execute(
            select(ApiKey, User, OrganizationGuest.status)
            .outerjoin(User, User.id == ApiKey.user_id)
            .outerjoin(OrganizationGuest, OrganizationGuest.id == ApiKey.guest_id).where(
                ApiKey.secret_hash == api_keys.hash_token(token), ApiKey.revoked_at.is_(None),
            ))).first()
    if row is None or (row[1] is not None and not row[1].is_active) or \
            (row[0].guest_id is not None and row[2] != "active"):
        raise Unauthenticated("Invalid API key")  # also a deactivated owner's keys
    key, user, _ = row
    return Viewer(kind="api_key", user_id=key.user_id, api_key_id=key.id,
                  roles=frozenset(user.roles) if user else frozenset(),
                  scopes=frozenset(key.scopes), user=user, guest_id=key.guest_id,
                  rate_limit=key.rate_limit)


def viewer_for_internal_key(settings: Settings, key: str) -> Viewer:
    expected = settings.internal_key
    if not expected or not hmac.compare_digest(key.encode(), expected.encode()):
        raise Unauthenticated("Missing or invalid X-Internal-Key")
    return INTERNAL_SERVICE


async def authenticate(settings: Settings, db: Database, credentials: Credentials) -> Viewer:
    """Resolve credentials to a Viewer; raise Unauthenticated when they are invalid.

    An ``X-Internal-Key`` header names the caller as a service and decides alone:
    the configured key is the service, any other value is refused."""
    if credentials.internal_key:
        return viewer_for_internal_key(settings, credentials.internal_key)
    if credentials.bearer:
        if api_keys.looks_like_api_key(credentials.bearer):
            return await viewer_for_api_key(db, credentials.bearer)
        return await viewer_for_access_token(settings, db, credentials.bearer)
    if credentials.cookie_token:
        viewer = await viewer_for_access_token(settings, db, credentials.cookie_token)
        return replace(viewer, via_cookie=True)
    return ANONYMOUS


async def authenticate_or_anonymous(settings: Settings, db: Database,
                                    credentials: Credentials) -> Viewer:
    """Like ``authenticate``, but a stale or invalid credential means anonymous."""
    try:
        return await authenticate(settings, db, credentials)
    except Unauthenticated:
        return ANONYMOUS
