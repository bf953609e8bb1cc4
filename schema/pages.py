"""Turning a resolver's Page into a strawberry relay connection; global integer ids.

Every integer id from a client goes through ``int_or_none``: ASCII digits only, in
1..2**63-1 (a PostgreSQL bigint), so text such as ``"²"``, ``"-1"``, ``" 7"`` or a number
too big for the database is malformed rather than a server error. A malformed id is
answered consistently: inside ``resolve_nodes`` (``ids_or_zero``, ``ids_or_none``,
``load_rows``) it is no row, so ``node`` answers null; as an argument (``parse_int_id``,
``global_int_id``) it is Validation (BAD_USER_INPUT) ``Invalid <Type> id: '<value>'``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import strawberry
from strawberry import relay
from strawberry.relay.types import NodeType

from core.errors import Validation
from resolvers import pages
from resolvers.pages import Page

C = TypeVar("C")


MAX_ID = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")


def int_or_none(value: object) -> int | None:
    """The row id ``value`` spells (ASCII digits, 1..2**63-1), else None."""
    text = value if isinstance(value, str) else str(value)
    if not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


def ids_or_zero(node_ids: Iterable[str]) -> list[int]:
    """Row ids for a loader from ``resolve_nodes`` ids; 0, which no row has, for malformed
    ones."""
    return [int_or_none(i) or 0 for i in node_ids]


async def load_rows(info: Any, loader: type, node_ids: Iterable[str]) -> list[Any]:
    """The rows behind ``resolve_nodes`` ids through ``loader``; None where there is none."""
    return await info.context.loaders.get(loader).load_many(ids_or_zero(node_ids))


def ids_or_none(node_ids: Iterable[str]) -> list[int | None]:
    """Row ids from ``resolve_nodes`` ids; None where one is malformed."""
    return [int_or_none(i) for i in node_ids]


def parse_int_id(value: str, type_name: str, *, field: str) -> int:
    """An integer id from a global ID of ``type_name`` or from a plain integer string."""
    number = int_or_none(value)
    if number is not None:
        return number
    return global_int_id(value, type_name, field=field)


def global_int_id(value: relay.GlobalID | str, type_name: str, *, field: str) -> int:
    """The integer id inside a global ID of ``type_name``; Validation when it is not one."""
    text = str(value)
    try:
        kind, raw = relay.from_base64(text)
    except Exception:
        kind, raw = None, ""
    number = int_or_none(raw) if kind == type_name else None
    if number is None:
        raise Validation(f"Invalid {type_name} id: {text!r}", details={"field": field})
    return number


def connection(cls: type[C], page: Page, node: Callable[[Any], Any], **fields: Any) -> C:
    """A relay connection of ``cls`` from a resolver page (``fields``: its other fields)."""
    edges = [relay.Edge(node=node(item), cursor=cursor)
             for item, cursor in zip(page.items, page.cursors, strict=True)]
    return cls(**fields, edges=edges, page=page, page_info=relay.PageInfo(
        has_next_page=page.has_next, has_previous_page=page.has_previous,
        start_cursor=page.cursors[0] if page.cursors else None,
        end_cursor=page.cursors[-1] if page.cursors else None))


TOTAL_COUNT = ("How many items the whole list holds, on every page: its filters and "
               "visibility applied, not `first`, `after`, `last` or `before`. Counted only "
               "when selected.")


@strawberry.type
class Connection(relay.Connection[NodeType]):
    """A relay connection with GitHub's ``nodes`` shortcut and ``totalCount``: every
    connection of the schema derives from it."""

    page: strawberry.Private[Page]

    @strawberry.field(description="The items of this page, as `edges { node }` without "
                                  "their cursors.")
    def nodes(self) -> list[NodeType]:
        return [edge.node for edge in self.edges]

    @strawberry.field(description=TOTAL_COUNT)
    async def total_count(self, info: strawberry.Info) -> int:
        return await pages.count(info.context, self.page)
