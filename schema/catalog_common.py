"""Helpers shared by the catalog's GraphQL modules: global ids, partial inputs, delete payloads."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import relay

from resolvers.catalog import PageArgs
from schema.pages import global_int_id


def decode_id(value: relay.GlobalID | str, type_name: str, *, field: str = "id") -> int:
    """The integer id inside a global ID of ``type_name``; Validation ``Invalid <Type> id``
    when it is not one (see ``schema/pages.py``)."""
    return global_int_id(value, type_name, field=field)


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


@strawberry.type(description="The result of a delete: the global ID that no longer exists.")
class DeletePayload:
    deleted_id: strawberry.ID = strawberry.field(description="Global ID of the deleted object.")
