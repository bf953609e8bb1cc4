"""Turning a resolver's Page into a strawberry relay connection; global integer ids."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from strawberry import relay

from core.errors import Validation
from resolvers.pages import Page

C = TypeVar("C")


def int_or_none(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def ids_or_zero(node_ids: Iterable[str]) -> list[int]:
    """Row ids for a loader from ``resolve_nodes`` ids; 0, which no row has, for non-digits."""
    return [int(i) if str(i).isdigit() else 0 for i in node_ids]


async def load_rows(info: Any, loader: type, node_ids: Iterable[str]) -> list[Any]:
    """The rows behind ``resolve_nodes`` ids through ``loader``; None where there is none."""
    return await info.context.loaders.get(loader).load_many(ids_or_zero(node_ids))


def ids_or_none(node_ids: Iterable[str]) -> list[int | None]:
    """Row ids from ``resolve_nodes`` ids; None where one is not an integer."""
    return [int_or_none(i) for i in node_ids]


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


def connection(cls: type[C], page: Page, node: Callable[[Any], Any], **fields: Any) -> C:
    """A relay connection of ``cls`` from a resolver page (``fields``: its other fields,
    such as ``total_count``)."""
    edges = [relay.Edge(node=node(item), cursor=cursor)
             for item, cursor in zip(page.items, page.cursors, strict=True)]
    return cls(**fields, edges=edges, page_info=relay.PageInfo(
        has_next_page=page.has_next, has_previous_page=page.has_previous,
        start_cursor=page.cursors[0] if page.cursors else None,
        end_cursor=page.cursors[-1] if page.cursors else None))
