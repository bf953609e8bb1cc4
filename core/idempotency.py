"""Idempotency keys (the IETF ``Idempotency-Key`` header draft), kept in PostgreSQL.

A route that creates something or has an outside effect declares
``idempotency=True``; a request to it must carry ``Idempotency-Key`` (1–255 printable
ASCII characters, 400 without one). The key is stored only as a SHA-256 over the
route, the caller (user, service or anonymous) and the key, so one caller's key never
meets another's. The first request claims the key (``in_flight``) and runs; its
response is stored (``complete``) and replayed, byte for byte with its status, to every
later request with that key for 24 hours (the ``Idempotency-Expires`` header says
when). Meanwhile:

- the same key while the first request still runs: 409 ``request_in_flight``;
- the same key with a different request (method, path or body): 422
  ``idempotency_key_reused``;
- a response of 5xx or 429 (nothing done, or done nothing the client can see) is not
  kept: the key is released, and the client may retry with it.

The claim is one ``INSERT … ON CONFLICT DO NOTHING`` on the shared table, so it holds
across every instance; a claim whose instance died is taken over once its lease
(``LEASE``) has passed.

A kept response may hold what must not be stored in the clear (the PINs of a roster
import are shown once): its body is sealed with AES-256-GCM under a key derived from
the server secret and the client's own ``Idempotency-Key``, which the table does not
hold, so the stored rows alone reveal nothing. A body that no longer opens (the server
secret changed) is not replayed: the request gets 409 ``idempotency_key_unreadable``
and the client uses a new key.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import text

from core.db import Database
from core.errors import Conflict, DomainError, Validation

HEADER = "idempotency-key"
TTL = timedelta(hours=24)
# How long a request may hold its key before another instance may take it over.
LEASE = timedelta(minutes=5)
MAX_KEY_LENGTH = 255
_PRINTABLE = re.compile(r"[\x21-\x7e]+")

_CLAIM = text("""
INSERT INTO idempotency_keys (key_hash, request_hash, status, locked_until, expires_at)
VALUES (:key, :request, 'in_flight', now() + make_interval(secs => :lease),
        now() + make_interval(secs => :ttl))
ON CONFLICT (key_hash) DO UPDATE
    SET request_hash = EXCLUDED.request_hash, status = 'in_flight',
        response_status = NULL, response_type = NULL, response_body = NULL,
        created_at = now(), locked_until = EXCLUDED.locked_until,
        expires_at = EXCLUDED.expires_at
    WHERE idempotency_keys.expires_at < now()
       OR (idempotency_keys.status = 'in_flight' AND idempotency_keys.locked_until < now())
RETURNING key_hash
""")
_READ = text("SELECT request_hash, status, response_status, response_type, response_body, "
             "expires_at FROM idempotency_keys WHERE key_hash = :key")
_COMPLETE = text("UPDATE idempotency_keys SET status = 'complete', response_status = :status, "
                 "response_type = :type, response_body = :body WHERE key_hash = :key "
                 "AND request_hash = :request RETURNING expires_at")
_RELEASE = text("DELETE FROM idempotency_keys WHERE key_hash = :key AND request_hash = :request "
                "AND status = 'in_flight'")
_EXPIRE = text("DELETE FROM idempotency_keys WHERE expires_at < now()")


class KeyRequired(DomainError):
    code = "idempotency_key_required"
    status = 400


class InFlight(Conflict):
    code = "request_in_flight"


class KeyReused(DomainError):
    code = "idempotency_key_reused"
    status = 422


class Unreadable(Conflict):
    code = "idempotency_key_unreadable"


@dataclass(frozen=True)
class Stored:
    """A response kept for a key."""

    status: int
    media_type: str | None
    body: bytes
    expires_at: datetime


@dataclass(frozen=True)
class Claim:
    """A key this request holds: it runs, then ``complete`` or ``release`` it."""

    key_hash: str
    request_hash: str
    # Seals the kept response (see ``sealing_key``).
    seal: bytes = b""


def sealing_key(*, secret: str, key: str, route: str, caller: str) -> bytes:
    """The AES-256 key of the response kept for ``key``: the server secret and the
    client's key together, neither of which the table holds."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"learngraph-idempotency-response").derive(
        "\0".join((secret, route, caller, key)).encode())


