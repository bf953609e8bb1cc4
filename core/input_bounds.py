"""Bounds every input value meets before any face or resolver sees it.

A value decoded from a client (a JSON body, a GraphQL variable or literal, a path or
query parameter) is refused when a string is longer than the limit (64 KiB by default;
fields that document more, such as content bodies, allow ``LONG_TEXT_LENGTH``), when any
string or object key contains a NUL character (PostgreSQL cannot store one), when an
integer does not fit in 64 bits (PostgreSQL's bigint), or when it nests deeper than
``MAX_DEPTH``. The faces turn ``OutOfBounds`` into their own 4xx; its message names where
the value was and never repeats more than a short prefix of it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

DEFAULT_MAX_STRING_LENGTH = 64 * 1024
LONG_TEXT_LENGTH = 1024 * 1024
MAX_DEPTH = 32
MIN_INT64, MAX_INT64 = -(2**63), 2**63 - 1
PREFIX_LENGTH = 40
# Values a validated model holds that carry no string or integer of their own to bound
# (the full walk passes them too): a validated body's dump is all of these, str and int.
_OPAQUE = frozenset({uuid.UUID, datetime, date, time, timedelta, Decimal, float, bool,
                     type(None)})
MAX_MESSAGE_LENGTH = 500
# The longest part of an input value an error message repeats.
VALUE_PREFIX_LENGTH = 100
_MORE = VALUE_PREFIX_LENGTH + 1
_LONG_VALUE = re.compile(rf"'[^'\n]{{{_MORE},}}'|\"[^\"\n]{{{_MORE},}}\"|\S{{{_MORE},}}")
# Only the head of a huge message is looked at (the rest is cut anyway).
_SCANNED_LENGTH = 16 * MAX_MESSAGE_LENGTH


def excerpt(value: object, length: int = PREFIX_LENGTH) -> str:
    """``repr(value)`` cut to a short prefix, for error messages that name bad input."""
    text = value if isinstance(value, str) else str(value)
    if len(text) <= length:
        return repr(text)
    return repr(text[:length]) + f"… ({len(text)} characters)"


def _cut_value(match: re.Match[str]) -> str:
    value = match.group()
    if value[0] in "'\"" and value[-1] == value[0]:
        return value[:VALUE_PREFIX_LENGTH + 1] + "…" + value[0]
    return value[:VALUE_PREFIX_LENGTH] + "…"


def shorten(message: str, length: int = MAX_MESSAGE_LENGTH) -> str:
    """A message that quotes input, with every value in it cut to its first
    ``VALUE_PREFIX_LENGTH`` characters and an ellipsis (a quoted value, or any run without
    spaces: an id, an email, a token), and the whole cut to ``length`` characters.

    Every domain error's message passes through here, so a resolver may name what it was
    sent without measuring it first."""
    if len(message) <= VALUE_PREFIX_LENGTH:
        return message
    message = _LONG_VALUE.sub(_cut_value, message[:_SCANNED_LENGTH])
    return message if len(message) <= length else message[:length - 1] + "…"


class OutOfBounds(ValueError):
    """A value past one of the bounds; ``path`` is where it was (keys and list indexes)."""

    def __init__(self, kind: str, message: str, path: tuple[str | int, ...] = (),
                 limit: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.path = path
        self.limit = limit

    def at(self, prefix: tuple[str | int, ...]) -> OutOfBounds:
        return OutOfBounds(self.kind, self.message, prefix + self.path, self.limit)


def check_string(value: str, *, max_length: int = DEFAULT_MAX_STRING_LENGTH) -> None:
    if len(value) > max_length:
        raise OutOfBounds("too_long", f"String of {len(value)} characters is longer than the "
                          f"limit of {max_length}", limit=max_length)
    if "\x00" in value:
        raise OutOfBounds("nul", "Strings cannot contain NUL (\\u0000) characters")


def check_int(value: int) -> None:
    if not MIN_INT64 <= value <= MAX_INT64:
        raise OutOfBounds("int_range", f"Integer {excerpt(value)} does not fit in 64 bits",
                          limit=MAX_INT64)


def _walk(value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[Any, tuple]]:
    """Every value inside ``value`` (itself first), with its path; keys come as strings."""
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        yield item, where
        if isinstance(item, dict):
            for key, inner in item.items():
                if isinstance(key, str):
                    yield key, (*where, key)
                stack.append((inner, (*where, key)))
        elif isinstance(item, list | tuple):
            stack.extend((inner, (*where, index)) for index, inner in enumerate(item))


def _within(value: Any, max_length: int, max_depth: int) -> bool:
    """Whether ``value`` is within every bound ``check_value`` holds it to: the same
    rules without building a path for each item, for the common case where all is well
    (most requests pass here once per input)."""
    stack = [(value, 0)]
    pop, push = stack.pop, stack.append
    while stack:
        item, depth = pop()
        if depth > max_depth:
            return False
        kind = type(item)
        if kind is str:
            if len(item) > max_length or "\x00" in item:
                return False
        elif kind is dict:
            for key, inner in item.items():
                if type(key) is str and (len(key) > max_length or "\x00" in key):
                    return False
                push((inner, depth + 1))
        elif kind is list or kind is tuple:
            for inner in item:
                push((inner, depth + 1))
        elif kind is int:
            if not MIN_INT64 <= item <= MAX_INT64:
                return False
        elif kind in _OPAQUE:
            pass
        else:
            # Subclasses and anything unusual take the full walk.
            return False
    return True


def check_value(value: Any, *, max_length: int = DEFAULT_MAX_STRING_LENGTH,
                max_depth: int = MAX_DEPTH, path: tuple[str | int, ...] = ()) -> None:
    """Raise ``OutOfBounds`` for the first string, integer or nesting past the bounds in
    ``value`` (any JSON-like value found at ``path``), in time linear in its size. Depth
    counts from the root ``path`` starts at."""
    if _within(value, max_length, max_depth - len(path)):
        return
    # Something is past a bound: walk again, keeping paths, to say what and where.
    for item, where in _walk(value, path):
        if len(where) > max_depth:
            raise OutOfBounds("depth", f"Value nested deeper than {max_depth} levels",
                              where, max_depth)
        try:
            if isinstance(item, str):
                check_string(item, max_length=max_length)
            elif isinstance(item, int) and not isinstance(item, bool):
                check_int(item)
        except OutOfBounds as exc:
            raise exc.at(where) from None


def dotted(path: tuple[str | int, ...]) -> str:
    """``("input", "tags", 2)`` as ``input.tags[2]``."""
    text = ""
    for part in path:
        if isinstance(part, str) and len(part) > PREFIX_LENGTH:
            part = part[:PREFIX_LENGTH] + "…"
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
