"""JWTs per RFC 8725: one pinned algorithm, typed tokens, iss/aud/exp/iat checked.

An access token names its sign-in session (``sid``); the session row decides
whether it is still good, so logout and refresh-token reuse revoke at once.
A refresh token is typed ``refresh`` and can never pass as an access token.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass

import jwt

from core.config import Settings
from core.errors import Unauthenticated

ALGORITHM = "HS256"
ACCESS = "access"
REFRESH = "refresh"


def _signing_key(settings: Settings) -> bytes:
    return hmac.new(settings.secret_key.encode(), b"learngraph-jwt", hashlib.sha256).digest()


@dataclass(frozen=True)
class TokenClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID
    jti: uuid.UUID
    token_type: str
    expires_at: int


def issue(settings: Settings, *, user_id: uuid.UUID, session_id: uuid.UUID, token_type: str,
          ttl_seconds: int, jti: uuid.UUID | None = None) -> tuple[str, TokenClaims]:
    """Sign a token of ``token_type`` for a user's session."""
    now = int(time.time())
    claims = TokenClaims(user_id=user_id, session_id=session_id, jti=jti or uuid.uuid4(),
                         token_type=token_type, expires_at=now + ttl_seconds)
    payload = {
        "iss": settings.jwt_issuer, "aud": settings.jwt_audience, "sub": str(user_id),
        "sid": str(session_id), "jti": str(claims.jti), "typ": token_type,
        "iat": now, "exp": claims.expires_at,
    }
    token = jwt.encode(payload, _signing_key(settings), algorithm=ALGORITHM,
                       headers={"typ": "JWT"})
    return token, claims


def decode(settings: Settings, token: str, *, token_type: str) -> TokenClaims:
    """Verify signature, algorithm, iss, aud, exp, iat and type; raise Unauthenticated."""
    try:
        payload = jwt.decode(
            token, _signing_key(settings), algorithms=[ALGORITHM],
            audience=settings.jwt_audience, issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "sid", "jti", "typ"]},
            leeway=5,
        )
        if payload["typ"] != token_type:
            raise Unauthenticated("Invalid token type")
        return TokenClaims(user_id=uuid.UUID(payload["sub"]), session_id=uuid.UUID(payload["sid"]),
                           jti=uuid.UUID(payload["jti"]), token_type=payload["typ"],
                           expires_at=int(payload["exp"]))
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("Token has expired") from exc
    except (jwt.InvalidTokenError, ValueError, KeyError, TypeError) as exc:
        raise Unauthenticated("Invalid token") from exc
