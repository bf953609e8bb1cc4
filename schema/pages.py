"""Turning a resolver's Page into a strawberry relay connection; global integer ids."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from strawberry import relay

from core.errors import Validation
from resolvers.pages import Page

C = TypeVar("C")


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


def connection(cls: type[C], page: Page, node: Callable[[Any], Any]) -> C:
    """A relay connection of ``cls`` from a resolver page."""
    edges = [relay.Edge(node=node(item), cursor=cursor)
             for item, cursor in zip(page.items, page.cursors, strict=True)]
    return cls(edges=edges, page_info=relay.PageInfo(
        has_next_page=page.has_next, has_previous_page=page.has_previous,
        start_cursor=page.cursors[0] if page.cursors else None,
        end_cursor=page.cursors[-1] if page.cursors else None))
