"""Turning a resolver's IdPage into a strawberry relay connection."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from strawberry import relay

from resolvers.pages import IdPage


def to_connection(connection_cls: type, page: IdPage, convert: Callable[[Any], Any]) -> Any:
    edges = [relay.Edge(node=convert(row), cursor=cursor)
             for row, cursor in zip(page.rows, page.cursors, strict=True)]
    return connection_cls(edges=edges, page_info=relay.PageInfo(
        has_next_page=page.has_next, has_previous_page=page.has_previous,
        start_cursor=page.cursors[0] if page.cursors else None,
        end_cursor=page.cursors[-1] if page.cursors else None))