def _seal(seal: bytes, key_hash: str, body: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(seal).encrypt(nonce, body, key_hash.encode())


def _open(seal: bytes, key_hash: str, sealed: bytes) -> bytes:
    try:
        return AESGCM(seal).decrypt(sealed[:12], sealed[12:], key_hash.encode())
    except (InvalidTag, ValueError):
        raise Unreadable("The response kept for this Idempotency-Key can no longer be "
                         "read; send the request with a new key",
                         details={"header": "Idempotency-Key"}) from None


def read_key(headers) -> str:
    """The request's ``Idempotency-Key``; KeyRequired without one, Validation when it is
    not 1–255 printable ASCII characters."""
    value = headers.get(HEADER)
    if value is None or not value.strip():
        raise KeyRequired("This endpoint requires an Idempotency-Key header",
                          details={"header": "Idempotency-Key"})
    value = value.strip()
    if len(value) > MAX_KEY_LENGTH or not _PRINTABLE.fullmatch(value):
        raise Validation(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII "
                         "characters", details={"header": "Idempotency-Key"})
    return value


def _sha256(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode(errors="surrogatepass") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def key_hash(*, key: str, route: str, caller: str) -> str:
    return _sha256("idempotency", route, caller, key)


def request_hash(*, method: str, path: str, body: bytes) -> str:
    return _sha256(method, path, body)


async def claim(db: Database, *, key_hash: str, request_hash: str,
                seal: bytes) -> Claim | Stored:
    """Claim the key for this request, or the stored response to replay; raise InFlight
    while another request holds it, KeyReused when it came with another request."""
    params = {"key": key_hash, "request": request_hash, "lease": LEASE.total_seconds(),
              "ttl": TTL.total_seconds()}
    async with db.transaction() as session:
        if (await session.execute(_CLAIM, params)).first() is not None:
            return Claim(key_hash=key_hash, request_hash=request_hash, seal=seal)
        row = (await session.execute(_READ, {"key": key_hash})).first()
    if row is None:  # released between the two statements: try once more
        return await claim(db, key_hash=key_hash, request_hash=request_hash, seal=seal)
    stored_request, status, response_status, media_type, body, expires_at = row
    if stored_request != request_hash:
        raise KeyReused("This Idempotency-Key was used with a different request",
                        details={"header": "Idempotency-Key"})
    if status != "complete":
        raise InFlight("A request with this Idempotency-Key is still being processed",
                       details={"header": "Idempotency-Key"})
    return Stored(status=response_status, media_type=media_type,
                  body=_open(seal, key_hash, body or b""), expires_at=expires_at)


def keeps(status: int) -> bool:
    """Whether a response with ``status`` is kept for its key (not a failure to retry)."""
    return status < 500 and status != 429


async def complete(db: Database, held: Claim, *, status: int, media_type: str | None,
                   body: bytes) -> datetime | None:
    """Keep the response for the key; when it expires."""
    async with db.transaction() as session:
        return (await session.execute(_COMPLETE, {
            "key": held.key_hash, "request": held.request_hash, "status": status,
            "type": media_type, "body": _seal(held.seal, held.key_hash, body),
        })).scalar_one_or_none()


async def release(db: Database, held: Claim) -> None:
    """Let the key go: the request failed in a way a retry may fix."""
    async with db.transaction() as session:
        await session.execute(_RELEASE, {"key": held.key_hash, "request": held.request_hash})


async def expire(db: Database) -> int:
    """Drop keys past their 24 hours; how many went."""
    async with db.transaction() as session:
        return (await session.execute(_EXPIRE)).rowcount
