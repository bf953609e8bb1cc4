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


# Tokens verified lately, by what they were verified with and their text. A client
# sends the same access token with every request until it expires, and checking its
# signature and claims again each time cost a tenth of a worker's CPU on a cache-hit
# greeting. What a token says never changes, so this is not a stale answer: its expiry
# is still checked on every use, and whether its session is still live is the
# database's to say, on every request (core.auth.viewer).
_VERIFIED: dict[tuple[str, str, str, str, str], TokenClaims] = {}
_VERIFIED_MAX = 10_000
LEEWAY_SECONDS = 5
_clock = time.time


def decode(settings: Settings, token: str, *, token_type: str) -> TokenClaims:
    """Verify signature, algorithm, iss, aud, exp, iat and type; raise Unauthenticated."""
    key = (settings.secret_key, settings.jwt_issuer, settings.jwt_audience, token_type, token)
    claims = _VERIFIED.get(key)
    if claims is None:
        claims = _verify(settings, token, token_type=token_type)
        if len(_VERIFIED) >= _VERIFIED_MAX:
            _VERIFIED.clear()
        _VERIFIED[key] = claims
    elif claims.expires_at <= _clock() - LEEWAY_SECONDS:  # as jwt.decode checks it
        del _VERIFIED[key]
        raise Unauthenticated("Token has expired")
    return claims


def _verify(settings: Settings, token: str, *, token_type: str) -> TokenClaims:
    try:
        payload = jwt.decode(
            token, _signing_key(settings), algorithms=[ALGORITHM],
            audience=settings.jwt_audience, issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "sid", "jti", "typ"]},
            leeway=LEEWAY_SECONDS,
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
