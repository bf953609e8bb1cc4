"""Opaque cursors and page-size rules shared by GraphQL connections and faces."""

from __future__ import annotations

import base64

import orjson

from core.errors import Validation

MAX_PAGE_SIZE = 100


def encode_cursor(values: list) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(values)).decode().rstrip("=")


def decode_cursor(cursor: str) -> list:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = orjson.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise Validation("Invalid cursor") from exc
    if not isinstance(values, list):
        raise Validation("Invalid cursor")
    return values


def page_size(first: int | None, last: int | None, *, maximum: int = MAX_PAGE_SIZE) -> int:
    """The requested page size; one of first/last is required and must be 1..maximum."""
    if first is not None and last is not None:
        raise Validation("Pass either `first` or `last`, not both")
    size = first if first is not None else last
    if size is None:
        raise Validation(f"You must provide a `first` or `last` value (1 to {maximum}) "
                         "to paginate this connection")
    if not 1 <= size <= maximum:
        name = "first" if first is not None else "last"
        raise Validation(f"`{name}` must be between 1 and {maximum}, got {size}")
    return size


def decode_id_cursor(cursor: str) -> int:
    """The integer id an ``[id]`` cursor carries; Validation for anything else."""
    values = decode_cursor(cursor)
    if len(values) != 1 or not isinstance(values[0], int) or isinstance(values[0], bool):
        raise Validation("Invalid cursor")
    return values[0]
