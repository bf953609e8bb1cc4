"""Persisted GraphQL documents, kept in PostgreSQL so every instance knows them.

Two uses, one table keyed by the SHA-256 (hex) of a document's text:

* Automatic persisted queries (Apollo's protocol): a client sends
  ``extensions.persistedQuery = {"version": 1, "sha256Hash": h}``, first without the
  query (``PersistedQueryNotFound`` when the hash is unknown), then with it: the
  document is stored once it parsed and validated, and from then on the hash alone
  runs it, over POST or GET, on any instance.
* Trusted documents: ``learngraph documents add FILE…`` registers documents as
  trusted; with ``LEARNGRAPH_TRUSTED_DOCUMENTS_ONLY`` the server runs no other.

Documents never change under their hash, so what was found is cached in-process.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import text

from core.db import Database

MAX_CACHED = 2000
SHA256 = re.compile(r"[0-9a-f]{64}")

_GET = text("SELECT document, trusted FROM persisted_documents WHERE sha256 = :sha")
# A document stored automatically never takes trust away from one registered as trusted.
_PUT = text("INSERT INTO persisted_documents (sha256, document, trusted) "
            "VALUES (:sha, :document, :trusted) ON CONFLICT (sha256) DO UPDATE "
            "SET trusted = persisted_documents.trusted OR EXCLUDED.trusted "
            "RETURNING (xmax = 0) AS inserted")


def sha256_of(document: str) -> str:
    """The hash clients send for ``document``: SHA-256 of its UTF-8 text, in hex."""
    return hashlib.sha256(document.encode()).hexdigest()


@dataclass(frozen=True)
class Persisted:
    document: str
    trusted: bool


class PersistedDocuments:
    """The table, with what was found cached (documents are immutable by hash)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._cache: OrderedDict[str, Persisted] = OrderedDict()

    async def get(self, sha: str, *, trusted: bool = False) -> Persisted | None:
        """The document stored under ``sha`` (lower-case hex), or None; with ``trusted``,
        only a document registered as trusted."""
        found = self._cache.get(sha)
        if found is None or (trusted and not found.trusted):
            async with self.db.read() as session:
                row = (await session.execute(_GET, {"sha": sha})).one_or_none()
            if row is None:
                return None
            found = self._remember(sha, Persisted(document=row.document, trusted=row.trusted))
        self._cache.move_to_end(sha)
        return found if found.trusted or not trusted else None

    async def put(self, document: str, *, trusted: bool = False) -> tuple[str, bool]:
        """Store ``document`` (as trusted, if so); its hash and whether it was new."""
        sha = sha256_of(document)
        async with self.db.transaction() as session:
            inserted = (await session.execute(_PUT, {"sha": sha, "document": document,
                                                     "trusted": trusted})).scalar_one()
        self._cache.pop(sha, None)
        return sha, bool(inserted)

    def _remember(self, sha: str, found: Persisted) -> Persisted:
        self._cache[sha] = found
        while len(self._cache) > MAX_CACHED:
            self._cache.popitem(last=False)
        return found


PERSISTED_QUERY_NOT_FOUND = "PersistedQueryNotFound"
NOT_TRUSTED = ("This server runs only registered documents (trusted documents mode), and "
               "this one is not registered")


class PersistedQueryError(Exception):
    """A persisted-query request the server cannot run: its message, code and status."""

    def __init__(self, message: str, *, code: str, status: int) -> None:
        super().__init__(message)
        self.message, self.code, self.status = message, code, status


async def resolve(documents: PersistedDocuments, persisted: object, query: str | None, *,
                  trusted_only: bool) -> str:
    """The document an Apollo ``persistedQuery`` extension names: the stored one for a
    hash alone, else ``query`` once it matches its hash. Raises PersistedQueryError."""
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise PersistedQueryError("Unsupported persisted query version (only 1 is)",
                                  code="PERSISTED_QUERY_NOT_SUPPORTED", status=400)
    sha = persisted.get("sha256Hash")
    if not isinstance(sha, str) or not SHA256.fullmatch(sha.lower()):
        raise PersistedQueryError("sha256Hash must be 64 hexadecimal digits",
                                  code="BAD_USER_INPUT", status=400)
    sha = sha.lower()
    if query is not None:
        if sha256_of(query) != sha:
            raise PersistedQueryError("provided sha does not match query",
                                      code="BAD_USER_INPUT", status=400)
        return query
    found = await documents.get(sha, trusted=trusted_only)
    if found is None:
        if trusted_only:
            raise PersistedQueryError(NOT_TRUSTED, code="PERSISTED_QUERY_NOT_IN_LIST",
                                      status=400)
        # Apollo clients answer this one by sending the query with its hash.
        raise PersistedQueryError(PERSISTED_QUERY_NOT_FOUND, code="PERSISTED_QUERY_NOT_FOUND",
                                  status=200)
    return found.document


class DocumentFileError(ValueError):
    """A file given to ``learngraph documents add`` that holds no usable documents."""


def documents_in(name: str, content: str) -> list[str]:
    """The documents a file holds: an Apollo persisted query manifest
    (``{"format": "apollo-persisted-query-manifest", "operations": [{"body": …}]}``),
    a JSON object of hash → document (GraphQL Codegen's ``persisted-documents.json``;
    each hash is checked), or else the file's whole text as one document."""
    stripped = content.lstrip()
    if not stripped.startswith("{") or not name.endswith(".json"):
        if not stripped:
            raise DocumentFileError(f"{name}: the file is empty")
        return [content]
    try:
        data = json.loads(content)
    except ValueError as exc:
        raise DocumentFileError(f"{name}: not valid JSON ({exc})") from None
    if isinstance(data, dict) and isinstance(data.get("operations"), list):
        bodies = [op.get("body") if isinstance(op, dict) else None for op in data["operations"]]
        if not all(isinstance(body, str) and body.strip() for body in bodies):
            raise DocumentFileError(f"{name}: every operation of the manifest needs a body")
        return bodies
    if isinstance(data, dict) and data and all(
            isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        for sha, body in data.items():
            bare = sha.removeprefix("sha256:").lower()
            if sha256_of(body) != bare:
                raise DocumentFileError(f"{name}: {sha[:70]!r} is not the SHA-256 of its "
                                        "document")
        return list(data.values())
    raise DocumentFileError(f"{name}: expected an Apollo persisted query manifest or an "
                            "object of hash → document")
