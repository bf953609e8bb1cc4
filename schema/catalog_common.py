"""Helpers shared by the catalog's GraphQL modules: global ids, partial inputs, connections."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import strawberry
from strawberry import relay

from core.errors import Validation
from resolvers.catalog import Page, PageArgs

C = TypeVar("C")


def decode_id(value: relay.GlobalID | str, type_name: str) -> int:
    """The integer id inside a global ID of ``type_name``, or Validation."""
    try:
        gid = value if isinstance(value, relay.GlobalID) else relay.GlobalID.from_id(value)
        if gid.type_name != type_name:
            raise ValueError(gid.type_name)
        return int(gid.node_id)
    except (ValueError, TypeError):
        raise Validation(f"Not a valid {type_name} ID") from None


def set_fields(data: Any, *, renames: dict[str, str] | None = None,
               skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The fields of a strawberry input that the client actually sent."""
    renames = renames or {}
    out: dict[str, Any] = {}
    for name, value in vars(data).items():
        if name in skip or value is strawberry.UNSET:
            continue
        if hasattr(value, "value") and not isinstance(value, str | int | float | bool):
            value = value.value  # enums
        out[renames.get(name, name)] = value
    return out


def page_args(first: int | None, after: str | None) -> PageArgs:
    return PageArgs(first=first, after=after)


def connection(cls: type[C], page: Page, node: Callable[[Any], Any]) -> C:
    """A relay connection of ``cls`` from a resolver page."""
    edges = [relay.Edge(node=node(item), cursor=cursor)
             for item, cursor in zip(page.items, page.cursors, strict=True)]
    return cls(edges=edges, page_info=relay.PageInfo(
        has_next_page=page.has_next, has_previous_page=page.has_previous,
        start_cursor=page.cursors[0] if page.cursors else None,
        end_cursor=page.cursors[-1] if page.cursors else None))


@strawberry.type(description="The result of a delete: the global ID that no longer exists.")
class DeletePayload:
    deleted_id: strawberry.ID = strawberry.field(description="Global ID of the deleted object.")
