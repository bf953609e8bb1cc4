"""Turning a resolver's IdPage into a strawberry relay connection."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from strawberry import relay

from core.errors import Validation
from resolvers.pages import IdPage


def parse_int_id(value: str, type_name: str, *, field: str) -> int:
    """An integer id from a global ID of ``type_name`` or from a plain integer string."""
    text = str(value)
    if text.isdigit():
        return int(text)
    try:
        kind, raw = relay.from_base64(text)
    except Exception:
        kind, raw = None, ""
    if kind == type_name and raw.isdigit():
        return int(raw)
    raise Validation(f"Invalid {type_name} id: {text!r}", details={"field": field})


def to_connection(connection_cls: type, page: IdPage, convert: Callable[[Any], Any]) -> Any:
    edges = [relay.Edge(node=convert(row), cursor=cursor)
             for row, cursor in zip(page.rows, page.cursors, strict=True)]
    return connection_cls(edges=edges, page_info=relay.PageInfo(
        has_next_page=page.has_next, has_previous_page=page.has_previous,
        start_cursor=page.cursors[0] if page.cursors else None,
        end_cursor=page.cursors[-1] if page.cursors else None))
