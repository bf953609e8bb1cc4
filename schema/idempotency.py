"""Idempotency keys on GraphQL mutations, with the rules of the REST routes
(``core.idempotency``: one implementation, one table).

The mutations that stand for a route the reading platform's reference (§39.4) lists as
taking an ``Idempotency-Key`` (``registerAccount``, ``startCheckout``, ``createClass``,
``addStudent``, ``importRoster``) take a key in either of two ways:

- an ``idempotencyKey`` argument on the mutation, or
- an ``Idempotency-Key`` HTTP header on the ``/graphql`` request, which then applies to
  each of those mutations in the document (each field, by its response name, keeps its
  own answer under the key).

Both at once must agree. Without a key a mutation runs as it always has: GraphQL never
required one, and a client that wants a safe retry sends one.

With a key, the mutation's payload (or the failure a client is meant to see) is kept,
sealed, for 24 hours under a hash of the field, the caller and the key, and a retry
with the key gets it again, whatever fields it selects this time, instead of running
again. The same key with other arguments is ``IDEMPOTENCY_KEY_REUSED``; while the first
still runs, on this instance or another, ``REQUEST_IN_FLIGHT``. A failure worth retrying
(an internal error, a busy database, a rate limit, an upstream outage) is not kept: the
key is released. Keys of the REST routes and of GraphQL do not meet.
"""

from __future__ import annotations

import dataclasses
import enum
import typing
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from types import NoneType, UnionType
from typing import Any, TypeVar

import orjson
from strawberry import relay
from strawberry.types import Info

from core import idempotency
from core.errors import DomainError

T = TypeVar("T")

ARGUMENT = "idempotencyKey"
ARGUMENT_DESCRIPTION = (
    "A client-generated key (1 to 255 printable ASCII characters, a UUID say) that makes "
    "a retry safe: for 24 hours the same key gets this mutation's first answer again "
    "instead of running it twice; the same key with other arguments is "
    "IDEMPOTENCY_KEY_REUSED, and while the first still runs, REQUEST_IN_FLIGHT. An "
    "`Idempotency-Key` HTTP header on the request does the same.")
_PAYLOAD = "application/vnd.learngraph.payload+json"
_ERROR = "application/vnd.learngraph.error+json"


def _header_key(info: Info) -> str | None:
    request = info.context.request
    if request is None or request.scope.get("type") != "http":
        return None
    return request.headers.get(idempotency.HEADER)


def key_of(info: Info, argument: str | None) -> tuple[str, dict] | None:
    """The key the mutation runs under (from its argument or the request's header) and
    where it came from, or None; BAD_USER_INPUT for a malformed key or two that differ."""
    header = _header_key(info)
    if argument is None and header is None:
        return None
    where = {"argument": ARGUMENT} if argument is not None else {"header": "Idempotency-Key"}
    try:
        key = idempotency.read_key({idempotency.HEADER: argument if argument is not None
                                    else header})
    except DomainError:  # blank, too long or not printable ASCII
        raise DomainError(f"An idempotency key must be 1 to {idempotency.MAX_KEY_LENGTH} "
                          "printable ASCII characters", code="BAD_USER_INPUT",
                          details=where) from None
    if argument is not None and header is not None and header.strip() != key:
        raise DomainError("The idempotencyKey argument and the Idempotency-Key header differ",
                          code="BAD_USER_INPUT", details={"argument": ARGUMENT,
                                                          "header": "Idempotency-Key"})
    return key, where


async def idempotent(info: Info, *, key: str | None, arguments: Any,
                     run: Callable[[], Awaitable[T]], payload: type[T]) -> T:
    """``run()``'s payload, once per idempotency key (see the module docstring); without
    a key, simply ``run()``."""
    found = key_of(info, key)
    if found is None:
        return await run()
    key, where = found
    ctx = info.context
    viewer = ctx.viewer
    caller = str(viewer.user_id or viewer.api_key_id or viewer.kind)
    route = f"graphql Mutation.{info.field_name} {info.path.key}"
    try:
        outcome = await idempotency.claim(
            ctx.db, key_hash=idempotency.key_hash(key=key, route=route, caller=caller),
            seal=idempotency.sealing_key(secret=ctx.settings.secret_key, key=key,
                                         route=route, caller=caller),
            request_hash=idempotency.request_hash(
                method="graphql", path=route,
                body=orjson.dumps(_encode(arguments), option=orjson.OPT_SORT_KEYS)))
    except idempotency.InFlight as exc:
        raise DomainError(exc.message, code="REQUEST_IN_FLIGHT", status=409,
                          details=where) from None
    except idempotency.KeyReused:
        raise DomainError("This idempotency key was used with different arguments",
                          code="IDEMPOTENCY_KEY_REUSED", status=422, details=where) from None
    except idempotency.Unreadable as exc:
        raise DomainError(exc.message.replace("send the request", "run the mutation"),
                          code="IDEMPOTENCY_KEY_UNREADABLE", status=409,
                          details=where) from None
    if isinstance(outcome, idempotency.Stored):
        return _replay(outcome, payload)
    try:
        result = await run()
    except DomainError as exc:
        if idempotency.keeps(exc.status):
            await idempotency.complete(ctx.db, outcome, status=exc.status, media_type=_ERROR,
                                       body=orjson.dumps({"code": exc.code,
                                                          "message": exc.message,
                                                          "details": exc.details}))
        else:
            await idempotency.release(ctx.db, outcome)
        raise
    except BaseException:
        await idempotency.release(ctx.db, outcome)
        raise
    await idempotency.complete(ctx.db, outcome, status=200, media_type=_PAYLOAD,
                               body=orjson.dumps(_encode(result)))
    return result


def _replay(stored: idempotency.Stored, payload: type[T]) -> T:
    kept = orjson.loads(stored.body)
    if stored.media_type == _ERROR:
        raise DomainError(kept["message"], code=kept["code"], status=stored.status,
                          details=kept["details"])
    return _decode(payload, kept)


def _encode(value: Any) -> Any:
    """A payload (or input) as JSON values: strawberry types by their data fields."""
    if isinstance(value, relay.GlobalID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: _encode(getattr(value, name)) for name in _data_fields(type(value))}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _data_fields(kind: type) -> list[str]:
    """The fields of a strawberry type that hold data (not those a resolver computes)."""
    definition = getattr(kind, "__strawberry_definition__", None)
    if definition is None:
        return [f.name for f in dataclasses.fields(kind)]
    return [f.python_name for f in definition.fields if f.base_resolver is None]


def _decode(kind: Any, value: Any) -> Any:
    """``value`` (from ``_encode``) as an instance of the annotated type ``kind``."""
    origin = typing.get_origin(kind)
    if origin is typing.Annotated:
        return _decode(typing.get_args(kind)[0], value)
    if origin in (typing.Union, UnionType):
        if value is None:
            return None
        (inner,) = [a for a in typing.get_args(kind) if a is not NoneType]
        return _decode(inner, value)
    if origin is list:
        (inner,) = typing.get_args(kind)
        return [_decode(inner, v) for v in value]
    if kind is relay.GlobalID:
        return relay.GlobalID.from_id(value)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind, include_extras=True)
        return kind(**{name: _decode(hints[name], value[name])
                       for name in _data_fields(kind) if name in value})
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(value)
    if kind is uuid.UUID:
        return uuid.UUID(value)
    if kind is datetime:
        return datetime.fromisoformat(value)
    return value
